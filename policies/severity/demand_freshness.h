// Demand freshness: what a plan may be based on while live metrics are late.
//
// The planner corrects its forecast with the live connections metric. When
// Prometheus is unreachable or the metric stops arriving, the controller
// keeps the last plan it made from fresh metrics for a bounded time, then
// falls back to planning from the timetable (and the history it already has)
// alone, and says so in a condition and a metric. This is that decision, as a
// pure function of instants the controller feeds in:
// - Live           the newest sample is at most max_sample_age old;
// - LastGoodPlan   it is older (or there is none), but a plan made from fresh
//                  metrics exists and is less than keep_last_plan_for old;
// - TimetableOnly  otherwise (also at start-up before any metric arrived).
// Samples stamped in the future (clock skew) count as fresh.
// `next_change` is when the mode degrades if nothing new arrives, so the
// controller can requeue then; it is empty in TimetableOnly.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell {

enum class DemandMode { kLive, kLastGoodPlan, kTimetableOnly };

// "Live", "LastGoodPlan", "TimetableOnly".
std::string_view DemandModeName(DemandMode mode);

struct FreshnessOptions {
  // Must be positive.
  Duration max_sample_age = std::chrono::minutes(2);
  // Zero means: fall back to the timetable as soon as metrics are stale.
  Duration keep_last_plan_for = std::chrono::minutes(15);
};

struct FreshnessInput {
  Instant now{};
  // Timestamp of the newest sample of the live metric the source holds.
  std::optional<Instant> latest_sample{};
  // When the last plan made from fresh metrics (mode Live) was computed.
  std::optional<Instant> last_good_plan{};
};

struct FreshnessDecision {
  DemandMode mode = DemandMode::kTimetableOnly;
  // For the policy's condition: PascalCase reason and a message for a person.
  std::string reason{};
  std::string message{};
  std::optional<Instant> next_change{};
};

// kInvalidArgument for a non-positive max_sample_age or a negative
// keep_last_plan_for.
StatusOr<FreshnessDecision> DecideDemandFreshness(const FreshnessInput& input,
                                                  const FreshnessOptions& options = {});

}  // namespace prebell
