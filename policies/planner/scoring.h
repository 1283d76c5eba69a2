// Scoring a replica plan against the demand that really came (DESIGN.md,
// "Scoring a plan"), and the peers prebell is compared with.
//
// The model, exactly: pods asked for at r are ready at r + warmup, scale-down
// is immediate, so ready(t) = min(d(t), d(t - warmup)) where d is the replica
// count asked (the last decision at or before t; before the first decision,
// the first). At every demand sample t in [from, to) the shortfall is
// max(0, demand - ready x connectionsPerReplica), weighted by the sample
// period; cost is replica-seconds asked over [from, to). Demand for
// unforetold loads (scenario.json: from 15 min before a start to 90 min
// after) still counts in the shortfall; it is left out only of "minutes
// short where the timetable foretold the load".
//
// Peers, simulated on the same samples and step grid:
// - Oracle: at t asks for the most it will need during [t, t + warmup].
// - Kubernetes HPA on connections per pod: 70 % target, 15 s sync, the metric
//   seen 45 s late, 10 % tolerance, default scale-up policy (the larger of
//   +100 % and +4 pods per 15 s), 300 s scale-down stabilization, min/max
//   from the policy.
// - KEDA cron + HPA: cron windows written by hand from the timetable's weekly
//   sessions (from 15 min before each start to its end, sized at
//   expectedAttendance / connectionsPerReplica, summed over concurrent
//   windows; hand-written crons know nothing of exclusions), as one more HPA
//   metric: the HPA takes the larger recommendation, with the same behaviour.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policies/common/status.h"
#include "policies/forecast/metric_series.h"

namespace prebell {

struct ScoringModel {
  double per_replica = 1;
  Duration warmup{0};
  int32_t min_replicas = 0;
  int32_t max_replicas = 1;
  Duration step = std::chrono::seconds(15);  // decision grid and sample weight
};

struct TimeWindow {
  Instant from{};
  Instant to{};
};

// A replica count asked per step: times[i] holds replicas[i].
struct ReplicaSeries {
  std::vector<Instant> times;
  std::vector<int32_t> replicas;
};

struct Score {
  double demand_connection_seconds = 0;
  double shortfall_connection_seconds = 0;
  double shortfall_percent = 0;
  int64_t minutes_short = 0;           // any shortfall in that minute
  int64_t minutes_short_foretold = 0;  // ... outside the unforetold windows
  double worst_gap = 0;                // connections above ready capacity, at worst
  Instant worst_gap_at{};
  double cost_replica_seconds = 0;
  double cost_vs_oracle = 0;  // set by the caller once the oracle is scored
};

// `demand` sorted; `series` sorted by time, non-empty.
Score ScoreSeries(std::span<const MetricSample> demand, const ReplicaSeries& series,
                  const ScoringModel& model, Instant from, Instant to,
                  std::span<const TimeWindow> unforetold);

// The window an unforetold load covers: [start - 15 min, start + 90 min).
TimeWindow UnforetoldWindow(Instant start);

// Peers on the step grid [from, to).
ReplicaSeries OracleSeries(std::span<const MetricSample> demand, const ScoringModel& model,
                           Instant from, Instant to);

struct HpaBehavior {
  double target_utilization = 0.7;
  Duration sync_period = std::chrono::seconds(15);
  Duration metric_lag = std::chrono::seconds(45);
  double tolerance = 0.1;
  Duration scale_down_stabilization = std::chrono::seconds(300);
  int32_t scale_up_pods = 4;      // per sync period
  double scale_up_percent = 100;  // per sync period
};

struct CronWindow {
  Instant from{};
  Instant to{};
  int64_t attendance = 0;
};

// `cron` may be empty (plain HPA).
ReplicaSeries HpaSeries(std::span<const MetricSample> demand, const ScoringModel& model,
                        Instant from, Instant to, std::span<const CronWindow> cron = {},
                        const HpaBehavior& behavior = {});

}  // namespace prebell
