// The parsed form of an iCalendar file: what IcalCalendar::Expand needs and
// nothing of libical.
//
// Every explicit time (DTSTART, RDATE, EXDATE, RECURRENCE-ID) is already an
// Instant, read in its own TZID, UTC, or the floating zone. A CalendarEvent
// is one UID: the master VEVENT (its recurrence set) and the VEVENTs with a
// RECURRENCE-ID that replace or cancel single instances of it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policies/calendar/calendar_zone.h"
#include "policies/calendar/ical_calendar.h"
#include "policies/calendar/recurrence_rule.h"
#include "policies/calendar/rrule_text.h"
#include "policies/common/time_text.h"

namespace prebell {

// What an occurrence carries besides its times.
struct EventDetails {
  std::string course;
  int64_t attendance = 0;
  bool cancelled = false;  // STATUS:CANCELLED
};

// DTEND - DTSTART or DURATION. RFC 5545 3.3.6/3.8.5.3: days and weeks are
// nominal (the same wall-clock time so many days later, 23 or 25 hours
// across DST), hours, minutes and seconds exact; a DTEND gives an exact
// length (nominal days for all-day events).
struct EventLength {
  int64_t nominal_days = 0;
  Duration exact{0};
};

struct EventRule {
  CompiledRecurrenceRule rule;  // bound to the event's DTSTART (wall-clock)
  RecurrenceUntil until;
};

// An RDATE: a start, and for RDATE;VALUE=PERIOD an end of its own.
struct ExtraInstance {
  Instant start{};
  std::optional<Instant> end;
};

// A VEVENT with a RECURRENCE-ID.
struct EventOverride {
  Instant recurrence_id{};
  std::optional<LocalDay> recurrence_day;  // RECURRENCE-ID;VALUE=DATE of a timed event
  bool this_and_future = false;            // RANGE=THISANDFUTURE
  Instant start{};
  Instant end{};
  EventDetails details;
};

struct CalendarEvent {
  std::string uid;
  bool has_master = false;             // false: only RECURRENCE-ID instances were in the file
  CalendarZone zone{TimeZone::Utc()};  // DTSTART's wall-clock zone (floating zone if none)
  bool all_day = false;
  LocalTime start_local{};
  Instant start{};
  EventLength length;
  std::vector<EventRule> rules;
  std::vector<ExtraInstance> rdates;
  std::vector<Instant> exdates;       // sorted
  std::vector<LocalDay> exdate_days;  // EXDATE;VALUE=DATE of a timed event: that local day
  std::vector<EventOverride> overrides;
  EventDetails details;
};

struct IcalCalendar::Data {
  CalendarImportOptions options;
  std::vector<CalendarEvent> events;
};

// Reads `text` with libical. All problems in the file are reported in one
// kInvalidArgument status, one line each, each naming the source, the line,
// the UID, the property and the problem.
StatusOr<std::unique_ptr<IcalCalendar::Data>> ReadIcalCalendar(
    std::string_view text, const CalendarImportOptions& options);

}  // namespace prebell
