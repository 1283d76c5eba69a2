#include "policies/severity/upcoming_sessions.h"

#include <map>
#include <tuple>
#include <utility>

namespace prebell {
namespace {

void KeepEarliest(std::optional<Instant>& current, Instant candidate) {
  if (!current || candidate < *current) current = candidate;
}

}  // namespace

StatusOr<UpcomingSessions> ComputeUpcomingSessions(std::span<const Occurrence> occurrences,
                                                   Instant now, Duration horizon) {
  if (horizon <= Duration::zero()) {
    return InvalidArgumentError("upcoming sessions: horizon must be positive, got " +
                                std::to_string(horizon.count()) + "s");
  }
  const Instant until = now + horizon;
  UpcomingSessions out;
  std::map<std::pair<std::string, int>, CourseNextSession> rows;
  for (const Occurrence& o : occurrences) {
    if (o.start <= now) continue;
    if (o.start > until) {
      // It enters the horizon at start - horizon.
      KeepEarliest(out.next_change, o.start - horizon);
      continue;
    }
    KeepEarliest(out.next_start[static_cast<int>(o.kind)], o.start);
    KeepEarliest(out.next_change, o.start);
    auto [it, inserted] = rows.try_emplace({o.course, static_cast<int>(o.kind)},
                                           CourseNextSession{o.course, o.kind, o.start, 0});
    CourseNextSession& row = it->second;
    if (o.start < row.start) {
      row.start = o.start;
      row.expected_attendance = 0;
    }
    if (o.start == row.start) row.expected_attendance += o.expected_attendance;
  }
  out.courses.reserve(rows.size());
  for (auto& [key, row] : rows) out.courses.push_back(std::move(row));
  return out;
}

}  // namespace prebell
