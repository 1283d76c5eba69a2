// Upcoming sessions: per kind and per course, what starts next.
//
// The "upcoming sessions" part of docs/metrics.md
// (prebell_seconds_until_next_session, prebell_course_next_start_timestamp_
// seconds, prebell_course_expected_attendance), computed from the
// occurrences of one namespace. Unlike the schedule signal this covers all
// three kinds, Event included.
// - Only sessions starting in (now, now + horizon] count: "next" is strictly
//   after now, so a session that is starting at now is no longer upcoming.
// - Per (course, kind) the earliest such start; when several sessions of the
//   course and kind start at that same instant (two sections, two
//   timetables) their expected attendance is summed: that many students
//   arrive at once.
// - `next_change` is the earliest instant after now where the result changes:
//   an upcoming session starts, or a session enters the horizon.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct CourseNextSession {
  std::string course{};  // may be empty: the session names no course
  SessionKind kind = SessionKind::kClass;
  Instant start{};
  int64_t expected_attendance = 0;

  friend bool operator==(const CourseNextSession&, const CourseNextSession&) = default;
};

struct UpcomingSessions {
  // Earliest start per kind, indexed by SessionKind (kClass, kExam, kEvent).
  std::optional<Instant> next_start[3];
  // One row per (course, kind) with a session in the horizon, ordered by
  // course, then kind.
  std::vector<CourseNextSession> courses{};
  std::optional<Instant> next_change{};

  const std::optional<Instant>& NextStart(SessionKind kind) const {
    return next_start[static_cast<int>(kind)];
  }
  friend bool operator==(const UpcomingSessions&, const UpcomingSessions&) = default;
};

// kInvalidArgument for a non-positive horizon.
StatusOr<UpcomingSessions> ComputeUpcomingSessions(std::span<const Occurrence> occurrences,
                                                   Instant now,
                                                   Duration horizon = std::chrono::days(7));

}  // namespace prebell
