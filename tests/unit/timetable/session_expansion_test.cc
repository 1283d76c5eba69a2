#include "policies/timetable/session_expansion.h"

#include <gtest/gtest.h>

#include <random>

namespace prebell {
namespace {

LocalTime Local(const std::string& s) {
  StatusOr<LocalTime> t = ParseLocalDateTime(s);
  EXPECT_TRUE(t.ok()) << s;
  return t.ok() ? *t : LocalTime{};
}

Session MakeSession(const std::string& start, const std::string& rule) {
  Session s;
  s.name = "s";
  s.start = Local(start);
  s.duration = std::chrono::minutes(50);
  s.recurrence = rule;
  return s;
}

struct Expansion {
  Status status;
  std::vector<std::string> starts;  // local, formatted
};

Expansion Expand(const std::string& rule, const std::string& start, const std::string& lo,
                 const std::string& hi, ExpansionEngine engine = ExpansionEngine::kAuto,
                 const char* zone = "UTC", LocalExpansionLimits limits = {}) {
  Expansion e;
  StatusOr<Rrule> r = ParseRrule(rule);
  if (!r.ok()) {
    e.status = r.status();
    return e;
  }
  const Session s = MakeSession(start, rule);
  PeriodicPatternCache cache;
  std::vector<LocalTime> out;
  e.status = ExpandLocalStarts(s, &*r, *TimeZone::Find(zone), Local(lo), Local(hi), limits, &cache,
                               &out, engine);
  for (LocalTime t : out) e.starts.push_back(FormatLocalDateTime(t));
  return e;
}

std::vector<std::string> Starts(const std::string& rule, const std::string& start,
                                const std::string& lo = "1990-01-01T00:00:00",
                                const std::string& hi = "2040-01-01T00:00:00",
                                const char* zone = "UTC") {
  Expansion auto_path = Expand(rule, start, lo, hi, ExpansionEngine::kAuto, zone);
  Expansion libical = Expand(rule, start, lo, hi, ExpansionEngine::kLibicalOnly, zone);
  EXPECT_TRUE(auto_path.status.ok()) << rule << ": " << auto_path.status.message();
  EXPECT_TRUE(libical.status.ok()) << rule << ": " << libical.status.message();
  EXPECT_EQ(auto_path.starts, libical.starts) << rule << " from " << start;
  return auto_path.starts;
}

// RFC 5545 section 3.8.5.3 examples (DTSTART 1997-09-02 09:00, a Tuesday).
TEST(SessionExpansionTest, Rfc5545Examples) {
  const std::string dtstart = "1997-09-02T09:00:00";
  EXPECT_EQ(Starts("FREQ=DAILY;COUNT=3", dtstart),
            (std::vector<std::string>{"1997-09-02T09:00:00", "1997-09-03T09:00:00",
                                      "1997-09-04T09:00:00"}));
  EXPECT_EQ(Starts("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", "1997-08-05T09:00:00"),
            (std::vector<std::string>{"1997-08-05T09:00:00", "1997-08-10T09:00:00",
                                      "1997-08-19T09:00:00", "1997-08-24T09:00:00"}));
  // WKST changes which days share a week when INTERVAL > 1.
  EXPECT_EQ(Starts("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", "1997-08-05T09:00:00"),
            (std::vector<std::string>{"1997-08-05T09:00:00", "1997-08-17T09:00:00",
                                      "1997-08-19T09:00:00", "1997-08-31T09:00:00"}));
  EXPECT_EQ(Starts("FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", dtstart),
            (std::vector<std::string>{"1997-09-22T09:00:00", "1997-10-20T09:00:00",
                                      "1997-11-17T09:00:00", "1997-12-22T09:00:00",
                                      "1998-01-19T09:00:00", "1998-02-16T09:00:00"}));
  EXPECT_EQ(Starts("FREQ=MONTHLY;BYMONTHDAY=-3;COUNT=3", dtstart),
            (std::vector<std::string>{"1997-09-28T09:00:00", "1997-10-29T09:00:00",
                                      "1997-11-28T09:00:00"}));
  // The last work day of the month.
  EXPECT_EQ(Starts("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3", dtstart),
            (std::vector<std::string>{"1997-09-30T09:00:00", "1997-10-31T09:00:00",
                                      "1997-11-28T09:00:00"}));
  // Every Friday the 13th.
  EXPECT_EQ(Starts("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3", dtstart),
            (std::vector<std::string>{"1998-02-13T09:00:00", "1998-03-13T09:00:00",
                                      "1998-11-13T09:00:00"}));
  // US Thanksgiving: the fourth Thursday of November.
  EXPECT_EQ(Starts("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3", "2026-01-01T12:00:00"),
            (std::vector<std::string>{"2026-11-26T12:00:00", "2027-11-25T12:00:00",
                                      "2028-11-23T12:00:00"}));
  EXPECT_EQ(Starts("FREQ=DAILY;INTERVAL=10;COUNT=3", dtstart),
            (std::vector<std::string>{"1997-09-02T09:00:00", "1997-09-12T09:00:00",
                                      "1997-09-22T09:00:00"}));
  const std::string day_lo = "1997-09-01T00:00:00", day_hi = "1997-09-03T00:00:00";
  EXPECT_EQ(Starts("FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000", dtstart, day_lo, day_hi),
            (std::vector<std::string>{"1997-09-02T09:00:00", "1997-09-02T12:00:00",
                                      "1997-09-02T15:00:00"}));
  EXPECT_EQ(Starts("FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10;COUNT=4", dtstart, day_lo, day_hi),
            (std::vector<std::string>{"1997-09-02T09:00:00", "1997-09-02T09:20:00",
                                      "1997-09-02T09:40:00", "1997-09-02T10:00:00"}));
}

TEST(SessionExpansionTest, StartNotMatchingTheRuleIsNotAnOccurrence) {
  // 2026-09-28 is a Monday; libical (like python-dateutil) yields only what
  // the rule generates.
  EXPECT_EQ(Starts("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=3", "2026-09-28T09:00:00"),
            (std::vector<std::string>{"2026-09-29T09:00:00", "2026-10-01T09:00:00",
                                      "2026-10-06T09:00:00"}));
}

TEST(SessionExpansionTest, UntilInUtcIsComparedAsAnInstant) {
  // Monday classes at 20:00 in Chicago. 2026-10-26 20:00 CDT is 01:00Z on the
  // 27th, after UNTIL 00:30Z; read as a wall-clock time UNTIL would let it in.
  EXPECT_EQ(Starts("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261027T003000Z", "2026-10-12T20:00:00",
                   "2026-01-01T00:00:00", "2027-01-01T00:00:00", "America/Chicago"),
            (std::vector<std::string>{"2026-10-12T20:00:00", "2026-10-19T20:00:00"}));
  EXPECT_EQ(Starts("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261027T010000Z", "2026-10-12T20:00:00",
                   "2026-01-01T00:00:00", "2027-01-01T00:00:00", "America/Chicago"),
            (std::vector<std::string>{"2026-10-12T20:00:00", "2026-10-19T20:00:00",
                                      "2026-10-26T20:00:00"}));
  // East of Greenwich the other way round: 09:00 in Sydney (UTC+11) is 22:00Z
  // the day before, so UNTIL 2026-11-02T00:00Z still admits Monday 2 Nov.
  EXPECT_EQ(Starts("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261102T000000Z", "2026-10-19T09:00:00",
                   "2026-01-01T00:00:00", "2027-01-01T00:00:00", "Australia/Sydney"),
            (std::vector<std::string>{"2026-10-19T09:00:00", "2026-10-26T09:00:00",
                                      "2026-11-02T09:00:00"}));
}

TEST(SessionExpansionTest, UntilAsLocalTimeAndAsDate) {
  EXPECT_EQ(Starts("FREQ=DAILY;UNTIL=20261003T090000", "2026-10-01T09:00:00"),
            (std::vector<std::string>{"2026-10-01T09:00:00", "2026-10-02T09:00:00",
                                      "2026-10-03T09:00:00"}));
  EXPECT_EQ(Starts("FREQ=DAILY;UNTIL=20261003T085959", "2026-10-01T09:00:00"),
            (std::vector<std::string>{"2026-10-01T09:00:00", "2026-10-02T09:00:00"}));
  // A date UNTIL is the last local day: the 19:00 class on that day counts.
  EXPECT_EQ(Starts("FREQ=DAILY;UNTIL=20261003", "2026-10-01T19:00:00"),
            (std::vector<std::string>{"2026-10-01T19:00:00", "2026-10-02T19:00:00",
                                      "2026-10-03T19:00:00"}));
}

TEST(SessionExpansionTest, CountCountsFromStartWhateverTheWindow) {
  // Ten weekly sittings from 5 January; the window sees only the last three.
  EXPECT_EQ(Starts("FREQ=WEEKLY;COUNT=10", "2026-01-05T09:00:00", "2026-02-23T00:00:00",
                   "2026-12-31T00:00:00"),
            (std::vector<std::string>{"2026-02-23T09:00:00", "2026-03-02T09:00:00",
                                      "2026-03-09T09:00:00"}));
  EXPECT_TRUE(Starts("FREQ=WEEKLY;COUNT=10", "2026-01-05T09:00:00", "2026-03-10T00:00:00",
                     "2026-12-31T00:00:00")
                  .empty());
}

TEST(SessionExpansionTest, WindowFarFromStart) {
  // A rule from 2001 without an end, asked about one week in 2026.
  EXPECT_EQ(Starts("FREQ=WEEKLY;BYDAY=MO,WE,FR", "2001-01-01T09:00:00", "2026-11-23T00:00:00",
                   "2026-11-29T23:59:59"),
            (std::vector<std::string>{"2026-11-23T09:00:00", "2026-11-25T09:00:00",
                                      "2026-11-27T09:00:00"}));
  EXPECT_EQ(Starts("FREQ=MONTHLY;BYDAY=-1FR", "2001-01-01T09:00:00", "2026-11-01T00:00:00",
                   "2026-12-31T23:59:59"),
            (std::vector<std::string>{"2026-11-27T09:00:00", "2026-12-25T09:00:00"}));
  EXPECT_EQ(Starts("FREQ=HOURLY;INTERVAL=5", "2026-01-01T00:00:00", "2026-11-23T00:00:00",
                   "2026-11-23T12:00:00"),
            (std::vector<std::string>{"2026-11-23T01:00:00", "2026-11-23T06:00:00",
                                      "2026-11-23T11:00:00"}));
}

// Random rules: the periodic arithmetic must give what libical gives.
TEST(SessionExpansionTest, PeriodicPathAgreesWithLibical) {
  std::mt19937 rng(20261123);
  const char* days[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
  const char* freqs[] = {"WEEKLY", "WEEKLY", "WEEKLY", "DAILY", "DAILY", "HOURLY", "MINUTELY"};
  int compared = 0;
  for (int n = 0; n < 300; ++n) {
    const std::string freq = freqs[rng() % std::size(freqs)];
    std::string rule = "FREQ=" + freq;
    if (rng() % 2) rule += ";INTERVAL=" + std::to_string(1 + rng() % 3);
    if (freq != "MINUTELY" && rng() % 3 != 0) {
      rule += ";BYDAY=";
      const int k = 1 + static_cast<int>(rng() % 3);
      std::vector<bool> used(7);
      for (int i = 0, added = 0; added < k && i < 20; ++i) {
        const size_t d = rng() % 7;
        if (used[d]) continue;
        used[d] = true;
        rule += std::string(added++ ? "," : "") + days[d];
      }
    }
    if (freq == "DAILY" && rng() % 3 == 0) rule += ";BYHOUR=9,14";
    if (freq == "MINUTELY") rule += ";BYHOUR=9";
    if (freq == "WEEKLY" && rng() % 4 == 0) rule += ";BYHOUR=8,17;BYSETPOS=-1";
    if (rng() % 3 == 0) rule += ";WKST=SU";
    const int end = static_cast<int>(rng() % 3);
    if (end == 1) rule += ";COUNT=" + std::to_string(1 + rng() % 40);
    if (end == 2) rule += ";UNTIL=20270315T120000Z";
    // Minutely rules start near their window: libical walks every minute.
    const int month = freq == "MINUTELY" ? 6 : 1 + static_cast<int>(rng() % 12);
    const int day = 1 + static_cast<int>(rng() % (freq == "MINUTELY" ? 3 : 28));
    char start[32];
    std::snprintf(start, sizeof start, "2026-%02d-%02dT%02d:%02d:00", month, day,
                  static_cast<int>(rng() % 24), static_cast<int>(rng() % 4) * 15);
    // Both London DST changes (2026-10-25, 2027-03-28) inside the window.
    const std::string lo = freq == "MINUTELY" ? "2026-06-03T00:00:00" : "2026-09-01T00:00:00";
    const std::string hi = freq == "MINUTELY" ? "2026-06-06T00:00:00" : "2027-04-30T00:00:00";
    Starts(rule, start, lo, hi, "Europe/London");
    ++compared;
    if (HasFailure()) {
      ADD_FAILURE() << "rule " << rule << " start " << start;
      break;
    }
  }
  EXPECT_EQ(compared, 300);
}

TEST(SessionExpansionTest, BudgetStopsPathologicalRules) {
  LocalExpansionLimits limits;
  limits.max_results = 100'000;
  limits.max_libical_candidates = 100'000;
  // A second-by-second rule over a century: stopped by the result limit.
  Expansion a = Expand("FREQ=SECONDLY", "2026-01-01T00:00:00", "2026-01-01T00:00:00",
                       "2126-01-01T00:00:00", ExpansionEngine::kAuto, "UTC", limits);
  EXPECT_EQ(a.status.code(), StatusCode::kResourceExhausted) << a.status.message();
  EXPECT_NE(a.status.message().find("more than 100000 occurrences"), std::string::npos);
  // Filters libical would have to test every second against: refused from
  // the estimate, before libical runs.
  Expansion b = Expand("FREQ=SECONDLY;BYMONTH=12", "2026-01-01T00:00:00", "2026-01-01T00:00:00",
                       "2126-01-01T00:00:00", ExpansionEngine::kAuto, "UTC", limits);
  EXPECT_EQ(b.status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(b.status.message().find("FREQ=SECONDLY;BYMONTH=12"), std::string::npos)
      << b.status.message();
  EXPECT_NE(b.status.message().find("candidate times"), std::string::npos);
  Expansion c =
      Expand("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29", "2026-03-01T00:00:00", "2026-03-01T00:00:00",
             "2030-01-01T00:00:00", ExpansionEngine::kLibicalOnly, "UTC", limits);
  EXPECT_EQ(c.status.code(), StatusCode::kResourceExhausted);
  // The same libical-only rule over a short window is fine.
  Expansion d =
      Expand("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29", "2028-02-28T23:00:00", "2028-02-29T00:00:00",
             "2028-02-29T00:05:00", ExpansionEngine::kLibicalOnly, "UTC", limits);
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.starts.size(), 6u);
}

TEST(SessionExpansionTest, RulesThatNeverMatchEndWithoutSpinning) {
  // libical 3.0.16 would search until the year 2582 for these.
  EXPECT_TRUE(Starts("FREQ=MONTHLY;BYMONTH=4", "2026-01-31T09:00:00").empty());
  EXPECT_TRUE(Starts("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31", "2026-02-01T09:00:00").empty());
  EXPECT_TRUE(Starts("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "2026-09-28T09:00:00").empty());
}

Status Check(const std::string& rule, const std::string& start, const char* zone = "UTC") {
  StatusOr<Rrule> r = ParseRrule(rule);
  if (!r.ok()) return r.status();
  return CheckSessionRecurrence(MakeSession(start, rule), *r, *TimeZone::Find(zone));
}

TEST(SessionExpansionTest, CheckFindsRulesWithoutOccurrences) {
  EXPECT_TRUE(Check("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261216T000000Z", "2026-09-28T09:00:00").ok());
  EXPECT_TRUE(Check("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2028-02-29T09:00:00").ok());

  Status until = Check("FREQ=WEEKLY;UNTIL=20250101T000000Z", "2026-09-28T09:00:00");
  EXPECT_NE(until.message().find("UNTIL 2025-01-01T00:00:00Z is before the session's start "
                                 "2026-09-28T09:00:00"),
            std::string::npos)
      << until.message();
  // Before the start as an instant, though not as a wall-clock reading.
  EXPECT_FALSE(
      Check("FREQ=WEEKLY;UNTIL=20260928T130000Z", "2026-09-28T09:00:00", "America/Chicago").ok());
  EXPECT_TRUE(
      Check("FREQ=WEEKLY;UNTIL=20260928T140000Z", "2026-09-28T09:00:00", "America/Chicago").ok());

  Status feb30 = Check("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01T09:00:00");
  EXPECT_NE(feb30.message().find("never produces an occurrence"), std::string::npos)
      << feb30.message();
  EXPECT_FALSE(Check("FREQ=MONTHLY;BYMONTH=4", "2026-01-31T09:00:00").ok());
  Status interval = Check("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "2026-09-28T09:00:00");
  EXPECT_NE(interval.message().find("never produces an occurrence"), std::string::npos)
      << interval.message();
  // Tuesday and Thursday classes whose UNTIL falls on the Monday of the start.
  Status none = Check("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20260928T235959Z", "2026-09-28T09:00:00");
  EXPECT_NE(none.message().find("after UNTIL"), std::string::npos) << none.message();
  // A start the rule does not produce: undefined in RFC 5545, refused.
  Status sync = Check("FREQ=WEEKLY;BYDAY=TU,TH", "2026-09-28T09:00:00");
  EXPECT_NE(sync.message().find("start 2026-09-28T09:00:00 (Monday) is not an occurrence of "
                                "the rule, whose first occurrence is 2026-09-29T09:00:00 "
                                "(Tuesday)"),
            std::string::npos)
      << sync.message();
  EXPECT_FALSE(Check("FREQ=MONTHLY;BYDAY=-1FR", "2026-10-01T16:00:00").ok());
  EXPECT_TRUE(Check("FREQ=MONTHLY;BYDAY=-1FR", "2026-10-30T16:00:00").ok());
  Status setpos = Check("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "2026-01-05T09:00:00");
  EXPECT_EQ(setpos.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(setpos.message().find("BYSETPOS never selects an occurrence"), std::string::npos)
      << setpos.message();
  EXPECT_TRUE(Check("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5", "2026-03-30T09:00:00").ok());
  EXPECT_TRUE(Check("FREQ=YEARLY;BYMONTH=2;BYDAY=MO;BYSETPOS=5", "2044-02-29T09:00:00").ok());
  EXPECT_FALSE(Check("FREQ=YEARLY;BYMONTH=2;BYDAY=MO;BYSETPOS=6", "2026-01-05T09:00:00").ok());
  // The first-occurrence search is bounded per file: with nothing left it
  // cannot tell, and accepts.
  {
    StatusOr<Rrule> r = ParseRrule("FREQ=HOURLY;BYMONTH=3");
    const Session s = MakeSession("2026-01-05T09:00:00", "FREQ=HOURLY;BYMONTH=3");
    Status found = CheckSessionRecurrence(s, *r, TimeZone::Utc());
    EXPECT_NE(found.message().find("whose first occurrence is 2026-03-01T00:00:00"),
              std::string::npos)
        << found.message();
    int64_t budget = 0;
    EXPECT_TRUE(CheckSessionRecurrence(s, *r, TimeZone::Utc(), {}, nullptr, &budget).ok());
    budget = 100'000;
    EXPECT_FALSE(CheckSessionRecurrence(s, *r, TimeZone::Utc(), {}, nullptr, &budget).ok());
    EXPECT_LT(budget, 100'000);
  }
  Status costly = Check("FREQ=SECONDLY;BYMONTH=12", "2026-01-01T09:00:00");
  EXPECT_EQ(costly.code(), StatusCode::kResourceExhausted) << costly.message();
}

}  // namespace
}  // namespace prebell
