// Recurrence expansion: a Timetable's sessions -> Occurrences in [from, to).
//
// Each session's RRULE is expanded in the timetable's wall-clock time (so a
// 09:00 class stays at 09:00 across DST) and every local start is turned into
// an Instant by TimeZone::ToInstant (RFC 5545 rules for gaps and overlaps).
// Exclusions remove occurrences whose local start day falls in an excluded
// range. An occurrence is included when its start is in [from, to) (the
// `prebell sessions` contract).
// Rules without an end are expanded only up to `to`. Work is bounded by an
// ExpansionBudget: a pathological rule ends in kResourceExhausted naming the
// session, never in a hang. spec.calendars are not expanded here (their
// text lives in ConfigMaps: see policies/calendar/ical_calendar.h).
// How it is done, and the DST and UNTIL rules: session_expansion.h.
#pragma once

#include <cstdint>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct ExpansionBudget {
  // Occurrences produced, over all sessions of one call.
  int64_t max_occurrences = 5'000'000;
  // Candidate instants the recurrence iterator may visit for one session,
  // including ones that a BY* filter or BYSETPOS rejects.
  int64_t max_steps_per_session = 10'000'000;
  // Candidates libical's icalrecur_iterator may visit for one session (rules
  // the expander cannot compute by arithmetic). Each costs libical a few
  // microseconds and one call cannot be interrupted, so this limit is the
  // one that keeps a pathological rule to a couple of seconds; it is checked
  // against an estimate before libical is called.
  int64_t max_libical_candidates_per_session = 100'000;
};

// Sorted by OccurrenceBefore.
StatusOr<std::vector<Occurrence>> ExpandSessions(const Timetable& timetable, Instant from,
                                                 Instant to, const ExpansionBudget& budget = {});

// True when `local_start`'s day lies in one of `exclusions`.
bool IsExcluded(const std::vector<Exclusion>& exclusions, LocalTime local_start);

}  // namespace prebell
