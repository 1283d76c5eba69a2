// Occurrence: one concrete sitting of a session, on the UTC time line.
//
// This is what every consumer of a timetable (the planner, the severity
// signal, `prebell sessions`) works from. `start < end` always holds for an
// occurrence produced by the expander or the iCalendar import.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "policies/common/time_text.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct Occurrence {
  std::string timetable;  // the Timetable's name (or the .ics file's name)
  std::string session;    // the session's name, or the iCalendar event's UID
  SessionKind kind = SessionKind::kClass;
  std::string course;
  Instant start{};
  Instant end{};
  int64_t expected_attendance = 0;

  friend bool operator==(const Occurrence&, const Occurrence&) = default;
};

// Orders by start, then end, then timetable and session: the order of
// `prebell sessions` output.
inline bool OccurrenceBefore(const Occurrence& a, const Occurrence& b) {
  return std::tie(a.start, a.end, a.timetable, a.session) <
         std::tie(b.start, b.end, b.timetable, b.session);
}

}  // namespace prebell
