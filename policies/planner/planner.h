// Planner: (timetables' occurrences, ScalingPolicy, metric history, now) ->
// Plan. The one code path behind the live controller, `prebell plan` and
// `prebell backtest`; only the clock and the metric source differ.
//
// A Planner keeps a ForecastModel and feeds it incrementally: give it
// samples with Observe() (in time order, none later than the next `now` you
// ask about) and ask Decide() (just the replicas for now: cheap enough for
// every 15 s step of a backtest) or MakePlan() (the whole timeline with
// reasons, up to a horizon). Both may re-fit the model, at most once per
// ForecastOptions::refit_interval of metric time.
//
// Per connections target the planned demand is
//   baseline (+ noise margin) + sum of planned session spikes, each over
//   [start - lead, end + lag] (SessionShape), spikes with the learned margin;
//   within the next minutes, at least what the metric shows now plus its
//   rising trend, and the forecast raised by any live excess over it (a
//   surge nobody announced is planned on at once);
//   and what was observed during the last scale-down delay (capacity is not
//   released under load that is still there).
// Sessions targets plan on the number of sessions whose windows overlap.
// PlanReplicas turns that into replicas with warm-up, headroom, floor and
// ceiling, step limits and the scale-down delay.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "policies/common/status.h"
#include "policies/forecast/forecast_model.h"
#include "policies/forecast/forecast_scorecard.h"
#include "policies/planner/plan.h"
#include "policies/planner/scaling_policy.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/time_zone.h"

namespace prebell {

struct PlannerOptions {
  ForecastOptions forecast;
  // How long after now the live correction (level, trend, excess) holds in a
  // plan's timeline.
  Duration live_hold = std::chrono::minutes(5);
};

struct TargetDecision {
  std::string target;
  int32_t replicas = 0;
  ReplicaWhy why = ReplicaWhy::kFloor;
};

class Planner {
 public:
  // kInvalidArgument if the policy does not validate.
  static StatusOr<Planner> Create(ScalingPolicy policy, std::vector<Occurrence> occurrences,
                                  TimeZone zone, PlannerOptions options = {});

  void Observe(std::span<const MetricSample> samples) { model_.Observe(samples); }
  // The same, taking on the way each session's forecast as it stood at the
  // session's start, for `scorecard` to score once the session is over.
  void Observe(std::span<const MetricSample> samples, ForecastScorecard& scorecard) {
    scorecard.Observe(model_, samples);
  }

  // Replicas to ask for now, per target (policy order). `current` holds the
  // replicas asked for now per target (empty, or one per target; nullopt for
  // unknown): step limits start from it.
  std::vector<TargetDecision> Decide(Instant now,
                                     std::span<const std::optional<int32_t>> current = {});

  Plan MakePlan(Instant now, Duration horizon,
                std::span<const std::optional<int32_t>> current = {});

  const ScalingPolicy& policy() const { return policy_; }
  const ForecastModel& model() const { return model_; }

 private:
  Planner(ScalingPolicy policy, ForecastModel model, PlannerOptions options)
      : policy_(std::move(policy)), model_(std::move(model)), options_(options) {}

  // Why a demand piece has its value.
  struct PieceCause {
    enum class Kind { kBaseline, kSession, kLive, kObserved } kind = Kind::kBaseline;
    int64_t occurrence = -1;  // for kSession: the session whose window began last
    int32_t sessions = 0;     // sessions in progress (planning windows)
    double live_level = 0;    // for kLive: the metric now
    double live_excess = 0;   // and how far above the forecast
  };
  struct Demand {
    std::vector<DemandPiece> pieces;
    std::vector<PieceCause> causes;
  };
  // The forecast over [from, to), shared by every connections target:
  // pieces (also cut at `cuts`) with the expected demand and its upper bound.
  Demand ForecastDemand(Instant from, Instant to, std::vector<Instant> cuts) const;
  // One connections target's demand from `from` on: the forecast with the
  // live correction, and what was observed during the scale-down delay.
  Demand ConnectionsDemand(const ScalingTarget& target, Instant now, Instant from,
                           const Demand& forecast) const;
  Demand SessionsDemand(Instant from, Instant to) const;
  // The demand of every target over [now - delay - step, until + warm-up).
  std::vector<Demand> TargetDemands(Instant now, Instant until) const;
  // Live correction for a target: the trend over its warm-up and two steps,
  // held for at least live_hold.
  Instant TrendEnd(const ScalingTarget& target, Instant now) const;
  Instant HoldEnd(const ScalingTarget& target, Instant now) const;
  Duration Lookahead(const ScalingTarget& target) const;
  std::string Reason(const ScalingTarget& target, const ReplicaStep& step,
                     const Demand& demand) const;

  ScalingPolicy policy_;
  ForecastModel model_;
  PlannerOptions options_;
};

}  // namespace prebell
