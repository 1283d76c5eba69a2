#include "controller/prom/api_response.h"

#include <gtest/gtest.h>

#include <cmath>

namespace prebell::prom {
namespace {

DecodeResult Decode(std::string_view body, int http = 200) {
  return DecodeApiResponse(body, http, "query 'q'");
}

void ExpectMalformed(std::string_view body, std::string_view needle) {
  DecodeResult r = Decode(body);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.problem, DecodeProblem::kMalformed) << body;
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("query 'q'"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find(needle), std::string::npos)
      << "'" << needle << "' not in: " << r.status.message();
}

TEST(ParseSampleValue, PrometheusTextForms) {
  double v = 0;
  ASSERT_TRUE(ParseSampleValue("1.5", v));
  EXPECT_EQ(v, 1.5);
  ASSERT_TRUE(ParseSampleValue("-2e3", v));
  EXPECT_EQ(v, -2000);
  ASSERT_TRUE(ParseSampleValue("0", v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(ParseSampleValue(".25", v));
  EXPECT_EQ(v, 0.25);
  ASSERT_TRUE(ParseSampleValue("NaN", v));
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(ParseSampleValue("+Inf", v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  ASSERT_TRUE(ParseSampleValue("-Inf", v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  for (const char* bad :
       {"", " 1", "1 ", "+1", "abc", "1.2.3", "0x10", "inf", "nan", "-", "Infinity", "1e", "--1"}) {
    EXPECT_FALSE(ParseSampleValue(bad, v)) << "'" << bad << "'";
  }
}

TEST(DecodeApiResponse, Vector) {
  DecodeResult r = Decode(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"up","job":"a"},"value":[1700000000.123,"1"]},
      {"metric":{},"value":[1700000000,"NaN"]}]}})");
  ASSERT_TRUE(r.ok()) << r.status.ToString();
  EXPECT_EQ(r.data.type, ResultType::kVector);
  ASSERT_EQ(r.data.series.size(), 2u);
  EXPECT_EQ(r.data.series[0].labels.at("job"), "a");
  EXPECT_EQ(r.data.series[0].samples[0].time.time_since_epoch().count(), 1700000000);
  EXPECT_EQ(r.data.series[0].samples[0].value, 1);
  EXPECT_TRUE(std::isnan(r.data.series[1].samples[0].value));
  EXPECT_TRUE(r.data.warnings.empty());
}

TEST(DecodeApiResponse, MatrixWithWarningsAndUnknownFields) {
  DecodeResult r = Decode(R"({"status":"success","infos":["x"],"warnings":["partial response"],
      "data":{"resultType":"matrix","result":[
      {"metric":{"a":"b"},"values":[[10,"1"],[25,"2.5"],[40,"+Inf"]]}]}})");
  ASSERT_TRUE(r.ok()) << r.status.ToString();
  EXPECT_EQ(r.data.type, ResultType::kMatrix);
  ASSERT_EQ(r.data.series[0].samples.size(), 3u);
  EXPECT_EQ(r.data.series[0].samples[1].value, 2.5);
  ASSERT_EQ(r.data.warnings.size(), 1u);
  EXPECT_EQ(r.data.warnings[0], "partial response");
}

TEST(DecodeApiResponse, ScalarAndString) {
  DecodeResult s =
      Decode(R"({"status":"success","data":{"resultType":"scalar","result":[5,"42"]}})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.data.type, ResultType::kScalar);
  ASSERT_EQ(s.data.series.size(), 1u);
  EXPECT_TRUE(s.data.series[0].labels.empty());
  EXPECT_EQ(s.data.series[0].samples[0].value, 42);
  DecodeResult str =
      Decode(R"({"status":"success","data":{"resultType":"string","result":[5,"hi"]}})");
  ASSERT_TRUE(str.ok());
  EXPECT_EQ(str.data.type, ResultType::kString);
  EXPECT_TRUE(str.data.series.empty());
}

TEST(DecodeApiResponse, EmptyResult) {
  DecodeResult r = Decode(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.data.series.empty());
}

TEST(DecodeApiResponse, ErrorAnswersKeepPrometheusWords) {
  DecodeResult bad = Decode(
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""})",
      400);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.problem, DecodeProblem::kQueryError);
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status.message().find("bad_data: 1:5: parse error"), std::string::npos)
      << bad.status.message();
  EXPECT_EQ(Decode(R"({"status":"error","errorType":"timeout","error":"query timed out"})", 503)
                .status.code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Decode(R"({"status":"error","errorType":"execution","error":"many-to-many"})", 422)
                .status.code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Decode(R"({"status":"error","errorType":"weird","error":"x"})", 502).status.code(),
            StatusCode::kUnavailable);
}

TEST(DecodeApiResponse, RefusesGarbage) {
  ExpectMalformed("", "not JSON");
  ExpectMalformed("<html>502 Bad Gateway</html>", "not JSON");
  ExpectMalformed(R"({"status":"success","data":{"resultType":"vector","result":[)", "not JSON");
  ExpectMalformed("[1,2]", "not a JSON object");
  ExpectMalformed(R"({"data":{}})", "missing field \"status\"");
  ExpectMalformed(R"({"status":"maybe"})", "\"status\" is 'maybe'");
  ExpectMalformed(R"({"status":"success"})", "missing field \"data\"");
  ExpectMalformed(R"({"status":"error","error":"x"})", "errorType");
  ExpectMalformed(R"({"status":"success","data":{"resultType":"table","result":[]}})",
                  "unknown resultType 'table'");
  ExpectMalformed(R"({"status":"success","data":{"resultType":"vector","result":{}}})",
                  "not an array");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})",
      "value is not a string");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"twelve"]}]}})",
      "'twelve' is not a number");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","2"]}]}})",
      "time is not a number");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"2"]}]}})",
      "label 'a' is not a string");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,"2"]}]}})",
      "missing field \"metric\"");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}})",
      "native histogram");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[20,"1"],[10,"2"]]}]}})",
      "out of order");
  ExpectMalformed(
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[10,"1"],[10,"2"]]}]}})",
      "out of order");
  ExpectMalformed(
      R"({"status":"success","warnings":"x","data":{"resultType":"vector","result":[]}})",
      "\"warnings\" is not an array");
  ExpectMalformed(R"({"status":"success","data":{"resultType":"scalar","result":[1e300,"1"]}})",
                  "time out of range");
}

TEST(DecodeApiResponse, DeepNestingIsRefusedNotACrash) {
  std::string deep(100000, '[');
  DecodeResult r = Decode(deep);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace prebell::prom
