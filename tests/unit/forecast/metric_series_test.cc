#include "policies/forecast/metric_series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "policies/forecast/connections_csv.h"

namespace prebell {
namespace {

Instant At(int64_t s) { return Instant{std::chrono::seconds{s}}; }

TEST(SanitizeSamples, DropsBadValuesSortsAndKeepsLastDuplicate) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  SanitizedSamples s = SanitizeSamples({{At(30), 3},
                                        {At(0), 1},
                                        {At(15), nan},
                                        {At(45), -4},
                                        {At(60), 2e9},
                                        {At(75), inf},
                                        {At(30), 5},
                                        {At(90), 0}});
  ASSERT_EQ(s.samples.size(), 3u);
  EXPECT_EQ(s.samples[0], (MetricSample{At(0), 1}));
  EXPECT_EQ(s.samples[1], (MetricSample{At(30), 5}));  // the later reading wins
  EXPECT_EQ(s.samples[2], (MetricSample{At(90), 0}));
  EXPECT_EQ(s.report.not_a_number, 2);
  EXPECT_EQ(s.report.negative, 1);
  EXPECT_EQ(s.report.absurd, 1);
  EXPECT_EQ(s.report.duplicates, 1);
  EXPECT_EQ(s.report.dropped(), 5);
  EXPECT_EQ(s.report.Summary(),
            "kept 3 samples; dropped 2 NaN/infinite, 1 negative, 1 absurd (above 1e8), 1 "
            "duplicate-time");
}

TEST(SanitizeSamples, EmptyIsEmpty) {
  SanitizedSamples s = SanitizeSamples({});
  EXPECT_TRUE(s.samples.empty());
  EXPECT_EQ(s.report.Summary(), "kept 0 samples");
}

TEST(SamplesUpTo, IncludesEqualTimestampExcludesLater) {
  std::vector<MetricSample> v{{At(0), 1}, {At(15), 2}, {At(30), 3}};
  EXPECT_EQ(SamplesUpTo(v, At(15)).size(), 2u);
  EXPECT_EQ(SamplesUpTo(v, At(14)).size(), 1u);
  EXPECT_EQ(SamplesUpTo(v, At(-1)).size(), 0u);
  EXPECT_EQ(SamplesBetween(v, At(15), At(30)).size(), 1u);
}

TEST(ConnectionsCsv, ParsesRowsGapsAndCarriageReturns) {
  auto r =
      ParseConnectionsCsv("timestamp,connections\r\n100,5\r\n115,\n130,NaN\n145,7.5\n\n", "m.csv");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0], (MetricSample{At(100), 5}));
  EXPECT_TRUE(std::isnan((*r)[1].value));
  EXPECT_TRUE(std::isnan((*r)[2].value));
  EXPECT_EQ((*r)[3].value, 7.5);
}

TEST(ConnectionsCsv, ErrorsNameFileLineAndField) {
  auto r = ParseConnectionsCsv("timestamp,connections\n100,5\nabc,6\n130,x\n145\n", "m.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "m.csv:3: timestamp: 'abc' is not unix seconds\n"
            "m.csv:4: connections: 'x' is not a number\n"
            "m.csv:5: row: expected two fields 'timestamp,connections', got '145'");
}

TEST(ConnectionsCsv, WrongHeaderAndEmptyFile) {
  auto r = ParseConnectionsCsv("time,value\n1,2\n", "m.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "m.csv:1: header: expected 'timestamp,connections', got 'time,value'");
  auto e = ParseConnectionsCsv("", "m.csv");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("empty file"), std::string::npos);
}

TEST(ConnectionsCsv, ListsAtMostTwentyProblems) {
  std::string text = "timestamp,connections\n";
  for (int i = 0; i < 25; ++i) text += "bad,1\n";
  auto r = ParseConnectionsCsv(text, "m.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("... and 5 more"), std::string::npos);
}

}  // namespace
}  // namespace prebell
