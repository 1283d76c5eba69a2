// ScaleAction: the one write (or none) that makes a workload match a plan.
//
// prebell never fights an HPA for spec.replicas (DESIGN.md). Where an HPA
// owns the workload, the plan becomes the HPA's minReplicas floor: raised
// ahead of a spike, brought back afterwards, and never below the floor the
// operator set (remembered in an annotation the first time prebell writes,
// so that deleting the policy restores it). Without an HPA the plan is the
// workload's replica count, written through the scale subresource.
//
// Guarantees: no write when nothing would change (a write prebell makes
// comes back as a watch event and must not loop); no write in Shadow mode;
// no write to a workload another policy already owns (a conflict, reported);
// an HPA floor is never raised above the HPA's maxReplicas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prebell {

// Annotations prebell keeps on what it scales.
inline constexpr std::string_view kOwnerAnnotation = "prebell.io/owner";
inline constexpr std::string_view kOriginalMinReplicasAnnotation =
    "prebell.io/original-min-replicas";

// What the cluster shows for one target, read from the cache.
struct ObservedTarget {
  bool workload_exists = false;
  int32_t workload_replicas = 0;  // spec.replicas of the Deployment/StatefulSet

  bool has_hpa = false;
  int32_t hpa_min_replicas = 1;  // spec.minReplicas (Kubernetes defaults it to 1)
  int32_t hpa_max_replicas = 1;
  // The HPA's minReplicas before prebell first raised it, if prebell did.
  std::optional<int32_t> original_min_replicas;

  // "namespace/policy" of the policy that owns the target, if any (the
  // annotation lives on the HPA, or on the workload when there is no HPA).
  std::string owner;
};

enum class ScaleWrite {
  kNone,
  kPatchHpaMinReplicas,  // set HPA spec.minReplicas (and the annotations)
  kPatchScale,           // set the workload's scale subresource
};

struct ScaleAction {
  ScaleWrite write = ScaleWrite::kNone;
  int32_t replicas = 0;  // the value written (minReplicas or replicas)
  // Annotations to set with the write: the owner, and the original floor
  // when prebell takes an HPA over for the first time.
  bool set_owner = false;
  std::optional<int32_t> record_original_min;
  bool conflict = false;  // another policy owns the target: nothing written
  std::string reason;     // for a person: why this write, or why none
};

// The action for `planned` replicas on `observed`, by policy `policy_key`
// ("namespace/name").
ScaleAction DecideScaleAction(const ObservedTarget& observed, int32_t planned,
                              std::string_view policy_key, bool shadow);

// What to write when the policy goes away: put an HPA's floor back where the
// operator had it. Workloads without an HPA are left at their current size
// (scaling down on deletion would be a surprise); the owner annotation goes.
struct RestoreAction {
  bool restore_hpa = false;
  int32_t min_replicas = 0;
  bool clear_annotations = false;
  std::string reason;
};
RestoreAction DecideRestore(const ObservedTarget& observed, std::string_view policy_key);

}  // namespace prebell
