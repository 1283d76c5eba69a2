#include "policies/timetable/rrule.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

LocalTime Local(const char* s) { return *ParseLocalDateTime(s); }

// The message of a rule ParseRrule must refuse.
std::string Refusal(const char* text) {
  StatusOr<Rrule> r = ParseRrule(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(RruleTest, ParsesEveryPart) {
  StatusOr<Rrule> r = ParseRrule(
      "FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,-1FR,+2TU;BYMONTHDAY=1,-1;BYMONTH=1,12;BYHOUR=9;"
      "BYMINUTE=0,30;BYSECOND=0;BYSETPOS=1,-1;WKST=SU;COUNT=10");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frequency, RruleFrequency::kMonthly);
  EXPECT_EQ(r->interval, 2);
  EXPECT_EQ(r->count, 10);
  EXPECT_FALSE(r->until.has_value());
  ASSERT_EQ(r->by_day.size(), 3u);
  EXPECT_EQ(r->by_day[0].ordinal, 0);
  EXPECT_EQ(r->by_day[0].weekday, 1u);
  EXPECT_EQ(r->by_day[1].ordinal, -1);
  EXPECT_EQ(r->by_day[1].weekday, 5u);
  EXPECT_EQ(r->by_day[2].ordinal, 2);
  EXPECT_EQ(r->by_month_day, (std::vector<int>{1, -1}));
  EXPECT_EQ(r->by_set_pos, (std::vector<int>{1, -1}));
  EXPECT_EQ(r->week_start, 0u);
  // COUNT and UNTIL are the expander's; everything else goes to libical.
  EXPECT_EQ(r->text_without_end,
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,-1FR,+2TU;BYMONTHDAY=1,-1;BYMONTH=1,12;BYHOUR=9;"
            "BYMINUTE=0,30;BYSECOND=0;BYSETPOS=1,-1;WKST=SU");
}

TEST(RruleTest, UntilInItsThreeForms) {
  StatusOr<Rrule> utc = ParseRrule("FREQ=WEEKLY;UNTIL=20261216T000000Z;BYDAY=MO");
  ASSERT_TRUE(utc.ok());
  ASSERT_TRUE(utc->until.has_value());
  EXPECT_EQ(utc->until->form, RruleUntil::Form::kUtc);
  EXPECT_EQ(FormatRfc3339(utc->until->utc), "2026-12-16T00:00:00Z");
  EXPECT_EQ(utc->text_without_end, "FREQ=WEEKLY;BYDAY=MO");

  StatusOr<Rrule> local = ParseRrule("FREQ=DAILY;UNTIL=20261216T170000");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->until->form, RruleUntil::Form::kLocal);
  EXPECT_EQ(FormatLocalDateTime(local->until->local), "2026-12-16T17:00:00");

  StatusOr<Rrule> day = ParseRrule("FREQ=DAILY;UNTIL=20261216");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->until->form, RruleUntil::Form::kDate);
  EXPECT_EQ(FormatLocalDate(day->until->day), "2026-12-16");
}

TEST(RruleTest, RefusesMalformedText) {
  EXPECT_NE(Refusal("").find("empty"), std::string::npos);
  EXPECT_NE(Refusal("RRULE:FREQ=WEEKLY").find("RRULE:"), std::string::npos);
  EXPECT_NE(Refusal("BYDAY=MO").find("FREQ is missing"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;;BYDAY=MO").find("empty rule part"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;").find("empty rule part"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAY").find("NAME=VALUE"), std::string::npos);
  EXPECT_NE(Refusal("freq=weekly").find("upper case"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=FORTNIGHTLY").find("'FORTNIGHTLY' is not a frequency"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;FREQ=DAILY").find("FREQ is given more than once"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAYS=MO").find("'BYDAYS' is not a rule part"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;X-FOO=1").find("not a rule part"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;RSCALE=HEBREW").find("RFC 7529"), std::string::npos);
  EXPECT_NE(Refusal(std::string(600, 'A').c_str()).find("512"), std::string::npos);
}

TEST(RruleTest, RefusesBadValuesNamingThePart) {
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAY=XX").find("BYDAY: 'XX' is not a weekday"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAY=MO,").find("BYDAY: '' is not a weekday"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=MONTHLY;BYDAY=0MO").find("BYDAY: '0MO' has a bad ordinal"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;BYDAY=54MO").find("bad ordinal"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAY=MO,MO").find("listed twice"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;INTERVAL=0").find("INTERVAL: '0' is not a positive integer"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;INTERVAL=-2").find("INTERVAL"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;INTERVAL=40000").find("1..32767"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;COUNT=0").find("COUNT: '0'"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;COUNT=ten").find("COUNT: 'ten'"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=DAILY;BYHOUR=24").find("BYHOUR: 24 is out of range (expected 0..23)"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=DAILY;BYMINUTE=60").find("BYMINUTE: 60"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=DAILY;BYSECOND=60").find("leap second"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=MONTHLY;BYMONTHDAY=32").find("BYMONTHDAY: 32 is out of range"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=MONTHLY;BYMONTHDAY=0").find("BYMONTHDAY: 0"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;BYYEARDAY=367").find("BYYEARDAY"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;BYWEEKNO=54").find("BYWEEKNO"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;BYMONTH=13").find("BYMONTH: 13"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;BYMONTH=-1").find("BYMONTH: -1"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;WKST=XX").find("WKST: 'XX'"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;UNTIL=2026-12-16").find("UNTIL: '2026-12-16'"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;UNTIL=20261332T000000Z").find("no such date"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;UNTIL=20261216T250000Z").find("bad time of day"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;UNTIL=20261216T000000+0100").find("UNTIL"), std::string::npos);
}

TEST(RruleTest, RefusesPartsTheRfcForbidsForTheFrequency) {
  EXPECT_NE(Refusal("FREQ=WEEKLY;COUNT=3;UNTIL=20261216T000000Z").find("COUNT and UNTIL"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAY=1MO")
                .find("only allowed with FREQ=MONTHLY or "
                      "FREQ=YEARLY, not FREQ=WEEKLY"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=MONTHLY;BYDAY=6MO").find("at most 5"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO").find("BYWEEKNO"), std::string::npos);
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYMONTHDAY=1")
                .find("BYMONTHDAY is not allowed with "
                      "FREQ=WEEKLY"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=MONTHLY;BYYEARDAY=1").find("BYYEARDAY is not allowed with FREQ=MONTHLY"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=DAILY;BYWEEKNO=1").find("BYWEEKNO is only allowed with FREQ=YEARLY"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=MONTHLY;BYSETPOS=1").find("BYSETPOS needs another BYxxx"),
            std::string::npos);
}

TEST(RruleTest, RefusesBysetposThatCanNeverSelect) {
  // One candidate per week: the second never exists.
  EXPECT_NE(Refusal("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2")
                .find("BYSETPOS never selects an "
                      "occurrence: each WEEKLY period has "
                      "at most 1 candidate"),
            std::string::npos);
  EXPECT_NE(Refusal("FREQ=DAILY;BYHOUR=9,10;BYSETPOS=3,-3").find("at most 2 candidates"),
            std::string::npos);
  // One of the positions can be selected: fine.
  EXPECT_TRUE(ParseRrule("FREQ=DAILY;BYHOUR=9,10;BYSETPOS=3,-1").ok());
  EXPECT_TRUE(ParseRrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1").ok());
}

TEST(RruleTest, DaySatisfiability) {
  auto can = [](const char* rule, const char* start) {
    StatusOr<Rrule> r = ParseRrule(rule);
    EXPECT_TRUE(r.ok()) << rule << ": " << r.status().message();
    return r.ok() && RruleCanMatchSomeDay(*r, Local(start));
  };
  EXPECT_TRUE(can("FREQ=WEEKLY;BYDAY=MO", "2026-09-28T09:00:00"));
  EXPECT_TRUE(can("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2026-01-01T09:00:00"));
  EXPECT_TRUE(can("FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2", "2026-01-01T09:00:00"));
  EXPECT_TRUE(can("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", "2026-01-01T09:00:00"));
  EXPECT_TRUE(can("FREQ=MONTHLY;BYMONTHDAY=31", "2026-01-31T09:00:00"));
  EXPECT_FALSE(can("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01T09:00:00"));
  EXPECT_FALSE(can("FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31", "2026-01-01T09:00:00"));
  EXPECT_FALSE(can("FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1", "2026-01-01T09:00:00"));
  EXPECT_FALSE(can("FREQ=YEARLY;BYYEARDAY=100;BYMONTH=1", "2026-01-01T09:00:00"));
  // The day of month comes from the start when the rule names none.
  EXPECT_FALSE(can("FREQ=MONTHLY;BYMONTH=4", "2026-01-31T09:00:00"));
  EXPECT_TRUE(can("FREQ=MONTHLY;BYMONTH=4", "2026-01-30T09:00:00"));
  // INTERVAL decides which months a MONTHLY rule visits.
  EXPECT_FALSE(can("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", "2026-02-01T09:00:00"));
  EXPECT_FALSE(can("FREQ=MONTHLY;INTERVAL=2;BYMONTH=2", "2026-01-15T09:00:00"));
  EXPECT_TRUE(can("FREQ=MONTHLY;INTERVAL=2;BYMONTH=3", "2026-01-15T09:00:00"));
  // ... and which years a YEARLY one visits: never a leap year from 2025 in steps of 4.
  EXPECT_FALSE(can("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "2025-01-01T09:00:00"));
  EXPECT_TRUE(can("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "2024-01-01T09:00:00"));
}

}  // namespace
}  // namespace prebell
