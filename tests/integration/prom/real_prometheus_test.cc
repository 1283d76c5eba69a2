// The Prometheus client and the exporter against a real Prometheus.
//
// The test process runs the controller's exporter (ControllerMetrics behind
// a MetricsServer on a free loopback port); a real Prometheus, started here
// with a temporary configuration, scrapes it every second (honor_labels, as
// docs/metrics.md prescribes); the client queries the values back. This
// proves the exporter's output is what Prometheus ingests, the client reads
// real answers right, and a scrape outage comes back as a gap, not zeros.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "controller/exporter/controller_metrics.h"
#include "controller/exporter/metrics_server.h"
#include "controller/prom/connection_history.h"
#include "controller/prom/cpprest_transport.h"
#include "controller/prom/prometheus_client.h"
#include "tests/integration/prom/child_process.h"
#include "tests/unit/exporter/exposition.h"
#include "tests/unit/exporter/http_get.h"

namespace prebell {
namespace {

using exporter::ControllerMetrics;
using exporter::MetricsServer;
using std::chrono::milliseconds;
using std::chrono::seconds;

Instant WallNow() {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

// Polls `done` every 200 ms for up to `limit`.
template <typename F>
bool Eventually(F done, seconds limit = seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return done();
}

class RealPrometheus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::MakeTempDir("prebell-prom-it-");
    ASSERT_FALSE(dir_.empty());
    metrics_ = std::make_unique<ControllerMetrics>(exporter::BuildInfo{"0.1.0-test", "it"});
    checks_ = std::make_shared<exporter::HealthChecks>();
    StartExporter("127.0.0.1:0");
    exporter_port_ = server_->port();
    SetKnownValues();

    const int prom_port = testing::FreePort();
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  evaluation_interval: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: prebell\n"
                                               "    honor_labels: true\n"
                                               "    static_configs:\n"
                                               "      - targets: ['127.0.0.1:"
                                            << exporter_port_ << "']\n";
    std::string error;
    prometheus_ = testing::ChildProcess::Start(
        {PREBELL_PROMETHEUS_BIN, "--config.file=" + dir_ + "/prometheus.yml",
         "--storage.tsdb.path=" + dir_ + "/data",
         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
        dir_ + "/prometheus.log", error);
    ASSERT_TRUE(prometheus_) << "cannot start prometheus (" << PREBELL_PROMETHEUS_BIN
                             << "): " << error
                             << "; install it with scripts/install-deps.sh --servers";
    url_ = "http://127.0.0.1:" + std::to_string(prom_port);
    ASSERT_TRUE(Eventually([&] {
      return exporter::testing::HttpGet(prom_port, "/-/ready").status == 200;
    })) << prometheus_->Log();

    prom::CpprestTransportOptions t;
    t.base_url = url_;
    auto transport = prom::CpprestTransport::Create(t);
    ASSERT_TRUE(transport.ok()) << transport.status().ToString();
    prom::ClientOptions o;
    o.timeout = milliseconds(5000);
    client_ = std::make_shared<prom::PrometheusClient>(*transport, o, metrics_->PromObserver());
    // Wait until the first scrapes are in.
    ASSERT_TRUE(Eventually([&] {
      prom::ValueExpectation e;
      auto up = client_->QueryValue("up{job=\"prebell\"}", std::nullopt, e);
      return up.ok() && (*up)->value == 1;
    })) << prometheus_->Log();
  }

  static void TearDownTestSuite() {
    client_.reset();
    prometheus_.reset();
    server_.reset();
    metrics_.reset();
    if (!dir_.empty() && !::testing::UnitTest::GetInstance()->Failed()) {
      std::filesystem::remove_all(dir_);
    } else if (!dir_.empty()) {
      std::cerr << "logs kept in " << dir_ << "\n";
    }
  }

  static void StartExporter(const std::string& listen) {
    exporter::MetricsServerOptions o;
    o.listen = listen;
    auto s = MetricsServer::Start(o, metrics_->registry(), checks_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  static void SetKnownValues() {
    ScheduleSignal signal;
    signal.class_signal.active = true;
    signal.class_signal.window_start = Instant(Duration(1'700'000'000));
    signal.class_signal.window_end = Instant(Duration(1'900'000'000));
    signal.exam_signal.next_start = Instant(Duration(1'950'000'000));
    signal.exam_signal.window_end = Instant(Duration(1'950'007'200));
    metrics_->SetScheduleSignal("uni", signal, WallNow());
    metrics_->SetLeader(true);
    exporter::PolicyReport p;
    p.actual_connections = 1234;
    p.predicted_connections = 1500;
    metrics_->SetPolicy("uni", "live", p);
  }

  static void SetActual(double v) {
    exporter::PolicyReport p;
    p.actual_connections = v;
    p.predicted_connections = 1500;
    metrics_->SetPolicy("uni", "live", p);
  }

  static inline std::string dir_;
  static inline std::unique_ptr<ControllerMetrics> metrics_;
  static inline std::shared_ptr<exporter::HealthChecks> checks_;
  static inline std::unique_ptr<MetricsServer> server_;
  static inline int exporter_port_ = 0;
  static inline std::unique_ptr<testing::ChildProcess> prometheus_;
  static inline std::string url_;
  static inline std::shared_ptr<prom::PrometheusClient> client_;
};

TEST_F(RealPrometheus, ExporterOutputPassesPromtool) {
  auto got = exporter::testing::HttpGet(exporter_port_, "/metrics");
  ASSERT_EQ(got.status, 200);
  std::string out;
  const int rc =
      testing::RunWithInput({PREBELL_PROMTOOL_BIN, "check", "metrics"}, got.body, dir_, out);
  EXPECT_EQ(rc, 0) << out << "\n--- exposition ---\n" << got.body;
}

TEST_F(RealPrometheus, InstantQueryReadsWhatTheExporterSet) {
  prom::ValueExpectation e;
  e.max_age = seconds(60);
  e.now = WallNow();
  auto v = client_->QueryValue(R"(prebell_actual_connections{namespace="uni",policy="live"})",
                               std::nullopt, e);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)->value, 1234);

  // Labels survive the scrape (honor_labels): the timetable's namespace, not
  // an exported_namespace.
  auto exam = client_->QueryValue(
      R"(prebell_schedule_next_start_timestamp_seconds{namespace="uni",kind="exam"})", std::nullopt,
      prom::ValueExpectation{});
  ASSERT_TRUE(exam.ok()) << exam.status().ToString();
  EXPECT_EQ((*exam)->value, 1'950'000'000);

  SetActual(2000);
  EXPECT_TRUE(Eventually([&] {
    auto now = client_->QueryValue(R"(prebell_actual_connections{namespace="uni"})", std::nullopt,
                                   prom::ValueExpectation{});
    return now.ok() && (*now)->value == 2000;
  }));
  SetActual(1234);
}

TEST_F(RealPrometheus, SeveralSeriesNeedAnExplicitSum) {
  const char* q = R"(prebell_schedule_window_active{namespace="uni"})";
  auto one = client_->QueryValue(q, std::nullopt, prom::ValueExpectation{});
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("2 series where one was expected"), std::string::npos)
      << one.status().message();
  prom::ValueExpectation sum;
  sum.series = prom::ValueExpectation::Series::kSum;
  auto total = client_->QueryValue(q, std::nullopt, sum);
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  EXPECT_EQ((*total)->value, 1);
  EXPECT_EQ((*total)->series, 2);
}

TEST_F(RealPrometheus, ScalarEmptyAndBadQueries) {
  auto scalar = client_->QueryValue("scalar(vector(6)) * 7", std::nullopt, {});
  ASSERT_TRUE(scalar.ok()) << scalar.status().ToString();
  EXPECT_EQ((*scalar)->value, 42);

  auto empty = client_->QueryValue("prebell_no_such_metric", std::nullopt, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);

  auto bad = client_->Query("sum(rate(x[5m])");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("bad_data"), std::string::npos) << bad.status().message();

  auto matrix = client_->Query("up[1m]");
  ASSERT_FALSE(matrix.ok());
  EXPECT_NE(matrix.status().message().find("answer is a matrix"), std::string::npos);

  // The client's own requests were counted by the exporter...
  auto counts = exporter::testing::Samples(*metrics_->registry());
  EXPECT_GE(counts.at(R"(prebell_prometheus_requests_total{api="query",result="query_error"})"), 1);
  EXPECT_GE(counts.at(R"(prebell_prometheus_requests_total{api="query",result="empty"})"), 1);
  EXPECT_GE(counts.at(R"(prebell_prometheus_requests_total{api="query",result="malformed"})"), 1);
  // ... and Prometheus scraped those counts.
  EXPECT_TRUE(Eventually([&] {
    auto scraped = client_->QueryValue(
        R"(prebell_prometheus_requests_total{api="query",result="query_error"})", std::nullopt, {});
    return scraped.ok() && (*scraped)->value >= 1;
  }));
}

TEST_F(RealPrometheus, RangeQueriesAndAScrapeOutageLeavesAGap) {
  const char* q = R"(prebell_actual_connections{namespace="uni",policy="live"})";
  const Instant start = WallNow();
  SetActual(1111);
  std::this_thread::sleep_for(seconds(4));
  // Outage: the exporter stops answering, Prometheus marks the series stale.
  server_.reset();
  std::this_thread::sleep_for(seconds(6));
  StartExporter("127.0.0.1:" + std::to_string(exporter_port_));
  SetActual(2222);
  std::this_thread::sleep_for(seconds(5));

  auto raw = client_->QueryRange(q, start - seconds(5), WallNow(), Duration(1));
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  ASSERT_EQ(raw->series.size(), 1u);

  prom::HistoryOptions o;
  o.lookback = std::chrono::minutes(5);
  o.step = Duration(1);
  o.settle = Duration(2);
  prom::ConnectionHistory history(client_, q, o);
  ASSERT_TRUE(history.Sync(WallNow()).ok());
  const auto& samples = history.samples();
  ASSERT_FALSE(samples.empty());
  Duration widest_gap{0};
  bool saw_1111 = false, saw_2222 = false;
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_NE(samples[i].value, 0) << "zero-filled at " << FormatRfc3339(samples[i].time);
    if (samples[i].value == 1111) saw_1111 = true;
    if (samples[i].value == 2222) saw_2222 = true;
    if (i > 0) widest_gap = std::max(widest_gap, samples[i].time - samples[i - 1].time);
  }
  EXPECT_TRUE(saw_1111);
  EXPECT_TRUE(saw_2222);
  // Six seconds without scrapes: at least a few missing 1 s instants.
  EXPECT_GE(widest_gap, Duration(3));
  EXPECT_LE(*history.latest_sample(), WallNow());

  // Incremental: a later Sync adds the new instants only.
  const size_t before = samples.size();
  std::this_thread::sleep_for(seconds(3));
  ASSERT_TRUE(history.Sync(WallNow()).ok());
  EXPECT_GT(history.samples().size(), before);
  EXPECT_EQ(history.samples().back().value, 2222);
  EXPECT_EQ(history.stats().range_queries, 2);
}

}  // namespace
}  // namespace prebell
