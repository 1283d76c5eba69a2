#include "policies/planner/scoring.h"

#include <algorithm>
#include <cmath>
#include <deque>

namespace prebell {
namespace {

// The replica count in force at `t`: the last one asked at or before it.
class StepLookup {
 public:
  explicit StepLookup(const ReplicaSeries& s) : s_(s) {}
  int32_t At(Instant t) {
    while (i_ + 1 < s_.times.size() && s_.times[i_ + 1] <= t) ++i_;
    return s_.replicas[i_];
  }

 private:
  const ReplicaSeries& s_;
  size_t i_ = 0;
};

bool InAny(std::span<const TimeWindow> windows, Instant t) {
  for (const TimeWindow& w : windows) {
    if (w.from <= t && t < w.to) return true;
  }
  return false;
}

int64_t MinuteOf(Instant t) {
  const int64_t s = t.time_since_epoch().count();
  return s >= 0 ? s / 60 : (s - 59) / 60;
}

int32_t NeedFor(double connections, double per) {
  if (!(connections > 0)) return 0;
  const double r = std::ceil(connections / per - 1e-9);
  return r > 1e9 ? 1'000'000'000 : static_cast<int32_t>(r);
}

}  // namespace

TimeWindow UnforetoldWindow(Instant start) {
  return {start - std::chrono::minutes(15), start + std::chrono::minutes(90)};
}

Score ScoreSeries(std::span<const MetricSample> demand, const ReplicaSeries& series,
                  const ScoringModel& model, Instant from, Instant to,
                  std::span<const TimeWindow> unforetold) {
  Score score;
  if (series.times.empty()) return score;
  const std::span<const MetricSample> in = SamplesBetween(demand, from, to);
  const double weight = static_cast<double>(model.step.count());
  StepLookup now_lookup(series), before_lookup(series);
  int64_t last_minute = INT64_MIN, last_foretold_minute = INT64_MIN;
  for (const MetricSample& s : in) {
    const int32_t ready = std::min(now_lookup.At(s.time), before_lookup.At(s.time - model.warmup));
    const double gap = s.value - ready * model.per_replica;
    score.demand_connection_seconds += s.value * weight;
    if (gap <= 0) continue;
    score.shortfall_connection_seconds += gap * weight;
    const int64_t minute = MinuteOf(s.time);
    if (minute != last_minute) {
      ++score.minutes_short;
      last_minute = minute;
    }
    if (minute != last_foretold_minute && !InAny(unforetold, s.time)) {
      ++score.minutes_short_foretold;
      last_foretold_minute = minute;
    }
    if (gap > score.worst_gap) {
      score.worst_gap = gap;
      score.worst_gap_at = s.time;
    }
  }
  if (score.demand_connection_seconds > 0) {
    score.shortfall_percent =
        100.0 * score.shortfall_connection_seconds / score.demand_connection_seconds;
  }
  for (size_t i = 0; i < series.times.size(); ++i) {
    const Instant a = std::max(series.times[i], from);
    const Instant b = std::min(i + 1 < series.times.size() ? series.times[i + 1] : to, to);
    if (a < b)
      score.cost_replica_seconds += series.replicas[i] * static_cast<double>((b - a).count());
  }
  return score;
}

ReplicaSeries OracleSeries(std::span<const MetricSample> demand, const ScoringModel& model,
                           Instant from, Instant to) {
  ReplicaSeries out;
  const double per = model.per_replica > 0 ? model.per_replica : 1;
  std::deque<size_t> window;  // indices with decreasing values
  size_t next = static_cast<size_t>(SamplesBetween(demand, Instant::min(), from).size());
  int32_t last = model.min_replicas;
  // The most recent sample before `from` stands for demand until the next.
  if (next > 0)
    last = std::clamp(NeedFor(demand[next - 1].value, per), model.min_replicas, model.max_replicas);
  for (Instant t = from; t < to; t += model.step) {
    const Instant horizon = t + model.warmup;
    while (next < demand.size() && demand[next].time <= horizon) {
      while (!window.empty() && demand[window.back()].value <= demand[next].value)
        window.pop_back();
      window.push_back(next++);
    }
    while (!window.empty() && demand[window.front()].time < t) window.pop_front();
    if (!window.empty()) {
      last = std::clamp(NeedFor(demand[window.front()].value, per), model.min_replicas,
                        model.max_replicas);
    }
    out.times.push_back(t);
    out.replicas.push_back(last);
  }
  return out;
}

ReplicaSeries HpaSeries(std::span<const MetricSample> demand, const ScoringModel& model,
                        Instant from, Instant to, std::span<const CronWindow> cron,
                        const HpaBehavior& behavior) {
  ReplicaSeries out;
  const double per_pod_target = std::max(1e-9, behavior.target_utilization * model.per_replica);
  std::vector<CronWindow> windows(cron.begin(), cron.end());
  std::sort(windows.begin(), windows.end(),
            [](const CronWindow& a, const CronWindow& b) { return a.from < b.from; });
  auto cron_replicas = [&](Instant t) {
    int64_t attendance = 0;
    for (const CronWindow& w : windows) {
      if (w.from > t) break;
      if (t < w.to) attendance += w.attendance;
    }
    return NeedFor(static_cast<double>(attendance), model.per_replica);
  };
  // Settled before the window: sized for the demand at `from`.
  int32_t current = model.min_replicas;
  {
    const auto before = SamplesUpTo(demand, from);
    const MetricSample* settled = !before.empty()   ? &before.back()
                                  : !demand.empty() ? &demand.front()
                                                    : nullptr;
    if (settled) {
      current = std::clamp(NeedFor(settled->value, per_pod_target), model.min_replicas,
                           model.max_replicas);
    }
    current = std::max(current, std::min(model.max_replicas, cron_replicas(from)));
  }
  std::deque<std::pair<Instant, int32_t>> recommendations;
  Instant next_sync = from;
  size_t seen = 0;  // samples visible so far (time <= sync - lag)
  for (Instant t = from; t < to; t += model.step) {
    while (next_sync <= t) {
      const Instant visible_until = next_sync - behavior.metric_lag;
      while (seen < demand.size() && demand[seen].time <= visible_until) ++seen;
      int32_t desired = current;
      if (seen > 0) {
        const double metric = demand[seen - 1].value;
        const double ratio = current > 0 ? metric / (current * per_pod_target) : 2.0;
        if (std::abs(ratio - 1.0) > behavior.tolerance) desired = NeedFor(metric, per_pod_target);
      }
      desired = std::max(desired, cron_replicas(next_sync));
      desired = std::clamp(desired, model.min_replicas, model.max_replicas);
      // Scale-down stabilization: the largest recommendation of the window.
      while (!recommendations.empty() &&
             recommendations.front().first <= next_sync - behavior.scale_down_stabilization) {
        recommendations.pop_front();
      }
      int32_t down = desired;
      for (const auto& r : recommendations) down = std::max(down, r.second);
      recommendations.emplace_back(next_sync, desired);
      int32_t rec = current;
      if (rec < desired) rec = desired;
      if (rec > down) rec = down;
      // Scale-up rate: the larger of +percent and +pods per period.
      const int64_t by_pods = static_cast<int64_t>(current) + behavior.scale_up_pods;
      const auto by_percent =
          static_cast<int64_t>(std::floor(current * (1 + behavior.scale_up_percent / 100.0)));
      const int64_t up_limit = std::max(by_pods, by_percent);
      if (rec > up_limit) rec = static_cast<int32_t>(up_limit);
      current = std::clamp(rec, model.min_replicas, model.max_replicas);
      next_sync += behavior.sync_period;
    }
    out.times.push_back(t);
    out.replicas.push_back(current);
  }
  return out;
}

}  // namespace prebell
