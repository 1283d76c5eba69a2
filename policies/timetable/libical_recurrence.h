// LibicalRecurrence: libical's icalrecur_iterator over wall-clock times, the
// only place in policies/timetable that calls libical.
//
// The rule is expanded on a floating (zone-less) DTSTART, so libical never
// looks at a time zone: turning local times into instants is TimeZone's job.
// The caller always gives an inclusive `until` bound, which libical checks
// inside its own search loops for SECONDLY..WEEKLY rules; that is what keeps
// a rule whose next match is far away (or never comes) from spinning inside
// a single icalrecur_iterator_next() call. MONTHLY and YEARLY rules are not
// bounded that way, so callers first rule out day-level combinations that
// can never match (RruleCanMatchSomeDay).
//
// Measured on Debian's libical 3.0.16 (built with ICU): a few microseconds
// per candidate, which is why the expander avoids it for periodic rules.
#pragma once

#include <memory>
#include <optional>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/timetable/rrule.h"

namespace prebell {

class LibicalRecurrence {
 public:
  // The rule's parts other than UNTIL and COUNT come from
  // rule.text_without_end; `count` is the rule's COUNT (0 for none) and
  // `until` the inclusive last local time to produce. With `start_at`, the
  // iterator skips ahead (icalrecur_iterator_set_start): only for rules
  // without COUNT, and only DAILY and coarser, where it agrees with a full
  // iteration (HOURLY and finer lose their phase in libical 3.0.16).
  // kInvalidArgument when libical refuses the rule for this DTSTART.
  static StatusOr<LibicalRecurrence> Create(const Rrule& rule, LocalTime dtstart, LocalTime until,
                                            std::optional<LocalTime> start_at = std::nullopt);

  // The next local start, or nullopt at the end.
  std::optional<LocalTime> Next();

  LibicalRecurrence(LibicalRecurrence&&) noexcept;
  LibicalRecurrence& operator=(LibicalRecurrence&&) noexcept;
  ~LibicalRecurrence();

  // Whether Create() would honour `start_at` for this rule.
  static bool CanSkipAhead(const Rrule& rule);

 private:
  struct Impl;
  explicit LibicalRecurrence(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// libical computes dates up to this year; expansion never goes later.
inline constexpr int kLatestExpansionYear = 2500;

}  // namespace prebell
