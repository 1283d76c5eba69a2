// RRULE expansion, mostly against the worked examples of RFC 5545 3.8.5.3
// (local times; the zone is the import's business and tested elsewhere).
#include "policies/calendar/recurrence_rule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policies/calendar/rrule_text.h"

namespace prebell {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

LocalTime L(const std::string& text) {
  auto t = ParseLocalDateTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return *t;
}

// The recurrence set of `rule` from `dtstart` as RFC 5545 defines it:
// DTSTART first (always an instance), then what the rule generates, up to
// `limit` instances; a local or UTC UNTIL is compared as local time here.
std::vector<std::string> Set(const std::string& rule, const std::string& dtstart, size_t limit = 40,
                             RecurrenceLimits limits = {}) {
  auto parsed = ParseRecurrenceRule(rule);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  if (!parsed.ok()) return {};
  const LocalTime start = L(dtstart);
  std::vector<std::string> out{FormatLocalDateTime(start)};
  const RecurrenceUntil until = parsed->until;
  int64_t steps = 0;
  const Status st = ExpandRecurrenceRule(parsed->rule, start, limits, &steps, [&](LocalTime t) {
    if (until.kind == RecurrenceUntil::Kind::kUtc && t > LocalTime{until.utc.time_since_epoch()}) {
      return false;
    }
    if (until.kind == RecurrenceUntil::Kind::kLocal && t > until.local) return false;
    if (until.kind == RecurrenceUntil::Kind::kDate && date::floor<date::days>(t) > until.day) {
      return false;
    }
    if (t != start) out.push_back(FormatLocalDateTime(t));
    return out.size() < limit;
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

std::vector<std::string> Days(const std::vector<std::string>& times) {
  std::vector<std::string> out;
  for (const auto& t : times) out.push_back(t.substr(0, 10));
  return out;
}

TEST(RecurrenceRuleTest, DailyForTenOccurrences) {
  EXPECT_THAT(Days(Set("FREQ=DAILY;COUNT=10", "1997-09-02T09:00:00")),
              ElementsAre("1997-09-02", "1997-09-03", "1997-09-04", "1997-09-05", "1997-09-06",
                          "1997-09-07", "1997-09-08", "1997-09-09", "1997-09-10", "1997-09-11"));
}

TEST(RecurrenceRuleTest, EveryTenDaysFiveOccurrences) {
  EXPECT_THAT(Days(Set("FREQ=DAILY;INTERVAL=10;COUNT=5", "1997-09-02T09:00:00")),
              ElementsAre("1997-09-02", "1997-09-12", "1997-09-22", "1997-10-02", "1997-10-12"));
}

TEST(RecurrenceRuleTest, EveryDayInJanuaryForThreeYears) {
  const auto set = Set("FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
                       "1998-01-01T09:00:00", 1000);
  ASSERT_EQ(set.size(), 93u);
  EXPECT_EQ(set[30], "1998-01-31T09:00:00");
  EXPECT_EQ(set[31], "1999-01-01T09:00:00");
  EXPECT_EQ(set.back(), "2000-01-31T09:00:00");
}

TEST(RecurrenceRuleTest, WeeklyOnTuesdayAndThursdayForFiveWeeks) {
  EXPECT_THAT(Days(Set("FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", "1997-09-02T09:00:00")),
              ElementsAre("1997-09-02", "1997-09-04", "1997-09-09", "1997-09-11", "1997-09-16",
                          "1997-09-18", "1997-09-23", "1997-09-25", "1997-09-30", "1997-10-02"));
}

TEST(RecurrenceRuleTest, EveryOtherWeekOnMondayWednesdayFridayUntilDecember24) {
  const auto set = Set("FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
                       "1997-09-01T09:00:00", 100);
  ASSERT_EQ(set.size(), 25u);
  EXPECT_THAT(std::vector<std::string>(set.begin(), set.begin() + 8),
              ElementsAre("1997-09-01T09:00:00", "1997-09-03T09:00:00", "1997-09-05T09:00:00",
                          "1997-09-15T09:00:00", "1997-09-17T09:00:00", "1997-09-19T09:00:00",
                          "1997-09-29T09:00:00", "1997-10-01T09:00:00"));
  EXPECT_EQ(set.back(), "1997-12-22T09:00:00");
}

TEST(RecurrenceRuleTest, WeekStartChangesWhichWeeksAnIntervalPicks) {
  EXPECT_THAT(
      Days(Set("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", "1997-08-05T09:00:00")),
      ElementsAre("1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"));
  EXPECT_THAT(
      Days(Set("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", "1997-08-05T09:00:00")),
      ElementsAre("1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"));
}

TEST(RecurrenceRuleTest, MonthlyOnTheFirstFriday) {
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;COUNT=10;BYDAY=1FR", "1997-09-05T09:00:00")),
              ElementsAre("1997-09-05", "1997-10-03", "1997-11-07", "1997-12-05", "1998-01-02",
                          "1998-02-06", "1998-03-06", "1998-04-03", "1998-05-01", "1998-06-05"));
}

TEST(RecurrenceRuleTest, EveryOtherMonthOnFirstAndLastSunday) {
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", "1997-09-07T09:00:00")),
              ElementsAre("1997-09-07", "1997-09-28", "1997-11-02", "1997-11-30", "1998-01-04",
                          "1998-01-25", "1998-03-01", "1998-03-29", "1998-05-03", "1998-05-31"));
}

TEST(RecurrenceRuleTest, MonthlyOnTheSecondToLastMonday) {
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", "1997-09-22T09:00:00")),
              ElementsAre("1997-09-22", "1997-10-20", "1997-11-17", "1997-12-22", "1998-01-19",
                          "1998-02-16"));
}

TEST(RecurrenceRuleTest, MonthlyOnTheThirdToLastDay) {
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;BYMONTHDAY=-3", "1997-09-28T09:00:00", 6)),
              ElementsAre("1997-09-28", "1997-10-29", "1997-11-28", "1997-12-29", "1998-01-29",
                          "1998-02-26"));
}

TEST(RecurrenceRuleTest, InvalidDatesAreSkippedAndNotCounted) {
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", "2007-01-15T09:00:00")),
              ElementsAre("2007-01-15", "2007-01-30", "2007-02-15", "2007-03-15", "2007-03-30"));
  // DTSTART on the 31st: only months with 31 days.
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;COUNT=4", "2026-01-31T09:00:00")),
              ElementsAre("2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31"));
}

TEST(RecurrenceRuleTest, EveryThirdYearOnDays1And100And200) {
  EXPECT_THAT(
      Days(Set("FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", "1997-01-01T09:00:00")),
      ElementsAre("1997-01-01", "1997-04-10", "1997-07-19", "2000-01-01", "2000-04-09",
                  "2000-07-18", "2003-01-01", "2003-04-10", "2003-07-19", "2006-01-01"));
}

TEST(RecurrenceRuleTest, TwentiethMondayOfTheYear) {
  EXPECT_THAT(Days(Set("FREQ=YEARLY;BYDAY=20MO", "1997-05-19T09:00:00", 3)),
              ElementsAre("1997-05-19", "1998-05-18", "1999-05-17"));
}

TEST(RecurrenceRuleTest, MondayOfWeekTwenty) {
  EXPECT_THAT(Days(Set("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "1997-05-12T09:00:00", 3)),
              ElementsAre("1997-05-12", "1998-05-11", "1999-05-17"));
}

TEST(RecurrenceRuleTest, WeekNumbersFollowWeekStart) {
  // With WKST=SA, week 52 of 2025 runs from Sat 2025-12-27 to Fri 2026-01-02
  // (week 1 of 2026 starts Sat 2026-01-03, the week holding January 4th).
  EXPECT_THAT(
      Days(Set("FREQ=YEARLY;BYWEEKNO=52;BYDAY=MO,FR;WKST=SA;COUNT=4", "2025-12-29T09:00:00")),
      ElementsAre("2025-12-29", "2026-01-02", "2026-12-28", "2027-01-01"));
}

TEST(RecurrenceRuleTest, EveryThursdayInMarch) {
  EXPECT_THAT(Days(Set("FREQ=YEARLY;BYMONTH=3;BYDAY=TH", "1997-03-13T09:00:00", 8)),
              ElementsAre("1997-03-13", "1997-03-20", "1997-03-27", "1998-03-05", "1998-03-12",
                          "1998-03-19", "1998-03-26", "1999-03-04"));
}

TEST(RecurrenceRuleTest, FridayThe13th) {
  auto set = Set("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "1997-09-02T09:00:00", 6);
  set.erase(set.begin());  // RFC's example EXDATEs the DTSTART
  EXPECT_THAT(Days(set),
              ElementsAre("1998-02-13", "1998-03-13", "1998-11-13", "1999-08-13", "2000-10-13"));
}

TEST(RecurrenceRuleTest, FirstSaturdayAfterTheFirstSunday) {
  EXPECT_THAT(
      Days(Set("FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", "1997-09-13T09:00:00", 5)),
      ElementsAre("1997-09-13", "1997-10-11", "1997-11-08", "1997-12-13", "1998-01-10"));
}

TEST(RecurrenceRuleTest, PresidentialElectionDay) {
  EXPECT_THAT(Days(Set("FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
                       "1996-11-05T09:00:00", 3)),
              ElementsAre("1996-11-05", "2000-11-07", "2004-11-02"));
}

TEST(RecurrenceRuleTest, SetPositionPicksWithinEachPeriod) {
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", "1997-09-04T09:00:00")),
              ElementsAre("1997-09-04", "1997-10-07", "1997-11-06"));
  EXPECT_THAT(Days(Set("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", "1997-09-29T09:00:00", 7)),
              ElementsAre("1997-09-29", "1997-10-30", "1997-11-27", "1997-12-30", "1998-01-29",
                          "1998-02-26", "1998-03-30"));
}

TEST(RecurrenceRuleTest, SubDailyFrequencies) {
  EXPECT_THAT(Set("FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z", "1997-09-02T09:00:00"),
              ElementsAre("1997-09-02T09:00:00", "1997-09-02T12:00:00", "1997-09-02T15:00:00"));
  EXPECT_THAT(Set("FREQ=MINUTELY;INTERVAL=15;COUNT=6", "1997-09-02T09:00:00"),
              ElementsAre("1997-09-02T09:00:00", "1997-09-02T09:15:00", "1997-09-02T09:30:00",
                          "1997-09-02T09:45:00", "1997-09-02T10:00:00", "1997-09-02T10:15:00"));
  EXPECT_THAT(Set("FREQ=MINUTELY;INTERVAL=90;COUNT=4", "1997-09-02T09:00:00"),
              ElementsAre("1997-09-02T09:00:00", "1997-09-02T10:30:00", "1997-09-02T12:00:00",
                          "1997-09-02T13:30:00"));
  EXPECT_THAT(Set("FREQ=SECONDLY;INTERVAL=20;COUNT=4;BYSECOND=0,20", "2026-01-01T09:00:00"),
              ElementsAre("2026-01-01T09:00:00", "2026-01-01T09:00:20", "2026-01-01T09:01:00",
                          "2026-01-01T09:01:20"));
}

TEST(RecurrenceRuleTest, EveryTwentyMinutesFromNineToFourFortyTwoWays) {
  const auto daily =
      Set("FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", "1997-09-02T09:00:00", 30);
  const auto minutely =
      Set("FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", "1997-09-02T09:00:00", 30);
  EXPECT_EQ(daily, minutely);
  EXPECT_EQ(daily[23], "1997-09-02T16:40:00");
  EXPECT_EQ(daily[24], "1997-09-03T09:00:00");
}

TEST(RecurrenceRuleTest, DtstartCountsTowardsCountEvenWhenTheRuleSkipsIt) {
  // 2026-01-05 is a Monday; the rule only makes Tuesdays.
  EXPECT_THAT(Days(Set("FREQ=WEEKLY;BYDAY=TU;COUNT=3", "2026-01-05T09:00:00")),
              ElementsAre("2026-01-05", "2026-01-06", "2026-01-13"));
}

TEST(RecurrenceRuleTest, SkippingToTheWindowGivesTheSameInstances) {
  for (const char* rule :
       {"FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU",
        "FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR", "FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=HOURLY;INTERVAL=7;BYDAY=SA,SU", "FREQ=MINUTELY;INTERVAL=97",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1"}) {
    const LocalTime from = L("2031-03-14T05:00:00");
    RecurrenceLimits far;
    far.not_after = L("2033-06-01T00:00:00");
    RecurrenceLimits near = far;
    near.not_before = from;
    std::vector<std::string> all = Set(rule, "2020-02-29T10:30:00", 100'000, far);
    std::erase_if(all, [&](const std::string& t) { return L(t) < from; });
    std::vector<std::string> skipped = Set(rule, "2020-02-29T10:30:00", 100'000, near);
    std::erase_if(skipped, [&](const std::string& t) { return L(t) < from; });
    EXPECT_EQ(all, skipped) << rule;
    EXPECT_FALSE(all.empty()) << rule;
  }
}

TEST(RecurrenceRuleTest, NeverMatchingSetPositionEndsAtTheWindow) {
  auto parsed = ParseRecurrenceRule("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6");
  ASSERT_TRUE(parsed.ok());
  RecurrenceLimits limits;
  limits.not_after = L("2030-01-01T00:00:00");
  int64_t steps = 0;
  int visited = 0;
  ASSERT_TRUE(
      ExpandRecurrenceRule(parsed->rule, L("2026-01-05T09:00:00"), limits, &steps, [&](LocalTime) {
        return ++visited, true;
      }).ok());
  EXPECT_EQ(visited, 0);
  EXPECT_LT(steps, 100);
}

TEST(RecurrenceRuleTest, BudgetStopsPathologicalRules) {
  auto secondly = ParseRecurrenceRule("FREQ=SECONDLY");
  ASSERT_TRUE(secondly.ok());
  RecurrenceLimits limits;
  limits.not_after = L("2027-01-01T00:00:00");  // a year of seconds: 31.5 million
  limits.max_steps = 1'000'000;
  int64_t steps = 0;
  Status st = ExpandRecurrenceRule(secondly->rule, L("2026-01-01T00:00:00"), limits, &steps,
                                   [](LocalTime) { return true; });
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(st.message(), HasSubstr("FREQ=SECONDLY"));

  // A BYSETPOS that never matches over a millennium: periods cost steps too.
  auto never = ParseRecurrenceRule("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6");
  ASSERT_TRUE(never.ok());
  limits.not_after = LocalTime::max();
  limits.max_steps = 1'000;
  steps = 0;
  st = ExpandRecurrenceRule(never->rule, L("2026-01-05T09:00:00"), limits, &steps,
                            [](LocalTime) { return true; });
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(st.message(), HasSubstr("BYSETPOS=6"));
}

TEST(RecurrenceRuleTest, SubDailyRulesSkipDaysThatCannotMatch) {
  // Every minute of 29 February: the days in between are skipped a day at a
  // time, not a minute at a time.
  auto parsed = ParseRecurrenceRule("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0");
  ASSERT_TRUE(parsed.ok());
  RecurrenceLimits limits;
  limits.not_after = L("2033-01-01T00:00:00");
  limits.max_steps = 100'000;
  int64_t steps = 0;
  std::vector<std::string> got;
  ASSERT_TRUE(ExpandRecurrenceRule(parsed->rule, L("2025-01-01T00:00:00"), limits, &steps,
                                   [&](LocalTime t) {
                                     got.push_back(FormatLocalDateTime(t));
                                     return true;
                                   })
                  .ok());
  EXPECT_THAT(got, ElementsAre("2028-02-29T09:00:00", "2032-02-29T09:00:00"));
}

TEST(RecurrenceRuleTest, RuleTextErrorsNameThePart) {
  auto bad = ParseRecurrenceRule("FREQ=WEEKLY;BYDAY=MO,XX");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'BYDAY=MO,XX'"));
  EXPECT_THAT(ParseRecurrenceRule("BYDAY=MO").status().message(), HasSubstr("FREQ"));
  EXPECT_THAT(ParseRecurrenceRule("FREQ=FORTNIGHTLY").status().message(), HasSubstr("FREQ"));
  EXPECT_THAT(ParseRecurrenceRule("FREQ=DAILY;COUNT=2;UNTIL=20260101").status().message(),
              HasSubstr("COUNT and UNTIL"));
}

TEST(RecurrenceRuleTest, WhatRfc5545ForbidsIsRejected) {
  for (const auto& [rule, why] : std::vector<std::pair<std::string, std::string>>{
           {"FREQ=WEEKLY;BYDAY=1MO", "numbered weekday"},
           {"FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY"},
           {"FREQ=MONTHLY;BYWEEKNO=2", "BYWEEKNO"},
           {"FREQ=MONTHLY;BYYEARDAY=2", "BYYEARDAY"},
           {"FREQ=YEARLY;BYWEEKNO=2;BYDAY=1MO", "BYWEEKNO"},
           {"FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS"},
       }) {
    auto parsed = ParseRecurrenceRule(rule);
    ASSERT_FALSE(parsed.ok()) << rule;
    EXPECT_THAT(parsed.status().message(), HasSubstr(why)) << rule;
  }
}

TEST(RecurrenceRuleTest, UntilKeepsItsForm) {
  auto utc = ParseRecurrenceRule("FREQ=DAILY;UNTIL=20261216T000000Z");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(utc->until.kind, RecurrenceUntil::Kind::kUtc);
  EXPECT_EQ(FormatRfc3339(utc->until.utc), "2026-12-16T00:00:00Z");
  auto local = ParseRecurrenceRule("FREQ=DAILY;UNTIL=20261216T083000");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->until.kind, RecurrenceUntil::Kind::kLocal);
  EXPECT_EQ(FormatLocalDateTime(local->until.local), "2026-12-16T08:30:00");
  auto day = ParseRecurrenceRule("FREQ=DAILY;UNTIL=20261216");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->until.kind, RecurrenceUntil::Kind::kDate);
  EXPECT_EQ(FormatLocalDate(day->until.day), "2026-12-16");
}

TEST(RecurrenceRuleTest, FormatsBackToRuleText) {
  auto parsed = ParseRecurrenceRule(
      "FREQ=MONTHLY;INTERVAL=2;BYDAY=2MO,-1FR;BYSETPOS=1;WKST=SU");  // libical orders BYDAY by WKST
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(
      FormatRecurrenceRule(parsed->rule),
      "FREQ=MONTHLY;INTERVAL=2;BYDAY=2MO,-1FR;BYSETPOS=1;WKST=SU");  // libical orders BYDAY by WKST
}

}  // namespace
}  // namespace prebell
