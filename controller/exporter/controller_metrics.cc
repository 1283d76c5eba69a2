#include "controller/exporter/controller_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cmath>

namespace prebell::exporter {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

const std::vector<double> kReconcileBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10,  30};
const std::vector<double> kKubeBuckets = kReconcileBuckets;
const std::vector<double> kPromBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

double Seconds(Instant t) { return static_cast<double>(t.time_since_epoch().count()); }

std::string_view SessionKindLabel(SessionKind kind) {
  switch (kind) {
    case SessionKind::kClass:
      return "class";
    case SessionKind::kExam:
      return "exam";
    case SessionKind::kEvent:
      return "event";
  }
  return "event";
}

std::string_view ModeLabel(PolicyMode mode) {
  return mode == PolicyMode::kShadow ? "Shadow" : "Active";
}

std::string_view ControllerLabel(ReconcileController c) {
  return c == ReconcileController::kTimetable ? "timetable" : "scalingpolicy";
}

}  // namespace

KubeResult KubeResultForHttpStatus(int s) {
  if (s <= 0) return KubeResult::kNetworkError;
  if (s >= 200 && s < 300) return KubeResult::kSuccess;
  if (s == 409) return KubeResult::kConflict;
  if (s == 404) return KubeResult::kNotFound;
  if (s == 401 || s == 403) return KubeResult::kUnauthorized;
  if (s == 429) return KubeResult::kThrottled;
  if (s >= 500) return KubeResult::kServerError;
  return KubeResult::kClientError;
}

std::string_view KubeResultLabel(KubeResult r) {
  switch (r) {
    case KubeResult::kSuccess:
      return "success";
    case KubeResult::kConflict:
      return "conflict";
    case KubeResult::kNotFound:
      return "not_found";
    case KubeResult::kUnauthorized:
      return "unauthorized";
    case KubeResult::kThrottled:
      return "throttled";
    case KubeResult::kClientError:
      return "client_error";
    case KubeResult::kServerError:
      return "server_error";
    case KubeResult::kNetworkError:
      return "network_error";
  }
  return "client_error";
}

std::string KubeResourceLabel(std::string_view resource) {
  const size_t slash = resource.find('/');
  if (slash != std::string_view::npos) return std::string(resource.substr(slash + 1));
  return std::string(resource.substr(0, resource.find('.')));
}

struct ControllerMetrics::GaugeFamily {
  Family<Gauge>* family = nullptr;
  std::map<Labels, Gauge*> series;
};

ControllerMetrics::~ControllerMetrics() = default;

ControllerMetrics::ControllerMetrics(const BuildInfo& build)
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto gauge = [this](const char* name, const char* help) {
    auto f = std::make_unique<GaugeFamily>();
    f->family = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
    return f;
  };
  window_active_ = gauge("prebell_schedule_window_active",
                         "1 while a session of this kind is in progress in the namespace.");
  next_start_ = gauge("prebell_schedule_next_start_timestamp_seconds",
                      "Start of the earliest session of this kind that starts strictly after now.");
  window_end_ = gauge("prebell_schedule_window_end_timestamp_seconds",
                      "End of the current window if one is active, else of the next window.");
  signal_timestamp_ = gauge("prebell_schedule_signal_timestamp_seconds",
                            "The instant the namespace's schedule signal was last computed.");
  seconds_until_next_ = gauge("prebell_seconds_until_next_session",
                              "Seconds from the last computation until the next session starts.");
  course_next_start_ = gauge("prebell_course_next_start_timestamp_seconds",
                             "Start of the course's next session of this kind within the horizon.");
  course_attendance_ = gauge("prebell_course_expected_attendance",
                             "expectedAttendance of the course's next session of this kind.");
  actual_ = gauge("prebell_actual_connections", "Latest value of the policy's connections query.");
  predicted_ = gauge("prebell_predicted_connections", "The forecast of connections for now.");
  next_peak_ = gauge("prebell_next_peak_predicted_connections",
                     "Forecast peak of the next (or current) session-driven peak.");
  next_peak_time_ = gauge("prebell_next_peak_timestamp_seconds", "When that peak is expected.");
  forecast_error_ = gauge("prebell_forecast_error_ratio",
                          "Signed forecast error of the course's most recent completed session.");
  demand_fallback_ =
      gauge("prebell_demand_fallback", "1 while the policy plans from the timetable alone.");
  policy_info_ = gauge("prebell_policy_info", "Always 1; mode is the policy's spec.mode.");
  last_sync_ = gauge("prebell_last_successful_sync_timestamp_seconds",
                     "When the policy's last reconcile completed without error.");
  desired_ = gauge("prebell_desired_replicas", "Replicas the plan asks for now.");
  current_ = gauge("prebell_current_replicas", "The workload's spec.replicas as last observed.");
  ready_ = gauge("prebell_ready_replicas", "The workload's status.readyReplicas as last observed.");
  per_replica_ = gauge("prebell_target_replica_capacity",
                       "The target's configured connectionsPerReplica or sessionsPerReplica.");
  planned_capacity_ =
      gauge("prebell_planned_capacity_connections", "desired_replicas * connectionsPerReplica.");
  ready_capacity_ =
      gauge("prebell_ready_capacity_connections", "ready_replicas * connectionsPerReplica.");
  next_peak_capacity_ = gauge("prebell_next_peak_planned_capacity_connections",
                              "Capacity the plan will have ready at the next peak.");
  plan_applied_ =
      gauge("prebell_plan_applied", "1 when the workload carries the plan's current value.");
  is_leader_ = gauge("prebell_is_leader", "1 on the replica that holds the leader lease.");
  build_info_ = gauge("prebell_build_info", "Always 1.");
  policy_families_ = {actual_.get(),           predicted_.get(),      next_peak_.get(),
                      next_peak_time_.get(),   forecast_error_.get(), demand_fallback_.get(),
                      policy_info_.get(),      last_sync_.get(),      desired_.get(),
                      current_.get(),          ready_.get(),          per_replica_.get(),
                      planned_capacity_.get(), ready_capacity_.get(), next_peak_capacity_.get(),
                      plan_applied_.get()};

  reconcile_total_ = &prometheus::BuildCounter()
                          .Name("prebell_reconcile_total")
                          .Help("Reconciles finished.")
                          .Register(*registry_);
  reconcile_duration_ = &prometheus::BuildHistogram()
                             .Name("prebell_reconcile_duration_seconds")
                             .Help("Duration of one reconcile.")
                             .Register(*registry_);
  kube_requests_ = &prometheus::BuildCounter()
                        .Name("prebell_kubernetes_requests_total")
                        .Help("Requests to the Kubernetes API by outcome.")
                        .Register(*registry_);
  kube_duration_ = &prometheus::BuildHistogram()
                        .Name("prebell_kubernetes_request_duration_seconds")
                        .Help("Latency of non-watch requests to the Kubernetes API.")
                        .Register(*registry_);
  prom_requests_ = &prometheus::BuildCounter()
                        .Name("prebell_prometheus_requests_total")
                        .Help("Requests to the Prometheus HTTP API by outcome.")
                        .Register(*registry_);
  prom_duration_ = &prometheus::BuildHistogram()
                        .Name("prebell_prometheus_request_duration_seconds")
                        .Help("Latency of Prometheus queries, including failed ones.")
                        .Register(*registry_);

  std::lock_guard<std::mutex> lock(mu_);
  SetGauge(*is_leader_, {}, 0);
  SetGauge(*build_info_, {{"version", build.version}, {"revision", build.revision}}, 1);
  // Known label combinations start at zero, so that rate() sees the first
  // increase rather than a series appearing out of nowhere.
  for (ReconcileController c :
       {ReconcileController::kTimetable, ReconcileController::kScalingPolicy}) {
    const std::string name(ControllerLabel(c));
    CounterFor(reconcile_total_, {{"controller", name}, {"result", "success"}});
    CounterFor(reconcile_total_, {{"controller", name}, {"result", "error"}});
    HistogramFor(reconcile_duration_, {{"controller", name}}, kReconcileBuckets);
  }
  for (prom::Api api : prom::kApis) {
    const std::string name(prom::ApiLabel(api));
    for (prom::RequestResult r : prom::kRequestResults) {
      CounterFor(prom_requests_,
                 {{"api", name}, {"result", std::string(prom::RequestResultLabel(r))}});
    }
    HistogramFor(prom_duration_, {{"api", name}}, kPromBuckets);
  }
}

// ---------------------------------------------------------------- helpers

void ControllerMetrics::SetGauge(GaugeFamily& f, const Labels& labels, double value) {
  auto it = f.series.find(labels);
  if (it == f.series.end()) {
    try {
      it = f.series.emplace(labels, &f.family->Add(labels)).first;
    } catch (const std::exception&) {
      return;  // label names are fixed here, so this does not happen
    }
  }
  it->second->Set(value);
}

void ControllerMetrics::RemoveGauge(GaugeFamily& f, const Labels& labels) {
  auto it = f.series.find(labels);
  if (it == f.series.end()) return;
  Gauge* g = it->second;
  f.series.erase(it);
  f.family->Remove(g);
}

void ControllerMetrics::RemoveMatching(GaugeFamily& f, const Labels& match) {
  for (auto it = f.series.begin(); it != f.series.end();) {
    bool all = true;
    for (const auto& [k, v] : match) {
      auto l = it->first.find(k);
      if (l == it->first.end() || l->second != v) {
        all = false;
        break;
      }
    }
    if (!all) {
      ++it;
      continue;
    }
    Gauge* g = it->second;
    it = f.series.erase(it);
    f.family->Remove(g);
  }
}

Counter& ControllerMetrics::CounterFor(Family<Counter>* family, const Labels& labels) {
  auto key = std::make_pair(static_cast<const void*>(family), labels);
  auto it = counters_.find(key);
  if (it == counters_.end()) it = counters_.emplace(key, &family->Add(labels)).first;
  return *it->second;
}

Histogram& ControllerMetrics::HistogramFor(Family<Histogram>* family, const Labels& labels,
                                           const std::vector<double>& buckets) {
  auto key = std::make_pair(static_cast<const void*>(family), labels);
  auto it = histograms_.find(key);
  if (it == histograms_.end()) it = histograms_.emplace(key, &family->Add(labels, buckets)).first;
  return *it->second;
}

// ---------------------------------------------------------------- schedule

void ControllerMetrics::SetScheduleSignal(const std::string& ns, const ScheduleSignal& signal,
                                          Instant computed_at) {
  std::lock_guard<std::mutex> lock(mu_);
  for (ScheduleKind kind : kScheduleKinds) {
    const KindSignal& k = signal.For(kind);
    const Labels labels = {{"namespace", ns}, {"kind", std::string(ScheduleKindLabel(kind))}};
    SetGauge(*window_active_, labels, k.active ? 1 : 0);
    if (k.next_start) {
      SetGauge(*next_start_, labels, Seconds(*k.next_start));
    } else {
      RemoveGauge(*next_start_, labels);
    }
    if (k.window_end) {
      SetGauge(*window_end_, labels, Seconds(*k.window_end));
    } else {
      RemoveGauge(*window_end_, labels);
    }
  }
  SetGauge(*signal_timestamp_, {{"namespace", ns}}, Seconds(computed_at));
}

void ControllerMetrics::SetUpcomingSessions(const std::string& ns, const UpcomingSessions& upcoming,
                                            Instant computed_at) {
  std::lock_guard<std::mutex> lock(mu_);
  for (SessionKind kind : {SessionKind::kClass, SessionKind::kExam, SessionKind::kEvent}) {
    const Labels labels = {{"namespace", ns}, {"kind", std::string(SessionKindLabel(kind))}};
    const std::optional<Instant>& next = upcoming.NextStart(kind);
    if (next) {
      SetGauge(*seconds_until_next_, labels, static_cast<double>((*next - computed_at).count()));
    } else {
      RemoveGauge(*seconds_until_next_, labels);
    }
  }
  std::set<Labels> present;
  for (const CourseNextSession& row : upcoming.courses) {
    Labels labels = {{"namespace", ns},
                     {"course", row.course},
                     {"kind", std::string(SessionKindLabel(row.kind))}};
    SetGauge(*course_next_start_, labels, Seconds(row.start));
    SetGauge(*course_attendance_, labels, static_cast<double>(row.expected_attendance));
    present.insert(std::move(labels));
  }
  for (GaugeFamily* f : {course_next_start_.get(), course_attendance_.get()}) {
    std::vector<Labels> stale;
    for (const auto& [labels, g] : f->series) {
      if (labels.at("namespace") == ns && !present.count(labels)) stale.push_back(labels);
    }
    for (const Labels& l : stale) RemoveGauge(*f, l);
  }
}

void ControllerMetrics::ForgetNamespace(const std::string& ns) {
  std::lock_guard<std::mutex> lock(mu_);
  for (GaugeFamily* f :
       {window_active_.get(), next_start_.get(), window_end_.get(), signal_timestamp_.get(),
        seconds_until_next_.get(), course_next_start_.get(), course_attendance_.get()}) {
    RemoveMatching(*f, {{"namespace", ns}});
  }
}

// ---------------------------------------------------------------- policies

void ControllerMetrics::SetPolicy(const std::string& ns, const std::string& policy,
                                  const PolicyReport& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!leader_) return;
  const Labels p = {{"namespace", ns}, {"policy", policy}};
  // Only the current mode's info series may exist.
  const std::string mode(ModeLabel(r.mode));
  const std::string other(
      ModeLabel(r.mode == PolicyMode::kActive ? PolicyMode::kShadow : PolicyMode::kActive));
  RemoveGauge(*policy_info_, {{"namespace", ns}, {"policy", policy}, {"mode", other}});
  SetGauge(*policy_info_, {{"namespace", ns}, {"policy", policy}, {"mode", mode}}, 1);

  auto set_or_remove = [&](GaugeFamily& f, const std::optional<double>& v) {
    if (v && !std::isnan(*v)) {
      SetGauge(f, p, *v);
    } else {
      RemoveGauge(f, p);
    }
  };
  set_or_remove(*actual_, r.actual_connections);
  set_or_remove(*predicted_, r.predicted_connections);
  const bool peak = r.next_peak_connections.has_value() && r.next_peak_time.has_value();
  set_or_remove(*next_peak_, peak ? r.next_peak_connections : std::nullopt);
  set_or_remove(*next_peak_time_,
                peak ? std::optional<double>(Seconds(*r.next_peak_time)) : std::nullopt);
  if (!peak) RemoveMatching(*next_peak_capacity_, p);
  SetGauge(*demand_fallback_, p, r.demand_fallback ? 1 : 0);

  for (const auto& [course, ratio] : r.forecast_error_ratio) {
    SetGauge(*forecast_error_, {{"namespace", ns}, {"policy", policy}, {"course", course}}, ratio);
  }
  std::vector<Labels> stale;
  for (const auto& [labels, g] : forecast_error_->series) {
    if (labels.at("namespace") == ns && labels.at("policy") == policy &&
        !r.forecast_error_ratio.count(labels.at("course"))) {
      stale.push_back(labels);
    }
  }
  for (const Labels& l : stale) RemoveGauge(*forecast_error_, l);
}

void ControllerMetrics::SetLastSuccessfulSync(const std::string& ns, const std::string& policy,
                                              Instant at) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!leader_) return;
  SetGauge(*last_sync_, {{"namespace", ns}, {"policy", policy}}, Seconds(at));
}

void ControllerMetrics::SetTarget(const std::string& ns, const std::string& policy,
                                  const std::string& target, const TargetReport& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!leader_) return;
  const Labels t = {{"namespace", ns}, {"policy", policy}, {"target", target}};
  const bool connections = r.unit == CapacityUnit::kConnections;
  SetGauge(*desired_, t, static_cast<double>(r.desired_replicas));
  if (r.current_replicas) {
    SetGauge(*current_, t, static_cast<double>(*r.current_replicas));
  } else {
    RemoveGauge(*current_, t);
  }
  if (r.ready_replicas) {
    SetGauge(*ready_, t, static_cast<double>(*r.ready_replicas));
  } else {
    RemoveGauge(*ready_, t);
  }
  Labels unit = t;
  unit["unit"] = connections ? "sessions" : "connections";
  RemoveGauge(*per_replica_, unit);
  unit["unit"] = connections ? "connections" : "sessions";
  SetGauge(*per_replica_, unit, r.per_replica);
  if (connections) {
    SetGauge(*planned_capacity_, t, static_cast<double>(r.desired_replicas) * r.per_replica);
  } else {
    RemoveGauge(*planned_capacity_, t);
  }
  if (connections && r.ready_replicas) {
    SetGauge(*ready_capacity_, t, static_cast<double>(*r.ready_replicas) * r.per_replica);
  } else {
    RemoveGauge(*ready_capacity_, t);
  }
  // Present exactly when the policy's next peak is.
  const bool peak = next_peak_->series.count({{"namespace", ns}, {"policy", policy}}) > 0;
  if (connections && peak && r.next_peak_ready_replicas) {
    SetGauge(*next_peak_capacity_, t,
             static_cast<double>(*r.next_peak_ready_replicas) * r.per_replica);
  } else {
    RemoveGauge(*next_peak_capacity_, t);
  }
  if (r.plan_applied) {
    SetGauge(*plan_applied_, t, *r.plan_applied ? 1 : 0);
  } else {
    RemoveGauge(*plan_applied_, t);
  }
}

void ControllerMetrics::ForgetTarget(const std::string& ns, const std::string& policy,
                                     const std::string& target) {
  std::lock_guard<std::mutex> lock(mu_);
  for (GaugeFamily* f : policy_families_) {
    RemoveMatching(*f, {{"namespace", ns}, {"policy", policy}, {"target", target}});
  }
}

void ControllerMetrics::RetainTargets(const std::string& ns, const std::string& policy,
                                      const std::set<std::string>& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  for (GaugeFamily* f : policy_families_) {
    std::vector<Labels> stale;
    for (const auto& [labels, g] : f->series) {
      auto target = labels.find("target");
      if (target == labels.end()) continue;
      if (labels.at("namespace") == ns && labels.at("policy") == policy &&
          !keep.count(target->second)) {
        stale.push_back(labels);
      }
    }
    for (const Labels& l : stale) RemoveGauge(*f, l);
  }
}

void ControllerMetrics::ForgetPolicyLocked(const std::string& ns, const std::string& policy) {
  for (GaugeFamily* f : policy_families_) {
    RemoveMatching(*f, {{"namespace", ns}, {"policy", policy}});
  }
}

void ControllerMetrics::ForgetPolicy(const std::string& ns, const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  ForgetPolicyLocked(ns, policy);
}

void ControllerMetrics::SetLeader(bool leader) {
  std::lock_guard<std::mutex> lock(mu_);
  leader_ = leader;
  SetGauge(*is_leader_, {}, leader ? 1 : 0);
  if (!leader) {
    for (GaugeFamily* f : policy_families_) RemoveMatching(*f, {});
  }
}

// ---------------------------------------------------------------- counters

void ControllerMetrics::ObserveReconcile(ReconcileController controller, double seconds,
                                         bool success) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string c(ControllerLabel(controller));
  CounterFor(reconcile_total_, {{"controller", c}, {"result", success ? "success" : "error"}})
      .Increment();
  if (std::isfinite(seconds) && seconds >= 0) {
    HistogramFor(reconcile_duration_, {{"controller", c}}, kReconcileBuckets).Observe(seconds);
  }
}

void ControllerMetrics::ObserveKubeRequest(std::string_view verb, std::string_view resource,
                                           int http_status, std::optional<double> latency_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string v(verb);
  try {
    CounterFor(kube_requests_,
               {{"verb", v},
                {"resource", KubeResourceLabel(resource)},
                {"result", std::string(KubeResultLabel(KubeResultForHttpStatus(http_status)))}})
        .Increment();
    if (verb != "watch" && latency_seconds && std::isfinite(*latency_seconds) &&
        *latency_seconds >= 0) {
      HistogramFor(kube_duration_, {{"verb", v}}, kKubeBuckets).Observe(*latency_seconds);
    }
  } catch (const std::exception&) {
    // Label names are fixed; values cannot make Add throw.
  }
}

void ControllerMetrics::ObservePromRequest(const prom::RequestReport& report) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string api(prom::ApiLabel(report.api));
  CounterFor(prom_requests_,
             {{"api", api}, {"result", std::string(prom::RequestResultLabel(report.result))}})
      .Increment();
  HistogramFor(prom_duration_, {{"api", api}}, kPromBuckets)
      .Observe(std::chrono::duration<double>(report.duration).count());
}

prom::RequestObserver ControllerMetrics::PromObserver() {
  return [this](const prom::RequestReport& r) { ObservePromRequest(r); };
}

}  // namespace prebell::exporter
