// IcalCalendar: the import rules, one test (or a few) per rule.
#include "policies/calendar/ical_calendar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace prebell {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Cal(const std::string& body) {
  return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//prebell//unit test//EN\n" + body +
         "END:VCALENDAR\n";
}

Instant T(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

CalendarImportOptions Options(const char* floating = "UTC") {
  CalendarImportOptions o;
  o.source_name = "test.ics";
  o.floating_zone = *TimeZone::Find(floating);
  o.expected_attendance = 30;
  return o;
}

StatusOr<std::vector<Occurrence>> Expand(const std::string& body, const char* from, const char* to,
                                         const CalendarImportOptions& options = Options(),
                                         const std::vector<Exclusion>& exclusions = {},
                                         const ExpansionBudget& budget = {}) {
  auto cal = IcalCalendar::Parse(Cal(body), options);
  if (!cal.ok()) return cal.status();
  return cal->Expand(T(from), T(to), exclusions, budget);
}

// "uid start end" (UTC) per occurrence; fails the test on an error.
std::vector<std::string> Times(const std::string& body, const char* from = "2020-01-01T00:00:00Z",
                               const char* to = "2030-01-01T00:00:00Z",
                               const CalendarImportOptions& options = Options()) {
  auto got = Expand(body, from, to, options);
  EXPECT_TRUE(got.ok()) << got.status().message();
  std::vector<std::string> out;
  if (!got.ok()) return out;
  for (const Occurrence& o : *got) {
    out.push_back(o.session + " " + FormatRfc3339(o.start) + " " + FormatRfc3339(o.end));
  }
  return out;
}

std::vector<std::string> Starts(const std::string& body, const char* from = "2020-01-01T00:00:00Z",
                                const char* to = "2030-01-01T00:00:00Z",
                                const CalendarImportOptions& options = Options()) {
  std::vector<std::string> out;
  for (const std::string& t : Times(body, from, to, options))
    out.push_back(t.substr(t.find(' ') + 1, 20));
  return out;
}

// ---------------------------------------------------------------- lengths

TEST(IcalCalendarTest, DtendDurationAndTheRfcDefaults) {
  EXPECT_THAT(Times("BEGIN:VEVENT\nUID:dtend\nDTSTART:20260105T090000Z\nDTEND:20260105T103000Z\n"
                    "END:VEVENT\n"
                    "BEGIN:VEVENT\nUID:duration\nDTSTART:20260106T090000Z\nDURATION:PT1H30M\n"
                    "END:VEVENT\n"
                    "BEGIN:VEVENT\nUID:moment\nDTSTART:20260107T090000Z\nEND:VEVENT\n"
                    "BEGIN:VEVENT\nUID:day\nDTSTART;VALUE=DATE:20260108\nEND:VEVENT\n"),
              ElementsAre("dtend 2026-01-05T09:00:00Z 2026-01-05T10:30:00Z",
                          "duration 2026-01-06T09:00:00Z 2026-01-06T10:30:00Z",
                          // RFC 5545 3.6.1: a DATE-TIME without an end takes no time ...
                          "moment 2026-01-07T09:00:00Z 2026-01-07T09:00:00Z",
                          // ... a DATE without an end is one day.
                          "day 2026-01-08T00:00:00Z 2026-01-09T00:00:00Z"));
}

TEST(IcalCalendarTest, DurationDaysAreNominalAndDtendIsExact) {
  // Across the night Chicago springs forward (2026-03-08): P1D keeps the
  // wall-clock time (23 hours); a DTEND's exact length repeats unchanged.
  EXPECT_THAT(
      Times("BEGIN:VEVENT\nUID:nominal\nDTSTART;TZID=America/Chicago:20260307T120000\n"
            "DURATION:P1D\nEND:VEVENT\n"
            "BEGIN:VEVENT\nUID:exact\nDTSTART;TZID=America/Chicago:20260301T120000\n"
            "DTEND;TZID=America/Chicago:20260302T120000\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n"),
      ElementsAre("exact 2026-03-01T18:00:00Z 2026-03-02T18:00:00Z",
                  "nominal 2026-03-07T18:00:00Z 2026-03-08T17:00:00Z",
                  "exact 2026-03-08T17:00:00Z 2026-03-09T17:00:00Z"));
}

// ---------------------------------------------------------- DST, by zone

TEST(IcalCalendarTest, ChicagoKeepsNineOClockAcrossBothTransitions) {
  const std::string weekly =
      "BEGIN:VEVENT\nUID:c\nDTSTART;TZID=America/Chicago:20260302T090000\n"
      "DTEND;TZID=America/Chicago:20260302T103000\nRRULE:FREQ=WEEKLY;BYDAY=MO\nEND:VEVENT\n";
  EXPECT_THAT(Starts(weekly, "2026-03-01T00:00:00Z", "2026-03-17T00:00:00Z"),
              ElementsAre("2026-03-02T15:00:00Z", "2026-03-09T14:00:00Z", "2026-03-16T14:00:00Z"));
  EXPECT_THAT(Starts(weekly, "2026-10-25T00:00:00Z", "2026-11-10T00:00:00Z"),
              ElementsAre("2026-10-26T14:00:00Z", "2026-11-02T15:00:00Z", "2026-11-09T15:00:00Z"));
}

TEST(IcalCalendarTest, LondonKeepsNineOClockAcrossBothTransitions) {
  const std::string weekly =
      "BEGIN:VEVENT\nUID:l\nDTSTART;TZID=Europe/London:20260323T090000\n"
      "DURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n";
  EXPECT_THAT(Starts(weekly, "2026-03-20T00:00:00Z", "2026-04-01T00:00:00Z"),
              ElementsAre("2026-03-23T09:00:00Z", "2026-03-30T08:00:00Z"));
  EXPECT_THAT(Starts(weekly, "2026-10-15T00:00:00Z", "2026-11-01T00:00:00Z"),
              ElementsAre("2026-10-19T08:00:00Z", "2026-10-26T09:00:00Z"));
}

TEST(IcalCalendarTest, SydneyKeepsNineOClockAcrossSouthernTransitions) {
  // Daylight time ends on 2026-04-05 (+11 -> +10) and starts on 2026-10-04.
  const std::string weekly =
      "BEGIN:VEVENT\nUID:s\nDTSTART;TZID=Australia/Sydney:20260330T090000\n"
      "DURATION:PT2H\nRRULE:FREQ=WEEKLY;BYDAY=MO\nEND:VEVENT\n";
  EXPECT_THAT(Starts(weekly, "2026-03-29T00:00:00Z", "2026-04-07T00:00:00Z"),
              ElementsAre("2026-03-29T22:00:00Z", "2026-04-05T23:00:00Z"));
  EXPECT_THAT(Starts(weekly, "2026-09-27T00:00:00Z", "2026-10-06T00:00:00Z"),
              ElementsAre("2026-09-27T23:00:00Z", "2026-10-04T22:00:00Z"));
}

TEST(IcalCalendarTest, KolkataHalfHourOffsetAllYear) {
  const std::string daily =
      "BEGIN:VEVENT\nUID:k\nDTSTART;TZID=Asia/Kolkata:20260101T090000\n"
      "DURATION:PT45M\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12\nEND:VEVENT\n";
  const auto starts = Starts(daily);
  ASSERT_EQ(starts.size(), 12u);
  for (const auto& s : starts) EXPECT_EQ(s.substr(10), "T03:30:00Z") << s;
}

TEST(IcalCalendarTest, NonexistentTimeUsesTheOffsetBeforeTheGap) {
  // 02:30 does not exist in Chicago on 2026-03-08: read as CST, 03:30 CDT.
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:g\nDTSTART;TZID=America/Chicago:20260307T023000\n"
                     "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"),
              ElementsAre("2026-03-07T08:30:00Z", "2026-03-08T08:30:00Z", "2026-03-09T07:30:00Z"));
  // London: 01:30 on 2026-03-29 is read as GMT.
  EXPECT_THAT(
      Starts("BEGIN:VEVENT\nUID:g\nDTSTART;TZID=Europe/London:20260329T013000\nEND:VEVENT\n"),
      ElementsAre("2026-03-29T01:30:00Z"));
  // Sydney: 02:30 on 2026-10-04 is read as AEST (+10).
  EXPECT_THAT(
      Starts("BEGIN:VEVENT\nUID:g\nDTSTART;TZID=Australia/Sydney:20261004T023000\nEND:VEVENT\n"),
      ElementsAre("2026-10-03T16:30:00Z"));
}

TEST(IcalCalendarTest, RepeatedTimeIsTheFirstOfTheTwo) {
  // 01:30 happens twice in Chicago on 2026-11-01: the CDT one.
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:o\nDTSTART;TZID=America/Chicago:20261031T013000\n"
                     "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"),
              ElementsAre("2026-10-31T06:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T07:30:00Z"));
  // Sydney repeats 02:00-03:00 on 2026-04-05: AEDT (+11) first.
  EXPECT_THAT(
      Starts("BEGIN:VEVENT\nUID:o\nDTSTART;TZID=Australia/Sydney:20260405T023000\nEND:VEVENT\n"),
      ElementsAre("2026-04-04T15:30:00Z"));
}

// ------------------------------------------------------------- TZID forms

TEST(IcalCalendarTest, WindowsZoneNamesAndTheirVtimezones) {
  // Outlook writes Windows names, with a VTIMEZONE that has only today's
  // rule. The tz database knows better and wins: this VTIMEZONE is wrong on
  // purpose (+05:00) and must not be used.
  const std::string body =
      "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\n"
      "DTSTART:16010101T000000\nTZOFFSETFROM:+0500\nTZOFFSETTO:+0500\nEND:STANDARD\n"
      "END:VTIMEZONE\n"
      "BEGIN:VEVENT\nUID:w\nDTSTART;TZID=W. Europe Standard Time:20260720T090000\n"
      "DTEND;TZID=W. Europe Standard Time:20260720T100000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:x\nDTSTART;TZID=GMT Standard Time:20260720T090000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:y\nDTSTART;TZID=Central Standard Time:20260720T090000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:z\nDTSTART;TZID=AUS Eastern Standard Time:20260720T090000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:i\nDTSTART;TZID=India Standard Time:20260720T090000\nEND:VEVENT\n";
  EXPECT_THAT(Times(body), ElementsAre("z 2026-07-19T23:00:00Z 2026-07-19T23:00:00Z",
                                       "i 2026-07-20T03:30:00Z 2026-07-20T03:30:00Z",
                                       "w 2026-07-20T07:00:00Z 2026-07-20T08:00:00Z",
                                       "x 2026-07-20T08:00:00Z 2026-07-20T08:00:00Z",
                                       "y 2026-07-20T14:00:00Z 2026-07-20T14:00:00Z"));
}

TEST(IcalCalendarTest, VendorPrefixedTzids) {
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:m\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/London:"
                     "20260720T090000\nEND:VEVENT\n"
                     "BEGIN:VEVENT\nUID:c\nDTSTART;TZID=/citadel.org/20190914_1/America/Chicago:"
                     "20260720T090000\nEND:VEVENT\n"),
              ElementsAre("2026-07-20T08:00:00Z", "2026-07-20T14:00:00Z"));
}

TEST(IcalCalendarTest, ZoneKnownOnlyFromTheFilesVtimezone) {
  const std::string body =
      "BEGIN:VTIMEZONE\nTZID:Observatory Time\n"
      "BEGIN:DAYLIGHT\nDTSTART:20000326T020000\nTZOFFSETFROM:+0317\nTZOFFSETTO:+0417\n"
      "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\n"
      "BEGIN:STANDARD\nDTSTART:20001029T030000\nTZOFFSETFROM:+0417\nTZOFFSETTO:+0317\n"
      "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE\n"
      "BEGIN:VEVENT\nUID:obs\nDTSTART;TZID=Observatory Time:20260323T120000\n"
      "DTEND;TZID=Observatory Time:20260323T130000\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n";
  EXPECT_THAT(Times(body), ElementsAre("obs 2026-03-23T08:43:00Z 2026-03-23T09:43:00Z",
                                       "obs 2026-03-30T07:43:00Z 2026-03-30T08:43:00Z"));
}

TEST(IcalCalendarTest, UtcTimesRecurInUtc) {
  // A UTC series does not follow any zone's DST.
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:u\nDTSTART:20260302T150000Z\n"
                     "RRULE:FREQ=WEEKLY;COUNT=3\nEND:VEVENT\n"),
              ElementsAre("2026-03-02T15:00:00Z", "2026-03-09T15:00:00Z", "2026-03-16T15:00:00Z"));
}

TEST(IcalCalendarTest, FloatingTimesAreReadInTheFloatingZone) {
  const std::string body =
      "BEGIN:VEVENT\nUID:f\nDTSTART:20260302T090000\nDTEND:20260302T100000\n"
      "RRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n";
  EXPECT_THAT(
      Times(body, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", Options("America/Chicago")),
      ElementsAre("f 2026-03-02T15:00:00Z 2026-03-02T16:00:00Z",
                  "f 2026-03-09T14:00:00Z 2026-03-09T15:00:00Z"));
  EXPECT_THAT(Starts(body, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", Options("UTC")),
              ElementsAre("2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z"));
}

TEST(IcalCalendarTest, AllDayEventsAreWholeLocalDays) {
  // The floating zone's days; the day London springs forward has 23 hours.
  const std::string body =
      "BEGIN:VEVENT\nUID:d\nDTSTART;VALUE=DATE:20260328\nDTEND;VALUE=DATE:20260329\n"
      "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:exams\nDTSTART;VALUE=DATE:20260601\nDURATION:P3D\nEND:VEVENT\n";
  EXPECT_THAT(Times(body, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", Options("Europe/London")),
              ElementsAre("d 2026-03-28T00:00:00Z 2026-03-29T00:00:00Z",
                          "d 2026-03-29T00:00:00Z 2026-03-29T23:00:00Z",
                          "d 2026-03-29T23:00:00Z 2026-03-30T23:00:00Z",
                          "exams 2026-05-31T23:00:00Z 2026-06-03T23:00:00Z"));
}

TEST(IcalCalendarTest, ByteOrderMarkAndLineEndings) {
  const std::string crlf =
      "\xEF\xBB\xBF"
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:b\r\n"
      "DTSTART:20260105T09\r\n 0000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto cal = IcalCalendar::Parse(crlf, Options());
  ASSERT_TRUE(cal.ok()) << cal.status().message();
  auto got = cal->Expand(T("2026-01-01T00:00:00Z"), T("2026-02-01T00:00:00Z"));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(FormatRfc3339((*got)[0].start), "2026-01-05T09:00:00Z");  // folded value
}

// ------------------------------------------------- recurrence set pieces

TEST(IcalCalendarTest, ExdatesInEveryForm) {
  const std::string body =
      "BEGIN:VEVENT\nUID:e\nDTSTART;TZID=Europe/Berlin:20260105T100000\n"
      "RRULE:FREQ=DAILY;COUNT=8\n"
      "EXDATE;TZID=Europe/Berlin:20260106T100000,20260107T100000\n"  // two values, one line
      "EXDATE:20260108T090000Z\n"                                    // the same instant in UTC
      "EXDATE;VALUE=DATE:20260110\n"                                 // that whole local day
      "EXDATE;TZID=Europe/Berlin:20260111T110000\n"                  // not an instance: no effect
      "END:VEVENT\n";
  EXPECT_THAT(Starts(body), ElementsAre("2026-01-05T09:00:00Z", "2026-01-09T09:00:00Z",
                                        "2026-01-11T09:00:00Z", "2026-01-12T09:00:00Z"));
}

TEST(IcalCalendarTest, ExdateDoesNotGiveBackACountedInstance) {
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:e\nDTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=3\n"
                     "EXDATE:20260106T100000Z\nEND:VEVENT\n"),
              ElementsAre("2026-01-05T10:00:00Z", "2026-01-07T10:00:00Z"));
}

TEST(IcalCalendarTest, RdatesInEveryForm) {
  const std::string body =
      "BEGIN:VEVENT\nUID:r\nDTSTART;TZID=Europe/London:20260105T090000\n"
      "DTEND;TZID=Europe/London:20260105T100000\nRRULE:FREQ=WEEKLY;COUNT=2\n"
      "RDATE;TZID=America/Chicago:20260107T090000\n"            // its own zone
      "RDATE;VALUE=PERIOD:20260108T120000Z/20260108T150000Z\n"  // its own end
      "RDATE;VALUE=PERIOD:20260109T120000Z/PT30M\n"             // its own length
      "RDATE;TZID=Europe/London:20260112T090000\n"              // = a rule instance
      "END:VEVENT\n";
  EXPECT_THAT(Times(body), ElementsAre("r 2026-01-05T09:00:00Z 2026-01-05T10:00:00Z",
                                       "r 2026-01-07T15:00:00Z 2026-01-07T16:00:00Z",
                                       "r 2026-01-08T12:00:00Z 2026-01-08T15:00:00Z",
                                       "r 2026-01-09T12:00:00Z 2026-01-09T12:30:00Z",
                                       "r 2026-01-12T09:00:00Z 2026-01-12T10:00:00Z"));
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20260105\n"
                     "RDATE;VALUE=DATE:20260110,20260111\nEND:VEVENT\n"),
              ElementsAre("2026-01-05T00:00:00Z", "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"));
}

TEST(IcalCalendarTest, SeveralRrulesMakeOneSetWithoutDuplicates) {
  EXPECT_THAT(
      Starts("BEGIN:VEVENT\nUID:m\nDTSTART:20260105T090000Z\n"
             "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4\nRRULE:FREQ=WEEKLY;BYDAY=MO,FR;COUNT=4\n"
             "END:VEVENT\n"),
      ElementsAre("2026-01-05T09:00:00Z", "2026-01-07T09:00:00Z", "2026-01-09T09:00:00Z",
                  "2026-01-12T09:00:00Z", "2026-01-14T09:00:00Z", "2026-01-16T09:00:00Z"));
}

TEST(IcalCalendarTest, UntilIsInclusiveInEachForm) {
  const auto with_until = [](const std::string& until, const char* start) {
    return Starts("BEGIN:VEVENT\nUID:u\nDTSTART" + std::string(start) +
                  "\nRRULE:FREQ=DAILY;UNTIL=" + until + "\nEND:VEVENT\n");
  };
  // UTC: up to and including that instant (09:00 London = 08:00Z in summer).
  EXPECT_THAT(with_until("20260703T080000Z", ";TZID=Europe/London:20260701T090000"),
              ElementsAre("2026-07-01T08:00:00Z", "2026-07-02T08:00:00Z", "2026-07-03T08:00:00Z"));
  // A DATE with a timed series: that whole local day.
  EXPECT_THAT(with_until("20260702", ";TZID=Europe/London:20260701T090000"),
              ElementsAre("2026-07-01T08:00:00Z", "2026-07-02T08:00:00Z"));
  // All-day series compare days.
  EXPECT_THAT(with_until("20260702T000000Z", ";VALUE=DATE:20260701"),
              ElementsAre("2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"));
}

TEST(IcalCalendarTest, AnOldOpenEndedSeriesIsCheapToExpandToday) {
  // Weekly since 1990 with no end: only the window's weeks are visited.
  const std::string body =
      "BEGIN:VEVENT\nUID:old\nDTSTART;TZID=Europe/London:19900101T090000\n"
      "RRULE:FREQ=WEEKLY;BYDAY=MO\nEND:VEVENT\n";
  ExpansionBudget budget;
  budget.max_steps_per_session = 200;
  auto got = Expand(body, "2026-07-01T00:00:00Z", "2026-07-15T00:00:00Z", Options(), {}, budget);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ(FormatRfc3339((*got)[0].start), "2026-07-06T08:00:00Z");
}

// ---------------------------------------------------------- overrides

constexpr char kSeminar[] =
    "BEGIN:VEVENT\nUID:seminar\nSUMMARY:Seminar\nX-PREBELL-ATTENDANCE:40\n"
    "DTSTART;TZID=Europe/London:20260112T140000\nDTEND;TZID=Europe/London:20260112T150000\n"
    "RRULE:FREQ=WEEKLY;COUNT=5\nEND:VEVENT\n";

TEST(IcalCalendarTest, OverrideMovesOneInstance) {
  const std::string body = std::string(kSeminar) +
                           "BEGIN:VEVENT\nUID:seminar\nSUMMARY:Seminar (room change)\n"
                           "RECURRENCE-ID;TZID=Europe/London:20260119T140000\n"
                           "DTSTART;TZID=Europe/London:20260120T100000\n"
                           "DTEND;TZID=Europe/London:20260120T113000\nEND:VEVENT\n";
  auto got = Expand(body, "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z");
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 5u);
  EXPECT_EQ(FormatRfc3339((*got)[1].start), "2026-01-20T10:00:00Z");
  EXPECT_EQ(FormatRfc3339((*got)[1].end), "2026-01-20T11:30:00Z");
  EXPECT_EQ((*got)[1].course, "Seminar (room change)");
  EXPECT_EQ((*got)[1].expected_attendance, 40);  // inherited from the series
  EXPECT_EQ(FormatRfc3339((*got)[2].start), "2026-01-26T14:00:00Z");
}

TEST(IcalCalendarTest, OverrideCancelsOneInstance) {
  const std::string body = std::string(kSeminar) +
                           "BEGIN:VEVENT\nUID:seminar\nRECURRENCE-ID:20260126T140000Z\n"
                           "DTSTART:20260126T140000Z\nSTATUS:CANCELLED\nEND:VEVENT\n";
  EXPECT_THAT(Starts(body), ElementsAre("2026-01-12T14:00:00Z", "2026-01-19T14:00:00Z",
                                        "2026-02-02T14:00:00Z", "2026-02-09T14:00:00Z"));
}

TEST(IcalCalendarTest, OverrideMovesAnInstanceIntoAndOutOfTheWindow) {
  const std::string body = std::string(kSeminar) +
                           // from outside the window (Jan 12) into it
                           "BEGIN:VEVENT\nUID:seminar\nRECURRENCE-ID;TZID=Europe/London:"
                           "20260112T140000\nDTSTART:20260202T090000Z\nDTEND:20260202T100000Z\n"
                           "END:VEVENT\n"
                           // from inside the window (Feb 9) out of it
                           "BEGIN:VEVENT\nUID:seminar\nRECURRENCE-ID;TZID=Europe/London:"
                           "20260209T140000\nDTSTART:20260301T090000Z\nDTEND:20260301T100000Z\n"
                           "END:VEVENT\n";
  EXPECT_THAT(Starts(body, "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"),
              ElementsAre("2026-02-02T09:00:00Z", "2026-02-02T14:00:00Z"));
}

TEST(IcalCalendarTest, ThisAndFutureMovesTheRestOfTheSeries) {
  const std::string body = std::string(kSeminar) +
                           "BEGIN:VEVENT\nUID:seminar\nRECURRENCE-ID;RANGE=THISANDFUTURE;"
                           "TZID=Europe/London:20260126T140000\n"
                           "DTSTART;TZID=Europe/London:20260126T160000\n"
                           "DTEND;TZID=Europe/London:20260126T180000\nEND:VEVENT\n";
  EXPECT_THAT(Times(body), ElementsAre("seminar 2026-01-12T14:00:00Z 2026-01-12T15:00:00Z",
                                       "seminar 2026-01-19T14:00:00Z 2026-01-19T15:00:00Z",
                                       "seminar 2026-01-26T16:00:00Z 2026-01-26T18:00:00Z",
                                       "seminar 2026-02-02T16:00:00Z 2026-02-02T18:00:00Z",
                                       "seminar 2026-02-09T16:00:00Z 2026-02-09T18:00:00Z"));
}

TEST(IcalCalendarTest, CancelledSeriesKeepsOnlyItsLiveOverrides) {
  const std::string body =
      "BEGIN:VEVENT\nUID:off\nSTATUS:CANCELLED\nDTSTART:20260105T090000Z\n"
      "RRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:off\nRECURRENCE-ID:20260107T090000Z\nSTATUS:CONFIRMED\n"
      "DTSTART:20260107T110000Z\nEND:VEVENT\n";
  EXPECT_THAT(Starts(body), ElementsAre("2026-01-07T11:00:00Z"));
}

TEST(IcalCalendarTest, InstancesWithoutTheirSeriesStandAlone) {
  EXPECT_THAT(Starts("BEGIN:VEVENT\nUID:invite\nRECURRENCE-ID:20260107T090000Z\n"
                     "DTSTART:20260107T100000Z\nEND:VEVENT\n"),
              ElementsAre("2026-01-07T10:00:00Z"));
}

// ------------------------------------------------- what an occurrence says

TEST(IcalCalendarTest, OccurrenceFieldsComeFromOptionsAndTheEvent) {
  const std::string body =
      "BEGIN:VEVENT\nUID:a\nSUMMARY:Linear Algebra\nX-PREBELL-ATTENDANCE:250\n"
      "DTSTART:20260105T090000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:b\nSUMMARY:Tutorial\nDTSTART:20260106T090000Z\n"
      "ORGANIZER:mailto:lecturer@uni.example\n"
      "ATTENDEE;ROLE=CHAIR:mailto:lecturer@uni.example\n"
      "ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:s1@uni.example\n"
      "ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:s2@uni.example\n"
      "ATTENDEE:mailto:s3@uni.example\n"
      "ATTENDEE;CUTYPE=ROOM:mailto:room-101@uni.example\n"
      "END:VEVENT\n"
      "BEGIN:VEVENT\nUID:c\nDTSTART:20260107T090000Z\nEND:VEVENT\n";
  CalendarImportOptions options = Options();
  options.source_name = "configmap/exams.ics";
  options.kind = SessionKind::kExam;
  auto got = Expand(body, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", options);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 3u);
  const Occurrence& a = (*got)[0];
  EXPECT_EQ(a.timetable, "configmap/exams.ics");
  EXPECT_EQ(a.session, "a");
  EXPECT_EQ(a.kind, SessionKind::kExam);
  EXPECT_EQ(a.course, "Linear Algebra");
  EXPECT_EQ(a.expected_attendance, 250);
  EXPECT_EQ((*got)[1].expected_attendance, 3);   // participants, not the chair or the room
  EXPECT_EQ((*got)[2].expected_attendance, 30);  // the import's default
  EXPECT_EQ((*got)[2].course, "c");              // no SUMMARY: the UID

  options.course = "MATH101";
  got = Expand(body, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", options);
  ASSERT_TRUE(got.ok());
  for (const Occurrence& o : *got) EXPECT_EQ(o.course, "MATH101");
}

TEST(IcalCalendarTest, WindowIsHalfOpenOnStartsAndOutputIsSorted) {
  const std::string body =
      "BEGIN:VEVENT\nUID:z-late\nDTSTART:20260105T100000Z\nDTEND:20260105T110000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:a-running\nDTSTART:20260105T083000Z\nDTEND:20260105T120000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:b-at-from\nDTSTART:20260105T090000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:a-same\nDTSTART:20260105T100000Z\nDTEND:20260105T110000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:c-at-to\nDTSTART:20260105T120000Z\nEND:VEVENT\n";
  EXPECT_THAT(Times(body, "2026-01-05T09:00:00Z", "2026-01-05T12:00:00Z"),
              ElementsAre("b-at-from 2026-01-05T09:00:00Z 2026-01-05T09:00:00Z",
                          "a-same 2026-01-05T10:00:00Z 2026-01-05T11:00:00Z",
                          "z-late 2026-01-05T10:00:00Z 2026-01-05T11:00:00Z"));
}

TEST(IcalCalendarTest, ExclusionsRemoveLocalDaysOfTheFloatingZone) {
  // 23:30 London on Jan 6 is Jan 6 there (and Jan 7 in Sydney).
  const std::string body =
      "BEGIN:VEVENT\nUID:x\nDTSTART;TZID=Europe/London:20260105T233000\n"
      "RRULE:FREQ=DAILY;COUNT=4\nEND:VEVENT\n";
  const std::vector<Exclusion> holiday{
      {*ParseLocalDate("2026-01-06"), *ParseLocalDate("2026-01-07"), "holiday"}};
  auto london = Expand(body, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z",
                       Options("Europe/London"), holiday);
  ASSERT_TRUE(london.ok());
  ASSERT_EQ(london->size(), 2u);
  EXPECT_EQ(FormatRfc3339((*london)[1].start), "2026-01-08T23:30:00Z");
  auto sydney = Expand(body, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z",
                       Options("Australia/Sydney"), holiday);
  ASSERT_TRUE(sydney.ok());
  // In Sydney the four start on Jan 6, 7, 8 and 9: the first two are excluded.
  ASSERT_EQ(sydney->size(), 2u);
  EXPECT_EQ(FormatRfc3339((*sydney)[0].start), "2026-01-07T23:30:00Z");
  EXPECT_EQ(FormatRfc3339((*sydney)[1].start), "2026-01-08T23:30:00Z");
}

// ------------------------------------------------------------- budgets

TEST(IcalCalendarTest, BudgetErrorsNameTheEvent) {
  const std::string daily =
      "BEGIN:VEVENT\nUID:daily@x\nDTSTART:20260101T090000Z\n"
      "RRULE:FREQ=DAILY\nEND:VEVENT\n";
  ExpansionBudget budget;
  budget.max_occurrences = 100;
  auto got = Expand(daily, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", Options(), {}, budget);
  ASSERT_EQ(got.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(got.status().message(), HasSubstr("test.ics: VEVENT 'daily@x'"));
  EXPECT_THAT(got.status().message(), HasSubstr("100"));
}

TEST(IcalCalendarTest, ARuleWithBillionsOfInstancesStopsWithTheDefaultBudget) {
  // Every second for a year: 31.5 million instances, more steps than the
  // default budget allows.
  auto got = Expand(
      "BEGIN:VEVENT\nUID:every-second\nDTSTART:20260101T000000Z\n"
      "RRULE:FREQ=SECONDLY\nEND:VEVENT\n",
      "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
  ASSERT_EQ(got.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(got.status().message(), HasSubstr("'every-second'"));
}

TEST(IcalCalendarTest, ParsedCalendarExpandsAnyWindow) {
  auto cal = IcalCalendar::Parse(Cal(kSeminar), Options());
  ASSERT_TRUE(cal.ok());
  auto all = cal->Expand(T("2026-01-01T00:00:00Z"), T("2027-01-01T00:00:00Z"));
  auto first = cal->Expand(T("2026-01-01T00:00:00Z"), T("2026-01-20T00:00:00Z"));
  auto rest = cal->Expand(T("2026-01-20T00:00:00Z"), T("2027-01-01T00:00:00Z"));
  auto none = cal->Expand(T("2027-01-01T00:00:00Z"), T("2026-01-01T00:00:00Z"));
  ASSERT_TRUE(all.ok() && first.ok() && rest.ok() && none.ok());
  EXPECT_EQ(all->size(), 5u);
  EXPECT_EQ(first->size() + rest->size(), 5u);
  EXPECT_THAT(*none, IsEmpty());
  IcalCalendar moved = std::move(*cal);
  EXPECT_EQ(moved.Expand(T("2026-01-01T00:00:00Z"), T("2027-01-01T00:00:00Z"))->size(), 5u);
}

}  // namespace
}  // namespace prebell
