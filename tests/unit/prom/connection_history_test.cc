#include "controller/prom/connection_history.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>
#include <sstream>

#include "tests/unit/prom/scripted_http.h"

namespace prebell::prom {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using testing::FormValue;
using testing::ScriptedHttp;

Instant T(int64_t s) { return Instant(Duration(s)); }

// A Prometheus stand-in for range queries: evaluates `value(t)` at
// start + k*step for every series; an empty optional is "no value there".
struct FakePrometheus {
  int series = 1;
  std::function<std::optional<double>(int64_t t, int series)> value;
  std::set<int> fail_requests;  // 0-based request numbers answered with HTTP 503
  int requests = 0;
  int64_t max_points_seen = 0;

  StatusOr<HttpResponse> operator()(const testing::RecordedRequest& req) {
    const int n = requests++;
    HttpResponse r;
    if (fail_requests.count(n)) {
      r.status = 503;
      r.body = "unavailable";
      return r;
    }
    const int64_t start = std::stoll(FormValue(req.form, "start"));
    const int64_t end = std::stoll(FormValue(req.form, "end"));
    const int64_t step = std::stoll(FormValue(req.form, "step"));
    max_points_seen = std::max(max_points_seen, (end - start) / step + 1);
    std::ostringstream out;
    out << R"({"status":"success","data":{"resultType":"matrix","result":[)";
    bool first_series = true;
    for (int s = 0; s < series; ++s) {
      std::ostringstream values;
      bool any = false;
      for (int64_t t = start; t <= end; t += step) {
        std::optional<double> v = value(t, s);
        if (!v) continue;
        values << (any ? "," : "") << "[" << t << ",\"";
        if (std::isnan(*v)) {
          values << "NaN";
        } else {
          values << *v;
        }
        values << "\"]";
        any = true;
      }
      if (!any) continue;  // Prometheus leaves out series with no points
      out << (first_series ? "" : ",") << R"({"metric":{"pod":")" << s << R"("},"values":[)"
          << values.str() << "]}";
      first_series = false;
    }
    out << "]}}";
    r.status = 200;
    r.body = out.str();
    return r;
  }
};

struct Fixture {
  std::shared_ptr<ScriptedHttp> http = std::make_shared<ScriptedHttp>();
  FakePrometheus prom;
  std::shared_ptr<PrometheusClient> client;

  Fixture() {
    ClientOptions o;
    o.max_attempts = 1;
    client = std::make_shared<PrometheusClient>(http, o, RequestObserver{},
                                                [](std::chrono::milliseconds) {});
    http->SetHandler([this](const testing::RecordedRequest& r) { return prom(r); });
  }
};

TEST(ConnectionHistory, FirstSyncLoadsTheLookbackInChunksWithinThePointLimit) {
  Fixture f;
  f.prom.value = [](int64_t t, int) {
    return std::optional<double>(static_cast<double>(t % 1000));
  };
  HistoryOptions o;
  o.lookback = days(28);
  o.step = Duration(15);
  ConnectionHistory h(f.client, "sum(centrifugo_node_num_clients)", o);
  const Instant now = T(1'800'000'007);  // not on the grid
  ASSERT_TRUE(h.Sync(now).ok());
  // Grid instants in [now - 28d, now]; now is off the grid, so the first
  // one is the 15 s mark after now - 28d: 28 days of 15 s steps exactly.
  const int64_t expected_points = 28 * 24 * 3600 / 15;
  EXPECT_EQ(static_cast<int64_t>(h.samples().size()), expected_points);
  EXPECT_EQ(f.prom.requests, 17);  // ceil(161280 / 10000)
  EXPECT_LE(f.prom.max_points_seen, 10000);
  EXPECT_EQ(h.samples().back().time, T(1'800'000'000 - 1'800'000'000 % 15));
  EXPECT_EQ(h.covered_until(), h.samples().back().time);
  EXPECT_EQ(h.latest_sample(), h.samples().back().time);
  for (size_t i = 1; i < h.samples().size(); ++i) {
    ASSERT_EQ(h.samples()[i].time - h.samples()[i - 1].time, Duration(15));
    ASSERT_EQ(h.samples()[i].value,
              static_cast<double>(h.samples()[i].time.time_since_epoch().count() % 1000));
  }
  EXPECT_EQ(f.http->requests()[0].path, "api/v1/query_range");
  EXPECT_EQ(FormValue(f.http->requests()[0].form, "query"), "sum(centrifugo_node_num_clients)");
}

TEST(ConnectionHistory, GapsStayGaps) {
  Fixture f;
  // No data in [10:00, 10:30) of every hour (a scrape outage).
  f.prom.value = [](int64_t t, int) -> std::optional<double> {
    if (t % 3600 < 1800) return std::nullopt;
    return 5.0;
  };
  HistoryOptions o;
  o.lookback = hours(6);
  ConnectionHistory h(f.client, "q", o);
  ASSERT_TRUE(h.Sync(T(36000 * 3)).ok());
  for (const MetricSample& s : h.samples()) {
    ASSERT_GE(s.time.time_since_epoch().count() % 3600, 1800);
    ASSERT_EQ(s.value, 5.0);  // nothing zero-filled
  }
  EXPECT_EQ(h.samples().size(), 6u * 120u);
}

TEST(ConnectionHistory, IncrementalSyncFetchesOnlyTheNewAndSettlingPart) {
  Fixture f;
  int version = 1;
  f.prom.value = [&](int64_t, int) { return std::optional<double>(version); };
  HistoryOptions o;
  o.lookback = hours(1);
  o.settle = minutes(1);
  ConnectionHistory h(f.client, "q", o);
  const Instant t0 = T(1'800'000'000);
  ASSERT_TRUE(h.Sync(t0).ok());
  const size_t loaded = h.samples().size();
  EXPECT_EQ(loaded, 241u);
  EXPECT_EQ(f.prom.requests, 1);

  // 30 s later: asks again from (covered - 60 s + 15 s) to now; the
  // re-fetched instants carry the new value.
  version = 2;
  ASSERT_TRUE(h.Sync(t0 + Duration(30)).ok());
  ASSERT_EQ(f.prom.requests, 2);
  const auto& req = f.http->requests()[1];
  EXPECT_EQ(FormValue(req.form, "start"), std::to_string(1'800'000'000 - 45));
  EXPECT_EQ(FormValue(req.form, "end"), std::to_string(1'800'000'030));
  EXPECT_EQ(h.samples().size(), 241u);  // two new, two let go (lookback)
  EXPECT_EQ(h.samples().back().value, 2);
  EXPECT_EQ(h.samples()[h.samples().size() - 6].value, 2);
  EXPECT_EQ(h.samples()[h.samples().size() - 7].value, 1);
  for (size_t i = 1; i < h.samples().size(); ++i) {
    ASSERT_EQ(h.samples()[i].time - h.samples()[i - 1].time, Duration(15));
  }

  // Within the same step: nothing new beyond the settle span.
  ASSERT_TRUE(h.Sync(t0 + Duration(31)).ok());
  EXPECT_EQ(FormValue(f.http->requests()[2].form, "end"), std::to_string(1'800'000'030));
}

TEST(ConnectionHistory, FailedSyncKeepsProgressAndResumes) {
  Fixture f;
  f.prom.value = [](int64_t, int) { return std::optional<double>(1); };
  f.prom.fail_requests = {3};
  HistoryOptions o;
  o.lookback = days(7);
  o.max_points_per_request = 5000;
  o.settle = Duration::zero();
  ConnectionHistory h(f.client, "q", o);
  const Instant now = T(1'800'000'000);
  Status s = h.Sync(now);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 503"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("query 'q'"), std::string::npos);
  EXPECT_EQ(h.samples().size(), 15000u);
  const Instant resumed_from = *h.covered_until() + Duration(15);
  ASSERT_TRUE(h.Sync(now).ok());
  EXPECT_EQ(FormValue(f.http->requests()[4].form, "start"),
            std::to_string(resumed_from.time_since_epoch().count()));
  EXPECT_EQ(h.samples().size(), 7u * 24 * 240 + 1);
}

TEST(ConnectionHistory, SeveralSeriesAreAnErrorUnlessSummed) {
  Fixture f;
  f.prom.series = 2;
  f.prom.value = [](int64_t t, int s) -> std::optional<double> {
    if (s == 1 && t % 60 == 0) return std::nullopt;  // pod 1 missing sometimes
    return s == 0 ? 10.0 : 3.0;
  };
  HistoryOptions o;
  o.lookback = hours(1);
  ConnectionHistory strict(f.client, "centrifugo_node_num_clients", o);
  Status s = strict.Sync(T(1'800'000'000));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("2 series where one was expected"), std::string::npos);
  EXPECT_TRUE(strict.samples().empty());

  o.sum_series = true;
  ConnectionHistory summed(f.client, "centrifugo_node_num_clients", o);
  ASSERT_TRUE(summed.Sync(T(1'800'000'000)).ok());
  ASSERT_EQ(summed.samples().size(), 241u);
  for (const MetricSample& m : summed.samples()) {
    ASSERT_EQ(m.value, m.time.time_since_epoch().count() % 60 == 0 ? 10.0 : 13.0);
  }
}

TEST(ConnectionHistory, NotANumberIsDroppedAndCounted) {
  Fixture f;
  f.prom.value = [](int64_t t, int) -> std::optional<double> {
    return t % 150 == 0 ? std::nan("") : 4.0;
  };
  HistoryOptions o;
  o.lookback = hours(1);
  ConnectionHistory h(f.client, "q", o);
  ASSERT_TRUE(h.Sync(T(1'800'000'000)).ok());
  EXPECT_EQ(h.stats().dropped_not_finite, 25);  // 3600 / 150 + 1 instants
  EXPECT_EQ(h.samples().size(), 241u - 25u);
  for (const MetricSample& m : h.samples()) ASSERT_EQ(m.value, 4.0);
}

TEST(ConnectionHistory, LongOutageReloadsOnlyTheLookback) {
  Fixture f;
  f.prom.value = [](int64_t, int) { return std::optional<double>(1); };
  HistoryOptions o;
  o.lookback = hours(1);
  ConnectionHistory h(f.client, "q", o);
  ASSERT_TRUE(h.Sync(T(1'800'000'000)).ok());
  ASSERT_TRUE(h.Sync(T(1'800'000'000) + days(2)).ok());
  EXPECT_EQ(h.samples().size(), 241u);
  EXPECT_EQ(h.samples().front().time, T(1'800'000'000) + days(2) - hours(1));
  EXPECT_EQ(f.prom.requests, 2);
}

TEST(ConnectionHistory, ValidateOptions) {
  HistoryOptions o;
  EXPECT_TRUE(ConnectionHistory::ValidateOptions(o).ok());
  o.max_points_per_request = 11001;
  EXPECT_FALSE(ConnectionHistory::ValidateOptions(o).ok());
  o = HistoryOptions{};
  o.step = Duration::zero();
  EXPECT_FALSE(ConnectionHistory::ValidateOptions(o).ok());
  o = HistoryOptions{};
  o.lookback = Duration(5);
  EXPECT_FALSE(ConnectionHistory::ValidateOptions(o).ok());
}

}  // namespace
}  // namespace prebell::prom
