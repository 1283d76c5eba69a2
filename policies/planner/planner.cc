#include "policies/planner/planner.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>

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

Instant Planner::TrendEnd(const ScalingTarget& target, Instant now) const {
  return now + target.warmup + 2 * target.step_period;
}

Instant Planner::HoldEnd(const ScalingTarget& target, Instant now) const {
  return std::max(now + options_.live_hold, TrendEnd(target, now));
}

Planner::Demand Planner::ForecastDemand(Instant from, Instant to, std::vector<Instant> cuts) const {
  Demand out;
  // Sessions of one kind with the same start and end arrive and leave
  // together: they are handled as one group (a large campus has thousands of
  // sessions but a few hundred distinct slots a week).
  struct Group {
    SessionKind kind;
    Instant start, end, window_start, window_end, full_from, full_until;
    double spike = 0;
    int32_t count = 0;
    size_t driver = 0;  // its largest session, for the reason
  };
  std::vector<Group> groups;
  {
    std::vector<size_t> occs = model_.OccurrencesTouching(from, to);
    const auto& all = model_.occurrences();
    std::sort(occs.begin(), occs.end(), [&](size_t a, size_t b) {
      return std::tie(all[a].start, all[a].end, all[a].kind) <
             std::tie(all[b].start, all[b].end, all[b].kind);
    });
    for (size_t i : occs) {
      const Occurrence& o = all[i];
      const double spike = model_.ExpectedSpike(i);
      if (!groups.empty() && groups.back().start == o.start && groups.back().end == o.end &&
          groups.back().kind == o.kind) {
        Group& g = groups.back();
        g.spike += spike;
        ++g.count;
        if (spike > model_.ExpectedSpike(g.driver)) g.driver = i;
        continue;
      }
      const Instant ws = model_.WindowStart(i);
      const Instant we = model_.WindowEnd(i);
      groups.push_back({o.kind, o.start, o.end, ws, we, std::min(model_.FullFrom(i), we),
                        std::max(model_.FullUntil(i), ws), spike, 1, i});
    }
  }
  std::erase_if(cuts, [&](Instant t) { return !(t > from && t < to); });
  cuts.push_back(from);
  cuts.push_back(to);
  auto cut = [&](Instant t) {
    if (t > from && t < to) cuts.push_back(t);
  };
  // Arrivals and departures are sampled finely (a piece asks for the most
  // any of its instants needs, so pieces must be short where demand moves);
  // each distinct (kind, instant) once.
  auto sample = [&](Instant a, Instant b) {
    a = std::max(a, from);
    b = std::min(b, to);
    if (!(a < b)) return;
    const Duration step = std::max(kTransitionResolution, (b - a) / kMaxTransitionPieces);
    for (Instant t = a; t < b; t += step) cut(t);
    cut(b);
  };
  std::vector<std::tuple<int, Instant, Instant, Instant>> to_sample;
  // Each group is, in turn: arriving (from its window start), present in
  // full (a running sum, no per-piece work), leaving, gone. Only arriving
  // and leaving groups are evaluated piece by piece.
  enum Phase { kArriving = 0, kFull = 1, kLeaving = 2, kGone = 3 };
  struct Edge {
    Instant at;
    uint32_t group;
    Phase phase;
  };
  std::vector<Edge> edges;
  edges.reserve(groups.size() * 4);
  for (uint32_t k = 0; k < groups.size(); ++k) {
    const Group& g = groups[k];
    edges.push_back({g.window_start, k, kArriving});
    if (g.full_from < g.full_until) {
      edges.push_back({g.full_from, k, kFull});
      edges.push_back({g.full_until, k, kLeaving});
    }
    edges.push_back({g.window_end, k, kGone});
    const int kind = static_cast<int>(g.kind);
    to_sample.emplace_back(2 * kind, g.start, g.window_start, g.full_from);
    to_sample.emplace_back(2 * kind + 1, g.end, g.full_until, g.window_end);
  }
  std::sort(to_sample.begin(), to_sample.end());
  for (size_t k = 0; k < to_sample.size(); ++k) {
    const auto& [key, at, a, b] = to_sample[k];
    if (k > 0 && std::get<0>(to_sample[k - 1]) == key && std::get<1>(to_sample[k - 1]) == at) {
      continue;
    }
    sample(a, b);
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
    return a.at < b.at || (a.at == b.at && a.phase > b.phase);
  });

  const double base_margin = model_.BaselineMargin();
  const double spike_margin = model_.SpikeMargin();
  std::vector<uint32_t> moving;  // arriving or leaving
  // Groups present in full: their sum, how many sessions, and (for the
  // reason) the one whose window began last, from a heap that forgets lazily.
  double full_sum = 0;
  int32_t full_count = 0;
  int32_t full_groups = 0;
  std::vector<uint8_t> is_full(groups.size(), 0);
  std::priority_queue<std::pair<Instant, uint32_t>> full_by_start;
  size_t e = 0;
  out.pieces.reserve(cuts.size());
  out.causes.reserve(cuts.size());
  double base_b = model_.Baseline(cuts.front());
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    const Instant a = cuts[c];
    const Instant b = cuts[c + 1];
    while (e < edges.size() && edges[e].at <= a) {
      const uint32_t k = edges[e].group;
      switch (edges[e].phase) {
        case kArriving:
          moving.push_back(k);
          break;
        case kFull:
          std::erase(moving, k);
          is_full[k] = 1;
          full_by_start.push({groups[k].window_start, k});
          full_sum += groups[k].spike;
          full_count += groups[k].count;
          ++full_groups;
          break;
        case kLeaving:
          is_full[k] = 0;
          full_sum -= groups[k].spike;
          full_count -= groups[k].count;
          --full_groups;
          moving.push_back(k);
          break;
        case kGone:
          std::erase(moving, k);
          break;
      }
      ++e;
    }
    if (full_groups == 0) full_sum = 0;  // no drift from adding and subtracting
    while (!full_by_start.empty() && !is_full[full_by_start.top().second]) full_by_start.pop();
    double spikes = full_sum;
    int64_t driver = full_by_start.empty() ? -1 : static_cast<int64_t>(full_by_start.top().second);
    int32_t sessions = full_count;
    for (uint32_t k : moving) {
      // The most the group can need in [a, b]: arrived by b, left by a (both
      // shares only grow with time).
      const Group& g = groups[k];
      const double arrived = b >= g.full_from ? 1.0 : model_.PlanningArrived(g.kind, b - g.start);
      const double left = a <= g.full_until ? 0.0 : model_.PlanningLeft(g.kind, a - g.end);
      const double f = std::clamp(arrived - left, 0.0, 1.0);
      if (f < SessionShape::kNegligible) continue;
      sessions += g.count;
      spikes += g.spike * f;
      if (driver < 0 || g.window_start > groups[static_cast<size_t>(driver)].window_start ||
          (g.window_start == groups[static_cast<size_t>(driver)].window_start &&
           g.spike > groups[static_cast<size_t>(driver)].spike)) {
        driver = k;
      }
    }
    const double base_a = base_b;
    base_b = model_.Baseline(b);
    const double base = std::max(base_a, base_b);
    PieceCause cause;
    cause.kind = driver >= 0 ? PieceCause::Kind::kSession : PieceCause::Kind::kBaseline;
    cause.occurrence =
        driver >= 0 ? static_cast<int64_t>(groups[static_cast<size_t>(driver)].driver) : -1;
    cause.sessions = sessions;
    out.pieces.push_back({a, b, base + spikes, static_cast<int32_t>(out.causes.size()),
                          base + base_margin + spikes * (1 + spike_margin)});
    out.causes.push_back(cause);
  }
  return out;
}

Planner::Demand Planner::ConnectionsDemand(const ScalingTarget& target, Instant now, Instant from,
                                           const Demand& forecast) const {
  Demand out;
  const Instant trend_end = TrendEnd(target, now);
  const Instant hold_end = HoldEnd(target, now);
  const std::optional<LiveReading> live = model_.Live(now);
  double demand_at_now = 0;
  for (const DemandPiece& p : forecast.pieces) {
    if (p.from <= now && now < p.to) demand_at_now = p.demand;
  }
  // Above the forecast now: plan on what is there (and where it is heading
  // over the warm-up), at once.
  const double excess = live ? std::max(0.0, live->level - demand_at_now) : 0.0;
  out.pieces.reserve(forecast.pieces.size() + 16);
  out.causes.reserve(forecast.pieces.size() + 16);
  for (const DemandPiece& fp : forecast.pieces) {
    if (fp.to <= from) continue;
    DemandPiece p = fp;
    PieceCause cause = forecast.causes[static_cast<size_t>(fp.cause)];
    if (live && p.from >= now && p.from < hold_end) {
      const Duration trend_for = std::min(p.to, trend_end) - now;
      const double trend =
          live->level + std::max(0.0, live->slope) * static_cast<double>(trend_for.count());
      const double corrected = std::max(p.demand + excess, trend);
      p.upper += excess;
      if (corrected > p.demand) {
        p.demand = corrected;
        cause.kind = PieceCause::Kind::kLive;
        cause.live_level = live->level;
        cause.live_excess = live->level - demand_at_now;
      }
    }
    p.cause = static_cast<int32_t>(out.causes.size());
    out.pieces.push_back(p);
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

std::vector<Planner::Demand> Planner::TargetDemands(Instant now, Instant until) const {
  Instant from = now, to = until;
  std::vector<Instant> cuts{now};
  bool any_connections = false;
  for (const ScalingTarget& t : policy_.targets) {
    from = std::min(from, now - t.scale_down_delay - t.step_period);
    to = std::max(to, until + t.warmup);
    if (t.unit != CapacityUnit::kConnections) continue;
    any_connections = true;
    cuts.push_back(TrendEnd(t, now));
    cuts.push_back(HoldEnd(t, now));
  }
  const Demand forecast = any_connections ? ForecastDemand(from, to, cuts) : Demand{};
  std::vector<Demand> out;
  out.reserve(policy_.targets.size());
  for (const ScalingTarget& t : policy_.targets) {
    const Instant target_from = now - t.scale_down_delay - t.step_period;
    out.push_back(t.unit == CapacityUnit::kConnections
                      ? ConnectionsDemand(t, now, target_from, forecast)
                      : SessionsDemand(target_from, until + t.warmup));
  }
  return out;
}

std::vector<TargetDecision> Planner::Decide(Instant now,
                                            std::span<const std::optional<int32_t>> current) {
  model_.MaybeRefit(now);
  std::vector<TargetDecision> out;
  out.reserve(policy_.targets.size());
  Duration lookahead{0};
  for (const ScalingTarget& t : policy_.targets) lookahead = std::max(lookahead, Lookahead(t));
  const std::vector<Demand> demands = TargetDemands(now, now + lookahead);
  for (size_t ti = 0; ti < policy_.targets.size(); ++ti) {
    const ScalingTarget& target = policy_.targets[ti];
    const Instant until = now + Lookahead(target);
    const Demand& demand = demands[ti];
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

  const std::vector<Demand> demands = TargetDemands(now, plan.horizon_end);
  for (size_t ti = 0; ti < policy_.targets.size(); ++ti) {
    const ScalingTarget& target = policy_.targets[ti];
    const Instant until = plan.horizon_end;
    const Demand& demand = demands[ti];
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
