// Plan: what the planner decided at one instant, for people and for the
// controller.
//
// For every target of the policy: the replicas to ask for now and why, and
// the timeline of changes ahead (each with a reason a person can read,
// "C101 class 09:00: 3,100 connections expected, warm-up 1m30s"). Also the
// sessions ahead with the connections expected for each, and warnings about
// what the plan could not rely on (no history, stale metric, bad samples).
// A Shadow policy gets the very same plan with `shadow` set: the controller
// writes nothing for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/capacity/replica_timeline.h"
#include "policies/common/time_text.h"
#include "policies/forecast/attendance_model.h"
#include "policies/planner/scaling_policy.h"
#include "policies/timetable/occurrence.h"

namespace prebell {

struct PlannedChange {
  Instant at{};
  int32_t replicas = 0;
  ReplicaWhy why = ReplicaWhy::kFloor;
  std::string reason;
};

struct TargetPlan {
  std::string name;
  CapacityUnit unit = CapacityUnit::kConnections;
  int32_t replicas_now = 0;
  std::string reason_now;
  // Demand in the target's unit: as planned now (forecast with margins and
  // live correction) and the largest planned within the horizon.
  double demand_now = 0;
  double peak_demand = 0;
  std::optional<Instant> peak_at;
  std::vector<PlannedChange> timeline;  // changes after now, in time order
  std::vector<std::string> notes;       // guard rails that fired
};

// The replicas `target` asks for at `t` (now or later): its last planned
// change at or before `t`, else what it asks for now. A target that asks
// for replicas `warmup` ahead of need has at `t` the replicas it asked for
// at `t - warmup` ready.
inline int32_t ReplicasAskedAt(const TargetPlan& target, Instant t) {
  int32_t replicas = target.replicas_now;
  for (const PlannedChange& c : target.timeline) {
    if (c.at > t) break;
    replicas = c.replicas;
  }
  return replicas;
}

struct UpcomingSession {
  Occurrence occurrence;
  double expected_connections = 0;  // the spike it adds at its peak
  double ratio = 0;                 // connections per expected attendee
  RatioSource ratio_source = RatioSource::kPrior;
};

// What the forecast has learned, for status and for people to judge it.
struct ForecastSummary {
  int64_t samples = 0;         // metric samples observed
  int learned_courses = 0;     // (course, kind) pairs with a learned ratio
  double spike_margin = 0;     // relative margin the fit measured on spikes
  double baseline_margin = 0;  // connections added to the baseline
  std::optional<Instant> last_fit;
};

struct Plan {
  Instant now{};
  Instant horizon_end{};
  bool shadow = false;
  std::string policy;  // namespace/name
  // Expected connections now (the model, before margins) and what the metric
  // shows, if it is live.
  double expected_now = 0;
  std::optional<double> observed_now;
  ForecastSummary forecast;
  std::vector<TargetPlan> targets;
  std::vector<UpcomingSession> sessions;  // starting in [now, horizon_end)
  std::vector<std::string> warnings;
};

}  // namespace prebell
