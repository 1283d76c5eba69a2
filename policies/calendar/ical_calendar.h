// IcalCalendar: an iCalendar (RFC 5545) file as the source of sessions.
//
// Parse() reads the VEVENTs of a VCALENDAR (as Google Calendar, Outlook and
// LMS exports write them) with libical; Expand() yields their occurrences in
// [from, to): RRULE, RDATE and EXDATE, RECURRENCE-ID overrides that move or
// cancel one occurrence (STATUS:CANCELLED), TZIDs that are IANA names,
// Windows names or defined only by the file's VTIMEZONE, floating times (read
// in `options.floating_zone`) and all-day events (the whole local day).
// Errors name the source, the line or UID, the property and the problem.
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
