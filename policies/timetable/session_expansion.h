// Session expansion: the wall-clock start times of one session in a window.
//
// This is the engine under ExpandSessions (recurrence_expander.h), exposed so
// that validation and the tests can reach it. Two paths give the same
// answer:
// - Periodic rules (SECONDLY..WEEKLY without BYMONTH, BYMONTHDAY, BYYEARDAY
//   or BYWEEKNO: the weekly lecture, the daily lab) repeat exactly every
//   period P in wall-clock time. libical expands the first two periods from
//   DTSTART; if the second is the first shifted by P the rule is periodic and
//   every later start is DTSTART + k*P + offset, computed directly, so a
//   window far from DTSTART costs nothing and a year of a weekly class costs
//   nanoseconds. Patterns are shared between sessions whose rule, weekday and
//   time of day agree (PeriodicPatternCache).
// - Everything else iterates libical (LibicalRecurrence), skipping ahead to
//   the window where libical does that correctly, under a step budget that
//   is checked against an estimate before libical is called (libical cannot
//   be interrupted inside one step) and counted while it runs.
// UNTIL is applied here, exactly: a UTC UNTIL is compared as an instant
// through the zone, a local one as wall-clock time, a date as a local day.
// COUNT counts from DTSTART, whatever the window.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/timetable/rrule.h"
#include "policies/timetable/time_zone.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct LocalExpansionLimits {
  // More local starts than this in the window: kResourceExhausted.
  int64_t max_results = 5'000'000;
  // Candidate starts the periodic arithmetic may visit.
  int64_t max_steps = 10'000'000;
  // Candidate times libical may visit (estimated first, then counted). Each
  // costs libical microseconds, so this is the limit that bounds the time
  // spent on a pathological rule (100,000: about two seconds at worst).
  int64_t max_libical_candidates = 100'000;
};

enum class ExpansionEngine {
  kAuto,         // periodic arithmetic where it applies, libical otherwise
  kLibicalOnly,  // always iterate libical (tests compare the two)
};

struct PeriodicPattern {
  Duration period{};
  std::vector<Duration> offsets;  // from DTSTART, ascending, each < period
};
// Keyed by rule text, weekday and time of day of DTSTART; nullopt: the rule
// is not periodic.
using PeriodicPatternCache = std::map<std::string, std::optional<PeriodicPattern>>;

// Appends to `out` the local starts of `session` in [lo, hi] (inclusive,
// wall-clock), ascending, after COUNT and UNTIL. `rule` is the parsed
// session.recurrence, or nullptr for a one-off session. Errors are
// kInvalidArgument (the rule cannot be expanded) or kResourceExhausted, with
// a message that does not name the session (the caller does).
Status ExpandLocalStarts(const Session& session, const Rrule* rule, const TimeZone& zone,
                         LocalTime lo, LocalTime hi, const LocalExpansionLimits& limits,
                         PeriodicPatternCache* cache, std::vector<LocalTime>* out,
                         ExpansionEngine engine = ExpansionEngine::kAuto);

// The checks `prebell validate` adds to ParseRrule for a session: UNTIL not
// before the start, a rule that can produce at least one occurrence (no day
// can match, a BYSETPOS or INTERVAL that never lands, nothing before UNTIL),
// a start that is the rule's first occurrence (RFC 5545 leaves the set
// undefined otherwise, and engines differ), and a rule cheap enough to
// expand a week of within `limits`.
// `cache` (optional) shares periodic patterns between the sessions of a
// file. The search for the first occurrence of a rule that is not periodic
// looks at most 10,000 libical candidates ahead, and, with `probe_budget`,
// spends at most that many over all calls (a file of 2,000 such sessions
// stays quick); where it cannot look far enough it accepts the rule, whose
// expansion is bounded anyway.
Status CheckSessionRecurrence(const Session& session, const Rrule& rule, const TimeZone& zone,
                              const LocalExpansionLimits& limits = {},
                              PeriodicPatternCache* cache = nullptr,
                              int64_t* probe_budget = nullptr);

}  // namespace prebell
