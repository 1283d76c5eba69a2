// Small text helpers for reasons a person reads: "3,100", "1m30s",
// "Tue 09:00" (local), "+12%".
#pragma once

#include <string>

#include "policies/common/time_text.h"
#include "policies/timetable/time_zone.h"

namespace prebell {

// Rounded to an integer, with thousands separators: 3100.4 -> "3,100".
std::string FormatThousands(double value);
// Weekday and local wall-clock time: "Tue 09:00".
std::string FormatLocalWeekdayTime(Instant t, const TimeZone& zone);

}  // namespace prebell
