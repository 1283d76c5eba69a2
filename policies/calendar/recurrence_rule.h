// RecurrenceRule: an RFC 5545 RRULE as data, and its expansion in wall-clock
// time.
//
// The expansion works on local (wall-clock) times only: turning them into
// instants is the caller's business (a TimeZone, a VTIMEZONE, or the floating
// zone), and so is UNTIL, whose meaning depends on the zone. It follows RFC
// 5545 section 3.3.10: BYxxx parts expand or limit the set per frequency
// period as the RFC's table says, BYSETPOS selects within each period,
// invalid dates (February 30) are skipped and not counted, and COUNT counts
// DTSTART as the first instance. Where the RFC leaves a choice open, the
// expansion does what python-dateutil does (the differential test's peer),
// except where noted in ValidateRecurrenceRule.
//
// Why not libical's icalrecur_iterator: in libical 3.0.16 (Debian, built with
// ICU) it costs ~20 us per instance, cannot be interrupted, and spends
// seconds inside icalrecur_iterator_new for a BYSETPOS that never matches.
// Here every period and candidate counts against a step budget, so a
// pathological rule ends in kResourceExhausted instead of a hang.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell {

enum class RecurrenceFrequency {
  kSecondly,
  kMinutely,
  kHourly,
  kDaily,
  kWeekly,
  kMonthly,
  kYearly
};

struct RecurrenceRule {
  // One BYDAY entry: "MO" (ordinal 0), "2TU", "-1FR".
  struct WeekdayNum {
    int ordinal = 0;
    unsigned weekday = 1;  // date::weekday::c_encoding(): 0 = Sunday ... 6 = Saturday
  };

  RecurrenceFrequency frequency = RecurrenceFrequency::kDaily;
  int interval = 1;
  int64_t count = 0;        // 0: no COUNT
  unsigned week_start = 1;  // WKST, c_encoding (default Monday)
  std::vector<int> by_second;
  std::vector<int> by_minute;
  std::vector<int> by_hour;
  std::vector<WeekdayNum> by_day;
  std::vector<int> by_month_day;
  std::vector<int> by_year_day;
  std::vector<int> by_week_no;
  std::vector<int> by_month;
  std::vector<int> by_set_pos;
};

// The RRULE in RFC 5545 text form ("FREQ=WEEKLY;BYDAY=MO,WE"), without UNTIL.
std::string FormatRecurrenceRule(const RecurrenceRule& rule);

// kInvalidArgument naming the rule part, for what RFC 5545 says MUST NOT be:
// values out of range, BYDAY ordinals other than with MONTHLY/YEARLY (or with
// BYWEEKNO), BYMONTHDAY with WEEKLY, BYYEARDAY with DAILY/WEEKLY/MONTHLY,
// BYWEEKNO other than with YEARLY, BYSETPOS without another BYxxx part.
// (python-dateutil silently reinterprets some of these; a calendar that
// relies on that is ambiguous, so it is rejected with a clear message.)
Status ValidateRecurrenceRule(const RecurrenceRule& rule);

struct RecurrenceLimits {
  // Instances before this need not be reported. Only a hint: the expansion
  // skips whole periods before it when the rule has no COUNT (with COUNT,
  // every instance from DTSTART on must be counted).
  LocalTime not_before = LocalTime::min();
  // No instance after this is reported; the expansion ends there.
  LocalTime not_after = LocalTime::max();
  // Frequency periods plus candidate instances visited, in one call.
  int64_t max_steps = 10'000'000;
};

// A non-owning reference to a callable `bool(LocalTime)` (cf. absl::
// FunctionRef): no allocation per call, unlike std::function. Valid only
// while the callable it was made from lives (for a temporary lambda: the
// full expression of the call).
class RecurrenceVisitor {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, RecurrenceVisitor>)
      RecurrenceVisitor(F&& f)  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, LocalTime t) -> bool {
          return (*static_cast<std::remove_reference_t<F>*>(o))(t);
        }) {}
  bool operator()(LocalTime t) const { return call_(object_, t); }

 private:
  void* object_;
  bool (*call_)(void*, LocalTime);
};

// A rule bound to its DTSTART, with what that fixes computed once, so that
// expanding it again (every reconcile) costs only the periods visited.
// Immutable, so thread-safe.
class CompiledRecurrenceRule {
 public:
  // `rule` must have passed ValidateRecurrenceRule.
  CompiledRecurrenceRule(RecurrenceRule rule, LocalTime dtstart);
  CompiledRecurrenceRule(CompiledRecurrenceRule&&) noexcept;
  CompiledRecurrenceRule& operator=(CompiledRecurrenceRule&&) noexcept;
  ~CompiledRecurrenceRule();

  const RecurrenceRule& rule() const;
  LocalTime dtstart() const;

  // Calls `visit` with the instances the rule generates from DTSTART on, in
  // increasing order, until COUNT is reached, `visit` returns false (the
  // caller's UNTIL), or an instance lies after limits.not_after. DTSTART
  // itself is reported only if the rule generates it (RFC 5545 makes it an
  // instance either way; adding it is the caller's job), but it always
  // counts towards COUNT. `*steps` is increased by the work done;
  // kResourceExhausted when it passes limits.max_steps, kInvalidArgument for
  // a DTSTART outside the years 1..9999.
  Status Expand(const RecurrenceLimits& limits, int64_t* steps, RecurrenceVisitor visit) const;

  struct Setup;

 private:
  std::unique_ptr<const Setup> setup_;
};

// CompiledRecurrenceRule(rule, dtstart).Expand(limits, steps, visit).
Status ExpandRecurrenceRule(const RecurrenceRule& rule, LocalTime dtstart,
                            const RecurrenceLimits& limits, int64_t* steps,
                            RecurrenceVisitor visit);

}  // namespace prebell
