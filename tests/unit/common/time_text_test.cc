#include "policies/common/time_text.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

using std::chrono::seconds;

TEST(ParseDurationTest, AcceptsDesignForms) {
  EXPECT_EQ(*ParseDuration("15s"), seconds(15));
  EXPECT_EQ(*ParseDuration("90m"), seconds(5400));
  EXPECT_EQ(*ParseDuration("2h"), seconds(7200));
  EXPECT_EQ(*ParseDuration("1h30m"), seconds(5400));
  EXPECT_EQ(*ParseDuration("7d"), seconds(7 * 86400));
  EXPECT_EQ(*ParseDuration("1d2h3m4s"), seconds(86400 + 7200 + 180 + 4));
}

TEST(ParseDurationTest, RejectsWithQuotedText) {
  for (const char* bad : {"", "90", "90x", "m", "-5m", "0s", "30m1h", "1h1h", "1.5h", " 5m", "5m ",
                          "99999999999999999999s", "40000d"}) {
    auto r = ParseDuration(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << r.status().message();
  }
}

TEST(FormatDurationTest, ShortestForm) {
  EXPECT_EQ(FormatDuration(seconds(5400)), "1h30m");
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
  EXPECT_EQ(FormatDuration(seconds(90061)), "1d1h1m1s");
  EXPECT_EQ(*ParseDuration(FormatDuration(seconds(123456))), seconds(123456));
}

TEST(Rfc3339Test, ParsesOffsetsAndFractions) {
  auto z = ParseRfc3339("2026-11-23T08:00:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(FormatRfc3339(*z), "2026-11-23T08:00:00Z");
  EXPECT_EQ(*ParseRfc3339("2026-11-23T09:00:00+01:00"), *z);
  EXPECT_EQ(*ParseRfc3339("2026-11-23T02:30:00-05:30"), *z);
  EXPECT_EQ(*ParseRfc3339("2026-11-23T08:00:00.999Z"), *z);
  EXPECT_EQ(*ParseRfc3339("2026-11-23t08:00:00z"), *z);
  EXPECT_EQ(z->time_since_epoch().count(), 1795420800);
}

TEST(Rfc3339Test, Rejects) {
  for (const char* bad :
       {"2026-11-23", "2026-11-23T08:00:00", "2026-02-30T08:00:00Z", "2026-11-23T24:00:00Z",
        "2026-11-23T08:00:00+1:00", "2026-11-23T08:00:00Zjunk", "2026-11-23T08:00Z", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(LocalTimeTest, RoundTrips) {
  auto t = ParseLocalDateTime("2026-09-28T09:00:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatLocalDateTime(*t), "2026-09-28T09:00:00");
  EXPECT_FALSE(ParseLocalDateTime("2026-09-28T09:00:00Z").ok());
  EXPECT_FALSE(ParseLocalDateTime("2026-09-28 09:00:00").ok());
  auto d = ParseLocalDate("2026-12-24");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatLocalDate(*d), "2026-12-24");
  EXPECT_FALSE(ParseLocalDate("2026-13-01").ok());
}

}  // namespace
}  // namespace prebell
