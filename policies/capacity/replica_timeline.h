// Demand -> replicas for one target, over time.
//
// Input: pieces of demand in the target's unit (connections or concurrent
// sessions), each with a cause the caller can explain. Output: the replicas
// to ask for from `now` on, as a timeline of changes, each with why.
//
// The rules, in order:
//   need(piece)  = ceil(max(demand x (1 + headroom), upper) / perReplica),
//                  clamped to [minReplicas, maxReplicas] (headroom and the
//                  forecast's own error margin are not stacked: the larger
//                  wins); NaN or negative demand counts as none, demand
//                  beyond the ceiling is capped, both noted;
//   desired(t)   = the largest need in [t - scaleDownDelay, t + warmup]:
//                  capacity is asked `warmup` ahead of need (pods asked at r
//                  are ready at r + warmup) and released only once the need
//                  has been gone for the delay;
//   the timeline moves in step periods from `now`; each period asks for the
//   largest desired value inside it (never late inside a period); step limits
//   bound each period's change (up-ramps start early enough to arrive in
//   time); every value stays within [minReplicas, maxReplicas].
// Pure and allocation-light: O(pieces log pieces + changes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/common/time_text.h"
#include "policies/planner/scaling_policy.h"

namespace prebell {

struct DemandPiece {
  Instant from{};
  Instant to{};
  double demand = 0;   // in the target's unit; headroom is added to it
  int32_t cause = -1;  // caller's index for explaining it (-1: none)
  // An upper bound the forecast itself vouches for (its measured error
  // margin), in the same unit; the need is the larger of demand x (1 +
  // headroom) and this. 0: none.
  double upper = 0;
};

enum class ReplicaWhy {
  kDemand,          // the demand at that time needs it
  kWarmupAhead,     // demand starting within the warm-up needs it
  kScaleDownDelay,  // demand that ended less than scaleDownDelay ago
  kFloor,           // minReplicas
  kStepLimitUp,     // ramping up within maxScaleUpStep
  kStepLimitDown,   // ramping down within maxScaleDownStep
};
std::string_view ReplicaWhyName(ReplicaWhy why);

struct ReplicaStep {
  Instant from{};
  int32_t replicas = 0;
  ReplicaWhy why = ReplicaWhy::kFloor;
  int32_t cause = -1;  // the piece's cause that set this value
  double demand = 0;   // that piece's demand
};

struct CapacityNote {
  Instant at{};
  std::string text;
};

struct CapacityRequest {
  std::vector<DemandPiece> demand;  // any order; overlaps take the max
  Instant now{};
  Instant until{};                 // timeline end (exclusive), > now
  std::optional<int32_t> current;  // replicas asked now; step limits start here
};

struct CapacityTimeline {
  std::vector<ReplicaStep> steps;   // steps[0].from == now; values change at each step
  std::vector<CapacityNote> notes;  // guard rails that fired
};

// Replicas needed for `demand` alone (no warm-up/delay), with guard rails.
// `note` (if given) receives why a value was ignored or capped.
int32_t ReplicasForDemand(double demand, const ScalingTarget& target, std::string* note = nullptr);
// The same for a piece: the larger of its demand with headroom and its upper
// bound without.
int32_t ReplicasForPiece(const DemandPiece& piece, const ScalingTarget& target,
                         std::string* note = nullptr);

CapacityTimeline PlanReplicas(const ScalingTarget& target, const CapacityRequest& request);

}  // namespace prebell
