// SessionShape: how a session's audience arrives before the start and leaves
// after the end.
//
// Arrivals and departures are modelled as normal distributions around the
// start and the end: `PresentFraction` is the expected share of the audience
// online at an instant (0 far before the start, 1 in the middle, 0 after the
// end). Plans use `PlanningFraction`, the same curve with arrivals assumed
// kPlanningShift spreads earlier and departures that much later: capacity is
// there before the early arrivals and stays while the late leavers are
// still online, without counting a whole audience for the quarter of an
// hour around the bell. Outside [start - lead, end + lag] the planning
// fraction is below kNegligible and counts as 0. Exams default to earlier,
// wider arrivals ("students arrive earlier"); classes and events to a few
// minutes before the bell.
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

  static constexpr double kPlanningShift = 1.0;
  static constexpr double kNegligible = 0.005;

  // Expected share of the audience online at `t`, in [0, 1].
  double PresentFraction(Instant t, Instant start, Instant end) const;
  // The share a plan must be ready for at `t`, in [0, 1]:
  // PlanningArrived(t - start) - PlanningLeft(t - end), clamped, and 0 when
  // negligible.
  double PlanningFraction(Instant t, Instant start, Instant end) const;
  // Its two halves: the share arrived `since_start` after the start, and the
  // share left `since_end` after the end (both non-decreasing).
  double PlanningArrived(Duration since_start) const;
  double PlanningLeft(Duration since_end) const;
  // The planning fraction is negligible before start - lead and after
  // end + lag; it is (nearly) 1 from start + full_from() to end + full_until().
  Duration lead() const;
  Duration lag() const;
  Duration full_from() const;
  Duration full_until() const;
};

// The shape prebell assumes for a kind until history says otherwise.
SessionShape DefaultShape(SessionKind kind);

}  // namespace prebell
