// metrics_bench: what the metrics half of prebell costs. Not run by ctest;
// the figures and the command are in docs/performance/metrics.md.
//
// Benchmarks:
//   BM_ScheduleSignal/N      one namespace's signal from N occurrences
//   BM_UpcomingSessions/N    its upcoming-session rows from the same
//   BM_DecodeMatrix          decoding one 11,000-point range answer
//   BM_HistoryFirstLoad      28 days at 15 s (161,280 points, 17 range
//                            queries) through PrometheusClient and
//                            ConnectionHistory, answers served from memory
//                            (decode + merge, no network)
//   BM_HistoryIncremental    one 15 s Sync after that (1 query, 5 points)
//   BM_RenderMetrics/P       /metrics text for P policies of 3 targets in
//                            P/2 namespaces (the registry's Collect and
//                            prometheus-cpp's TextSerializer)
//   BM_RealPrometheusLoad    28 days of 15 s history backfilled into a real
//                            Prometheus with promtool, loaded over HTTP by
//                            ConnectionHistory (skipped when prometheus or
//                            promtool is not installed)
// Each reports the peak resident set size of the process so far.
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "controller/exporter/controller_metrics.h"
#include "controller/prom/api_response.h"
#include "controller/prom/connection_history.h"
#include "controller/prom/cpprest_transport.h"
#include "controller/prom/prometheus_client.h"
#include "policies/severity/schedule_signal.h"
#include "policies/severity/upcoming_sessions.h"
#include "tests/integration/prom/child_process.h"
#include "tests/unit/exporter/http_get.h"

namespace prebell::bench {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

const Instant kNow(Duration(1'800'000'000));

// N sessions of 90 minutes, four a day from 08:00, one in ten an exam,
// centred on now (half in the past).
std::vector<Occurrence> Occurrences(int n) {
  std::vector<Occurrence> out;
  out.reserve(n);
  const Instant first = kNow - days(n / 8);
  for (int i = 0; i < n; ++i) {
    Occurrence o;
    o.timetable = "tt";
    o.session = "s" + std::to_string(i % 50);
    o.course = "course-" + std::to_string(i % 40);
    o.kind = i % 10 == 0 ? SessionKind::kExam : SessionKind::kClass;
    o.start = first + days(i / 4) + hours(8 + 2 * (i % 4));
    o.end = o.start + minutes(90);
    o.expected_attendance = 100 + i % 300;
    out.push_back(o);
  }
  return out;
}

void BM_ScheduleSignal(benchmark::State& state) {
  const auto occ = Occurrences(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto s = ComputeScheduleSignal(occ, kNow);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_ScheduleSignal)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_UpcomingSessions(benchmark::State& state) {
  const auto occ = Occurrences(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto u = ComputeUpcomingSessions(occ, kNow);
    benchmark::DoNotOptimize(u);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_UpcomingSessions)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMicrosecond);

// A matrix answer of one series at `step` from start to end, values like a
// connections gauge.
std::string MatrixBody(int64_t start, int64_t end, int64_t step) {
  std::ostringstream out;
  out << R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[)";
  for (int64_t t = start; t <= end; t += step) {
    out << (t == start ? "" : ",") << "[" << t << ",\"" << (t % 5000) * 1.5 << "\"]";
  }
  out << "]}]}}";
  return out.str();
}

void BM_DecodeMatrix(benchmark::State& state) {
  const std::string body = MatrixBody(1'800'000'000, 1'800'000'000 + 10'999 * 15, 15);
  for (auto _ : state) {
    auto r = prom::DecodeApiResponse(body, 200, "query 'bench'");
    if (!r.ok()) state.SkipWithError(r.status.ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.counters["body_kb"] = static_cast<double>(body.size()) / 1024.0;
}
BENCHMARK(BM_DecodeMatrix)->Unit(benchmark::kMillisecond);

// Serves range queries from memory, as Prometheus would answer them.
class MemoryPrometheus final : public prom::HttpTransport {
 public:
  StatusOr<prom::HttpResponse> PostForm(const std::string&, const std::string& form,
                                        std::chrono::milliseconds) override {
    auto field = [&](const std::string& key) {
      const size_t at = form.find(key + "=");
      return std::stoll(form.substr(at + key.size() + 1));
    };
    prom::HttpResponse r;
    r.status = 200;
    r.body = MatrixBody(field("start"), field("end"), field("step"));
    return r;
  }
};

void BM_HistoryFirstLoad(benchmark::State& state) {
  auto client = std::make_shared<prom::PrometheusClient>(std::make_shared<MemoryPrometheus>(),
                                                         prom::ClientOptions{});
  size_t samples = 0;
  for (auto _ : state) {
    prom::ConnectionHistory h(client, "sum(centrifugo_node_num_clients)");
    Status s = h.Sync(kNow);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    samples = h.samples().size();
  }
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["history_mb"] = static_cast<double>(samples * sizeof(MetricSample)) / 1048576.0;
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_HistoryFirstLoad)->Unit(benchmark::kMillisecond);

void BM_HistoryIncremental(benchmark::State& state) {
  auto client = std::make_shared<prom::PrometheusClient>(std::make_shared<MemoryPrometheus>(),
                                                         prom::ClientOptions{});
  prom::ConnectionHistory h(client, "sum(centrifugo_node_num_clients)");
  if (!h.Sync(kNow).ok()) state.SkipWithError("first load failed");
  Instant now = kNow;
  for (auto _ : state) {
    now += Duration(15);
    Status s = h.Sync(now);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
}
BENCHMARK(BM_HistoryIncremental)->Unit(benchmark::kMicrosecond);

void BM_RenderMetrics(benchmark::State& state) {
  const int policies = static_cast<int>(state.range(0));
  exporter::ControllerMetrics m({"0.1.0", "bench"});
  m.SetLeader(true);
  const auto occ = Occurrences(2'000);
  auto signal = ComputeScheduleSignal(occ, kNow);
  auto upcoming = ComputeUpcomingSessions(occ, kNow);
  for (int p = 0; p < policies; ++p) {
    const std::string ns = "ns-" + std::to_string(p / 2);
    m.SetScheduleSignal(ns, *signal, kNow);
    m.SetUpcomingSessions(ns, *upcoming, kNow);
    exporter::PolicyReport r;
    r.actual_connections = 1000 + p;
    r.predicted_connections = 1100 + p;
    r.next_peak_connections = 5000;
    r.next_peak_time = kNow + hours(1);
    for (int c = 0; c < 10; ++c) r.forecast_error_ratio["course-" + std::to_string(c)] = -0.1;
    const std::string policy = "policy-" + std::to_string(p);
    m.SetPolicy(ns, policy, r);
    m.SetLastSuccessfulSync(ns, policy, kNow);
    for (const char* target : {"gateway", "redis", "media"}) {
      exporter::TargetReport t;
      t.desired_replicas = 4;
      t.current_replicas = 4;
      t.ready_replicas = 4;
      t.per_replica = 1500;
      t.next_peak_ready_replicas = 6;
      t.plan_applied = true;
      m.SetTarget(ns, policy, target, t);
    }
  }
  size_t bytes = 0, series = 0;
  for (auto _ : state) {
    std::string text = prometheus::TextSerializer().Serialize(m.registry()->Collect());
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  for (const auto& f : m.registry()->Collect()) series += f.metric.size();
  state.counters["body_kb"] = static_cast<double>(bytes) / 1024.0;
  state.counters["series"] = static_cast<double>(series);
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_RenderMetrics)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// 28 days of a 15 s gauge in OpenMetrics, for promtool tsdb create-blocks-from.
void WriteOpenMetrics(const std::string& path, Instant end) {
  std::ofstream out(path);
  out << "# HELP bench_connections Connections.\n# TYPE bench_connections gauge\n";
  const Instant start = end - days(28);
  for (Instant t = start; t <= end; t += Duration(15)) {
    const int64_t s = t.time_since_epoch().count();
    // A gap of an hour every day at 03:00 UTC.
    if (s % 86400 >= 3 * 3600 && s % 86400 < 4 * 3600) continue;
    out << "bench_connections " << (s % 5000) << " " << s << "\n";
  }
  out << "# EOF\n";
}

void BM_RealPrometheusLoad(benchmark::State& state) {
  if (std::string(PREBELL_PROMETHEUS_BIN).empty() || std::string(PREBELL_PROMTOOL_BIN).empty()) {
    state.SkipWithError("prometheus/promtool not installed");
    return;
  }
  const std::string dir = testing::MakeTempDir("prebell-bench-");
  // Data ending an hour ago, within Prometheus's default retention.
  const Instant end =
      std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()) - hours(1);
  const Instant aligned = end - Duration(end.time_since_epoch().count() % 15);
  WriteOpenMetrics(dir + "/data.om", aligned);
  const std::string cmd = std::string("'") + PREBELL_PROMTOOL_BIN +
                          "' tsdb create-blocks-from openmetrics '" + dir + "/data.om' '" + dir +
                          "/data' > '" + dir + "/promtool.log' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    state.SkipWithError("promtool tsdb create-blocks-from failed");
    return;
  }
  const int port = testing::FreePort();
  std::ofstream(dir + "/prometheus.yml") << "global:\n  scrape_interval: 15s\n";
  std::string error;
  auto prometheus = testing::ChildProcess::Start(
      {PREBELL_PROMETHEUS_BIN, "--config.file=" + dir + "/prometheus.yml",
       "--storage.tsdb.path=" + dir + "/data", "--storage.tsdb.retention.time=60d",
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
      dir + "/prometheus.log", error);
  for (int i = 0; i < 300 && exporter::testing::HttpGet(port, "/-/ready").status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto transport =
      prom::CpprestTransport::Create({.base_url = "http://127.0.0.1:" + std::to_string(port)});
  auto client = std::make_shared<prom::PrometheusClient>(*transport, prom::ClientOptions{});
  size_t samples = 0;
  for (auto _ : state) {
    prom::ConnectionHistory h(client, "bench_connections");
    Status s = h.Sync(aligned);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    samples = h.samples().size();
  }
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["peak_rss_mb"] = PeakRssMb();
  prometheus.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RealPrometheusLoad)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace prebell::bench

BENCHMARK_MAIN();
