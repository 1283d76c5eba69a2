// TZID resolution and VTIMEZONE-defined zones.
#include "policies/calendar/calendar_zone.h"

#include <gtest/gtest.h>

#include "policies/calendar/rrule_text.h"
#include "policies/calendar/vtimezone_rules.h"

namespace prebell {
namespace {

LocalTime L(const char* text) { return *ParseLocalDateTime(text); }

TEST(FindTzidInDatabaseTest, IanaNames) {
  ASSERT_TRUE(FindTzidInDatabase("Europe/London"));
  EXPECT_EQ(FindTzidInDatabase("Europe/London")->name(), "Europe/London");
  EXPECT_EQ(FindTzidInDatabase("America/Argentina/Buenos_Aires")->name(),
            "America/Argentina/Buenos_Aires");
  EXPECT_EQ(FindTzidInDatabase("\"Asia/Kolkata\"")->name(), "Asia/Kolkata");
}

TEST(FindTzidInDatabaseTest, WindowsNamesAsOutlookWritesThem) {
  EXPECT_EQ(FindTzidInDatabase("W. Europe Standard Time")->name(), "Europe/Berlin");
  EXPECT_EQ(FindTzidInDatabase("GMT Standard Time")->name(), "Europe/London");
  EXPECT_EQ(FindTzidInDatabase("Central Standard Time")->name(), "America/Chicago");
  EXPECT_EQ(FindTzidInDatabase("AUS Eastern Standard Time")->name(), "Australia/Sydney");
  const auto india = FindTzidInDatabase("India Standard Time");
  ASSERT_TRUE(india);
  // CLDR's canonical name is the old one; either names the same zone.
  EXPECT_TRUE(india->name() == "Asia/Calcutta" || india->name() == "Asia/Kolkata") << india->name();
}

TEST(FindTzidInDatabaseTest, VendorPrefixesAreStripped) {
  EXPECT_EQ(FindTzidInDatabase("/mozilla.org/20050126_1/Europe/London")->name(), "Europe/London");
  EXPECT_EQ(FindTzidInDatabase("/citadel.org/20190914_1/America/Chicago")->name(),
            "America/Chicago");
  EXPECT_EQ(FindTzidInDatabase("/freeassociation.sourceforge.net/Tzfile/Australia/Sydney")->name(),
            "Australia/Sydney");
  EXPECT_EQ(
      FindTzidInDatabase("/softwarestudio.org/Olson_20011030_5/America/Argentina/Cordoba")->name(),
      "America/Argentina/Cordoba");
}

TEST(FindTzidInDatabaseTest, UnknownNamesAreLeftToTheVtimezone) {
  EXPECT_FALSE(FindTzidInDatabase("Campus Time"));
  EXPECT_FALSE(FindTzidInDatabase("/example.org/London"));  // a bare city is not a zone
  EXPECT_FALSE(FindTzidInDatabase("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"));
  EXPECT_FALSE(FindTzidInDatabase("../../etc/passwd"));
  EXPECT_FALSE(FindTzidInDatabase(""));
}

VtimezoneObservance Observance(const char* onset, int from_minutes, int to_minutes,
                               const char* rule) {
  VtimezoneObservance o;
  o.onset = L(onset);
  o.offset_from = std::chrono::minutes{from_minutes};
  o.offset_to = std::chrono::minutes{to_minutes};
  if (rule) o.rule = ParseRecurrenceRule(rule)->rule;
  return o;
}

TEST(VtimezoneRulesTest, LondonFromItsVtimezoneMatchesTheTzDatabase) {
  auto rules = VtimezoneRules::Build(
      "London (as Outlook writes it)",
      {Observance("1601-03-25T01:00:00", 0, 60, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
       Observance("1601-10-28T02:00:00", 60, 0, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")},
      L("2200-01-01T00:00:00"));
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  const TimeZone london = *TimeZone::Find("Europe/London");
  // Every quarter hour of 2026, including the gap (29 March 01:00-02:00)
  // and the repeated hour (25 October 01:00-02:00).
  for (LocalTime t = L("2026-01-01T00:00:00"); t < L("2027-01-01T00:00:00");
       t += std::chrono::minutes{15}) {
    ASSERT_EQ(rules->ToInstant(t), london.ToInstant(t)) << FormatLocalDateTime(t);
    const Instant i = london.ToInstant(t);
    ASSERT_EQ(rules->ToLocal(i), london.ToLocal(i)) << FormatLocalDateTime(t);
  }
}

TEST(VtimezoneRulesTest, SydneyFromItsVtimezoneMatchesTheTzDatabase) {
  auto rules = VtimezoneRules::Build(
      "Sydney",
      {Observance("1970-04-05T03:00:00", 660, 600, "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"),
       Observance("1970-10-04T02:00:00", 600, 660, "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU")},
      L("2200-01-01T00:00:00"));
  ASSERT_TRUE(rules.ok());
  const TimeZone sydney = *TimeZone::Find("Australia/Sydney");
  for (LocalTime t = L("2025-01-01T00:00:00"); t < L("2027-01-01T00:00:00");
       t += std::chrono::minutes{30}) {
    ASSERT_EQ(rules->ToInstant(t), sydney.ToInstant(t)) << FormatLocalDateTime(t);
  }
}

TEST(VtimezoneRulesTest, AZoneNoDatabaseKnows) {
  // +03:17 in winter, +04:17 from the last Sunday of March at 02:00 to the
  // last Sunday of October at 03:00, until 2030; then +03:17 for good.
  VtimezoneObservance summer =
      Observance("2000-03-26T02:00:00", 197, 257, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU");
  summer.until = *ParseRfc3339("2030-12-31T00:00:00Z");
  VtimezoneObservance winter =
      Observance("2000-10-29T03:00:00", 257, 197, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
  auto rules =
      VtimezoneRules::Build("Observatory Time", {summer, winter}, L("2200-01-01T00:00:00"));
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(FormatRfc3339(rules->ToInstant(L("2026-01-15T12:00:00"))), "2026-01-15T08:43:00Z");
  EXPECT_EQ(FormatRfc3339(rules->ToInstant(L("2026-07-15T12:00:00"))), "2026-07-15T07:43:00Z");
  // 2026-03-29 02:30 does not exist: read with the offset before the gap.
  EXPECT_EQ(FormatRfc3339(rules->ToInstant(L("2026-03-29T02:30:00"))), "2026-03-28T23:13:00Z");
  // 2026-10-25 02:30 happens twice: the first one (summer time).
  EXPECT_EQ(FormatRfc3339(rules->ToInstant(L("2026-10-25T02:30:00"))), "2026-10-24T22:13:00Z");
  // After UNTIL no more summers.
  EXPECT_EQ(FormatRfc3339(rules->ToInstant(L("2035-07-15T12:00:00"))), "2035-07-15T08:43:00Z");
  EXPECT_EQ(rules->OffsetAt(*ParseRfc3339("2026-07-15T00:00:00Z")), std::chrono::minutes{257});
}

TEST(VtimezoneRulesTest, RejectsEmptyAndRunawayDefinitions) {
  EXPECT_EQ(VtimezoneRules::Build("Empty", {}, L("2200-01-01T00:00:00")).status().code(),
            StatusCode::kInvalidArgument);
  auto daily = VtimezoneRules::Build(
      "Daily", {Observance("1900-01-01T00:00:00", 0, 60, "FREQ=DAILY")}, L("2200-01-01T00:00:00"));
  EXPECT_EQ(daily.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(daily.status().message().find("Daily"), std::string::npos);
}

}  // namespace
}  // namespace prebell
