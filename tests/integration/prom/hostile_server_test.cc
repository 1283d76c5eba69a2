// The Prometheus client against a server that answers badly on purpose
// (hostile_prometheus.py, started here on a free loopback port): malformed
// and truncated bodies, error statuses, warnings, NaN, several series, slow
// and dripping answers, 100 MB bodies, throttling, flaky upstreams. Each
// must end in a Status naming the query and the problem, counted under the
// right result, retried only when retrying can help, and never hang.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "controller/prom/connection_history.h"
#include "controller/prom/cpprest_transport.h"
#include "controller/prom/prometheus_client.h"
#include "tests/integration/prom/child_process.h"

namespace prebell {
namespace {

using prom::Api;
using prom::RequestResult;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kBodyCap = 4 * 1024 * 1024;

class HostileServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::MakeTempDir("prebell-hostile-");
    ASSERT_FALSE(dir_.empty());
    std::string error;
    server_ = testing::ChildProcess::Start(
        {PREBELL_PYTHON3_BIN, PREBELL_HOSTILE_SERVER, dir_ + "/port", dir_ + "/requests.log"},
        dir_ + "/server.log", error);
    ASSERT_TRUE(server_) << error;
    const auto until = std::chrono::steady_clock::now() + seconds(20);
    while (!std::filesystem::exists(dir_ + "/port") && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    std::ifstream in(dir_ + "/port");
    ASSERT_TRUE(in >> port_) << server_->Log();
  }

  static void TearDownTestSuite() {
    server_.reset();
    if (!::testing::UnitTest::GetInstance()->Failed()) std::filesystem::remove_all(dir_);
  }

  void SetUp() override { ClientAt("http://127.0.0.1:" + std::to_string(port_), 2); }

  void ClientAt(const std::string& url, int attempts) {
    prom::CpprestTransportOptions t;
    t.base_url = url;
    t.max_body_bytes = kBodyCap;
    auto transport = prom::CpprestTransport::Create(t);
    ASSERT_TRUE(transport.ok()) << transport.status().ToString();
    prom::ClientOptions o;
    o.timeout = milliseconds(1000);
    o.max_attempts = attempts;
    o.initial_backoff = milliseconds(50);
    o.max_backoff = milliseconds(2000);
    counts_.clear();
    client_ = std::make_shared<prom::PrometheusClient>(*transport, o,
                                                       [this](const prom::RequestReport& r) {
                                                         std::lock_guard<std::mutex> l(mu_);
                                                         ++counts_[{r.api, r.result}];
                                                       });
  }

  int Count(RequestResult r, Api api = Api::kQuery) {
    std::lock_guard<std::mutex> l(mu_);
    return counts_[{api, r}];
  }

  // Bytes the server sent for `query`, once it has logged the request.
  static std::optional<long> SentFor(const std::string& query) {
    const auto until = std::chrono::steady_clock::now() + seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      std::ifstream in(dir_ + "/requests.log");
      std::string q;
      long sent = 0;
      while (in >> q >> sent) {
        if (q == query) return sent;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return std::nullopt;
  }

  StatusOr<std::optional<prom::Reading>> Value(const char* query, prom::ValueExpectation e = {}) {
    return client_->QueryValue(query, std::nullopt, e);
  }

  static void ExpectMentions(const Status& s, const std::string& what) {
    EXPECT_NE(s.message().find(what), std::string::npos)
        << "'" << what << "' not in: " << s.ToString();
  }

  static inline std::string dir_;
  static inline std::unique_ptr<testing::ChildProcess> server_;
  static inline int port_ = 0;
  std::shared_ptr<prom::PrometheusClient> client_;
  std::mutex mu_;
  std::map<std::pair<Api, RequestResult>, int> counts_;
};

TEST_F(HostileServer, WellFormedAnswer) {
  auto v = Value("ok");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)->value, 42);
  EXPECT_EQ(Count(RequestResult::kSuccess), 1);
}

TEST_F(HostileServer, MalformedJsonIsNotRetried) {
  for (const char* q : {"malformed", "not_json"}) {
    auto v = Value(q);
    ASSERT_FALSE(v.ok()) << q;
    ExpectMentions(v.status(), std::string("query '") + q + "'");
    ExpectMentions(v.status(), "not JSON");
  }
  // Exactly the bytes the server sent, nothing more.
  auto v = Value("malformed");
  ExpectMentions(v.status(), "(54 bytes, starting '{\"status\"");
  EXPECT_EQ(Count(RequestResult::kMalformed), 3);
}

TEST_F(HostileServer, ErrorStatusWithPrometheusError) {
  auto v = Value("bad_query");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  ExpectMentions(v.status(), "bad_data: 1:5: parse error: unclosed left parenthesis");
  EXPECT_EQ(Count(RequestResult::kQueryError), 1);

  auto busy = Value("always_503");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), StatusCode::kDeadlineExceeded);
  ExpectMentions(busy.status(), "gave up after 2 attempts");
  EXPECT_EQ(Count(RequestResult::kQueryError), 3);

  auto forbidden = Value("forbidden");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.status().code(), StatusCode::kPermissionDenied);
  ExpectMentions(forbidden.status(), "HTTP 403: Forbidden by RBAC");
  EXPECT_EQ(Count(RequestResult::kHttpError), 1);
}

TEST_F(HostileServer, WarningsNaNInfAndSeveralSeries) {
  auto warned = Value("warnings");
  ASSERT_FALSE(warned.ok());
  ExpectMentions(warned.status(), "partial response");
  EXPECT_EQ(Count(RequestResult::kQueryError), 1);

  auto nan = Value("nan");
  ASSERT_FALSE(nan.ok());
  ExpectMentions(nan.status(), "value NaN");
  auto inf = Value("inf");
  ASSERT_FALSE(inf.ok());
  ExpectMentions(inf.status(), "value +Inf");

  auto multi = Value("multi");
  ASSERT_FALSE(multi.ok());
  ExpectMentions(multi.status(), "2 series where one was expected");
  EXPECT_EQ(Count(RequestResult::kMalformed), 3);
  prom::ValueExpectation sum;
  sum.series = prom::ValueExpectation::Series::kSum;
  auto summed = Value("multi", sum);
  ASSERT_TRUE(summed.ok());
  EXPECT_EQ((*summed)->value, 3);
}

TEST_F(HostileServer, EmptyStaleAndWrongType) {
  auto empty = Value("empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Count(RequestResult::kEmpty), 1);

  prom::ValueExpectation fresh;
  fresh.max_age = std::chrono::minutes(5);
  fresh.now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  auto stale = Value("stale", fresh);
  ASSERT_FALSE(stale.ok());
  ExpectMentions(stale.status(), "old (limit 5m)");

  auto text = Value("string");
  ASSERT_FALSE(text.ok());
  ExpectMentions(text.status(), "answer is a string");
}

TEST_F(HostileServer, SlowAnswersHitTheTimeoutAndAreRetried) {
  auto slow = Value("slow");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), StatusCode::kDeadlineExceeded);
  ExpectMentions(slow.status(), "no complete answer within 1000 ms");
  EXPECT_EQ(Count(RequestResult::kNetworkError), 2);
}

TEST_F(HostileServer, DrippingBodyHitsTheWholeExchangeDeadline) {
  auto drip = Value("drip");
  ASSERT_FALSE(drip.ok());
  EXPECT_EQ(drip.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Count(RequestResult::kNetworkError), 2);
  // The server kept dripping only until we hung up, far short of its 100
  // bytes: each attempt was cut at 1 s (about ten bytes).
  auto sent = SentFor("drip");
  ASSERT_TRUE(sent.has_value());
  EXPECT_LT(*sent, 100);
}

TEST_F(HostileServer, TruncatedBody) {
  auto cut = Value("truncated");
  ASSERT_FALSE(cut.ok());
  ExpectMentions(cut.status(), "query 'truncated'");
  EXPECT_TRUE(cut.status().code() == StatusCode::kUnavailable ||
              cut.status().code() == StatusCode::kDeadlineExceeded)
      << cut.status().ToString();
  EXPECT_EQ(Count(RequestResult::kSuccess), 0);
}

TEST_F(HostileServer, HundredMegabyteBodiesAreRefusedAtTheCap) {
  auto declared = Value("huge_declared");
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.status().code(), StatusCode::kResourceExhausted);
  ExpectMentions(declared.status(), "answer of 104857600 bytes is over the cap of 4194304 bytes");

  auto undeclared = Value("huge_undeclared");
  ASSERT_FALSE(undeclared.ok());
  EXPECT_EQ(undeclared.status().code(), StatusCode::kResourceExhausted);
  ExpectMentions(undeclared.status(), "over the cap of 4194304 bytes");
  EXPECT_EQ(Count(RequestResult::kMalformed), 2);

  // We hung up early: the server could not push the whole 100 MB. Without
  // a Content-Length the download was stopped at the cap, so what got out
  // is the cap plus what the kernel's socket buffers held, not the tens of
  // megabytes cpprestsdk would otherwise have read ahead into memory.
  auto declared_sent = SentFor("huge_declared");
  ASSERT_TRUE(declared_sent.has_value());
  EXPECT_LT(*declared_sent, 100L * 1024 * 1024);
  auto undeclared_sent = SentFor("huge_undeclared");
  ASSERT_TRUE(undeclared_sent.has_value());
  EXPECT_LT(*undeclared_sent, 32L * 1024 * 1024);
}

TEST_F(HostileServer, FlakyAndThrottledUpstreamsSucceedOnRetry) {
  ClientAt("http://127.0.0.1:" + std::to_string(port_), 3);
  auto flaky = Value("flaky");
  ASSERT_TRUE(flaky.ok()) << flaky.status().ToString();
  EXPECT_EQ((*flaky)->value, 7);
  EXPECT_EQ(Count(RequestResult::kHttpError), 2);

  auto throttled = Value("throttled");
  ASSERT_TRUE(throttled.ok()) << throttled.status().ToString();
  EXPECT_EQ((*throttled)->value, 8);
  EXPECT_EQ(Count(RequestResult::kHttpError), 3);
}

TEST_F(HostileServer, NobodyListening) {
  ClientAt("http://127.0.0.1:" + std::to_string(testing::FreePort()), 2);
  auto v = Value("ok");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
  ExpectMentions(v.status(), "query 'ok'");
  EXPECT_EQ(Count(RequestResult::kNetworkError), 2);
}

TEST_F(HostileServer, RangeQueriesThroughTheHistory) {
  prom::HistoryOptions o;
  o.lookback = std::chrono::hours(1);
  o.step = Duration(60);
  o.max_points_per_request = 25;
  prom::ConnectionHistory h(client_, "range_ok", o);
  const Instant now(Duration(1'800'000'000));
  ASSERT_TRUE(h.Sync(now).ok());
  ASSERT_EQ(h.samples().size(), 61u);
  EXPECT_EQ(Count(RequestResult::kSuccess, Api::kQueryRange), 3);
  for (const MetricSample& s : h.samples()) {
    ASSERT_EQ(s.value, static_cast<double>(s.time.time_since_epoch().count() % 7));
  }
}

}  // namespace
}  // namespace prebell
