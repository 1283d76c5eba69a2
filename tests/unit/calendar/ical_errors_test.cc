// Bad calendars: every problem is reported, with source, line, UID,
// property and what is wrong, and nothing crashes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "policies/calendar/ical_calendar.h"

namespace prebell {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

CalendarImportOptions Options() {
  CalendarImportOptions o;
  o.source_name = "exams.ics";
  return o;
}

Status ParseError(const std::string& text) {
  auto cal = IcalCalendar::Parse(text, Options());
  EXPECT_FALSE(cal.ok()) << "expected an error for:\n" << text;
  if (cal.ok()) return OkStatus();
  EXPECT_EQ(cal.status().code(), StatusCode::kInvalidArgument);
  return cal.status();
}

// One VEVENT (lines 4..) inside a calendar whose first three lines are fixed.
std::string Event(const std::string& lines) {
  return "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n" + lines + "END:VEVENT\nEND:VCALENDAR\n";
}

TEST(IcalErrorsTest, NotACalendarAtAll) {
  EXPECT_THAT(ParseError("").message(), HasSubstr("exams.ics: not an iCalendar file"));
  EXPECT_THAT(ParseError("timeZone: Europe/London\nsessions: []\n").message(),
              HasSubstr("not an iCalendar file"));
  EXPECT_THAT(ParseError(std::string("BEGIN:VCALENDAR\n\0\n", 18)).message(),
              HasSubstr("NUL byte at offset 16"));
  EXPECT_THAT(ParseError("BEGIN:VEVENT\nUID:a\nDTSTART:20260101T090000Z\nEND:VEVENT\n").message(),
              HasSubstr("no VCALENDAR"));
}

TEST(IcalErrorsTest, MissingUidAndDtstart) {
  EXPECT_THAT(ParseError(Event("DTSTART:20260105T090000Z\n")).message(),
              AllOf(HasSubstr("exams.ics:3: VEVENT #1: UID: the event has no UID")));
  EXPECT_THAT(ParseError(Event("UID:exam-1\nSUMMARY:Physics\n")).message(),
              HasSubstr("exams.ics:3: VEVENT 'exam-1': DTSTART: the event has no DTSTART"));
}

TEST(IcalErrorsTest, ValueLibicalCannotParseIsQuotedWithItsLine) {
  const Status st =
      ParseError(Event("UID:exam-1\nDTSTART;TZID=Europe/London:20260105T090000\n"
                       "DTEND;TZID=Europe/London:2026-01-05T10:00\n"));
  EXPECT_THAT(st.message(),
              AllOf(HasSubstr("exams.ics:6: VEVENT 'exam-1': DTEND: "), HasSubstr("DATE-TIME"),
                    HasSubstr("'DTEND;TZID=Europe/London:2026-01-05T10:00'")));
}

TEST(IcalErrorsTest, GarbageLineInsideAnEvent) {
  EXPECT_THAT(
      ParseError(Event("UID:exam-1\nDTSTART:20260105T090000Z\nthis is not ical\n")).message(),
      HasSubstr("exams.ics:6: VEVENT 'exam-1': not a property or component line: "
                "'this is not ical'"));
}

TEST(IcalErrorsTest, UnknownTzidWithoutVtimezone) {
  EXPECT_THAT(
      ParseError(Event("UID:exam-1\nDTSTART;TZID=Mars/Olympus_Mons:20260105T090000\n")).message(),
      AllOf(HasSubstr("exams.ics:5: VEVENT 'exam-1': DTSTART: TZID 'Mars/Olympus_Mons'"),
            HasSubstr("no VTIMEZONE")));
}

TEST(IcalErrorsTest, BrokenVtimezone) {
  const std::string text =
      "BEGIN:VCALENDAR\nVERSION:2.0\n"
      "BEGIN:VTIMEZONE\nTZID:Campus Time\nBEGIN:STANDARD\nDTSTART:19700101T000000\n"
      "TZOFFSETFROM:+0100\nEND:STANDARD\nEND:VTIMEZONE\n"
      "BEGIN:VEVENT\nUID:exam-1\nDTSTART;TZID=Campus Time:20260105T090000\nEND:VEVENT\n"
      "END:VCALENDAR\n";
  EXPECT_THAT(ParseError(text).message(),
              AllOf(HasSubstr("exams.ics:3: VTIMEZONE 'Campus Time': "), HasSubstr("TZOFFSETTO"),
                    HasSubstr("VEVENT 'exam-1': DTSTART: TZID 'Campus Time'")));
}

TEST(IcalErrorsTest, LengthProblems) {
  EXPECT_THAT(
      ParseError(Event("UID:a\nDTSTART:20260105T090000Z\nDTEND:20260105T080000Z\n")).message(),
      HasSubstr("exams.ics:6: VEVENT 'a': DTEND: is before DTSTART"));
  EXPECT_THAT(
      ParseError(Event("UID:a\nDTSTART:20260105T090000Z\nDTEND:20260105T100000Z\n"
                       "DURATION:PT1H\n"))
          .message(),
      HasSubstr("exams.ics:7: VEVENT 'a': DURATION: an event has DTEND or DURATION, not both"));
  EXPECT_THAT(
      ParseError(Event("UID:a\nDTSTART;VALUE=DATE:20260105\nDTEND:20260105T100000Z\n")).message(),
      HasSubstr("DTEND: must be a DATE when DTSTART is a DATE"));
  EXPECT_THAT(ParseError(Event("UID:a\nDTSTART:20260105T090000Z\nDURATION:-PT1H\n")).message(),
              HasSubstr("DURATION: is negative"));
}

TEST(IcalErrorsTest, RuleProblems) {
  // libical refuses the syntax ...
  EXPECT_THAT(ParseError(Event("UID:a\nDTSTART:20260105T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,XX\n"))
                  .message(),
              AllOf(HasSubstr("exams.ics:6: VEVENT 'a': RRULE:"), HasSubstr("BYDAY=MO,XX")));
  // ... RFC 5545 forbids the combination ...
  EXPECT_THAT(ParseError(Event("UID:a\nDTSTART:20260105T090000Z\nRRULE:FREQ=MONTHLY;BYWEEKNO=3\n"))
                  .message(),
              HasSubstr("exams.ics:6: VEVENT 'a': RRULE: RRULE 'FREQ=MONTHLY;BYWEEKNO=3': BYWEEKNO "
                        "needs FREQ=YEARLY"));
  // ... or the rule does not fit an all-day event.
  EXPECT_THAT(
      ParseError(Event("UID:a\nDTSTART;VALUE=DATE:20260105\nRRULE:FREQ=HOURLY\n")).message(),
      HasSubstr("DTSTART is a DATE"));
}

TEST(IcalErrorsTest, AttendanceMustBeAWholeNumberInRange) {
  for (const char* bad : {"lots", "-5", "12.5", "99999999999"}) {
    EXPECT_THAT(
        ParseError(Event(std::string("UID:a\nDTSTART:20260105T090000Z\nX-PREBELL-ATTENDANCE:") +
                         bad + "\n"))
            .message(),
        HasSubstr("exams.ics:6: VEVENT 'a': X-PREBELL-ATTENDANCE: '" + std::string(bad) +
                  "' is not a whole number"))
        << bad;
  }
}

TEST(IcalErrorsTest, DuplicateSeriesAndOverrides) {
  const std::string text =
      "BEGIN:VCALENDAR\nVERSION:2.0\n"
      "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT\n"  // 3
      "BEGIN:VEVENT\nUID:a\nDTSTART:20260106T090000Z\nEND:VEVENT\n"                    // 8
      "BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260107T090000Z\nDTSTART:20260107T100000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260107T090000Z\nDTSTART:20260107T110000Z\nEND:VEVENT\n"
      "END:VCALENDAR\n";
  const Status st = ParseError(text);
  EXPECT_THAT(st.message(), HasSubstr("exams.ics:9: VEVENT 'a': UID: the VEVENT at line 3 already "
                                      "has this UID"));
  EXPECT_THAT(st.message(), HasSubstr("exams.ics:19: VEVENT 'a': RECURRENCE-ID: another VEVENT "
                                      "already overrides this instance"));
}

TEST(IcalErrorsTest, EveryProblemInTheFileIsReported) {
  const std::string text =
      "BEGIN:VCALENDAR\nVERSION:2.0\n"
      "BEGIN:VEVENT\nUID:one\nDTSTART:20260105T090000Z\nDTEND:20260105T080000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:two\nDTSTART;TZID=Nowhere/City:20260105T090000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:three\nDTSTART:20260105T090000Z\nX-PREBELL-ATTENDANCE:many\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:fine\nDTSTART:20260105T090000Z\nEND:VEVENT\n"
      "END:VCALENDAR\n";
  const std::string m = ParseError(text).message();
  EXPECT_THAT(m, HasSubstr("exams.ics:6: VEVENT 'one': DTEND"));
  EXPECT_THAT(m, HasSubstr("exams.ics:10: VEVENT 'two': DTSTART"));
  EXPECT_THAT(m, HasSubstr("exams.ics:15: VEVENT 'three': X-PREBELL-ATTENDANCE"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 2);  // three lines
}

TEST(IcalErrorsTest, AFloodOfProblemsIsCut) {
  std::string text = "BEGIN:VCALENDAR\nVERSION:2.0\n";
  for (int i = 0; i < 500; ++i) {
    text += "BEGIN:VEVENT\nUID:e" + std::to_string(i) + "\nEND:VEVENT\n";
  }
  text += "END:VCALENDAR\n";
  const std::string m = ParseError(text).message();
  EXPECT_THAT(m, HasSubstr("... and 450 more problems"));
}

TEST(IcalErrorsTest, BrokenCalendarsNeverCrash) {
  // Truncations, stray ENDs, nesting gone wrong, absurd values: any outcome
  // but a crash is fine; most are errors.
  const std::string good =
      "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTIMEZONE\nTZID:X\nBEGIN:STANDARD\n"
      "DTSTART:19700101T000000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nEND:STANDARD\n"
      "END:VTIMEZONE\nBEGIN:VEVENT\nUID:a\nDTSTART;TZID=X:20260105T090000\n"
      "RRULE:FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=1\nEXDATE;TZID=X:20260130T090000\n"
      "RDATE;VALUE=PERIOD:20260101T000000Z/PT1H\nEND:VEVENT\nEND:VCALENDAR\n";
  for (size_t cut = 0; cut <= good.size(); ++cut) {
    auto cal = IcalCalendar::Parse(good.substr(0, cut), Options());
    if (cal.ok()) {
      (void)cal->Expand(*ParseRfc3339("2026-01-01T00:00:00Z"),
                        *ParseRfc3339("2027-01-01T00:00:00Z"));
    }
  }
  for (const char* weird : {
           "BEGIN:VCALENDAR\nEND:VEVENT\nEND:VCALENDAR\n",
           // found by ical_fuzzer: an unknown component closed by END:VEVENT
           "BEGIN:VCALENDAR\nBEGIN:VE0000007182930A4B5C6D7E8F90011223344556\nUID:x\n"
           "END:VEVENT\nEND:VCALENDAR\n",
           "BEGIN:VCALENDAR\nBEGIN:X-THING\nEND:X-THING\nBEGIN:VFOO\nEND:VFOO\nEND:VCALENDAR\n",
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VEVENT\nUID:a\nEND:VCALENDAR\n",
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:99991231T235959Z\nRRULE:FREQ=SECONDLY\n"
           "END:VEVENT\nEND:VCALENDAR\n",
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:00010101T000000Z\nRRULE:FREQ=YEARLY;"
           "INTERVAL=32767;BYSETPOS=-366;BYYEARDAY=-366\nEND:VEVENT\nEND:VCALENDAR\n",
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20260230T000000Z\nEND:VEVENT\nEND:"
           "VCALENDAR\n",
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART;TZID=/:20260101T000000\nEND:VEVENT\n"
           "END:VCALENDAR\n",
       }) {
    auto cal = IcalCalendar::Parse(weird, Options());
    if (cal.ok()) {
      (void)cal->Expand(*ParseRfc3339("2000-01-01T00:00:00Z"),
                        *ParseRfc3339("2100-01-01T00:00:00Z"));
    }
  }
}

}  // namespace
}  // namespace prebell
