// SessionShape: how a session's audience arrives before the start and leaves
// after the end.
//
// Arrivals and departures are modelled as normal distributions around the
// start and the end: `PresentFraction` is the expected share of the audience
// online at an instant (0 far before the start, 1 in the middle, 0 after the
// end). Planning uses the conservative window [start - lead, end + lag]
// where lead/lag reach `kPlanningSigmas` spreads beyond the centres, so that
// the capacity is there before the first arrivals and stays until nearly
// everybody has left. Exams default to earlier, wider arrivals ("students
// arrive earlier"); classes and events to a few minutes before the bell.
#pragma once

#include "policies/common/time_text.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct SessionShape {
  // Offset from the start at which half the audience is online (negative:
  // before the start) and the spread of arrivals.
  Duration arrival_center = std::chrono::seconds(-180);
  Duration arrival_spread = std::chrono::seconds(150);
  // Offset from the end at which half the audience has left, and the spread.
  Duration departure_center = std::chrono::seconds(0);
  Duration departure_spread = std::chrono::seconds(120);

  static constexpr double kPlanningSigmas = 3.5;

  // Expected share of the audience online at `t`, in [0, 1].
  double PresentFraction(Instant t, Instant start, Instant end) const;
  // The planning window reaches this far before the start and after the end.
  Duration lead() const;
  Duration lag() const;
};

// The shape prebell assumes for a kind until history says otherwise.
SessionShape DefaultShape(SessionKind kind);

}  // namespace prebell
