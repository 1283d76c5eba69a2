#include "policies/planner/scaling_policy.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace prebell {

std::string_view PolicyModeName(PolicyMode mode) {
  return mode == PolicyMode::kShadow ? "Shadow" : "Active";
}

int32_t StepLimit::AllowedChange(int32_t current) const {
  int64_t allowed = kMaxReplicasCeiling;
  if (replicas) allowed = std::min<int64_t>(allowed, *replicas);
  if (percent) {
    const double by_percent = std::ceil(std::max(0, current) * *percent / 100.0);
    allowed = std::min<int64_t>(allowed, std::max<int64_t>(1, static_cast<int64_t>(by_percent)));
  }
  return static_cast<int32_t>(std::max<int64_t>(1, allowed));
}

Status ValidateScalingPolicy(const ScalingPolicy& policy) {
  std::vector<std::string> problems;
  std::set<std::string> names;
  if (policy.targets.empty()) problems.push_back("spec.targets: at least one target is required");
  for (size_t i = 0; i < policy.targets.size(); ++i) {
    const ScalingTarget& t = policy.targets[i];
    const std::string f = "spec.targets[" + std::to_string(i) + "]";
    if (t.name.empty()) problems.push_back(f + ".name: required");
    if (!names.insert(t.name).second) problems.push_back(f + ".name: duplicate '" + t.name + "'");
    if (!(t.per_replica > 0) || !std::isfinite(t.per_replica) || t.per_replica > 1e9) {
      problems.push_back(f + ": capacity per replica must be in (0, 1e9]");
    }
    if (t.min_replicas < 0 || t.max_replicas < 1 || t.min_replicas > t.max_replicas ||
        t.max_replicas > kMaxReplicasCeiling) {
      problems.push_back(
          f + ": need 0 <= minReplicas <= maxReplicas <= " + std::to_string(kMaxReplicasCeiling));
    }
    if (t.warmup < Duration{0} || t.warmup > std::chrono::hours(1)) {
      problems.push_back(f + ".warmup: must be in [0, 1h]");
    }
    if (!(t.headroom >= 0) || t.headroom > 10)
      problems.push_back(f + ".headroom: must be in [0, 10]");
    if (t.step_period <= Duration{0}) problems.push_back(f + ".stepPeriod: must be positive");
    if (t.scale_down_delay < Duration{0}) problems.push_back(f + ".scaleDownDelay: negative");
  }
  if (problems.empty()) return OkStatus();
  std::string all;
  for (const std::string& p : problems) all += (all.empty() ? "" : "\n") + p;
  return InvalidArgumentError(all);
}

}  // namespace prebell
