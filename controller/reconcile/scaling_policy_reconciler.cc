#include "controller/reconcile/scaling_policy_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "controller/reconcile/object_json.h"
#include "controller/reconcile/prebell_resources.h"
#include "policies/actuation/scale_action.h"
#include "policies/planner/scaling_policy_manifest.h"
#include "policies/timetable/time_zone.h"

namespace prebell::reconcile {
namespace {

using nlohmann::json;

// What the cache shows for one target, and where to write.
struct ResolvedTarget {
  ObservedTarget observed;
  runtime::ObjectPtr hpa;
  runtime::ObjectPtr workload;
  const kube::ResourceType* workload_type = nullptr;
  std::string workload_kind;
  std::string workload_name;
};

// "Kind ns/name": how logs and own-write records name an object.
std::string ObjectId(std::string_view kind, std::string_view ns, std::string_view name) {
  std::string id(kind);
  id.append(" ").append(ns).append("/").append(name);
  return id;
}

// Our last successful write to an HPA or a workload: the resourceVersion it
// replaced and the merge patch it applied.
struct OwnWrite {
  std::string replaced_version;
  json patch;
};

// The informers' copy of an object trails our own writes by a watch event. A
// reconcile in that gap would see the old value and write the same change a
// second time, so until the cached copy has moved past the version our write
// replaced, what we wrote is laid over it.
runtime::ObjectPtr WithOwnWrite(runtime::ObjectPtr cached, const std::string& id,
                                std::map<std::string, OwnWrite>& writes) {
  auto it = writes.find(id);
  if (cached == nullptr || it == writes.end()) return cached;
  if (StringAt(*cached, {"metadata", "resourceVersion"}).value_or("") !=
      it->second.replaced_version) {
    writes.erase(it);  // the cache has caught up (or someone else wrote since)
    return cached;
  }
  auto overlaid = std::make_shared<json>(*cached);
  overlaid->merge_patch(it->second.patch);
  return overlaid;
}

int64_t JsonInt(const json* v, int64_t fallback) {
  return v != nullptr && v->is_number_integer() ? v->get<int64_t>() : fallback;
}

std::optional<int32_t> ParseReplicaCount(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    const long v = std::stol(*text, &used);
    if (used != text->size() || v < 0 || v > kMaxReplicasCeiling) return std::nullopt;
    return static_cast<int32_t>(v);
  } catch (const std::exception&) {
    // An annotation someone edited into garbage: treat as absent.
    return std::nullopt;
  }
}

exporter::PolicyMode ExportMode(PolicyMode m) {
  return m == PolicyMode::kShadow ? exporter::PolicyMode::kShadow : exporter::PolicyMode::kActive;
}

exporter::CapacityUnit ExportUnit(CapacityUnit u) {
  return u == CapacityUnit::kSessions ? exporter::CapacityUnit::kSessions
                                      : exporter::CapacityUnit::kConnections;
}

std::string Summary(const std::vector<std::pair<std::string, std::optional<int64_t>>>& values) {
  std::string out;
  for (const auto& [name, v] : values) {
    if (!out.empty()) out += ",";
    out += name + "=" + (v ? std::to_string(*v) : "?");
  }
  return out;
}

}  // namespace

struct ScalingPolicyReconciler::PolicyState {
  int64_t generation = -1;
  uint64_t schedule_version = 0;
  std::optional<Planner> planner;
  std::optional<Instant> observed_up_to;  // samples fed to the planner
  ForecastScorecard scorecard;            // of the samples fed to the planner
  std::string query;
  std::unique_ptr<prom::ConnectionHistory> history;
  std::optional<Instant> last_good_plan;
  std::vector<int32_t> last_good_replicas;
  std::vector<std::optional<int32_t>> asked;  // what we asked for last, per target
  std::optional<Instant> last_status_write;
  std::map<std::string, OwnWrite> own_writes;  // by "Kind ns/name"
};

ScalingPolicyReconciler::ScalingPolicyReconciler(ReconcileContext context,
                                                 const StoreGroup* policies, const StoreGroup* hpas,
                                                 const StoreGroup* deployments,
                                                 const StoreGroup* stateful_sets,
                                                 std::shared_ptr<prom::PrometheusClient> prometheus,
                                                 ScalingPolicyReconcilerOptions options)
    : ctx_(std::move(context)),
      policies_(policies),
      hpas_(hpas),
      deployments_(deployments),
      stateful_sets_(stateful_sets),
      prometheus_(std::move(prometheus)),
      options_(options) {
  options_.history.sum_series = true;  // a query may return one series per gateway pod
}

ScalingPolicyReconciler::~ScalingPolicyReconciler() = default;

std::vector<std::string> ScalingPolicyReconciler::PoliciesIn(const std::string& ns) const {
  std::vector<std::string> out;
  for (const runtime::ObjectPtr& p : policies_->ListNamespace(ns)) {
    if (auto key = kube::KeyOf(*p); key.ok()) out.push_back(*key);
  }
  return out;
}

std::vector<std::string> ScalingPolicyReconciler::OwnerKeys(const json& object) {
  if (auto owner = Annotation(object, kOwnerAnnotation)) return {*owner};
  return {};
}

std::vector<std::string> ScalingPolicyReconciler::PoliciesTargeting(const json& object) const {
  std::vector<std::string> out;
  const std::string ns = StringAt(object, {"metadata", "namespace"}).value_or("");
  const std::string kind = StringAt(object, {"kind"}).value_or("");
  const std::string name = StringAt(object, {"metadata", "name"}).value_or("");
  // An HPA also stands for the workload it scales.
  const std::string scaled_kind = StringAt(object, {"spec", "scaleTargetRef", "kind"}).value_or("");
  const std::string scaled_name = StringAt(object, {"spec", "scaleTargetRef", "name"}).value_or("");
  for (const runtime::ObjectPtr& p : policies_->ListNamespace(ns)) {
    const json* targets = FindPath(*p, {"spec", "targets"});
    if (targets == nullptr || !targets->is_array()) continue;
    for (const json& t : *targets) {
      const std::string k = StringAt(t, {"scaleTargetRef", "kind"}).value_or("");
      const std::string n = StringAt(t, {"scaleTargetRef", "name"}).value_or("");
      if ((k == kind && n == name) ||
          (!scaled_kind.empty() && k == scaled_kind && n == scaled_name)) {
        if (auto key = kube::KeyOf(*p); key.ok()) out.push_back(*key);
        break;
      }
    }
  }
  return out;
}

std::string ScalingPolicyReconciler::EarlierClaim(const std::string& key, const std::string& ns,
                                                  const std::string& kind,
                                                  const std::string& name) const {
  std::string best_key;
  std::string best_created;
  const runtime::ObjectPtr self = policies_->Get(key);
  const std::string self_created =
      self ? StringAt(*self, {"metadata", "creationTimestamp"}).value_or("") : "";
  for (const runtime::ObjectPtr& p : policies_->ListNamespace(ns)) {
    auto other = kube::KeyOf(*p);
    if (!other.ok() || *other == key) continue;
    const json* targets = FindPath(*p, {"spec", "targets"});
    if (targets == nullptr || !targets->is_array()) continue;
    bool claims = false;
    for (const json& t : *targets) {
      claims = claims || (StringAt(t, {"scaleTargetRef", "kind"}) == kind &&
                          StringAt(t, {"scaleTargetRef", "name"}) == name);
    }
    if (!claims) continue;
    const std::string created = StringAt(*p, {"metadata", "creationTimestamp"}).value_or("");
    // RFC 3339 UTC timestamps of the API server order as text.
    const bool earlier_than_self = std::tie(created, *other) < std::tie(self_created, key);
    if (earlier_than_self &&
        (best_key.empty() || std::tie(created, *other) < std::tie(best_created, best_key))) {
      best_key = *other;
      best_created = created;
    }
  }
  return best_key;
}

runtime::ReconcileResult ScalingPolicyReconciler::Release(const std::string& key,
                                                          const std::string& ns,
                                                          const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    states_.erase(key);
  }
  ctx_.predictions->Forget(ns, name);
  if (ctx_.metrics) ctx_.metrics->ForgetPolicy(ns, name);
  if (!ctx_.may_write()) return runtime::ReconcileResult::Ok();
  for (const runtime::ObjectPtr& hpa : hpas_->ListNamespace(ns)) {
    if (Annotation(*hpa, kOwnerAnnotation) != key) continue;
    ObservedTarget observed;
    observed.workload_exists = true;
    observed.has_hpa = true;
    observed.hpa_min_replicas =
        static_cast<int32_t>(JsonInt(FindPath(*hpa, {"spec", "minReplicas"}), 1));
    observed.original_min_replicas =
        ParseReplicaCount(Annotation(*hpa, kOriginalMinReplicasAnnotation));
    observed.owner = key;
    RestoreAction action = DecideRestore(observed, key);
    if (!action.clear_annotations && !action.restore_hpa) continue;
    json patch = {{"metadata",
                   {{"annotations",
                     {{std::string(kOwnerAnnotation), nullptr},
                      {std::string(kOriginalMinReplicasAnnotation), nullptr}}}}}};
    if (action.restore_hpa) patch["spec"] = {{"minReplicas", action.min_replicas}};
    const std::string hpa_name = StringAt(*hpa, {"metadata", "name"}).value_or("");
    auto written = ctx_.client->Patch(kube::resources::HorizontalPodAutoscalers(), ns, hpa_name,
                                      kube::PatchType::kMerge, patch);
    if (!written.ok() && written.status().code() != StatusCode::kNotFound) {
      return runtime::ReconcileResult::Retry(
          written.status().WithContext("restoring " + ObjectId("HPA", ns, hpa_name)));
    }
    spdlog::info(json{{"msg", "restored HPA"},
                      {"policy", key},
                      {"object", ObjectId("HorizontalPodAutoscaler", ns, hpa_name)},
                      {"reason", action.reason}}
                     .dump());
  }
  return runtime::ReconcileResult::Ok();
}

runtime::ReconcileResult ScalingPolicyReconciler::Invalid(const json& object,
                                                          const std::string& key,
                                                          const Status& error, Instant now) {
  spdlog::warn("scaling policy {} invalid: {}", key, error.message());
  std::vector<Condition> conditions = ReadConditions(object);
  const int64_t generation = GenerationOf(object);
  SetCondition(
      conditions,
      MakeCondition("Ready", false, generation, "InvalidSpec", JoinProblems({error.message()})),
      now);
  ctx_.Event(object, /*warning=*/true, "InvalidSpec", error.message());
  json status = FindPath(object, {"status"}) ? object["status"] : json::object();
  status["observedGeneration"] = generation;
  status["conditions"] = ConditionsToJson(conditions);
  std::shared_ptr<PolicyState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = states_[key];
    if (!slot) slot = std::make_shared<PolicyState>();
    state = slot;
  }
  Status s = PatchStatus(object, status, *state, now);
  if (!s.ok()) return runtime::ReconcileResult::Retry(s);
  // Keep the last valid plan's writes in place; nothing more to do until the
  // spec changes.
  return runtime::ReconcileResult::Terminal(error);
}

Status ScalingPolicyReconciler::PatchStatus(const json& object, const json& status,
                                            PolicyState& state, Instant now) {
  if (!ctx_.may_write()) return OkStatus();
  const json* current = FindPath(object, {"status"});
  if (current != nullptr) {
    // Figures that move with every sample alone do not justify a write.
    json a = *current;
    json b = status;
    for (json* j : {&a, &b}) {
      j->erase("forecast");
      j->erase("lastPlanTime");
    }
    if (a == b && state.last_status_write &&
        now - *state.last_status_write < options_.status_refresh) {
      return OkStatus();
    }
    if (*current == status) return OkStatus();
  }
  const std::string ns = StringAt(object, {"metadata", "namespace"}).value_or("");
  const std::string name = StringAt(object, {"metadata", "name"}).value_or("");
  auto written = ctx_.client->Patch(ScalingPolicies(), ns, name, kube::PatchType::kMerge,
                                    json{{"status", status}}, {}, "status");
  if (!written.ok()) {
    if (written.status().code() == StatusCode::kNotFound) return OkStatus();
    return written.status().WithContext("status of ScalingPolicy " + ns + "/" + name);
  }
  state.last_status_write = now;
  return OkStatus();
}

runtime::ReconcileResult ScalingPolicyReconciler::Reconcile(const std::string& key) {
  auto parsed_key = kube::ParseObjectKey(key);
  if (!parsed_key.ok()) return runtime::ReconcileResult::Terminal(parsed_key.status());
  const std::string& ns = parsed_key->ns;
  const std::string& name = parsed_key->name;
  const Instant now = ctx_.Now();

  runtime::ObjectPtr object = policies_->Get(key);
  if (object == nullptr) return Release(key, ns, name);

  auto parsed = ParseScalingPolicyManifest(ManifestTextOf(*object), key);
  if (!parsed.ok()) return Invalid(*object, key, parsed.status(), now);
  if (parsed->size() != 1) {
    return Invalid(*object, key, InvalidArgumentError("expected one ScalingPolicy"), now);
  }
  ScalingPolicy policy = std::move(parsed->front());
  const bool shadow = policy.mode == PolicyMode::kShadow;

  // The selected timetables' occurrences, merged.
  std::vector<Occurrence> occurrences;
  std::vector<std::string> timetable_names;
  TimeZone zone = TimeZone::Utc();
  for (const auto& schedule : ctx_.schedules->InNamespace(ns)) {
    if (!policy.timetable_selector.Matches(schedule->labels)) continue;
    if (timetable_names.empty()) {
      // The baseline follows the time of week of the first timetable's zone.
      if (auto z = TimeZone::Find(schedule->time_zone); z.ok()) zone = *z;
    }
    timetable_names.push_back(schedule->name);
    occurrences.insert(occurrences.end(), schedule->occurrences.begin(),
                       schedule->occurrences.end());
  }
  std::sort(occurrences.begin(), occurrences.end(), OccurrenceBefore);
  const uint64_t schedule_version = ctx_.schedules->Version(ns);

  std::shared_ptr<PolicyState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = states_[key];
    if (!slot) slot = std::make_shared<PolicyState>();
    state = slot;
  }

  // Metrics: bring the history up to now (a failure keeps what we have).
  Status metrics_status = OkStatus();
  if (prometheus_ && !policy.connections_query.empty()) {
    if (!state->history || state->query != policy.connections_query) {
      state->history = std::make_unique<prom::ConnectionHistory>(
          prometheus_, policy.connections_query, options_.history);
      state->query = policy.connections_query;
      state->planner.reset();  // its samples came from another query
      state->scorecard = ForecastScorecard();
    }
    metrics_status = state->history->Sync(now);
  } else {
    state->history.reset();
    state->query.clear();
  }

  // (Re)build the planner when the spec or the schedule changed; otherwise
  // feed it only the samples it has not seen.
  if (!state->planner || state->generation != policy.generation ||
      state->schedule_version != schedule_version) {
    auto planner = Planner::Create(policy, occurrences, zone, options_.planner);
    if (!planner.ok()) return Invalid(*object, key, planner.status(), now);
    state->planner.emplace(std::move(*planner));
    state->observed_up_to.reset();
    state->scorecard.Reset();
    state->generation = policy.generation;
    state->schedule_version = schedule_version;
    state->asked.assign(policy.targets.size(), std::nullopt);
  }
  if (state->history) {
    const auto& samples = state->history->samples();
    auto first_new = samples.begin();
    if (state->observed_up_to) {
      first_new = std::upper_bound(samples.begin(), samples.end(), *state->observed_up_to,
                                   [](Instant t, const MetricSample& s) { return t < s.time; });
    }
    if (first_new != samples.end()) {
      state->planner->Observe(std::span<const MetricSample>(&*first_new, samples.end() - first_new),
                              state->scorecard);
      state->observed_up_to = samples.back().time;
      state->scorecard.Score(samples);
    }
  }

  auto freshness = DecideDemandFreshness(
      {.now = now,
       .latest_sample = state->history ? state->history->latest_sample() : std::nullopt,
       .last_good_plan = state->last_good_plan},
      options_.freshness);
  const DemandMode demand_mode = freshness.ok() ? freshness->mode : DemandMode::kTimetableOnly;

  Plan plan = state->planner->MakePlan(now, options_.horizon, state->asked);
  if (demand_mode == DemandMode::kLive) {
    state->last_good_plan = now;
    state->last_good_replicas.clear();
    for (const TargetPlan& t : plan.targets) state->last_good_replicas.push_back(t.replicas_now);
  } else if (demand_mode == DemandMode::kLastGoodPlan &&
             state->last_good_replicas.size() == plan.targets.size()) {
    // Never scale down because a metric went missing.
    for (size_t i = 0; i < plan.targets.size(); ++i) {
      if (state->last_good_replicas[i] > plan.targets[i].replicas_now) {
        plan.targets[i].replicas_now = state->last_good_replicas[i];
        plan.targets[i].reason_now =
            "holding the last plan made from live metrics (" + freshness->message + ")";
      }
    }
  }

  // The policy's next peak: the first connections target's.
  std::optional<double> next_peak;
  std::optional<Instant> next_peak_at;
  for (size_t i = 0; i < policy.targets.size(); ++i) {
    if (policy.targets[i].unit == CapacityUnit::kConnections && plan.targets[i].peak_at) {
      next_peak = plan.targets[i].peak_demand;
      next_peak_at = plan.targets[i].peak_at;
      break;
    }
  }

  // Act on each target.
  bool all_found = true, any_conflict = false, write_failed = false;
  Status write_error;
  std::vector<std::string> missing, conflicts;
  json targets_status = json::array();
  std::vector<std::pair<std::string, std::optional<int64_t>>> planned_summary, current_summary;
  std::set<std::string> target_names;
  for (size_t i = 0; i < policy.targets.size(); ++i) {
    const ScalingTarget& target = policy.targets[i];
    const TargetPlan& tp = plan.targets[i];
    target_names.insert(target.name);
    ResolvedTarget r;
    const ScaleTargetRef& ref = target.scale_target_ref;
    if (ref.kind == "HorizontalPodAutoscaler") {
      r.hpa = WithOwnWrite(hpas_->Get(ns + "/" + ref.name),
                           ObjectId("HorizontalPodAutoscaler", ns, ref.name), state->own_writes);
      if (r.hpa) {
        r.workload_kind = StringAt(*r.hpa, {"spec", "scaleTargetRef", "kind"}).value_or("");
        r.workload_name = StringAt(*r.hpa, {"spec", "scaleTargetRef", "name"}).value_or("");
      }
    } else {
      r.workload_kind = ref.kind;
      r.workload_name = ref.name;
      for (const runtime::ObjectPtr& h : hpas_->ListNamespace(ns)) {
        if (StringAt(*h, {"spec", "scaleTargetRef", "kind"}) == ref.kind &&
            StringAt(*h, {"spec", "scaleTargetRef", "name"}) == ref.name) {
          r.hpa = WithOwnWrite(h,
                               ObjectId("HorizontalPodAutoscaler", ns,
                                        StringAt(*h, {"metadata", "name"}).value_or("")),
                               state->own_writes);
          break;
        }
      }
    }
    if (r.workload_kind == "Deployment") {
      r.workload_type = &kube::resources::Deployments();
      r.workload = WithOwnWrite(deployments_->Get(ns + "/" + r.workload_name),
                                ObjectId("Deployment", ns, r.workload_name), state->own_writes);
    } else if (r.workload_kind == "StatefulSet") {
      r.workload_type = &kube::resources::StatefulSets();
      r.workload = WithOwnWrite(stateful_sets_->Get(ns + "/" + r.workload_name),
                                ObjectId("StatefulSet", ns, r.workload_name), state->own_writes);
    }
    ObservedTarget& o = r.observed;
    o.workload_exists = r.workload != nullptr;
    if (r.workload) {
      o.workload_replicas =
          static_cast<int32_t>(JsonInt(FindPath(*r.workload, {"spec", "replicas"}), 1));
    }
    std::optional<int64_t> ready_replicas =
        r.workload ? IntAt(*r.workload, {"status", "readyReplicas"}) : std::nullopt;
    if (r.workload && !ready_replicas) ready_replicas = 0;
    if (r.hpa) {
      o.has_hpa = true;
      o.hpa_min_replicas =
          static_cast<int32_t>(JsonInt(FindPath(*r.hpa, {"spec", "minReplicas"}), 1));
      o.hpa_max_replicas =
          static_cast<int32_t>(JsonInt(FindPath(*r.hpa, {"spec", "maxReplicas"}), 1));
      o.original_min_replicas =
          ParseReplicaCount(Annotation(*r.hpa, kOriginalMinReplicasAnnotation));
      o.owner = Annotation(*r.hpa, kOwnerAnnotation).value_or("");
    }
    if (o.owner.empty()) o.owner = EarlierClaim(key, ns, r.workload_kind, r.workload_name);
    if (!o.workload_exists) {
      all_found = false;
      missing.push_back(target.name + " (" +
                        (r.workload_kind.empty() ? ref.kind : r.workload_kind) + " " + ns + "/" +
                        (r.workload_name.empty() ? ref.name : r.workload_name) + ")");
    }
    ScaleAction action = DecideScaleAction(o, tp.replicas_now, key, shadow);
    if (action.conflict) {
      any_conflict = true;
      conflicts.push_back(target.name + ": " + action.reason);
    }
    if (action.write != ScaleWrite::kNone && ctx_.may_write()) {
      StatusOr<json> written = InternalError("no write");
      std::string object_id, object_text;
      json patch;
      const json* replaced = nullptr;
      if (action.write == ScaleWrite::kPatchHpaMinReplicas) {
        const std::string hpa_name = StringAt(*r.hpa, {"metadata", "name"}).value_or("");
        json annotations = json::object();
        if (action.set_owner) annotations[std::string(kOwnerAnnotation)] = key;
        if (action.record_original_min) {
          annotations[std::string(kOriginalMinReplicasAnnotation)] =
              std::to_string(*action.record_original_min);
        }
        patch = {{"spec", {{"minReplicas", action.replicas}}}};
        if (!annotations.empty()) patch["metadata"] = {{"annotations", annotations}};
        object_id = object_text = ObjectId("HorizontalPodAutoscaler", ns, hpa_name);
        replaced = r.hpa.get();
        written = ctx_.client->Patch(kube::resources::HorizontalPodAutoscalers(), ns, hpa_name,
                                     kube::PatchType::kMerge, patch);
      } else {
        patch = {{"spec", {{"replicas", action.replicas}}}};
        object_id = ObjectId(r.workload_kind, ns, r.workload_name);
        object_text = object_id + " (scale)";
        replaced = r.workload.get();
        written = ctx_.client->Patch(*r.workload_type, ns, r.workload_name, kube::PatchType::kMerge,
                                     patch, {}, "scale");
      }
      if (written.ok()) {
        // A second write before the cache caught up adds to the first.
        OwnWrite& own = state->own_writes[object_id];
        std::string version = StringAt(*replaced, {"metadata", "resourceVersion"}).value_or("");
        if (own.replaced_version != version) own = {std::move(version), json::object()};
        own.patch.merge_patch(patch);
        spdlog::info(json{{"msg", "scaled"},
                          {"policy", key},
                          {"target", target.name},
                          {"object", object_text},
                          {"replicas", action.replicas},
                          {"reason", tp.reason_now},
                          {"change", action.reason}}
                         .dump());
        ctx_.Event(*object, /*warning=*/false, "Scaled",
                   target.name + ": " + action.reason + " (" + tp.reason_now + ")");
        state->asked[i] = tp.replicas_now;
      } else {
        write_failed = true;
        write_error = written.status().WithContext(object_text);
        spdlog::warn(json{{"msg", "write failed"},
                          {"policy", key},
                          {"object", object_text},
                          {"error", written.status().ToString()}}
                         .dump());
      }
    } else if (action.write == ScaleWrite::kNone && !action.conflict) {
      state->asked[i] = tp.replicas_now;
    }

    const std::optional<int64_t> current =
        o.has_hpa ? std::optional<int64_t>(
                        IntAt(*r.hpa, {"status", "desiredReplicas"}).value_or(o.workload_replicas))
        : o.workload_exists ? std::optional<int64_t>(o.workload_replicas)
                            : std::nullopt;
    json ts = {{"name", target.name},
               {"plannedReplicas", tp.replicas_now},
               {"reason", shadow ? action.reason + "; " + tp.reason_now : tp.reason_now}};
    if (current) ts["currentReplicas"] = *current;
    if (!tp.timeline.empty()) {
      ts["nextReplicas"] = tp.timeline.front().replicas;
      ts["nextChangeTime"] = TimeText(tp.timeline.front().at);
    }
    targets_status.push_back(std::move(ts));
    planned_summary.emplace_back(target.name, tp.replicas_now);
    current_summary.emplace_back(target.name, current);

    if (ctx_.metrics) {
      exporter::TargetReport report;
      report.desired_replicas = tp.replicas_now;
      report.current_replicas =
          o.workload_exists ? std::optional<int64_t>(o.workload_replicas) : std::nullopt;
      report.ready_replicas = ready_replicas;
      report.unit = ExportUnit(target.unit);
      report.per_replica = target.per_replica;
      if (next_peak_at && target.unit == CapacityUnit::kConnections) {
        report.next_peak_ready_replicas = ReplicasAskedAt(tp, *next_peak_at - target.warmup);
      }
      if (!shadow) {
        report.plan_applied =
            o.has_hpa ? o.hpa_min_replicas >= tp.replicas_now || action.write == ScaleWrite::kNone
                      : o.workload_replicas == tp.replicas_now || action.write == ScaleWrite::kNone;
      }
      ctx_.metrics->SetTarget(ns, name, target.name, report);
    }
  }

  // Predictions for the Timetable status and the policy's forecast figures.
  std::vector<SessionPrediction> predictions;
  for (const UpcomingSession& s : plan.sessions) {
    predictions.push_back(
        {s.occurrence.timetable, s.occurrence.session, s.occurrence.start, s.expected_connections});
  }
  ctx_.predictions->Put(ns, name, std::move(predictions));

  // Conditions and status.
  std::vector<Condition> conditions = ReadConditions(*object);
  const int64_t generation = policy.generation;
  auto cond = [&](std::string type, bool ok, std::string reason, std::string message) {
    SetCondition(
        conditions,
        MakeCondition(std::move(type), ok, generation, std::move(reason), std::move(message)), now);
  };
  cond("TargetsFound", all_found, all_found ? "AllFound" : "TargetMissing",
       all_found ? "every target workload exists" : "not found: " + JoinProblems(missing));
  std::string metrics_message;
  if (!prometheus_ || policy.connections_query.empty()) {
    metrics_message = "no Prometheus or no connectionsQuery: planning from the timetable alone";
  } else if (freshness.ok()) {
    metrics_message = freshness->message;
  } else {
    metrics_message = freshness.status().message();
  }
  if (!metrics_status.ok()) metrics_message += " (last query: " + metrics_status.message() + ")";
  cond("MetricsAvailable", demand_mode == DemandMode::kLive,
       freshness.ok() ? freshness->reason : "Unknown", JoinProblems({metrics_message}));
  if (any_conflict) {
    cond("Conflict", true, "TargetClaimed", JoinProblems(conflicts));
  } else {
    cond("Conflict", false, "NoConflict", "no other policy scales these targets");
  }
  const bool ready = all_found && !any_conflict && !write_failed;
  std::string ready_message = shadow ? "shadow mode: planned, nothing written"
                              : write_failed
                                  ? write_error.message()
                                  : std::to_string(timetable_names.size()) + " timetables, " +
                                        std::to_string(occurrences.size()) + " occurrences";
  cond("Ready", ready,
       write_failed   ? "WriteFailed"
       : any_conflict ? "Conflict"
       : !all_found   ? "TargetMissing"
                      : "Planned",
       JoinProblems({ready_message}));

  json forecast = {{"connections", std::llround(plan.expected_now)}};
  if (plan.observed_now) forecast["observedConnections"] = std::llround(*plan.observed_now);
  if (next_peak) {
    forecast["nextPeakConnections"] = std::llround(*next_peak);
    forecast["nextPeakTime"] = TimeText(*next_peak_at);
  }
  json status = {{"observedGeneration", generation},
                 {"conditions", ConditionsToJson(conditions)},
                 {"targets", std::move(targets_status)},
                 {"forecast", std::move(forecast)},
                 {"plannedSummary", Summary(planned_summary)},
                 {"currentSummary", Summary(current_summary)},
                 {"lastPlanTime", TimeText(now)}};
  Status status_written = PatchStatus(*object, status, *state, now);

  if (ctx_.metrics) {
    exporter::PolicyReport report;
    report.mode = ExportMode(policy.mode);
    if (state->history && state->history->latest_sample()) {
      report.actual_connections = state->history->samples().back().value;
    }
    report.predicted_connections = plan.expected_now;
    report.next_peak_connections = next_peak;
    report.next_peak_time = next_peak_at;
    report.demand_fallback = demand_mode != DemandMode::kLive;
    for (const auto& [course, error] : state->scorecard.errors()) {
      report.forecast_error_ratio[course] = error.ratio;
    }
    ctx_.metrics->SetPolicy(ns, name, report);
    ctx_.metrics->RetainTargets(ns, name, target_names);
  }

  if (write_failed) return runtime::ReconcileResult::Retry(write_error);
  if (!status_written.ok()) return runtime::ReconcileResult::Retry(status_written);
  if (ctx_.metrics) ctx_.metrics->SetLastSuccessfulSync(ns, name, now);

  // Replan at the live-correction cadence, or sooner for a planned change.
  Duration next = options_.replan_interval;
  for (const TargetPlan& t : plan.targets) {
    if (!t.timeline.empty() && t.timeline.front().at > now) {
      next = std::min(next, t.timeline.front().at - now);
    }
  }
  if (freshness.ok() && freshness->next_change && *freshness->next_change > now) {
    next = std::min(next, *freshness->next_change - now);
  }
  next = std::max<Duration>(next, std::chrono::seconds(1));
  return runtime::ReconcileResult::RequeueAfter(next);
}

}  // namespace prebell::reconcile
