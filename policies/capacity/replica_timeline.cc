#include "policies/capacity/replica_timeline.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>

namespace prebell {
namespace {

std::string FormatCount(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "+inf" : "-inf");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

int WhyPriority(ReplicaWhy w) {
  switch (w) {
    case ReplicaWhy::kDemand:
      return 3;
    case ReplicaWhy::kWarmupAhead:
      return 2;
    case ReplicaWhy::kScaleDownDelay:
      return 1;
    default:
      return 0;
  }
}

struct Interval {
  Instant from, to;
  int32_t need;
  ReplicaWhy why;
  int32_t cause;
  double demand;
};

struct Run {
  int64_t begin, end;  // cells [begin, end)
  int32_t value;
  ReplicaWhy why;
  int32_t cause;
  double demand;
};

// Smallest r >= 0 from which one step may reach w.
int32_t PrevMin(int32_t w, const StepLimit& up) {
  int32_t lo = 0, hi = w;
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    if (static_cast<int64_t>(mid) + up.AllowedChange(mid) >= w) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

void Emit(std::vector<Run>& out, int64_t begin, int64_t end, int32_t value, ReplicaWhy why,
          int32_t cause, double demand) {
  if (end <= begin) return;
  if (!out.empty() && out.back().end == begin && out.back().value == value) {
    out.back().end = end;
    return;
  }
  out.push_back({begin, end, value, why, cause, demand});
}

}  // namespace

std::string_view ReplicaWhyName(ReplicaWhy why) {
  switch (why) {
    case ReplicaWhy::kDemand:
      return "Demand";
    case ReplicaWhy::kWarmupAhead:
      return "WarmupAhead";
    case ReplicaWhy::kScaleDownDelay:
      return "ScaleDownDelay";
    case ReplicaWhy::kFloor:
      return "Floor";
    case ReplicaWhy::kStepLimitUp:
      return "StepLimitUp";
    case ReplicaWhy::kStepLimitDown:
      return "StepLimitDown";
  }
  return "Floor";
}

namespace {

int32_t NeedFor(double demand, double headroom, const ScalingTarget& target, std::string* note) {
  const int32_t lo = std::max(0, target.min_replicas);
  const int32_t hi = std::max(lo, target.max_replicas);
  if (std::isnan(demand)) {
    if (note)
      *note = "demand is not a number: ignored, minReplicas " + std::to_string(lo) + " kept";
    return lo;
  }
  if (demand < 0) {
    if (note) *note = "negative demand " + FormatCount(demand) + " ignored";
    return lo;
  }
  const double per =
      target.per_replica > 0 && std::isfinite(target.per_replica) ? target.per_replica : 1.0;
  if (!std::isfinite(headroom) || headroom < 0) headroom = 0;
  const double raw = demand * (1 + headroom) / per;
  if (!(raw <= static_cast<double>(hi))) {
    if (note && std::ceil(raw - 1e-9) > hi) {
      *note = "demand " + FormatCount(demand) + " needs more than maxReplicas " +
              std::to_string(hi) + ": capped at the ceiling";
    }
    return hi;
  }
  const auto r = static_cast<int32_t>(std::ceil(raw - 1e-9));
  return std::clamp(r, lo, hi);
}

}  // namespace

int32_t ReplicasForDemand(double demand, const ScalingTarget& target, std::string* note) {
  return NeedFor(demand, target.headroom, target, note);
}

int32_t ReplicasForPiece(const DemandPiece& piece, const ScalingTarget& target, std::string* note) {
  const int32_t need = NeedFor(piece.demand, target.headroom, target, note);
  if (!(piece.upper > 0)) return need;
  std::string upper_note;
  const int32_t upper = NeedFor(piece.upper, 0, target, note ? &upper_note : nullptr);
  if (note && note->empty() && upper > need) *note = upper_note;
  return std::max(need, upper);
}

CapacityTimeline PlanReplicas(const ScalingTarget& target, const CapacityRequest& request) {
  CapacityTimeline out;
  const int32_t lo = std::max(0, target.min_replicas);
  const int32_t hi = std::max(lo, target.max_replicas);
  const Instant now = request.now;
  const Instant until = std::max(request.until, now + std::chrono::seconds(1));
  const int64_t period = std::max<int64_t>(1, target.step_period.count());
  const int64_t cells = ((until - now).count() + period - 1) / period;
  const Duration warmup = std::max(Duration{0}, target.warmup);
  const Duration delay = std::max(Duration{0}, target.scale_down_delay);

  // 1. Need per piece, spread over [from - warmup, to + delay).
  // Contiguous pieces with the same need become one run (named after the
  // piece that starts it, the change a person wants explained): far fewer
  // intervals for a plan over a whole term.
  std::vector<Interval> intervals;
  std::string last_note;
  auto add_run = [&](const DemandPiece& p, int32_t need) {
    if (need <= lo) return;
    auto add = [&](Instant a, Instant b, ReplicaWhy why) {
      a = std::max(a, now);
      b = std::min(b, until);
      if (a < b) intervals.push_back({a, b, need, why, p.cause, p.demand});
    };
    add(p.from - warmup, p.from, ReplicaWhy::kWarmupAhead);
    add(p.from, p.to, ReplicaWhy::kDemand);
    add(p.to, p.to + delay, ReplicaWhy::kScaleDownDelay);
  };
  std::optional<DemandPiece> run;
  int32_t run_need = 0;
  for (const DemandPiece& p : request.demand) {
    if (!(p.from < p.to)) continue;
    std::string note;
    const int32_t need = ReplicasForPiece(p, target, &note);
    if (!note.empty() && note != last_note) {
      out.notes.push_back({p.from, note});
      last_note = note;
    }
    if (run && run->to == p.from && run_need == need) {
      run->to = p.to;  // named after the piece that started the run
      continue;
    }
    if (run) add_run(*run, run_need);
    run = p;
    run_need = need;
  }
  if (run) add_run(*run, run_need);

  // 2. Upper envelope of the intervals over [now, until).
  struct Event {
    Instant at;
    bool open;
    size_t id;
  };
  std::vector<Event> events;
  events.reserve(intervals.size() * 2);
  for (size_t i = 0; i < intervals.size(); ++i) {
    events.push_back({intervals[i].from, true, i});
    events.push_back({intervals[i].to, false, i});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.at < b.at; });
  auto better = [&](size_t a, size_t b) {  // priority-queue "less"
    const Interval& x = intervals[a];
    const Interval& y = intervals[b];
    return std::make_tuple(x.need, WhyPriority(x.why), -x.from.time_since_epoch().count()) <
           std::make_tuple(y.need, WhyPriority(y.why), -y.from.time_since_epoch().count());
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(better)> heap(better);
  std::vector<char> closed(intervals.size(), 0);

  // 3. Envelope segments -> runs of step-period cells (a cell asks for the
  // most any moment inside it needs).
  std::vector<Run> runs;
  auto cell_of = [&](Instant t) { return (t - now).count() / period; };
  auto cell_end_of = [&](Instant t) { return ((t - now).count() + period - 1) / period; };
  auto add_segment = [&](Instant a, Instant b, int32_t value, ReplicaWhy why, int32_t cause,
                         double demand) {
    if (!(a < b)) return;
    const int64_t c0 = cell_of(a);
    const int64_t c1 = std::min(cells, cell_end_of(b));
    int64_t begin = c0;
    if (!runs.empty() && runs.back().end > c0) {
      if (value > runs.back().value) {
        runs.back().end = c0;
        if (runs.back().end <= runs.back().begin) runs.pop_back();
      } else {
        begin = runs.back().end;
      }
    }
    if (c1 <= begin) return;
    if (!runs.empty() && runs.back().end == begin && runs.back().value == value) {
      runs.back().end = c1;
      return;
    }
    runs.push_back({begin, c1, value, why, cause, demand});
  };
  Instant cursor = now;
  size_t e = 0;
  while (cursor < until) {
    while (e < events.size() && events[e].at <= cursor) {
      if (events[e].open) {
        heap.push(events[e].id);
      } else {
        closed[events[e].id] = 1;
      }
      ++e;
    }
    while (!heap.empty() && closed[heap.top()]) heap.pop();
    const Instant next = e < events.size() ? std::min(events[e].at, until) : until;
    if (heap.empty()) {
      add_segment(cursor, next, lo, ReplicaWhy::kFloor, -1, 0);
    } else {
      const Interval& top = intervals[heap.top()];
      add_segment(cursor, next, std::clamp(top.need, lo, hi), top.why, top.cause, top.demand);
    }
    cursor = next;
  }
  if (runs.empty()) runs.push_back({0, std::max<int64_t>(1, cells), lo, ReplicaWhy::kFloor, -1, 0});

  // 4. Up-ramps start early enough to arrive in time (backward pass).
  if (target.max_scale_up_step.limited()) {
    std::vector<Run> rev;
    int32_t required_next = -1;  // value required at the first cell after the run
    int32_t ramp_cause = -1;
    double ramp_demand = 0;
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
      Run r = *it;
      int64_t end = r.end;
      std::vector<Run> tail;  // staircase cells, latest first
      int32_t req = required_next;
      while (req > 0 && end > r.begin) {
        const int32_t prev = PrevMin(req, target.max_scale_up_step);
        if (prev <= r.value) break;
        tail.push_back({end - 1, end, prev, ReplicaWhy::kStepLimitUp, ramp_cause, ramp_demand});
        req = prev;
        --end;
      }
      for (const Run& t : tail) rev.push_back(t);
      if (end > r.begin) {
        r.end = end;
        rev.push_back(r);
        required_next = r.value;
        ramp_cause = r.cause;
        ramp_demand = r.demand;
      } else {
        required_next = req;
      }
    }
    runs.clear();
    for (auto it = rev.rbegin(); it != rev.rend(); ++it) {
      Emit(runs, it->begin, it->end, it->value, it->why, it->cause, it->demand);
    }
  }

  // 5. Forward pass: step limits from the current value.
  std::vector<Run> limited;
  int32_t cur = request.current ? std::clamp(*request.current, lo, hi) : runs.front().value;
  for (const Run& r : runs) {
    int64_t c = r.begin;
    while (c < r.end && cur != r.value) {
      int32_t next = r.value;
      ReplicaWhy why = r.why;
      if (r.value < cur && target.max_scale_down_step.limited()) {
        next = std::max(r.value, cur - target.max_scale_down_step.AllowedChange(cur));
        if (next != r.value) why = ReplicaWhy::kStepLimitDown;
      } else if (r.value > cur && target.max_scale_up_step.limited()) {
        next = std::min(r.value, cur + target.max_scale_up_step.AllowedChange(cur));
        if (next != r.value) why = ReplicaWhy::kStepLimitUp;
      }
      next = std::clamp(next, lo, hi);
      Emit(limited, c, c + 1, next, why, r.cause, r.demand);
      cur = next;
      ++c;
      if (next == r.value) break;
    }
    Emit(limited, c, r.end, r.value, r.why, r.cause, r.demand);
    if (c < r.end) cur = r.value;
  }

  out.steps.reserve(limited.size());
  for (const Run& r : limited) {
    if (!out.steps.empty() && out.steps.back().replicas == r.value) continue;
    out.steps.push_back({now + std::chrono::seconds(r.begin * period), std::clamp(r.value, lo, hi),
                         r.why, r.cause, r.demand});
  }
  return out;
}

}  // namespace prebell
