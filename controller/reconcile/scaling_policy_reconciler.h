// ScalingPolicyReconciler: a ScalingPolicy -> a plan -> at most one write per
// target -> status and metrics.
//
// Every decision is made in policies/: the plan (planner), whether metrics
// are fresh enough to trust (demand freshness), what to write to each
// workload (actuation). This class reads the cache, keeps one Planner and
// one ConnectionHistory per policy (both fed incrementally, so a replan
// every few seconds costs milliseconds), performs the writes the decisions
// ask for, and reports.
//
// Guarantees:
// - Writes only while ReconcileContext::may_write() holds, and only when the
//   value changes (no write loops through our own watch events).
// - Shadow policies write status and metrics, never a workload.
// - While metrics are late the last plan made from fresh metrics stays the
//   floor for a bounded time (never scale down because a metric vanished);
//   after that the plan comes from the timetable and history alone, and the
//   MetricsAvailable condition and prebell_demand_fallback say so.
// - A deleted policy gives back every HPA floor it raised (found through the
//   owner annotation, so this also works for a policy deleted while the
//   controller was down: the HPA's own event leads back here).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/prom/connection_history.h"
#include "controller/prom/prometheus_client.h"
#include "controller/reconcile/reconcile_context.h"
#include "controller/reconcile/store_group.h"
#include "controller/runtime/reconcile_result.h"
#include "policies/planner/planner.h"
#include "policies/severity/demand_freshness.h"

namespace prebell::reconcile {

struct ScalingPolicyReconcilerOptions {
  Duration horizon = std::chrono::hours(24);            // of the plan's timeline
  Duration replan_interval = std::chrono::seconds(15);  // live correction cadence
  // A status that differs only in the forecast figures is rewritten at most
  // this often (the forecast moves with every sample).
  Duration status_refresh = std::chrono::seconds(60);
  prom::HistoryOptions history;
  FreshnessOptions freshness;
  PlannerOptions planner;
};

class ScalingPolicyReconciler {
 public:
  // `prometheus` may be null: plans then come from the timetable alone.
  ScalingPolicyReconciler(ReconcileContext context, const StoreGroup* policies,
                          const StoreGroup* hpas, const StoreGroup* deployments,
                          const StoreGroup* stateful_sets,
                          std::shared_ptr<prom::PrometheusClient> prometheus,
                          ScalingPolicyReconcilerOptions options = {});
  ~ScalingPolicyReconciler();

  runtime::ReconcileResult Reconcile(const std::string& key);

  // Keys of the policies in `ns` (a schedule change there wakes them).
  std::vector<std::string> PoliciesIn(const std::string& ns) const;
  // The policy key an HPA's owner annotation names, if any.
  static std::vector<std::string> OwnerKeys(const nlohmann::json& object);
  // Policies whose targets name this workload or HPA (its changes wake them).
  std::vector<std::string> PoliciesTargeting(const nlohmann::json& object) const;

 private:
  struct PolicyState;

  runtime::ReconcileResult Release(const std::string& key, const std::string& ns,
                                   const std::string& name);
  runtime::ReconcileResult Invalid(const nlohmann::json& object, const std::string& key,
                                   const Status& error, Instant now);
  // The first policy (oldest, then by name) other than `key` in `ns` that
  // targets workload kind/name, or "".
  std::string EarlierClaim(const std::string& key, const std::string& ns, const std::string& kind,
                           const std::string& name) const;
  Status PatchStatus(const nlohmann::json& object, const nlohmann::json& status, PolicyState& state,
                     Instant now);

  ReconcileContext ctx_;
  const StoreGroup* policies_;
  const StoreGroup* hpas_;
  const StoreGroup* deployments_;
  const StoreGroup* stateful_sets_;
  std::shared_ptr<prom::PrometheusClient> prometheus_;
  ScalingPolicyReconcilerOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<PolicyState>> states_;
};

}  // namespace prebell::reconcile
