#include "policies/timetable/recurrence_expander.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

LocalTime Local(const char* s) { return *ParseLocalDateTime(s); }
Instant Utc(const char* s) { return *ParseRfc3339(s); }

Session MakeSession(const char* name, const char* start, const char* duration,
                    const char* rule = "", SessionKind kind = SessionKind::kClass,
                    int64_t attendance = 100) {
  Session s;
  s.name = name;
  s.kind = kind;
  s.course = "C-" + std::string(name);
  s.start = Local(start);
  s.duration = *ParseDuration(duration);
  s.recurrence = rule;
  s.expected_attendance = attendance;
  return s;
}

Timetable MakeTimetable(const char* zone, std::vector<Session> sessions,
                        std::vector<Exclusion> exclusions = {}) {
  Timetable t;
  t.name = "term";
  t.namespace_name = "campus";
  t.time_zone = zone;
  t.sessions = std::move(sessions);
  t.exclusions = std::move(exclusions);
  return t;
}

// "start/end" in UTC for each occurrence.
std::vector<std::string> Spans(const StatusOr<std::vector<Occurrence>>& r) {
  EXPECT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const Occurrence& o : *r) out.push_back(FormatRfc3339(o.start) + "/" + FormatRfc3339(o.end));
  return out;
}

std::vector<std::string> Expand(const Timetable& t, const char* from, const char* to) {
  return Spans(ExpandSessions(t, Utc(from), Utc(to)));
}

TEST(ExpandSessionsTest, LondonWeeklyLectureKeepsWallClockAcrossAutumnChange) {
  // BST ends 2026-10-25 02:00 -> 01:00: the Friday 09:00 lecture moves from
  // 08:00Z to 09:00Z.
  Timetable t =
      MakeTimetable("Europe/London", {MakeSession("lecture", "2026-10-16T09:00:00", "1h30m",
                                                  "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261107T000000Z")});
  EXPECT_EQ(Expand(t, "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            (std::vector<std::string>{"2026-10-16T08:00:00Z/2026-10-16T09:30:00Z",
                                      "2026-10-23T08:00:00Z/2026-10-23T09:30:00Z",
                                      "2026-10-30T09:00:00Z/2026-10-30T10:30:00Z",
                                      "2026-11-06T09:00:00Z/2026-11-06T10:30:00Z"}));
}

TEST(ExpandSessionsTest, ChicagoSpringForwardGapAndFallBackOverlap) {
  // 2026-03-08: 02:00 CST -> 03:00 CDT. A daily 02:30 class does not exist
  // that night: RFC 5545 reads it with the offset before the gap (03:30 CDT).
  Timetable gap = MakeTimetable(
      "America/Chicago", {MakeSession("night", "2026-03-07T02:30:00", "1h", "FREQ=DAILY;COUNT=3")});
  EXPECT_EQ(Expand(gap, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
            (std::vector<std::string>{"2026-03-07T08:30:00Z/2026-03-07T09:30:00Z",
                                      "2026-03-08T08:30:00Z/2026-03-08T09:30:00Z",
                                      "2026-03-09T07:30:00Z/2026-03-09T08:30:00Z"}));
  // 2026-11-01: 02:00 CDT -> 01:00 CST, 01:30 happens twice: the first one
  // (CDT). Duration is elapsed time: a 2h exam from 01:30 CDT ends 02:30 CST.
  Timetable overlap = MakeTimetable(
      "America/Chicago",
      {MakeSession("exam", "2026-11-01T01:30:00", "2h", "", SessionKind::kExam, 300)});
  EXPECT_EQ(Expand(overlap, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
            (std::vector<std::string>{"2026-11-01T06:30:00Z/2026-11-01T08:30:00Z"}));
  // A Monday 09:00 class either side of spring forward: 15:00Z then 14:00Z.
  Timetable weekly = MakeTimetable(
      "America/Chicago",
      {MakeSession("mon", "2026-03-02T09:00:00", "50m", "FREQ=WEEKLY;BYDAY=MO;COUNT=2")});
  EXPECT_EQ(Expand(weekly, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
            (std::vector<std::string>{"2026-03-02T15:00:00Z/2026-03-02T15:50:00Z",
                                      "2026-03-09T14:00:00Z/2026-03-09T14:50:00Z"}));
}

TEST(ExpandSessionsTest, HourlyThroughTheGapCountsTheRepeatedInstantOnce) {
  // London 2026-03-29: 01:00 GMT -> 02:00 BST. 01:00 and 01:30 do not exist;
  // read with the offset before the gap they are 01:00Z and 01:30Z, and 02:00
  // BST is 01:00Z too: one occurrence.
  Timetable t =
      MakeTimetable("Europe/London", {MakeSession("half-hourly", "2026-03-29T00:00:00", "10m",
                                                  "FREQ=MINUTELY;INTERVAL=30;COUNT=6")});
  // Local 00:00 00:30 01:00 01:30 02:00 02:30; the last two repeat 01:00Z and 01:30Z.
  EXPECT_EQ(Expand(t, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"),
            (std::vector<std::string>{"2026-03-29T00:00:00Z/2026-03-29T00:10:00Z",
                                      "2026-03-29T00:30:00Z/2026-03-29T00:40:00Z",
                                      "2026-03-29T01:00:00Z/2026-03-29T01:10:00Z",
                                      "2026-03-29T01:30:00Z/2026-03-29T01:40:00Z"}));
}

TEST(ExpandSessionsTest, SydneySouthernHemisphere) {
  // AEDT ends 2026-04-05 (03:00 -> 02:00), AEST ends 2026-10-04 (02:00 -> 03:00).
  Timetable t = MakeTimetable(
      "Australia/Sydney",
      {MakeSession("tut", "2026-03-30T09:00:00", "1h", "FREQ=WEEKLY;BYDAY=MO;COUNT=2"),
       MakeSession("spring", "2026-09-28T09:00:00", "1h", "FREQ=WEEKLY;BYDAY=MO;COUNT=2")});
  EXPECT_EQ(Expand(t, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            (std::vector<std::string>{"2026-03-29T22:00:00Z/2026-03-29T23:00:00Z",
                                      "2026-04-05T23:00:00Z/2026-04-06T00:00:00Z",
                                      "2026-09-27T23:00:00Z/2026-09-28T00:00:00Z",
                                      "2026-10-04T22:00:00Z/2026-10-04T23:00:00Z"}));
}

TEST(ExpandSessionsTest, KolkataHalfHourOffset) {
  Timetable t = MakeTimetable("Asia/Kolkata", {MakeSession("lab", "2026-11-23T14:00:00", "2h",
                                                           "FREQ=DAILY;BYDAY=MO,TU;COUNT=2")});
  EXPECT_EQ(Expand(t, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            (std::vector<std::string>{"2026-11-23T08:30:00Z/2026-11-23T10:30:00Z",
                                      "2026-11-24T08:30:00Z/2026-11-24T10:30:00Z"}));
}

TEST(ExpandSessionsTest, ExclusionsRemoveLocalDays) {
  // Reading week 26-30 Oct and a single holiday; the 23:30 class on the 25th
  // is on a local day that is not excluded even though its UTC date (in
  // Sydney, the day before) would be.
  Timetable t = MakeTimetable("Europe/London",
                              {MakeSession("daily", "2026-10-22T09:00:00", "1h",
                                           "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=12")},
                              {Exclusion{LocalDay{date::year{2026} / 10 / 26},
                                         LocalDay{date::year{2026} / 10 / 30}, "Reading week"},
                               Exclusion{LocalDay{date::year{2026} / 11 / 4},
                                         LocalDay{date::year{2026} / 11 / 4}, "Holiday"}});
  std::vector<std::string> got = Expand(t, "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z");
  // 12 weekdays from Thu 22 Oct: 22,23 | 26-30 excluded | 2,3,4(excluded),5,6 | stop at 12 (COUNT).
  EXPECT_EQ(got, (std::vector<std::string>{"2026-10-22T08:00:00Z/2026-10-22T09:00:00Z",
                                           "2026-10-23T08:00:00Z/2026-10-23T09:00:00Z",
                                           "2026-11-02T09:00:00Z/2026-11-02T10:00:00Z",
                                           "2026-11-03T09:00:00Z/2026-11-03T10:00:00Z",
                                           "2026-11-05T09:00:00Z/2026-11-05T10:00:00Z",
                                           "2026-11-06T09:00:00Z/2026-11-06T10:00:00Z"}));
  EXPECT_TRUE(IsExcluded(t.exclusions, Local("2026-10-30T23:59:59")));
  EXPECT_FALSE(IsExcluded(t.exclusions, Local("2026-10-31T00:00:00")));
}

TEST(ExpandSessionsTest, WindowIsHalfOpenOnStartInstants) {
  Timetable t =
      MakeTimetable("UTC", {MakeSession("a", "2026-11-23T08:00:00", "1h", "FREQ=DAILY;COUNT=3")});
  EXPECT_EQ(Expand(t, "2026-11-23T08:00:00Z", "2026-11-25T08:00:00Z").size(), 2u);
  // An occurrence that started before `from` and is still running is not listed.
  EXPECT_EQ(Expand(t, "2026-11-23T08:30:00Z", "2026-11-24T08:00:01Z").size(), 1u);
  EXPECT_TRUE(Expand(t, "2026-11-25T08:00:00Z", "2026-11-25T08:00:00Z").empty());
}

TEST(ExpandSessionsTest, SortedAcrossSessionsWithAllFields) {
  Timetable t = MakeTimetable(
      "UTC", {MakeSession("b", "2026-11-23T09:00:00", "1h", "FREQ=DAILY;COUNT=2"),
              MakeSession("a", "2026-11-23T09:00:00", "1h", "", SessionKind::kExam, 250),
              MakeSession("c", "2026-11-23T08:00:00", "30m")});
  StatusOr<std::vector<Occurrence>> r =
      ExpandSessions(t, Utc("2026-11-01T00:00:00Z"), Utc("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].session, "c");
  EXPECT_EQ((*r)[1].session, "a");
  EXPECT_EQ((*r)[1].kind, SessionKind::kExam);
  EXPECT_EQ((*r)[1].expected_attendance, 250);
  EXPECT_EQ((*r)[1].course, "C-a");
  EXPECT_EQ((*r)[1].timetable, "term");
  EXPECT_EQ((*r)[2].session, "b");
  EXPECT_EQ((*r)[3].session, "b");
  EXPECT_TRUE(std::is_sorted(r->begin(), r->end(), OccurrenceBefore));
}

TEST(ExpandSessionsTest, BudgetErrorsNameTheSession) {
  Timetable t = MakeTimetable(
      "UTC", {MakeSession("ok", "2026-01-01T09:00:00", "1h", "FREQ=WEEKLY"),
              MakeSession("every-second", "2026-01-01T00:00:00", "1s", "FREQ=SECONDLY")});
  ExpansionBudget budget;
  budget.max_occurrences = 1'000'000;
  StatusOr<std::vector<Occurrence>> r =
      ExpandSessions(t, Utc("2026-01-01T00:00:00Z"), Utc("2126-01-01T00:00:00Z"), budget);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("session 'every-second'"), std::string::npos)
      << r.status().message();

  Timetable filtered = MakeTimetable("UTC", {MakeSession("december-seconds", "2026-01-01T00:00:00",
                                                         "1s", "FREQ=SECONDLY;BYMONTH=12")});
  StatusOr<std::vector<Occurrence>> f =
      ExpandSessions(filtered, Utc("2026-01-01T00:00:00Z"), Utc("2126-01-01T00:00:00Z"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(f.status().message().find("timetable 'term': session 'december-seconds': the rule "
                                      "FREQ=SECONDLY;BYMONTH=12 would visit about"),
            std::string::npos)
      << f.status().message();
}

TEST(ExpandSessionsTest, BadZoneOrRuleIsInvalidArgument) {
  Timetable zone = MakeTimetable("Mars/Olympus", {});
  EXPECT_EQ(ExpandSessions(zone, Utc("2026-01-01T00:00:00Z"), Utc("2027-01-01T00:00:00Z"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  Timetable rule = MakeTimetable(
      "UTC", {MakeSession("typo", "2026-01-01T09:00:00", "1h", "FREQ=WEEKLY;BYDAY=XX")});
  StatusOr<std::vector<Occurrence>> r =
      ExpandSessions(rule, Utc("2026-01-01T00:00:00Z"), Utc("2027-01-01T00:00:00Z"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("session 'typo': recurrence: BYDAY: 'XX'"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace prebell
