// Time as prebell models it, and its text forms.
//
// An Instant is a point on the UTC time line (seconds; sub-second precision
// is never needed to schedule a class). A LocalTime is a wall-clock reading
// in some zone that is not named by the value itself: it only becomes an
// Instant through a TimeZone (policies/timetable/time_zone.h). Keeping the two
// apart in the type system is what keeps DST bugs out (cf. absl::Time and
// absl::CivilSecond).
//
// The parsers are strict: they accept exactly the forms DESIGN.md names and
// return kInvalidArgument with a message that quotes the offending text.
#pragma once

#include <date/date.h>

#include <chrono>
#include <string>
#include <string_view>

#include "policies/common/status.h"

namespace prebell {

using Duration = std::chrono::seconds;
using Instant = std::chrono::sys_seconds;
using LocalTime = date::local_seconds;
using LocalDay = date::local_days;

// "15s", "90m", "2h", "7d", "1h30m", "1d2h30m15s". Units in decreasing order,
// each at most once; the total must be positive and at most 100 years.
StatusOr<Duration> ParseDuration(std::string_view text);
// The shortest form ParseDuration accepts: 5400s -> "1h30m", 0 -> "0s".
std::string FormatDuration(Duration d);

// RFC 3339: "2026-11-23T08:00:00Z", "2026-11-23T08:00:00.250+01:00".
// A lower-case 't'/'z' and a space for 'T' are accepted as RFC 3339 allows;
// fractional seconds are truncated.
StatusOr<Instant> ParseRfc3339(std::string_view text);
// Always UTC with a 'Z': "2026-11-23T08:00:00Z".
std::string FormatRfc3339(Instant t);

// Local wall-clock "YYYY-MM-DDTHH:MM:SS" (no offset, no zone).
StatusOr<LocalTime> ParseLocalDateTime(std::string_view text);
std::string FormatLocalDateTime(LocalTime t);
// Local date "YYYY-MM-DD".
StatusOr<LocalDay> ParseLocalDate(std::string_view text);
std::string FormatLocalDate(LocalDay d);

}  // namespace prebell
