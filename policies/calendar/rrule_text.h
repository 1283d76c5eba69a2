// ParseRecurrenceRule: an RRULE value ("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=
// 20261216T000000Z") -> RecurrenceRule, through libical's parser.
//
// libical checks the syntax; ValidateRecurrenceRule then checks what RFC
// 5545 forbids. UNTIL is returned as written (UTC, local or a DATE): what it
// means depends on the zone of the DTSTART it goes with, which is the
// caller's. Errors are kInvalidArgument and name the offending rule part.
#pragma once

#include <string_view>

#include "policies/calendar/recurrence_rule.h"
#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell {

// The UNTIL of an RRULE, in the form it was written.
struct RecurrenceUntil {
  enum class Kind { kNone, kUtc, kLocal, kDate };
  Kind kind = Kind::kNone;
  Instant utc{};      // kUtc: "20261216T000000Z"
  LocalTime local{};  // kLocal: "20261216T000000"
  LocalDay day{};     // kDate: "20261216"
};

struct ParsedRecurrenceRule {
  RecurrenceRule rule;
  RecurrenceUntil until;
};

StatusOr<ParsedRecurrenceRule> ParseRecurrenceRule(std::string_view text);

}  // namespace prebell
