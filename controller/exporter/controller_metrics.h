// ControllerMetrics: the typed API through which the controller sets every
// prebell_ metric of docs/metrics.md (that catalogue is the contract; this
// class implements it and nothing else).
//
// Guarantees:
// - Label sets are bounded: label values come from enums or from names of
//   Kubernetes objects and courses, never from occurrences, pods or
//   requests.
// - prometheus-cpp's Family::Add is slow and throws on bad labels; every
//   series reference is cached here, and all label names are fixed, so Add
//   never throws. References are dropped from the cache before Remove (a
//   reference dangles after Remove: CONTROLLER-NOTES 15).
// - A series with no meaningful value is removed, never set to a sentinel.
// - Series of a deleted object go away: ForgetNamespace, ForgetPolicy,
//   ForgetTarget; SetLeader(false) removes every "leader only" series.
// - Thread-safe: reconcilers on several workers may call it at once.
// - No exception leaves it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "controller/prom/request_outcome.h"
#include "policies/common/time_text.h"
#include "policies/severity/schedule_signal.h"
#include "policies/severity/upcoming_sessions.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace prebell::exporter {

struct BuildInfo {
  std::string version{};
  std::string revision{};
};

enum class PolicyMode { kActive, kShadow };
enum class CapacityUnit { kConnections, kSessions };
enum class ReconcileController { kTimetable, kScalingPolicy };

// prebell_kubernetes_requests_total's `result` (docs/metrics.md).
enum class KubeResult {
  kSuccess,       // 2xx
  kConflict,      // 409
  kNotFound,      // 404
  kUnauthorized,  // 401, 403
  kThrottled,     // 429
  kClientError,   // other 4xx (and any other non-2xx below 500)
  kServerError,   // 5xx
  kNetworkError,  // no HTTP response
};
// From an HTTP status; 0 means there was no response.
KubeResult KubeResultForHttpStatus(int http_status);
std::string_view KubeResultLabel(KubeResult result);
// "deployments.apps/scale" -> "scale", "horizontalpodautoscalers.autoscaling"
// -> "horizontalpodautoscalers", "leases.coordination.k8s.io" -> "leases".
std::string KubeResourceLabel(std::string_view resource);

// The leader's view of one ScalingPolicy. Empty optionals remove the series.
struct PolicyReport {
  PolicyMode mode = PolicyMode::kActive;
  std::optional<double> actual_connections{};
  std::optional<double> predicted_connections{};
  // The next (or current) session-driven peak within the horizon.
  std::optional<double> next_peak_connections{};
  std::optional<Instant> next_peak_time{};
  bool demand_fallback = false;
  // Per course with a completed session: (predicted - observed) / observed.
  // Courses not listed lose their series.
  std::map<std::string, double> forecast_error_ratio{};
};

// The leader's view of one target of a ScalingPolicy.
struct TargetReport {
  int64_t desired_replicas = 0;
  std::optional<int64_t> current_replicas{};  // workload spec.replicas as last observed
  std::optional<int64_t> ready_replicas{};    // workload status.readyReplicas
  CapacityUnit unit = CapacityUnit::kConnections;
  double per_replica = 0;  // connectionsPerReplica or sessionsPerReplica
  // Replicas the plan has ready at the next peak; exported (as capacity) for
  // connection-scaled targets when the policy has a next peak.
  std::optional<int64_t> next_peak_ready_replicas{};
  // Whether the workload carries the plan's value; Active policies only
  // (leave empty for Shadow: no series).
  std::optional<bool> plan_applied{};
};

class ControllerMetrics {
 public:
  explicit ControllerMetrics(const BuildInfo& build);
  ~ControllerMetrics();
  ControllerMetrics(const ControllerMetrics&) = delete;
  ControllerMetrics& operator=(const ControllerMetrics&) = delete;

  // For the MetricsServer.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // --- Schedule signal and upcoming sessions (every replica) ---
  // window_active (always, class and exam), next_start, window_end and the
  // signal timestamp of a namespace.
  void SetScheduleSignal(const std::string& ns, const ScheduleSignal& signal, Instant computed_at);
  // seconds_until_next_session per kind and the per-course rows; rows of
  // courses no longer upcoming are removed.
  void SetUpcomingSessions(const std::string& ns, const UpcomingSessions& upcoming,
                           Instant computed_at);
  // The namespace's last Timetable is gone: all its schedule series go.
  void ForgetNamespace(const std::string& ns);

  // --- ScalingPolicies (leader only) ---
  void SetPolicy(const std::string& ns, const std::string& policy, const PolicyReport& report);
  void SetLastSuccessfulSync(const std::string& ns, const std::string& policy, Instant at);
  void SetTarget(const std::string& ns, const std::string& policy, const std::string& target,
                 const TargetReport& report);
  void ForgetTarget(const std::string& ns, const std::string& policy, const std::string& target);
  // Removes the targets of the policy that are not in `keep`.
  void RetainTargets(const std::string& ns, const std::string& policy,
                     const std::set<std::string>& keep);
  // The policy is deleted: its series and its targets' go.
  void ForgetPolicy(const std::string& ns, const std::string& policy);

  // Sets prebell_is_leader. Losing the lease removes every leader-only
  // series, and the leader-only setters above are ignored while this replica
  // is not the leader (so a reconcile that was in flight when the lease was
  // lost cannot bring a series back). Without leader election, call
  // SetLeader(true) once at start.
  void SetLeader(bool leader);

  // --- Request and reconcile accounting (every replica) ---
  void ObserveReconcile(ReconcileController controller, double seconds, bool success);
  // `verb` as the Kubernetes API names it ("get", "list", "watch", ...);
  // `latency_seconds` is not observed for watches (the histogram is for
  // non-watch requests).
  void ObserveKubeRequest(std::string_view verb, std::string_view resource, int http_status,
                          std::optional<double> latency_seconds);
  void ObservePromRequest(const prom::RequestReport& report);
  // An observer for PrometheusClient (this object must outlive it).
  prom::RequestObserver PromObserver();

 private:
  using Labels = std::map<std::string, std::string>;
  // A gauge family plus its cached series.
  struct GaugeFamily;

  void SetGauge(GaugeFamily& f, const Labels& labels, double value);
  void RemoveGauge(GaugeFamily& f, const Labels& labels);
  // Removes the series of `f` whose labels include all of `match`.
  void RemoveMatching(GaugeFamily& f, const Labels& match);
  void ForgetPolicyLocked(const std::string& ns, const std::string& policy);

  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mu_;

  std::unique_ptr<GaugeFamily> window_active_, next_start_, window_end_, signal_timestamp_,
      seconds_until_next_, course_next_start_, course_attendance_;
  std::unique_ptr<GaugeFamily> actual_, predicted_, next_peak_, next_peak_time_, forecast_error_,
      demand_fallback_, policy_info_, last_sync_;
  std::unique_ptr<GaugeFamily> desired_, current_, ready_, per_replica_, planned_capacity_,
      ready_capacity_, next_peak_capacity_, plan_applied_;
  std::unique_ptr<GaugeFamily> is_leader_, build_info_;
  // Every leader-only family, for SetLeader(false) and ForgetPolicy.
  std::vector<GaugeFamily*> policy_families_;

  prometheus::Family<prometheus::Counter>* reconcile_total_ = nullptr;
  prometheus::Family<prometheus::Histogram>* reconcile_duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* kube_requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* kube_duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* prom_requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* prom_duration_ = nullptr;
  // Cached series of the counter and histogram families, by family.
  std::map<std::pair<const void*, Labels>, prometheus::Counter*> counters_;
  std::map<std::pair<const void*, Labels>, prometheus::Histogram*> histograms_;
  bool leader_ = false;

  prometheus::Counter& CounterFor(prometheus::Family<prometheus::Counter>* family,
                                  const Labels& labels);
  prometheus::Histogram& HistogramFor(prometheus::Family<prometheus::Histogram>* family,
                                      const Labels& labels, const std::vector<double>& buckets);
};

}  // namespace prebell::exporter
