#include "controller/prom/prometheus_client.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/unit/prom/scripted_http.h"

namespace prebell::prom {
namespace {

using std::chrono::milliseconds;
using testing::FormValue;
using testing::ScriptedHttp;

const char* kOneSeries =
    R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"job":"gw"},"value":[1700000000,"120"]}]}})";
const char* kTwoSeries =
    R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"pod":"a"},"value":[1700000000,"120"]},
        {"metric":{"pod":"b"},"value":[1700000000,"30.5"]}]}})";
const char* kEmpty = R"({"status":"success","data":{"resultType":"vector","result":[]}})";

Instant T(int64_t s) { return Instant(Duration(s)); }

struct Fixture {
  std::shared_ptr<ScriptedHttp> http = std::make_shared<ScriptedHttp>();
  std::map<std::pair<Api, RequestResult>, int> counts;
  std::vector<milliseconds> sleeps;
  PrometheusClient client;

  explicit Fixture(ClientOptions o = Options())
      : client(
            http, o,
            [this](const RequestReport& r) {
              ++counts[{r.api, r.result}];
            },
            [this](milliseconds d) { sleeps.push_back(d); }) {}

  static ClientOptions Options() {
    ClientOptions o;
    o.timeout = milliseconds(2000);
    o.max_attempts = 3;
    o.initial_backoff = milliseconds(100);
    o.max_backoff = milliseconds(1000);
    o.jitter_seed = 7;
    return o;
  }
  int Count(Api api, RequestResult r) { return counts[{api, r}]; }
};

ValueExpectation One() { return ValueExpectation{}; }

TEST(PrometheusClient, InstantQuerySendsQueryTimeAndServerTimeout) {
  Fixture f;
  f.http->PushJson(200, kOneSeries);
  auto r = f.client.Query("sum(rate(x[5m])) by (a) & b", T(1700000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(f.http->requests().size(), 1u);
  const auto& req = f.http->requests()[0];
  EXPECT_EQ(req.path, "api/v1/query");
  EXPECT_EQ(FormValue(req.form, "query"), "sum(rate(x[5m])) by (a) & b");
  EXPECT_EQ(FormValue(req.form, "time"), "1700000000");
  EXPECT_EQ(FormValue(req.form, "timeout"), "1800ms");
  EXPECT_EQ(req.timeout, milliseconds(2000));
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kSuccess), 1);
}

TEST(PrometheusClient, QueryValueSingleSeries) {
  Fixture f;
  f.http->PushJson(200, kOneSeries);
  auto r = f.client.QueryValue("q", std::nullopt, One());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->value, 120);
  EXPECT_EQ((*r)->time, T(1700000000));
  EXPECT_TRUE(FormValue(f.http->requests()[0].form, "time").empty());
}

TEST(PrometheusClient, SeveralSeriesWhereOneWasExpectedIsAnError) {
  Fixture f;
  f.http->PushJson(200, kTwoSeries);
  auto r = f.client.QueryValue("connections", std::nullopt, One());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("query 'connections'"), std::string::npos);
  EXPECT_NE(r.status().message().find("2 series where one was expected"), std::string::npos);
  EXPECT_NE(r.status().message().find("pod=\"a\""), std::string::npos) << r.status().message();
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kMalformed), 1);
  EXPECT_EQ(f.http->requests().size(), 1u);  // not retried
}

TEST(PrometheusClient, SeveralSeriesSummedWhenAskedTo) {
  Fixture f;
  f.http->PushJson(200, kTwoSeries);
  ValueExpectation e;
  e.series = ValueExpectation::Series::kSum;
  auto r = f.client.QueryValue("connections", std::nullopt, e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->value, 150.5);
  EXPECT_EQ((*r)->series, 2);
}

TEST(PrometheusClient, EmptyResult) {
  Fixture f;
  f.http->PushJson(200, kEmpty);
  auto r = f.client.QueryValue("absent_metric", std::nullopt, One());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no series"), std::string::npos);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kEmpty), 1);

  f.http->PushJson(200, kEmpty);
  ValueExpectation e;
  e.allow_empty = true;
  auto ok = f.client.QueryValue("absent_metric", std::nullopt, e);
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->has_value());
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kEmpty), 2);
}

TEST(PrometheusClient, NonFiniteValueIsRefused) {
  for (const char* v : {"NaN", "+Inf", "-Inf"}) {
    Fixture f;
    f.http->PushJson(200, std::string(R"({"status":"success","data":{"resultType":"vector",
        "result":[{"metric":{},"value":[1700000000,")") +
                              v + R"("]}]}})");
    auto r = f.client.QueryValue("ratio", std::nullopt, One());
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_NE(r.status().message().find(std::string("value ") + v), std::string::npos)
        << r.status().message();
    EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kMalformed), 1);
  }
}

TEST(PrometheusClient, StaleSampleIsRefused) {
  Fixture f;
  f.http->PushJson(200, kOneSeries);
  ValueExpectation e;
  e.max_age = std::chrono::minutes(2);
  e.now = T(1700000000) + std::chrono::minutes(5);
  auto r = f.client.QueryValue("q", std::nullopt, e);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("5m old (limit 2m)"), std::string::npos)
      << r.status().message();
  f.http->PushJson(200, kOneSeries);
  e.now = T(1700000000) + std::chrono::minutes(2);
  EXPECT_TRUE(f.client.QueryValue("q", std::nullopt, e).ok());

  // A bound without a clock reading is a programming error, caught before
  // asking.
  e.now = Instant{};
  auto no_now = f.client.QueryValue("q", std::nullopt, e);
  EXPECT_EQ(no_now.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.http->requests().size(), 2u);
}

TEST(PrometheusClient, ScalarAnswerIsAValue) {
  Fixture f;
  f.http->PushJson(200, R"({"status":"success","data":{"resultType":"scalar","result":[5,"42"]}})");
  auto r = f.client.QueryValue("42", std::nullopt, One());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->value, 42);
}

TEST(PrometheusClient, ResultTypeMismatch) {
  Fixture f;
  f.http->PushJson(
      200,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}})");
  auto r = f.client.Query("x[5m]");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("answer is a matrix, expected a vector or scalar"),
            std::string::npos);
  f.http->PushJson(200, kOneSeries);
  auto range = f.client.QueryRange("x", T(0), T(60), Duration(15));
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("answer is a vector, expected a matrix"),
            std::string::npos);
  EXPECT_EQ(f.Count(Api::kQueryRange, RequestResult::kMalformed), 1);
}

TEST(PrometheusClient, WarningsAreErrorsByDefault) {
  const char* warned =
      R"({"status":"success","warnings":["remote read: partial response"],
          "data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}})";
  Fixture f;
  f.http->PushJson(200, warned);
  auto r = f.client.Query("q");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("partial response"), std::string::npos);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kQueryError), 1);

  ClientOptions lenient = Fixture::Options();
  lenient.warnings_are_errors = false;
  Fixture g(lenient);
  g.http->PushJson(200, warned);
  auto ok = g.client.Query("q");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->warnings.size(), 1u);
}

TEST(PrometheusClient, BadQueryIsNotRetried) {
  Fixture f;
  f.http->PushJson(400, R"({"status":"error","errorType":"bad_data","error":"parse error"})");
  auto r = f.client.Query("sum(");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("query 'sum('"), std::string::npos);
  EXPECT_EQ(f.http->requests().size(), 1u);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kQueryError), 1);
  EXPECT_TRUE(f.sleeps.empty());
}

TEST(PrometheusClient, TransientFailuresAreRetriedWithGrowingBackoff) {
  Fixture f;
  f.http->Push(UnavailableError("connection refused"));
  HttpResponse bad_gateway;
  bad_gateway.status = 502;
  bad_gateway.body = "<html>Bad Gateway</html>";
  f.http->Push(bad_gateway);
  f.http->PushJson(200, kOneSeries);
  auto r = f.client.Query("q");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(f.http->requests().size(), 3u);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kNetworkError), 1);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kHttpError), 1);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kSuccess), 1);
  ASSERT_EQ(f.sleeps.size(), 2u);
  EXPECT_GE(f.sleeps[0], milliseconds(50));
  EXPECT_LE(f.sleeps[0], milliseconds(100));
  EXPECT_GE(f.sleeps[1], milliseconds(100));
  EXPECT_LE(f.sleeps[1], milliseconds(200));
}

TEST(PrometheusClient, RetriesAreBoundedAndTheLastErrorIsReported) {
  Fixture f;
  for (int i = 0; i < 5; ++i) {
    f.http->PushJson(503, R"({"status":"error","errorType":"timeout","error":"query timed out"})");
  }
  auto r = f.client.Query("slow");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("gave up after 3 attempts"), std::string::npos);
  EXPECT_NE(r.status().message().find("query timed out"), std::string::npos);
  EXPECT_EQ(f.http->requests().size(), 3u);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kQueryError), 3);
  EXPECT_EQ(f.sleeps.size(), 2u);
}

TEST(PrometheusClient, RetryAfterIsHonouredUpToTheCap) {
  Fixture f;
  HttpResponse throttled;
  throttled.status = 429;
  throttled.retry_after = std::chrono::seconds(0);
  f.http->Push(throttled);
  throttled.retry_after = std::chrono::seconds(30);
  f.http->Push(throttled);
  f.http->PushJson(200, kOneSeries);
  ASSERT_TRUE(f.client.Query("q").ok());
  ASSERT_EQ(f.sleeps.size(), 2u);
  EXPECT_EQ(f.sleeps[1], milliseconds(1000));  // 30 s asked, capped at max_backoff
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kHttpError), 2);
}

TEST(PrometheusClient, ClientErrorsWithoutPrometheusBody) {
  Fixture f;
  HttpResponse forbidden;
  forbidden.status = 403;
  forbidden.body = "RBAC: access denied";
  f.http->Push(forbidden);
  auto r = f.client.Query("q");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("HTTP 403: RBAC: access denied"), std::string::npos);
  EXPECT_EQ(f.http->requests().size(), 1u);
}

TEST(PrometheusClient, OversizeBodyIsMalformedAndNotRetried) {
  Fixture f;
  f.http->Push(ResourceExhaustedError("POST api/v1/query: answer of 104857600 bytes is over"));
  auto r = f.client.Query("q");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kMalformed), 1);
  EXPECT_EQ(f.http->requests().size(), 1u);
}

TEST(PrometheusClient, GarbageBodyIsMalformed) {
  Fixture f;
  f.http->PushJson(200, R"({"status":"success","data":{"resultType":"vec)");
  auto r = f.client.Query("q");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not JSON"), std::string::npos);
  EXPECT_EQ(f.Count(Api::kQuery, RequestResult::kMalformed), 1);
}

TEST(PrometheusClient, RangeQueryArgumentsAndLimit) {
  Fixture f;
  f.http->PushJson(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  auto r = f.client.QueryRange("q", T(1000), T(2000), Duration(15));
  ASSERT_TRUE(r.ok());
  const auto& req = f.http->requests()[0];
  EXPECT_EQ(req.path, "api/v1/query_range");
  EXPECT_EQ(FormValue(req.form, "start"), "1000");
  EXPECT_EQ(FormValue(req.form, "end"), "2000");
  EXPECT_EQ(FormValue(req.form, "step"), "15");
  EXPECT_EQ(f.Count(Api::kQueryRange, RequestResult::kEmpty), 1);

  auto too_many = f.client.QueryRange("q", T(0), T(11000 * 15), Duration(15));
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("11001 points"), std::string::npos);
  EXPECT_TRUE(f.client.QueryRange("q", T(0), T(10999 * 15), Duration(15)).status().code() !=
              StatusCode::kInvalidArgument);
  EXPECT_EQ(f.client.QueryRange("q", T(10), T(0), Duration(15)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(f.client.QueryRange("q", T(0), T(10), Duration(0)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(PrometheusClient, ValidateOptions) {
  ClientOptions o;
  EXPECT_TRUE(PrometheusClient::ValidateOptions(o).ok());
  o.max_attempts = 0;
  EXPECT_FALSE(PrometheusClient::ValidateOptions(o).ok());
  o = ClientOptions{};
  o.timeout = milliseconds(5);
  EXPECT_FALSE(PrometheusClient::ValidateOptions(o).ok());
  o = ClientOptions{};
  o.max_backoff = milliseconds(1);
  EXPECT_FALSE(PrometheusClient::ValidateOptions(o).ok());
}

TEST(FormEncode, EncodesEverythingButUnreserved) {
  EXPECT_EQ(FormEncode("sum(x{a=\"b c\"})&y+1"), "sum%28x%7Ba%3D%22b%20c%22%7D%29%26y%2B1");
  EXPECT_EQ(FormEncode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(FormEncode("\xC3\xA9"), "%C3%A9");
}

}  // namespace
}  // namespace prebell::prom
