#include "policies/planner/backtest.h"

namespace prebell {

StatusOr<BacktestResult> RunBacktest(const ScalingPolicy& policy,
                                     std::vector<Occurrence> occurrences, const TimeZone& zone,
                                     std::span<const MetricSample> samples,
                                     const BacktestOptions& options) {
  if (options.step <= Duration{0}) {
    return InvalidArgumentError("step: must be positive, got " + FormatDuration(options.step));
  }
  if (!(options.from < options.to)) {
    return InvalidArgumentError("from/to: the window [" + FormatRfc3339(options.from) + ", " +
                                FormatRfc3339(options.to) + ") is empty");
  }
  const int64_t steps =
      ((options.to - options.from).count() + options.step.count() - 1) / options.step.count();
  if (steps > kMaxBacktestSteps) {
    return InvalidArgumentError("from/to/step: " + std::to_string(steps) +
                                " steps is more than the limit of " +
                                std::to_string(kMaxBacktestSteps));
  }
  auto planner = Planner::Create(policy, std::move(occurrences), zone, options.planner);
  if (!planner.ok()) return planner.status();

  BacktestResult out;
  for (const ScalingTarget& t : policy.targets) out.targets.push_back(t.name);
  out.replicas.assign(policy.targets.size(), {});
  for (auto& r : out.replicas) r.reserve(static_cast<size_t>(steps));
  out.times.reserve(static_cast<size_t>(steps));

  std::vector<std::optional<int32_t>> current(policy.targets.size());
  size_t cursor = 0;
  for (Instant t = options.from; t < options.to; t += options.step) {
    size_t end = cursor;
    while (end < samples.size() && samples[end].time <= t) ++end;
    if (end > cursor) planner->Observe(samples.subspan(cursor, end - cursor));
    cursor = end;
    const std::vector<TargetDecision> d = planner->Decide(t, current);
    out.times.push_back(t);
    for (size_t i = 0; i < d.size(); ++i) {
      out.replicas[i].push_back(d[i].replicas);
      current[i] = d[i].replicas;
    }
  }
  return out;
}

}  // namespace prebell
