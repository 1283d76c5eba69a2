// IcalCalendar: an iCalendar (RFC 5545) file as the source of sessions.
//
// Parse() reads the VEVENTs of a VCALENDAR (as Google Calendar, Outlook and
// LMS exports write them) with libical; Expand() yields their occurrences in
// [from, to): RRULE, RDATE and EXDATE, RECURRENCE-ID overrides that move or
// cancel one occurrence (STATUS:CANCELLED), TZIDs that are IANA names,
// Windows names or defined only by the file's VTIMEZONE, floating times (read
// in `options.floating_zone`) and all-day events (the whole local day).
// Errors name the source, the line or UID, the property and the problem;
// every problem in the file is reported, one per line.
//
// How RFC 5545's open questions are answered (tests/unit/calendar):
// - Times: each series recurs in its DTSTART's wall-clock zone (so 09:00
//   stays 09:00 across DST); UTC series recur in UTC. A local time that does
//   not exist (spring forward) is read with the offset before the gap (3.3.5;
//   02:30 becomes 03:30), also when an RRULE generates it: 3.3.10 says such
//   instances are ignored, but every major client and the python peer move
//   them, and a class must not vanish silently. A local time that happens
//   twice is the first of the two (3.3.5). X-WR-TIMEZONE is ignored.
// - Lengths: DTEND gives an exact length (DATE values: days), DURATION's days
//   and weeks are nominal (3.3.6); without either, a DATE-TIME event has no
//   length (end == start, 3.6.1) and a DATE event is one day.
// - DTSTART is always an instance and counts towards COUNT (3.3.10);
//   duplicates of one instant are one instance; EXDATE;VALUE=DATE removes
//   the whole local day of a timed series.
// - A RECURRENCE-ID replaces the instance at that instant (RANGE=
//   THISANDFUTURE: and shifts every later one by the same wall-clock amount);
//   STATUS:CANCELLED removes what its VEVENT defines: the series' own
//   instances, or the one instance of an override. Overrides whose series is
//   not in the file stand alone.
// - Per occurrence: session = UID; course = options.course, else SUMMARY,
//   else the series' SUMMARY, else the UID; expected attendance =
//   X-PREBELL-ATTENDANCE, else the number of ATTENDEEs that are participants
//   (not the CHAIR, not rooms or resources), else the series' value, else
//   options.expected_attendance.
// - Rejected: a missing UID or DTSTART, a TZID nothing defines, two series
//   with one UID, two overrides of one instance, RRULE parts RFC 5545 forbids
//   (recurrence_rule.h), DTEND before DTSTART, DTEND with DURATION.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/time_zone.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct CalendarImportOptions {
  std::string source_name;  // file name or "configmap/key": messages, Occurrence::timetable
  TimeZone floating_zone = TimeZone::Utc();
  SessionKind kind = SessionKind::kClass;
  std::string course;               // empty: each event's SUMMARY is its course
  int64_t expected_attendance = 0;  // unless the event has X-PREBELL-ATTENDANCE
};

class IcalCalendar {
 public:
  static StatusOr<IcalCalendar> Parse(std::string_view text, const CalendarImportOptions& options);

  // Occurrences starting in [from, to), sorted by OccurrenceBefore, minus
  // those starting on an excluded local day (in options.floating_zone).
  StatusOr<std::vector<Occurrence>> Expand(Instant from, Instant to,
                                           const std::vector<Exclusion>& exclusions = {},
                                           const ExpansionBudget& budget = {}) const;

  // Implementation-defined parsed state (see ical_calendar.cc).
  struct Data;

  IcalCalendar(IcalCalendar&&) noexcept;
  IcalCalendar& operator=(IcalCalendar&&) noexcept;
  ~IcalCalendar();

 private:
  explicit IcalCalendar(std::unique_ptr<Data> data);
  std::unique_ptr<Data> data_;
};

}  // namespace prebell
