#include "policies/actuation/scale_action.h"

#include <algorithm>

namespace prebell {

ScaleAction DecideScaleAction(const ObservedTarget& observed, int32_t planned,
                              std::string_view policy_key, bool shadow) {
  ScaleAction action;
  if (!observed.workload_exists) {
    action.reason = "target workload not found";
    return action;
  }
  if (!observed.owner.empty() && observed.owner != policy_key) {
    action.conflict = true;
    action.reason = "target is already scaled by policy " + observed.owner;
    return action;
  }
  planned = std::max(planned, 0);
  if (observed.has_hpa) {
    // The operator's floor stays the floor; prebell only lifts it.
    const int32_t operator_floor =
        observed.original_min_replicas.value_or(observed.hpa_min_replicas);
    int32_t floor = std::max(planned, operator_floor);
    if (floor > observed.hpa_max_replicas) {
      floor = std::max(observed.hpa_max_replicas, operator_floor);
      action.reason = "plan of " + std::to_string(planned) + " capped at the HPA's maxReplicas " +
                      std::to_string(observed.hpa_max_replicas);
    }
    if (floor == observed.hpa_min_replicas) {
      if (action.reason.empty()) action.reason = "HPA floor already at " + std::to_string(floor);
      return action;
    }
    action.write = ScaleWrite::kPatchHpaMinReplicas;
    action.replicas = floor;
    action.set_owner = observed.owner.empty();
    if (!observed.original_min_replicas) action.record_original_min = observed.hpa_min_replicas;
    if (action.reason.empty()) {
      action.reason = "HPA minReplicas " + std::to_string(observed.hpa_min_replicas) + " -> " +
                      std::to_string(floor);
    }
  } else {
    if (planned == observed.workload_replicas) {
      action.reason = "replicas already at " + std::to_string(planned);
      return action;
    }
    action.write = ScaleWrite::kPatchScale;
    action.replicas = planned;
    action.set_owner = observed.owner.empty();
    action.reason =
        "replicas " + std::to_string(observed.workload_replicas) + " -> " + std::to_string(planned);
  }
  if (shadow) {
    action.reason = "shadow mode, would write: " + action.reason;
    action.write = ScaleWrite::kNone;
    action.set_owner = false;
    action.record_original_min.reset();
  }
  return action;
}

RestoreAction DecideRestore(const ObservedTarget& observed, std::string_view policy_key) {
  RestoreAction action;
  if (observed.owner != policy_key) {
    action.reason = observed.owner.empty() ? "target not owned by this policy"
                                           : "target owned by policy " + observed.owner;
    return action;
  }
  action.clear_annotations = true;
  if (observed.has_hpa && observed.original_min_replicas.has_value()) {
    action.restore_hpa = true;
    action.min_replicas = *observed.original_min_replicas;
    action.reason = "restore HPA minReplicas to " + std::to_string(action.min_replicas);
  } else {
    action.reason = "release ownership";
  }
  return action;
}

}  // namespace prebell
