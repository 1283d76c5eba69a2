// VtimezoneRules: a time zone known only from a calendar's own VTIMEZONE.
//
// A VTIMEZONE lists observances (STANDARD / DAYLIGHT): an onset (DTSTART, in
// the offset in force before it), TZOFFSETFROM, TZOFFSETTO and an optional
// RRULE and RDATEs repeating the onset. Build() expands the onsets into a
// table of transitions up to a horizon (rules keep their last offset after
// it) and converts times exactly like TimeZone (policies/timetable/
// time_zone.h): a local time inside a gap is read with the offset before the
// gap, one that happens twice is the first of the two (RFC 5545 3.3.5).
// Immutable after Build(), so thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policies/calendar/recurrence_rule.h"
#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell {

struct VtimezoneObservance {
  LocalTime onset{};  // DTSTART, wall-clock in offset_from
  Duration offset_from{};
  Duration offset_to{};
  std::optional<RecurrenceRule> rule;
  std::optional<Instant> until;   // the RRULE's UNTIL (UTC, as RFC 5545 requires here)
  std::vector<LocalTime> rdates;  // more onsets, wall-clock in offset_from
};

class VtimezoneRules {
 public:
  // Onsets are expanded until `horizon` (wall-clock). kInvalidArgument naming
  // `tzid` for an empty definition or one with absurdly many transitions.
  static StatusOr<VtimezoneRules> Build(std::string tzid,
                                        const std::vector<VtimezoneObservance>& observances,
                                        LocalTime horizon);

  const std::string& tzid() const { return tzid_; }
  Instant ToInstant(LocalTime local) const;
  LocalTime ToLocal(Instant t) const { return LocalTime{(t + OffsetAt(t)).time_since_epoch()}; }
  Duration OffsetAt(Instant t) const;

 private:
  struct Transition {
    Instant at;
    Duration offset;  // in force from `at` on
  };
  VtimezoneRules(std::string tzid, std::vector<Transition> transitions, Duration initial)
      : tzid_(std::move(tzid)), transitions_(std::move(transitions)), initial_offset_(initial) {}

  std::string tzid_;
  std::vector<Transition> transitions_;  // sorted by `at`
  Duration initial_offset_;              // before the first transition
};

}  // namespace prebell
