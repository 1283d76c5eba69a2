// The Timetable model: what happens when, as a user wrote it.
//
// A Timetable is the parsed, validated spec of a `Timetable` custom resource
// (DESIGN.md). Every local time in it is wall-clock time in `time_zone`. A
// value of this type has passed validation: the zone exists, durations are
// positive, recurrence rules parse, names are unique, attendance is in range.
// Occurrences are produced from it by the recurrence expander; nothing here
// knows about instants.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell {

enum class SessionKind { kClass, kExam, kEvent };

// "Class", "Exam", "Event" (the spelling of the CRD).
std::string_view SessionKindName(SessionKind kind);
// Accepts the CRD spelling; kInvalidArgument otherwise.
StatusOr<SessionKind> ParseSessionKind(std::string_view text);

inline constexpr int64_t kMaxExpectedAttendance = 10'000'000;

struct Session {
  std::string name;
  SessionKind kind = SessionKind::kClass;
  std::string course;
  LocalTime start{};
  Duration duration{};
  std::string recurrence;  // RFC 5545 RRULE value; empty for a one-off session
  int64_t expected_attendance = 0;
};

// No session starts on a local day in [from, until] (both inclusive).
struct Exclusion {
  LocalDay from{};
  LocalDay until{};
  std::string reason;
};

// An iCalendar file imported from a ConfigMap key. Its events become
// occurrences of `kind`, with `expected_attendance` unless the event carries
// X-PREBELL-ATTENDANCE.
struct CalendarSource {
  std::string config_map;
  std::string key;
  SessionKind kind = SessionKind::kClass;
  std::string course;  // empty: the event's SUMMARY names the course
  int64_t expected_attendance = 0;
};

struct Timetable {
  std::string name;
  std::string namespace_name;
  std::map<std::string, std::string> labels;
  int64_t generation = 0;
  std::string time_zone;  // IANA name, validated
  std::vector<Session> sessions;
  std::vector<CalendarSource> calendars;
  std::vector<Exclusion> exclusions;
};

}  // namespace prebell
