#include "controller/exporter/controller_metrics.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/unit/exporter/exposition.h"

namespace prebell::exporter {
namespace {

using std::chrono::minutes;
using testing::Exposition;
using testing::Samples;

Instant T(int64_t s) { return Instant(Duration(s)); }

bool Has(const std::map<std::string, double>& s, const std::string& key) { return s.count(key); }

ScheduleSignal ClassLiveExamNext() {
  ScheduleSignal s;
  s.class_signal.active = true;
  s.class_signal.live_or_near = true;
  s.class_signal.window_start = T(1000);
  s.class_signal.window_end = T(5000);
  s.exam_signal.next_start = T(90000);
  s.exam_signal.window_start = T(90000);
  s.exam_signal.window_end = T(97200);
  s.level = 1;
  return s;
}

TEST(ControllerMetrics, BuildInfoLeaderAndZeroedCounters) {
  ControllerMetrics m({"0.1.0", "abc123"});
  auto s = Samples(*m.registry());
  EXPECT_EQ(s.at(R"(prebell_build_info{revision="abc123",version="0.1.0"})"), 1);
  EXPECT_EQ(s.at("prebell_is_leader"), 0);
  EXPECT_EQ(s.at(R"(prebell_reconcile_total{controller="timetable",result="success"})"), 0);
  EXPECT_EQ(s.at(R"(prebell_reconcile_total{controller="scalingpolicy",result="error"})"), 0);
  EXPECT_EQ(s.at(R"(prebell_prometheus_requests_total{api="query_range",result="network_error"})"),
            0);
  EXPECT_EQ(s.at(R"(prebell_prometheus_request_duration_seconds_count{api="query"})"), 0);
}

TEST(ControllerMetrics, ScheduleSignalSeriesAppearAndDisappear) {
  ControllerMetrics m({"v", "r"});
  m.SetScheduleSignal("uni", ClassLiveExamNext(), T(3000));
  auto s = Samples(*m.registry());
  EXPECT_EQ(s.at(R"(prebell_schedule_window_active{kind="class",namespace="uni"})"), 1);
  EXPECT_EQ(s.at(R"(prebell_schedule_window_active{kind="exam",namespace="uni"})"), 0);
  EXPECT_FALSE(
      Has(s, R"(prebell_schedule_next_start_timestamp_seconds{kind="class",namespace="uni"})"));
  EXPECT_EQ(s.at(R"(prebell_schedule_next_start_timestamp_seconds{kind="exam",namespace="uni"})"),
            90000);
  EXPECT_EQ(s.at(R"(prebell_schedule_window_end_timestamp_seconds{kind="class",namespace="uni"})"),
            5000);
  EXPECT_EQ(s.at(R"(prebell_schedule_signal_timestamp_seconds{namespace="uni"})"), 3000);

  // Nothing scheduled any more: window_active stays (0), the rest goes.
  m.SetScheduleSignal("uni", ScheduleSignal{}, T(6000));
  s = Samples(*m.registry());
  EXPECT_EQ(s.at(R"(prebell_schedule_window_active{kind="class",namespace="uni"})"), 0);
  EXPECT_EQ(s.at(R"(prebell_schedule_window_active{kind="exam",namespace="uni"})"), 0);
  EXPECT_FALSE(
      Has(s, R"(prebell_schedule_next_start_timestamp_seconds{kind="exam",namespace="uni"})"));
  EXPECT_FALSE(
      Has(s, R"(prebell_schedule_window_end_timestamp_seconds{kind="class",namespace="uni"})"));
  EXPECT_EQ(s.at(R"(prebell_schedule_signal_timestamp_seconds{namespace="uni"})"), 6000);
}

TEST(ControllerMetrics, UpcomingSessionsRowsFollowTheTimetable) {
  ControllerMetrics m({"v", "r"});
  UpcomingSessions u;
  u.next_start[static_cast<int>(SessionKind::kClass)] = T(4600);
  u.next_start[static_cast<int>(SessionKind::kEvent)] = T(10000);
  u.courses = {{"math", SessionKind::kClass, T(4600), 300},
               {"", SessionKind::kEvent, T(10000), 50}};
  m.SetUpcomingSessions("uni", u, T(1000));
  auto s = Samples(*m.registry());
  EXPECT_EQ(s.at(R"(prebell_seconds_until_next_session{kind="class",namespace="uni"})"), 3600);
  EXPECT_EQ(s.at(R"(prebell_seconds_until_next_session{kind="event",namespace="uni"})"), 9000);
  EXPECT_FALSE(Has(s, R"(prebell_seconds_until_next_session{kind="exam",namespace="uni"})"));
  EXPECT_EQ(
      s.at(
          R"(prebell_course_next_start_timestamp_seconds{course="math",kind="class",namespace="uni"})"),
      4600);
  EXPECT_EQ(
      s.at(R"(prebell_course_expected_attendance{course="math",kind="class",namespace="uni"})"),
      300);
  EXPECT_EQ(s.at(R"(prebell_course_expected_attendance{course="",kind="event",namespace="uni"})"),
            50);

  // Another namespace is not touched by this one's updates.
  m.SetUpcomingSessions("other", u, T(1000));
  u.courses = {{"bio", SessionKind::kClass, T(4600), 20}};
  m.SetUpcomingSessions("uni", u, T(1000));
  s = Samples(*m.registry());
  EXPECT_FALSE(
      Has(s, R"(prebell_course_expected_attendance{course="math",kind="class",namespace="uni"})"));
  EXPECT_FALSE(Has(
      s,
      R"(prebell_course_next_start_timestamp_seconds{course="math",kind="class",namespace="uni"})"));
  EXPECT_TRUE(
      Has(s, R"(prebell_course_expected_attendance{course="bio",kind="class",namespace="uni"})"));
  EXPECT_TRUE(Has(
      s, R"(prebell_course_expected_attendance{course="math",kind="class",namespace="other"})"));

  m.ForgetNamespace("uni");
  m.SetScheduleSignal("other", ScheduleSignal{}, T(1));
  const std::string text = Exposition(*m.registry());
  EXPECT_EQ(text.find("namespace=\"uni\""), std::string::npos) << text;
  EXPECT_NE(text.find("namespace=\"other\""), std::string::npos);
}

PolicyReport Report() {
  PolicyReport r;
  r.mode = PolicyMode::kActive;
  r.actual_connections = 900;
  r.predicted_connections = 1000;
  r.next_peak_connections = 5000;
  r.next_peak_time = T(7200);
  r.demand_fallback = false;
  r.forecast_error_ratio = {{"math", -0.12}, {"bio", 0.05}};
  return r;
}

TargetReport Gateway() {
  TargetReport t;
  t.desired_replicas = 4;
  t.current_replicas = 3;
  t.ready_replicas = 2;
  t.unit = CapacityUnit::kConnections;
  t.per_replica = 1500;
  t.next_peak_ready_replicas = 6;
  t.plan_applied = false;
  return t;
}

TEST(ControllerMetrics, LeaderOnlySeriesNeedTheLease) {
  ControllerMetrics m({"v", "r"});
  m.SetPolicy("uni", "live", Report());
  m.SetTarget("uni", "live", "gateway", Gateway());
  EXPECT_EQ(Exposition(*m.registry()).find("policy=\"live\""), std::string::npos);

  m.SetLeader(true);
  m.SetPolicy("uni", "live", Report());
  m.SetTarget("uni", "live", "gateway", Gateway());
  m.SetLastSuccessfulSync("uni", "live", T(3000));
  auto s = Samples(*m.registry());
  EXPECT_EQ(s.at("prebell_is_leader"), 1);
  EXPECT_EQ(s.at(R"(prebell_policy_info{mode="Active",namespace="uni",policy="live"})"), 1);
  EXPECT_EQ(s.at(R"(prebell_actual_connections{namespace="uni",policy="live"})"), 900);
  EXPECT_EQ(s.at(R"(prebell_predicted_connections{namespace="uni",policy="live"})"), 1000);
  EXPECT_EQ(s.at(R"(prebell_next_peak_predicted_connections{namespace="uni",policy="live"})"),
            5000);
  EXPECT_EQ(s.at(R"(prebell_next_peak_timestamp_seconds{namespace="uni",policy="live"})"), 7200);
  EXPECT_EQ(s.at(R"(prebell_demand_fallback{namespace="uni",policy="live"})"), 0);
  EXPECT_DOUBLE_EQ(
      s.at(R"(prebell_forecast_error_ratio{course="math",namespace="uni",policy="live"})"), -0.12);
  EXPECT_EQ(
      s.at(R"(prebell_last_successful_sync_timestamp_seconds{namespace="uni",policy="live"})"),
      3000);
  const std::string t = R"({namespace="uni",policy="live",target="gateway"})";
  EXPECT_EQ(s.at("prebell_desired_replicas" + t), 4);
  EXPECT_EQ(s.at("prebell_current_replicas" + t), 3);
  EXPECT_EQ(s.at("prebell_ready_replicas" + t), 2);
  EXPECT_EQ(s.at("prebell_planned_capacity_connections" + t), 6000);
  EXPECT_EQ(s.at("prebell_ready_capacity_connections" + t), 3000);
  EXPECT_EQ(s.at("prebell_next_peak_planned_capacity_connections" + t), 9000);
  EXPECT_EQ(s.at("prebell_plan_applied" + t), 0);
  EXPECT_EQ(
      s.at(
          R"(prebell_target_replica_capacity{namespace="uni",policy="live",target="gateway",unit="connections"})"),
      1500);

  // Losing the lease removes them all, and late writes do not bring them back.
  m.SetLeader(false);
  m.SetPolicy("uni", "live", Report());
  m.SetTarget("uni", "live", "gateway", Gateway());
  const std::string text = Exposition(*m.registry());
  EXPECT_EQ(text.find("policy=\"live\""), std::string::npos) << text;
  EXPECT_EQ(Samples(text).at("prebell_is_leader"), 0);
}

TEST(ControllerMetrics, PolicyChangesReplaceSeries) {
  ControllerMetrics m({"v", "r"});
  m.SetLeader(true);
  m.SetPolicy("uni", "live", Report());
  m.SetTarget("uni", "live", "gateway", Gateway());

  PolicyReport r = Report();
  r.mode = PolicyMode::kShadow;
  r.actual_connections.reset();
  r.next_peak_connections.reset();
  r.demand_fallback = true;
  r.forecast_error_ratio = {{"bio", 0.1}};
  m.SetPolicy("uni", "live", r);
  TargetReport sessions = Gateway();
  sessions.unit = CapacityUnit::kSessions;
  sessions.per_replica = 20;
  sessions.plan_applied.reset();
  sessions.ready_replicas.reset();
  m.SetTarget("uni", "live", "gateway", sessions);

  auto s = Samples(*m.registry());
  EXPECT_FALSE(Has(s, R"(prebell_policy_info{mode="Active",namespace="uni",policy="live"})"));
  EXPECT_EQ(s.at(R"(prebell_policy_info{mode="Shadow",namespace="uni",policy="live"})"), 1);
  EXPECT_FALSE(Has(s, R"(prebell_actual_connections{namespace="uni",policy="live"})"));
  EXPECT_FALSE(Has(s, R"(prebell_next_peak_predicted_connections{namespace="uni",policy="live"})"));
  EXPECT_FALSE(Has(s, R"(prebell_next_peak_timestamp_seconds{namespace="uni",policy="live"})"));
  EXPECT_EQ(s.at(R"(prebell_demand_fallback{namespace="uni",policy="live"})"), 1);
  EXPECT_FALSE(
      Has(s, R"(prebell_forecast_error_ratio{course="math",namespace="uni",policy="live"})"));
  const std::string t = R"({namespace="uni",policy="live",target="gateway"})";
  EXPECT_FALSE(Has(s, "prebell_planned_capacity_connections" + t));
  EXPECT_FALSE(Has(s, "prebell_ready_capacity_connections" + t));
  EXPECT_FALSE(Has(s, "prebell_next_peak_planned_capacity_connections" + t));
  EXPECT_FALSE(Has(s, "prebell_plan_applied" + t));
  EXPECT_FALSE(Has(s, "prebell_ready_replicas" + t));
  EXPECT_FALSE(Has(
      s,
      R"(prebell_target_replica_capacity{namespace="uni",policy="live",target="gateway",unit="connections"})"));
  EXPECT_EQ(
      s.at(
          R"(prebell_target_replica_capacity{namespace="uni",policy="live",target="gateway",unit="sessions"})"),
      20);
}

TEST(ControllerMetrics, TargetsAndPoliciesAreForgotten) {
  ControllerMetrics m({"v", "r"});
  m.SetLeader(true);
  m.SetPolicy("uni", "live", Report());
  m.SetPolicy("uni", "exams", Report());
  for (const char* t : {"gateway", "redis", "media"}) {
    m.SetTarget("uni", "live", t, Gateway());
    m.SetTarget("uni", "exams", t, Gateway());
  }
  m.RetainTargets("uni", "live", {"gateway"});
  m.ForgetTarget("uni", "exams", "media");
  std::string text = Exposition(*m.registry());
  EXPECT_EQ(text.find(R"(policy="live",target="redis")"), std::string::npos);
  EXPECT_EQ(text.find(R"(policy="live",target="media")"), std::string::npos);
  EXPECT_NE(text.find(R"(policy="live",target="gateway")"), std::string::npos);
  EXPECT_EQ(text.find(R"(policy="exams",target="media")"), std::string::npos);
  EXPECT_NE(text.find(R"(policy="exams",target="redis")"), std::string::npos);

  m.ForgetPolicy("uni", "exams");
  text = Exposition(*m.registry());
  EXPECT_EQ(text.find(R"(policy="exams")"), std::string::npos);
  EXPECT_NE(text.find(R"(policy="live")"), std::string::npos);
}

TEST(ControllerMetrics, RequestAccounting) {
  ControllerMetrics m({"v", "r"});
  m.ObserveReconcile(ReconcileController::kScalingPolicy, 0.02, true);
  m.ObserveReconcile(ReconcileController::kScalingPolicy, 3, false);
  m.ObserveKubeRequest("patch", "deployments.apps/scale", 200, 0.004);
  m.ObserveKubeRequest("patch", "horizontalpodautoscalers.autoscaling", 409, 0.004);
  m.ObserveKubeRequest("watch", "timetables.prebell.io", 0, 12.0);
  m.ObserveKubeRequest("get", "leases.coordination.k8s.io", 403, 0.3);
  auto observer = m.PromObserver();
  observer({prom::Api::kQuery, prom::RequestResult::kEmpty, std::chrono::milliseconds(30)});
  observer({prom::Api::kQueryRange, prom::RequestResult::kSuccess, std::chrono::milliseconds(300)});
  auto s = Samples(*m.registry());
  EXPECT_EQ(s.at(R"(prebell_reconcile_total{controller="scalingpolicy",result="success"})"), 1);
  EXPECT_EQ(s.at(R"(prebell_reconcile_total{controller="scalingpolicy",result="error"})"), 1);
  EXPECT_EQ(
      s.at(R"(prebell_reconcile_duration_seconds_bucket{controller="scalingpolicy",le="0.025"})"),
      1);
  EXPECT_EQ(
      s.at(R"(prebell_reconcile_duration_seconds_bucket{controller="scalingpolicy",le="30"})"), 2);
  EXPECT_EQ(
      s.at(R"(prebell_kubernetes_requests_total{resource="scale",result="success",verb="patch"})"),
      1);
  EXPECT_EQ(
      s.at(
          R"(prebell_kubernetes_requests_total{resource="horizontalpodautoscalers",result="conflict",verb="patch"})"),
      1);
  EXPECT_EQ(
      s.at(
          R"(prebell_kubernetes_requests_total{resource="timetables",result="network_error",verb="watch"})"),
      1);
  EXPECT_EQ(
      s.at(
          R"(prebell_kubernetes_requests_total{resource="leases",result="unauthorized",verb="get"})"),
      1);
  EXPECT_EQ(s.at(R"(prebell_kubernetes_request_duration_seconds_count{verb="patch"})"), 2);
  EXPECT_FALSE(Has(s, R"(prebell_kubernetes_request_duration_seconds_count{verb="watch"})"));
  EXPECT_EQ(s.at(R"(prebell_prometheus_requests_total{api="query",result="empty"})"), 1);
  EXPECT_EQ(s.at(R"(prebell_prometheus_requests_total{api="query_range",result="success"})"), 1);
  EXPECT_EQ(
      s.at(R"(prebell_prometheus_request_duration_seconds_bucket{api="query_range",le="0.25"})"),
      0);
  EXPECT_EQ(
      s.at(R"(prebell_prometheus_request_duration_seconds_bucket{api="query_range",le="0.5"})"), 1);
}

TEST(KubeResult, FromHttpStatus) {
  EXPECT_EQ(KubeResultForHttpStatus(0), KubeResult::kNetworkError);
  EXPECT_EQ(KubeResultForHttpStatus(201), KubeResult::kSuccess);
  EXPECT_EQ(KubeResultForHttpStatus(404), KubeResult::kNotFound);
  EXPECT_EQ(KubeResultForHttpStatus(401), KubeResult::kUnauthorized);
  EXPECT_EQ(KubeResultForHttpStatus(422), KubeResult::kClientError);
  EXPECT_EQ(KubeResultForHttpStatus(429), KubeResult::kThrottled);
  EXPECT_EQ(KubeResultForHttpStatus(504), KubeResult::kServerError);
  EXPECT_EQ(KubeResourceLabel("configmaps"), "configmaps");
  EXPECT_EQ(KubeResourceLabel("statefulsets.apps/scale"), "scale");
  EXPECT_EQ(KubeResourceLabel("events.events.k8s.io"), "events");
}

// ------------------------------------------------------------------------
// The exporter against docs/metrics.md: every catalogue row is exported
// with its type and labels, and nothing else is.

struct CatalogueRow {
  std::string type;
  std::set<std::string> labels;
};

std::map<std::string, CatalogueRow> ReadCatalogue() {
  std::ifstream in(PREBELL_METRICS_CATALOGUE);
  EXPECT_TRUE(in) << PREBELL_METRICS_CATALOGUE;
  std::map<std::string, CatalogueRow> rows;
  std::string line;
  bool in_catalogue = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_catalogue = line == "## Catalogue";
    if (!in_catalogue || line.rfind("| `prebell_", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(cell);
    if (cells.size() < 3) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" `"));
      s.erase(s.find_last_not_of(" `") + 1);
      return s;
    };
    CatalogueRow row;
    row.type = trim(cells[1]);
    // Label names are the backticked words outside parentheses.
    std::string labels_cell = cells[2];
    std::string outside;
    int depth = 0;
    for (char c : labels_cell) {
      if (c == '(') ++depth;
      if (depth == 0) outside.push_back(c);
      if (c == ')') --depth;
    }
    std::regex word("`([a-z_]+)`");
    for (std::sregex_iterator it(outside.begin(), outside.end(), word), end; it != end; ++it) {
      row.labels.insert((*it)[1]);
    }
    rows[trim(cells[0])] = row;
  }
  return rows;
}

TEST(ControllerMetrics, MatchesTheCatalogue) {
  const auto catalogue = ReadCatalogue();
  ASSERT_GT(catalogue.size(), 20u);

  ControllerMetrics m({"v", "r"});
  m.SetLeader(true);
  m.SetScheduleSignal("uni", ClassLiveExamNext(), T(3000));
  UpcomingSessions u;
  u.next_start[0] = T(4600);
  u.courses = {{"math", SessionKind::kClass, T(4600), 300}};
  m.SetUpcomingSessions("uni", u, T(3000));
  m.SetPolicy("uni", "live", Report());
  m.SetLastSuccessfulSync("uni", "live", T(3000));
  m.SetTarget("uni", "live", "gateway", Gateway());
  m.ObserveReconcile(ReconcileController::kTimetable, 0.1, true);
  m.ObserveKubeRequest("get", "configmaps", 200, 0.01);

  std::map<std::string, CatalogueRow> exported;
  for (const prometheus::MetricFamily& f : m.registry()->Collect()) {
    CatalogueRow& row = exported[f.name];
    switch (f.type) {
      case prometheus::MetricType::Counter:
        row.type = "counter";
        break;
      case prometheus::MetricType::Gauge:
        row.type = "gauge";
        break;
      case prometheus::MetricType::Histogram:
        row.type = "histogram";
        break;
      default:
        row.type = "other";
    }
    for (const prometheus::ClientMetric& c : f.metric) {
      for (const prometheus::ClientMetric::Label& l : c.label) row.labels.insert(l.name);
    }
  }
  for (const auto& [name, row] : catalogue) {
    auto it = exported.find(name);
    ASSERT_NE(it, exported.end()) << name << " is in the catalogue but not exported";
    EXPECT_EQ(it->second.type, row.type) << name;
    EXPECT_EQ(it->second.labels, row.labels) << name;
  }
  for (const auto& [name, row] : exported) {
    EXPECT_TRUE(catalogue.count(name)) << name << " is exported but not in the catalogue";
  }
}

}  // namespace
}  // namespace prebell::exporter
