#include "policies/timetable/time_zone.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

LocalTime Local(const char* s) { return *ParseLocalDateTime(s); }
std::string Utc(Instant t) { return FormatRfc3339(t); }

TEST(TimeZoneTest, FindsIanaAndWindowsNames) {
  auto london = TimeZone::Find("Europe/London");
  ASSERT_TRUE(london.ok());
  EXPECT_EQ(london->name(), "Europe/London");
  auto gmt = TimeZone::Find("GMT Standard Time");
  ASSERT_TRUE(gmt.ok()) << gmt.status().message();
  EXPECT_EQ(gmt->name(), "Europe/London");
  EXPECT_EQ(TimeZone::Find("Central Standard Time")->name(), "America/Chicago");
  EXPECT_EQ(TimeZone::Find("AUS Eastern Standard Time")->name(), "Australia/Sydney");
  EXPECT_EQ(TimeZone::Find("India Standard Time")->name(), "Asia/Calcutta");
}

TEST(TimeZoneTest, RejectsUnknownNames) {
  for (const char* bad : {"", "Mars/Olympus", "../../etc/passwd", "/etc/passwd", "Europe/"}) {
    auto r = TimeZone::Find(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(TimeZone::Find("Mars/Olympus").status().message().find("Mars/Olympus"),
            std::string::npos);
}

TEST(TimeZoneTest, WallClockStaysPutAcrossDst) {
  auto chicago = *TimeZone::Find("America/Chicago");
  EXPECT_EQ(Utc(chicago.ToInstant(Local("2026-03-06T09:00:00"))), "2026-03-06T15:00:00Z");
  EXPECT_EQ(Utc(chicago.ToInstant(Local("2026-03-09T09:00:00"))), "2026-03-09T14:00:00Z");
  auto sydney = *TimeZone::Find("Australia/Sydney");  // southern hemisphere: DST ends in April
  EXPECT_EQ(Utc(sydney.ToInstant(Local("2026-04-03T09:00:00"))), "2026-04-02T22:00:00Z");
  EXPECT_EQ(Utc(sydney.ToInstant(Local("2026-04-06T09:00:00"))), "2026-04-05T23:00:00Z");
  auto kolkata = *TimeZone::Find("Asia/Kolkata");  // half-hour offset, no DST
  EXPECT_EQ(Utc(kolkata.ToInstant(Local("2026-06-01T09:00:00"))), "2026-06-01T03:30:00Z");
}

TEST(TimeZoneTest, NonexistentLocalTimeUsesOffsetBeforeGap) {
  // Chicago springs forward 2026-03-08 02:00 CST -> 03:00 CDT. RFC 5545:
  // 02:30 is read with the offset before the gap (-06:00) = 08:30Z = 03:30 CDT.
  auto chicago = *TimeZone::Find("America/Chicago");
  Instant t = chicago.ToInstant(Local("2026-03-08T02:30:00"));
  EXPECT_EQ(Utc(t), "2026-03-08T08:30:00Z");
  EXPECT_EQ(FormatLocalDateTime(chicago.ToLocal(t)), "2026-03-08T03:30:00");
  // London springs forward 2026-03-29 01:00 GMT -> 02:00 BST.
  auto london = *TimeZone::Find("Europe/London");
  EXPECT_EQ(Utc(london.ToInstant(Local("2026-03-29T01:15:00"))), "2026-03-29T01:15:00Z");
}

TEST(TimeZoneTest, AmbiguousLocalTimeIsTheFirst) {
  // Chicago falls back 2026-11-01 02:00 CDT -> 01:00 CST: 01:30 happens twice.
  auto chicago = *TimeZone::Find("America/Chicago");
  EXPECT_EQ(Utc(chicago.ToInstant(Local("2026-11-01T01:30:00"))), "2026-11-01T06:30:00Z");
  // Sydney falls back 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 happens twice.
  auto sydney = *TimeZone::Find("Australia/Sydney");
  EXPECT_EQ(Utc(sydney.ToInstant(Local("2026-04-05T02:30:00"))), "2026-04-04T15:30:00Z");
}

TEST(TimeZoneTest, OffsetAt) {
  auto london = *TimeZone::Find("Europe/London");
  EXPECT_EQ(london.OffsetAt(*ParseRfc3339("2026-07-01T12:00:00Z")), std::chrono::hours(1));
  EXPECT_EQ(london.OffsetAt(*ParseRfc3339("2026-12-01T12:00:00Z")), std::chrono::hours(0));
  EXPECT_EQ(TimeZone::Utc().OffsetAt(*ParseRfc3339("2026-07-01T12:00:00Z")), Duration(0));
}

}  // namespace
}  // namespace prebell
