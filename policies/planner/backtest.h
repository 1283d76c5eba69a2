// Backtest: replay the planner over a recorded trace, one decision per step.
//
// At each step t in [from, to) the planner is first given every sample with
// timestamp <= t that it has not seen, and nothing later; then it decides
// the replicas per target, starting from what it asked at the previous step
// (step limits). The samples before `from` are history it learns from. This
// is the `prebell backtest` contract (DESIGN.md): decisions up to t do not
// depend on any sample after t.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policies/common/status.h"
#include "policies/forecast/metric_series.h"
#include "policies/planner/planner.h"

namespace prebell {

struct BacktestOptions {
  Instant from{};
  Instant to{};
  Duration step = std::chrono::seconds(15);
  PlannerOptions planner;
};

struct BacktestResult {
  std::vector<std::string> targets;
  std::vector<Instant> times;                  // one per step
  std::vector<std::vector<int32_t>> replicas;  // [target][step]
};

inline constexpr int64_t kMaxBacktestSteps = 20'000'000;

// kInvalidArgument for an empty or inverted window, a non-positive step or
// more than kMaxBacktestSteps steps; `samples` must be sanitized (sorted).
StatusOr<BacktestResult> RunBacktest(const ScalingPolicy& policy,
                                     std::vector<Occurrence> occurrences, const TimeZone& zone,
                                     std::span<const MetricSample> samples,
                                     const BacktestOptions& options);

}  // namespace prebell
