// ScalingPolicy: what to scale and how, as a user wrote it (DESIGN.md).
//
// A value of this type has passed validation: every target names exactly one
// capacity unit (connectionsPerReplica XOR sessionsPerReplica) with a
// positive, finite amount; 0 <= minReplicas <= maxReplicas; warm-up, delay
// and step limits are in range; target names are unique. The defaults are
// documented in docs/planner.md and are the values of the fields below.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/selection/label_selector.h"

namespace prebell {

enum class PolicyMode { kActive, kShadow };

// "Active", "Shadow".
std::string_view PolicyModeName(PolicyMode mode);

// What one replica of a target can carry.
enum class CapacityUnit {
  kConnections,  // connectionsPerReplica: live connections (gateway, Redis)
  kSessions,     // sessionsPerReplica: concurrently live sessions (media rooms)
};

struct ScaleTargetRef {
  std::string api_version;
  std::string kind;  // Deployment, StatefulSet, or HorizontalPodAutoscaler
  std::string name;
};

// A step limit: at most `replicas` per step period, or `percent` of the
// current replicas (at least one), as HPA scaling policies write it ("4",
// "50%"). Empty means no limit.
struct StepLimit {
  std::optional<int32_t> replicas;
  std::optional<double> percent;

  bool limited() const { return replicas.has_value() || percent.has_value(); }
  // The largest change allowed from `current` replicas in one step period.
  int32_t AllowedChange(int32_t current) const;
};

inline constexpr int32_t kMaxReplicasCeiling = 100'000;

struct ScalingTarget {
  std::string name;
  ScaleTargetRef scale_target_ref;
  CapacityUnit unit = CapacityUnit::kConnections;
  double per_replica = 0;  // connections or sessions one replica carries
  Duration warmup = std::chrono::seconds(60);
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  // Fraction of extra capacity over the forecast: 0.1 plans for 110 %.
  double headroom = 0.1;
  StepLimit max_scale_up_step;                        // default: unlimited (never late for a class)
  StepLimit max_scale_down_step{std::nullopt, 50.0};  // default: 50 % of the current replicas
  Duration step_period = std::chrono::seconds(15);
  // Capacity stays until the demand it was asked for has been gone this long.
  Duration scale_down_delay = std::chrono::minutes(2);
};

struct ScalingPolicy {
  std::string name;
  std::string namespace_name;
  std::map<std::string, std::string> labels;
  int64_t generation = 0;
  LabelSelector timetable_selector;
  std::string connections_query;
  std::vector<ScalingTarget> targets;
  PolicyMode mode = PolicyMode::kActive;
};

// Re-checks the invariants above (for policies built in code); one message
// listing every problem, kInvalidArgument.
Status ValidateScalingPolicy(const ScalingPolicy& policy);

}  // namespace prebell
