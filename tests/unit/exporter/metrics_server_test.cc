#include "controller/exporter/metrics_server.h"

#include <gtest/gtest.h>

#include "controller/exporter/controller_metrics.h"
#include "tests/unit/exporter/exposition.h"
#include "tests/unit/exporter/http_get.h"

namespace prebell::exporter {
namespace {

using testing::HttpGet;

MetricsServerOptions Loopback() {
  MetricsServerOptions o;
  o.listen = "127.0.0.1:0";
  return o;
}

TEST(MetricsServer, ServesMetricsAndProbesOnOnePort) {
  ControllerMetrics metrics({"0.1.0", "abc"});
  auto checks = std::make_shared<HealthChecks>();
  CheckState synced(UnavailableError("caches not synced"));
  checks->Add(HealthChecks::Probe::kReadiness, "informers", synced.AsCheck());
  auto server = MetricsServer::Start(Loopback(), metrics.registry(), checks);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);

  metrics.SetLeader(true);
  auto m = HttpGet(port, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers.find("text/plain; version=0.0.4"), std::string::npos) << m.headers;
  auto samples = testing::Samples(m.body);
  EXPECT_EQ(samples.at("prebell_is_leader"), 1);
  EXPECT_NE(m.body.find("# TYPE prebell_reconcile_total counter"), std::string::npos);

  auto live = HttpGet(port, "/healthz");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body, "ok");

  auto not_ready = HttpGet(port, "/readyz");
  EXPECT_EQ(not_ready.status, 500);
  EXPECT_NE(not_ready.body.find("[-]informers failed: caches not synced"), std::string::npos);
  synced.Set(OkStatus());
  auto ready = HttpGet(port, "/readyz?verbose");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("[+]informers ok"), std::string::npos) << ready.body;

  EXPECT_EQ(HttpGet(port, "/nothing").status, 404);
}

TEST(MetricsServer, BindFailureIsAClearError) {
  ControllerMetrics metrics({"v", "r"});
  auto checks = std::make_shared<HealthChecks>();
  auto first = MetricsServer::Start(Loopback(), metrics.registry(), checks);
  ASSERT_TRUE(first.ok());
  MetricsServerOptions same;
  same.listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::Start(same, metrics.registry(), checks);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(same.listen), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("cannot listen"), std::string::npos);

  MetricsServerOptions bogus;
  bogus.listen = "203.0.113.7:9";  // not an address of this machine
  auto third = MetricsServer::Start(bogus, metrics.registry(), checks);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("203.0.113.7:9"), std::string::npos);

  MetricsServerOptions garbage;
  garbage.listen = "localhost:http";
  auto fourth = MetricsServer::Start(garbage, metrics.registry(), checks);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.status().code(), StatusCode::kInvalidArgument);
}

TEST(MetricsServer, StopsServingWhenDestroyed) {
  ControllerMetrics metrics({"v", "r"});
  auto checks = std::make_shared<HealthChecks>();
  int port = 0;
  {
    auto server = MetricsServer::Start(Loopback(), metrics.registry(), checks);
    ASSERT_TRUE(server.ok());
    port = (*server)->port();
    EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  }
  EXPECT_EQ(HttpGet(port, "/healthz").status, 0);
}

}  // namespace
}  // namespace prebell::exporter
