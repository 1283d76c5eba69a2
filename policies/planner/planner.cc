#include "policies/planner/planner.h"

#include <algorithm>
#include <cmath>

#include "policies/planner/reason_text.h"

namespace prebell {
namespace {

std::string KindWord(SessionKind k) {
  switch (k) {
    case SessionKind::kClass:
      return "class";
    case SessionKind::kExam:
      return "exam";
    case SessionKind::kEvent:
      return "event";
  }
  return "session";
}

// Arrivals and departures are cut into pieces this short (fewer for very
// slow ones).
constexpr Duration kTransitionResolution = std::chrono::seconds(30);
constexpr int kMaxTransitionPieces = 60;

std::string Percent(double fraction) {
  return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%";
}

}  // namespace

StatusOr<Planner> Planner::Create(ScalingPolicy policy, std::vector<Occurrence> occurrences,
                                  TimeZone zone, PlannerOptions options) {
  PREBELL_RETURN_IF_ERROR(ValidateScalingPolicy(policy));
  ForecastModel model(std::move(occurrences), std::move(zone), options.forecast);
  return Planner(std::move(policy), std::move(model), options);
}

Duration Planner::Lookahead(const ScalingTarget& target) const {
  Duration ramp{0};
  if (target.max_scale_up_step.limited()) {
    int64_t r = std::max(0, target.min_replicas);
    int n = 0;
    while (r < target.max_replicas && n < 2000) {
      r += target.max_scale_up_step.AllowedChange(static_cast<int32_t>(r));
      ++n;
    }
    ramp = target.step_period * n;
  }
  return target.warmup + target.step_period + ramp;
}

Planner::Demand Planner::ConnectionsDemand(const ScalingTarget& target, Instant now, Instant from,
                                           Instant to) const {
  Demand out;
  const std::vector<size_t> occs = model_.OccurrencesTouching(from, to);
  std::vector<Instant> cuts{from, to};
  auto cut = [&](Instant t) {
    if (t > from && t < to) cuts.push_back(t);
  };
  const Instant trend_end = now + target.warmup + 2 * target.step_period;
  const Instant hold_end = now + std::max(options_.live_hold, trend_end - now);
  cut(now);
  cut(trend_end);
  cut(hold_end);
  // Arrivals and departures are sampled finely (a piece asks for the most
  // any of its instants needs, so pieces must be short where demand moves).
  auto sample = [&](Instant a, Instant b) {
    a = std::max(a, from);
    b = std::min(b, to);
    if (!(a < b)) return;
    const Duration step = std::max(kTransitionResolution, (b - a) / kMaxTransitionPieces);
    for (Instant t = a; t < b; t += step) cut(t);
    cut(b);
  };
  struct Edge {
    Instant at;
    size_t occ;
    bool open;
  };
  std::vector<Edge> edges;
  edges.reserve(occs.size() * 2);
  for (size_t i : occs) {
    const Instant ws = model_.WindowStart(i);
    const Instant we = model_.WindowEnd(i);
    edges.push_back({ws, i, true});
    edges.push_back({we, i, false});
    sample(ws, std::min(model_.FullFrom(i), we));
    sample(std::max(model_.FullUntil(i), ws), we);
  }
  // Baseline knots: local slot centres (the baseline is linear between them).
  {
    const int64_t slot = BaselineModel::kSlotSeconds;
    const int64_t local = model_.zone().ToLocal(from).time_since_epoch().count();
    const int64_t offset = ((slot / 2 - local) % slot + slot) % slot;
    for (Instant t = from + Duration{offset}; t < to; t += Duration{slot}) cut(t);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
    return a.at < b.at || (a.at == b.at && !a.open && b.open);
  });

  const double base_margin = model_.BaselineMargin();
  const double spike_margin = model_.SpikeMargin();
  const std::optional<LiveReading> live = model_.Live(now);
  std::vector<size_t> active;
  size_t e = 0;
  double demand_at_now = 0;
  bool have_now = false;
  out.pieces.reserve(cuts.size());
  out.causes.reserve(cuts.size());
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    const Instant a = cuts[c];
    const Instant b = cuts[c + 1];
    while (e < edges.size() && edges[e].at <= a) {
      if (edges[e].open) {
        active.push_back(edges[e].occ);
      } else {
        std::erase(active, edges[e].occ);
      }
      ++e;
    }
    double spikes = 0;
    int64_t driver = -1;
    int32_t sessions = 0;
    for (size_t i : active) {
      const double f = a >= model_.FullFrom(i) && b <= model_.FullUntil(i)
                           ? 1.0
                           : std::max(model_.PlanningFraction(i, a), model_.PlanningFraction(i, b));
      if (f <= 0) continue;
      ++sessions;
      spikes += model_.ExpectedSpike(i) * f;
      if (driver < 0 || model_.WindowStart(i) > model_.WindowStart(static_cast<size_t>(driver)) ||
          (model_.WindowStart(i) == model_.WindowStart(static_cast<size_t>(driver)) &&
           model_.ExpectedSpike(i) > model_.ExpectedSpike(static_cast<size_t>(driver)))) {
        driver = static_cast<int64_t>(i);
      }
    }
    const double base = std::max(model_.Baseline(a), model_.Baseline(b));
    double d = base + spikes;
    double upper = base + base_margin + spikes * (1 + spike_margin);
    PieceCause cause;
    cause.kind = driver >= 0 ? PieceCause::Kind::kSession : PieceCause::Kind::kBaseline;
    cause.occurrence = driver;
    cause.sessions = sessions;
    if (a <= now && now < b) {
      demand_at_now = d;
      have_now = true;
    }
    if (live && a >= now && a < hold_end) {
      if (!have_now) demand_at_now = d;
      have_now = true;
      // Above the forecast now: plan on what is there (and where it is
      // heading over the warm-up), at once.
      const double excess = std::max(0.0, live->level - demand_at_now);
      const Duration trend_for = std::min(b, trend_end) - now;
      const double trend =
          live->level + std::max(0.0, live->slope) * static_cast<double>(trend_for.count());
      const double corrected = std::max(d + excess, trend);
      upper += excess;
      if (corrected > d) {
        d = corrected;
        cause.kind = PieceCause::Kind::kLive;
        cause.live_level = live->level;
        cause.live_excess = live->level - demand_at_now;
      }
    }
    out.pieces.push_back({a, b, d, static_cast<int32_t>(out.causes.size()), upper});
    out.causes.push_back(cause);
  }

  // What was observed recently holds capacity through the scale-down delay.
  const Duration step = target.step_period;
  for (Instant t = now - target.scale_down_delay - step; t <= now; t += step) {
    const std::optional<double> seen = model_.RecentMax(t, std::min(now, t + step - Duration{1}));
    if (!seen) continue;
    PieceCause cause;
    cause.kind = PieceCause::Kind::kObserved;
    cause.live_level = *seen;
    out.pieces.push_back({t, t + step, *seen, static_cast<int32_t>(out.causes.size())});
    out.causes.push_back(cause);
  }
  return out;
}

Planner::Demand Planner::SessionsDemand(Instant from, Instant to) const {
  Demand out;
  const std::vector<size_t> occs = model_.OccurrencesTouching(from, to);
  std::vector<std::pair<Instant, int>> edges;
  std::vector<Instant> cuts{from, to};
  for (size_t i : occs) {
    const Instant ws = model_.WindowStart(i);
    const Instant we = model_.WindowEnd(i);
    if (ws > from && ws < to) cuts.push_back(ws);
    if (we > from && we < to) cuts.push_back(we);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<size_t> order = occs;
  size_t next = 0;
  std::vector<size_t> active;
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    const Instant a = cuts[c];
    while (next < order.size() && model_.WindowStart(order[next]) <= a)
      active.push_back(order[next++]);
    std::erase_if(active, [&](size_t i) { return model_.WindowEnd(i) <= a; });
    if (active.empty()) continue;
    PieceCause cause;
    cause.kind = PieceCause::Kind::kSession;
    cause.occurrence = static_cast<int64_t>(active.back());
    cause.sessions = static_cast<int32_t>(active.size());
    out.pieces.push_back({a, cuts[c + 1], static_cast<double>(active.size()),
                          static_cast<int32_t>(out.causes.size())});
    out.causes.push_back(cause);
  }
  return out;
}

std::vector<TargetDecision> Planner::Decide(Instant now,
                                            std::span<const std::optional<int32_t>> current) {
  model_.MaybeRefit(now);
  std::vector<TargetDecision> out;
  out.reserve(policy_.targets.size());
  for (size_t ti = 0; ti < policy_.targets.size(); ++ti) {
    const ScalingTarget& target = policy_.targets[ti];
    const Instant from = now - target.scale_down_delay - target.step_period;
    const Instant until = now + Lookahead(target);
    const Demand demand = target.unit == CapacityUnit::kConnections
                              ? ConnectionsDemand(target, now, from, until + target.warmup)
                              : SessionsDemand(from, until + target.warmup);
    CapacityRequest req{demand.pieces, now, until, std::nullopt};
    if (ti < current.size()) req.current = current[ti];
    const CapacityTimeline tl = PlanReplicas(target, req);
    out.push_back({target.name, tl.steps.front().replicas, tl.steps.front().why});
  }
  return out;
}

std::string Planner::Reason(const ScalingTarget& target, const ReplicaStep& step,
                            const Demand& demand) const {
  const bool sessions_unit = target.unit == CapacityUnit::kSessions;
  const std::string amount = sessions_unit ? FormatThousands(step.demand) + " concurrent sessions"
                                           : FormatThousands(step.demand) + " connections expected";
  std::string what = "demand";
  if (step.cause >= 0 && static_cast<size_t>(step.cause) < demand.causes.size()) {
    const PieceCause& c = demand.causes[static_cast<size_t>(step.cause)];
    switch (c.kind) {
      case PieceCause::Kind::kSession: {
        const Occurrence& o = model_.occurrences()[static_cast<size_t>(c.occurrence)];
        what = (o.course.empty() ? o.session : o.course) + " " + KindWord(o.kind) + " " +
               FormatLocalWeekdayTime(o.start, model_.zone());
        if (c.sessions > 1) what += " (+" + std::to_string(c.sessions - 1) + " more sessions)";
        break;
      }
      case PieceCause::Kind::kBaseline:
        what = "baseline for the time of week";
        break;
      case PieceCause::Kind::kLive:
        what = "live metric at " + FormatThousands(c.live_level) + " connections";
        if (c.live_excess > 0) what += ", " + FormatThousands(c.live_excess) + " above forecast";
        break;
      case PieceCause::Kind::kObserved:
        what = "observed " + FormatThousands(c.live_level) + " connections";
        break;
    }
  }
  const std::string per = FormatThousands(target.per_replica) +
                          (sessions_unit ? " sessions" : " connections") + " per replica";
  switch (step.why) {
    case ReplicaWhy::kFloor:
      return "minReplicas " + std::to_string(target.min_replicas) + ": nothing needs more";
    case ReplicaWhy::kDemand:
      return what + ", " + amount + " (" + per + ", " + Percent(target.headroom) + " headroom)";
    case ReplicaWhy::kWarmupAhead:
      return what + ", " + amount + ", warm-up " + FormatDuration(target.warmup);
    case ReplicaWhy::kScaleDownDelay:
      return "scale-down delay " + FormatDuration(target.scale_down_delay) + " after " + what +
             ", " + amount;
    case ReplicaWhy::kStepLimitUp:
      return "ramping up within maxScaleUpStep for " + what + ", " + amount;
    case ReplicaWhy::kStepLimitDown:
      return "stepping down within maxScaleDownStep";
  }
  return what;
}

Plan Planner::MakePlan(Instant now, Duration horizon,
                       std::span<const std::optional<int32_t>> current) {
  model_.MaybeRefit(now);
  Plan plan;
  plan.now = now;
  plan.horizon_end = now + std::max(horizon, Duration{1});
  plan.shadow = policy_.mode == PolicyMode::kShadow;
  plan.policy = policy_.namespace_name + "/" + policy_.name;
  plan.expected_now = model_.Expected(now);
  const std::optional<LiveReading> live = model_.Live(now);
  if (live) plan.observed_now = live->level;
  plan.forecast = {model_.observed_samples(), model_.learned_courses(), model_.SpikeMargin(),
                   model_.BaselineMargin(), model_.last_fit()};

  if (model_.observed_samples() == 0) {
    plan.warnings.push_back(
        "no metric history: planning from the timetable with prior show-up rates alone");
  } else if (!live) {
    plan.warnings.push_back("metric is stale (newest sample " +
                            FormatRfc3339(*model_.last_observed()) +
                            "): no live correction, planning from the timetable and history");
  }
  if (model_.observed_samples() > 0 && !model_.baseline_learned()) {
    plan.warnings.push_back("baseline not learned yet: no quiet period in the history");
  }

  for (size_t ti = 0; ti < policy_.targets.size(); ++ti) {
    const ScalingTarget& target = policy_.targets[ti];
    const Instant from = now - target.scale_down_delay - target.step_period;
    const Instant until = plan.horizon_end;
    const Demand demand = target.unit == CapacityUnit::kConnections
                              ? ConnectionsDemand(target, now, from, until + target.warmup)
                              : SessionsDemand(from, until + target.warmup);
    CapacityRequest req{demand.pieces, now, until, std::nullopt};
    if (ti < current.size()) req.current = current[ti];
    const CapacityTimeline tl = PlanReplicas(target, req);

    TargetPlan tp;
    tp.name = target.name;
    tp.unit = target.unit;
    tp.replicas_now = tl.steps.front().replicas;
    tp.reason_now = Reason(target, tl.steps.front(), demand);
    for (size_t s = 1; s < tl.steps.size(); ++s) {
      tp.timeline.push_back({tl.steps[s].from, tl.steps[s].replicas, tl.steps[s].why,
                             Reason(target, tl.steps[s], demand)});
    }
    for (const DemandPiece& p : demand.pieces) {
      if (p.to <= now || p.from >= until) continue;
      if (p.from <= now && now < p.to) tp.demand_now = std::max(tp.demand_now, p.demand);
      if (p.demand > tp.peak_demand) {
        tp.peak_demand = p.demand;
        tp.peak_at = std::max(p.from, now);
      }
    }
    for (const CapacityNote& n : tl.notes) tp.notes.push_back(n.text);
    plan.targets.push_back(std::move(tp));
  }

  const auto& occs = model_.occurrences();
  for (size_t i : model_.OccurrencesTouching(now, plan.horizon_end)) {
    const Occurrence& o = occs[i];
    if (o.start < now || o.start >= plan.horizon_end) continue;
    plan.sessions.push_back({o, model_.ExpectedSpike(i), model_.Ratio(i), model_.RatioSourceOf(i)});
  }
  std::sort(plan.sessions.begin(), plan.sessions.end(),
            [](const UpcomingSession& a, const UpcomingSession& b) {
              return OccurrenceBefore(a.occurrence, b.occurrence);
            });
  return plan;
}

}  // namespace prebell
