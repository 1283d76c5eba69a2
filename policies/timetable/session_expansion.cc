#include "policies/timetable/session_expansion.h"

#include <date/date.h>

#include <algorithm>
#include <numeric>

#include "policies/timetable/libical_recurrence.h"

namespace prebell {
namespace {

using std::chrono::seconds;

constexpr int64_t kDay = 86400;
constexpr int64_t kWeek = 7 * kDay;
// libical candidates two periods of a periodic rule may take to derive.
constexpr int64_t kMaxPatternCandidates = 50'000;
// libical candidates validation looks ahead for a rule's first occurrence.
constexpr int64_t kMaxProbeCandidates = 10'000;

int64_t UnitSeconds(RruleFrequency f) {
  switch (f) {
    case RruleFrequency::kSecondly:
      return 1;
    case RruleFrequency::kMinutely:
      return 60;
    case RruleFrequency::kHourly:
      return 3600;
    case RruleFrequency::kDaily:
      return kDay;
    case RruleFrequency::kWeekly:
      return kWeek;
    case RruleFrequency::kMonthly:
      return 28 * kDay;  // shortest month: estimates stay upper bounds
    case RruleFrequency::kYearly:
      return 365 * kDay;
  }
  return kDay;
}

LocalTime LatestLocal() {
  return LocalTime{LocalDay{date::year{kLatestExpansionYear} / 12 / 31}.time_since_epoch() +
                   seconds{kDay - 1}};
}

// The last local time UNTIL can possibly admit (a UTC UNTIL is at most a day
// away from its wall-clock reading in any zone).
LocalTime UntilLocalBound(const RruleUntil& u) {
  switch (u.form) {
    case RruleUntil::Form::kUtc:
      return LocalTime{u.utc.time_since_epoch()} + date::days{1};
    case RruleUntil::Form::kLocal:
      return u.local;
    case RruleUntil::Form::kDate:
      return LocalTime{(u.day + date::days{1}).time_since_epoch()} - seconds{1};
  }
  return u.local;
}

bool BeyondUntil(const RruleUntil& u, const TimeZone& zone, LocalTime t) {
  switch (u.form) {
    case RruleUntil::Form::kUtc:
      return zone.ToInstant(t) > u.utc;
    case RruleUntil::Form::kLocal:
      return t > u.local;
    case RruleUntil::Form::kDate:
      return date::floor<date::days>(t) > u.day;
  }
  return false;
}

std::string UntilText(const RruleUntil& u) {
  switch (u.form) {
    case RruleUntil::Form::kUtc:
      return FormatRfc3339(u.utc);
    case RruleUntil::Form::kLocal:
      return FormatLocalDateTime(u.local) + " (local)";
    case RruleUntil::Form::kDate:
      return FormatLocalDate(u.day) + " (local date)";
  }
  return {};
}

// The wall-clock period after which the rule repeats exactly, for rules whose
// BYxxx parts only look at the weekday and the time of day.
std::optional<int64_t> PeriodSeconds(const Rrule& r) {
  if (!r.by_month.empty() || !r.by_month_day.empty() || !r.by_year_day.empty() ||
      !r.by_week_no.empty()) {
    return std::nullopt;
  }
  const int64_t base = int64_t{r.interval} * UnitSeconds(r.frequency);
  switch (r.frequency) {
    case RruleFrequency::kMonthly:
    case RruleFrequency::kYearly:
      return std::nullopt;
    case RruleFrequency::kWeekly:
      return base;
    case RruleFrequency::kDaily:
      return r.by_day.empty() ? base : std::lcm(base, kWeek);
    case RruleFrequency::kSecondly:
    case RruleFrequency::kMinutely:
    case RruleFrequency::kHourly: {
      const bool time_parts = !r.by_hour.empty() || !r.by_minute.empty() || !r.by_second.empty();
      const int64_t cycle = !r.by_day.empty() ? kWeek : (time_parts ? kDay : 0);
      return cycle == 0 ? base : std::lcm(base, cycle);
    }
  }
  return std::nullopt;
}

// An upper bound on the candidates libical visits between `from` and `to`.
int64_t EstimateCandidates(const Rrule& r, LocalTime from, LocalTime to) {
  const int64_t span = std::max<int64_t>(0, (to - from).count());
  const int64_t step = int64_t{r.interval} * UnitSeconds(r.frequency);
  const int64_t periods = span / step + 1;
  switch (r.frequency) {
    case RruleFrequency::kWeekly:
      return periods * 7;
    case RruleFrequency::kMonthly:
      return periods * 31;
    case RruleFrequency::kYearly:
      return periods * 366;
    default:
      return periods;
  }
}

std::string PatternKey(const Rrule& r, LocalTime dtstart) {
  const LocalDay day = date::floor<date::days>(dtstart);
  return r.text_without_end + "|" + std::to_string(date::weekday{day}.c_encoding()) + "|" +
         std::to_string((dtstart - day).count());
}

// libical expands the first two periods; the rule is periodic if the second
// repeats the first.
StatusOr<std::optional<PeriodicPattern>> DerivePattern(const Rrule& rule, LocalTime dtstart) {
  const std::optional<int64_t> period = PeriodSeconds(rule);
  if (!period) return std::optional<PeriodicPattern>();
  const int64_t step = int64_t{rule.interval} * UnitSeconds(rule.frequency);
  const seconds p{*period};
  if (2 * *period / step > kMaxPatternCandidates || dtstart + 2 * p > LatestLocal()) {
    return std::optional<PeriodicPattern>();
  }
  Rrule open = rule;
  open.count = 0;
  open.until.reset();
  StatusOr<LibicalRecurrence> it =
      LibicalRecurrence::Create(open, dtstart, dtstart + 2 * p - seconds{1});
  if (!it.ok()) return it.status();
  std::vector<Duration> first, second;
  int64_t visited = 0;
  while (std::optional<LocalTime> t = it->Next()) {
    if (++visited > 4 * kMaxPatternCandidates) return std::optional<PeriodicPattern>();
    const Duration off = *t - dtstart;
    if (off < Duration{0}) continue;
    if (off >= 2 * p) break;
    if (off < p) {
      first.push_back(off);
    } else {
      second.push_back(off - p);
    }
  }
  if (first != second) return std::optional<PeriodicPattern>();
  return std::optional<PeriodicPattern>(PeriodicPattern{p, std::move(first)});
}

StatusOr<std::optional<PeriodicPattern>> CachedPattern(const Rrule& rule, LocalTime dtstart,
                                                       PeriodicPatternCache* cache) {
  if (cache == nullptr) return DerivePattern(rule, dtstart);
  const std::string key = PatternKey(rule, dtstart);
  if (auto it = cache->find(key); it != cache->end()) return it->second;
  StatusOr<std::optional<PeriodicPattern>> p = DerivePattern(rule, dtstart);
  if (p.ok()) cache->emplace(key, *p);
  return p;
}

Status TooManyResults(const LocalExpansionLimits& limits, LocalTime lo, LocalTime hi) {
  return ResourceExhaustedError("more than " + std::to_string(limits.max_results) +
                                " occurrences between " + FormatLocalDateTime(lo) + " and " +
                                FormatLocalDateTime(hi) +
                                " (local time): narrow the window or the rule");
}

Status TooManySteps(const Rrule& rule, int64_t estimate, int64_t limit, LocalTime from,
                    LocalTime to) {
  return ResourceExhaustedError(
      "the rule " + rule.text_without_end + " would visit about " + std::to_string(estimate) +
      " candidate times between " + FormatLocalDateTime(from) + " and " + FormatLocalDateTime(to) +
      " (local time), more than the limit of " + std::to_string(limit) +
      ": narrow the window, or use a coarser FREQ (FREQ=DAILY with BYHOUR/BYMINUTE instead of "
      "FREQ=MINUTELY or FREQ=SECONDLY with BYxxx filters)");
}

std::string Weekday(LocalTime t) {
  static constexpr const char* kNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
  return kNames[date::weekday{date::floor<date::days>(t)}.c_encoding()];
}

// RFC 5545 leaves a rule undefined when DTSTART is not one of its
// occurrences (libical and python-dateutil drop it, and disagree on whether
// it counts towards COUNT), so a Timetable must start on its first sitting.
Status CheckStartIsFirst(LocalTime start, LocalTime first) {
  if (first == start) return OkStatus();
  return InvalidArgumentError("start " + FormatLocalDateTime(start) + " (" + Weekday(start) +
                              ") is not an occurrence of the rule, whose first occurrence is " +
                              FormatLocalDateTime(first) + " (" + Weekday(first) +
                              "): set start to the first sitting (RFC 5545 leaves a rule that "
                              "does not include its start undefined)");
}

Status ExpandPeriodic(const PeriodicPattern& pattern, const Session& session, const Rrule& rule,
                      const TimeZone& zone, LocalTime lo, LocalTime hi,
                      const LocalExpansionLimits& limits, std::vector<LocalTime>* out) {
  if (pattern.offsets.empty()) return OkStatus();
  const int64_t m = static_cast<int64_t>(pattern.offsets.size());
  const int64_t p = pattern.period.count();
  int64_t k0 = 0;
  if (lo > session.start) k0 = std::max<int64_t>(0, (lo - session.start).count() / p - 1);
  int64_t k = k0;
  const size_t before = out->size();
  int64_t steps = 0;
  for (;; ++k) {
    const LocalTime base = session.start + seconds{k * p};
    if (base > hi) break;
    for (int64_t i = 0; i < m; ++i) {
      if (++steps > limits.max_steps) {
        return TooManySteps(rule, steps, limits.max_steps, session.start + seconds{k0 * p}, hi);
      }
      if (rule.count != 0 && k * m + i >= rule.count) return OkStatus();
      const LocalTime t = base + pattern.offsets[static_cast<size_t>(i)];
      if (t > hi) return OkStatus();
      if (t < lo) continue;
      if (rule.until && BeyondUntil(*rule.until, zone, t)) continue;
      out->push_back(t);
      if (static_cast<int64_t>(out->size() - before) > limits.max_results) {
        return TooManyResults(limits, lo, hi);
      }
    }
  }
  return OkStatus();
}

Status ExpandWithLibical(const Session& session, const Rrule& rule, const TimeZone& zone,
                         LocalTime lo, LocalTime hi, const LocalExpansionLimits& limits,
                         std::vector<LocalTime>* out) {
  // libical would search until year 2582 for a day that never comes.
  if (!RruleCanMatchSomeDay(rule, session.start) || !RruleSetPosCanSelect(rule, session.start)) {
    return OkStatus();
  }
  const bool skip = LibicalRecurrence::CanSkipAhead(rule) && lo > session.start;
  const LocalTime iterate_from = skip ? lo : session.start;
  const int64_t limit = limits.max_libical_candidates;
  const int64_t estimate = EstimateCandidates(rule, iterate_from, hi);
  if (estimate > limit) return TooManySteps(rule, estimate, limit, iterate_from, hi);
  StatusOr<LibicalRecurrence> it = LibicalRecurrence::Create(
      rule, session.start, hi, skip ? std::optional<LocalTime>(lo) : std::nullopt);
  if (!it.ok()) return it.status();
  const size_t before = out->size();
  int64_t steps = 0;
  while (std::optional<LocalTime> t = it->Next()) {
    if (++steps > limit) return TooManySteps(rule, steps, limit, iterate_from, hi);
    if (*t > hi) break;
    if (*t < lo) continue;
    if (rule.until && BeyondUntil(*rule.until, zone, *t)) continue;
    out->push_back(*t);
    if (static_cast<int64_t>(out->size() - before) > limits.max_results) {
      return TooManyResults(limits, lo, hi);
    }
  }
  return OkStatus();
}

}  // namespace

Status ExpandLocalStarts(const Session& session, const Rrule* rule, const TimeZone& zone,
                         LocalTime lo, LocalTime hi, const LocalExpansionLimits& limits,
                         PeriodicPatternCache* cache, std::vector<LocalTime>* out,
                         ExpansionEngine engine) {
  hi = std::min(hi, LatestLocal());
  if (rule == nullptr) {
    if (session.start >= lo && session.start <= hi) out->push_back(session.start);
    return OkStatus();
  }
  if (rule->until) hi = std::min(hi, UntilLocalBound(*rule->until));
  if (hi < lo || hi < session.start) return OkStatus();
  if (engine == ExpansionEngine::kAuto) {
    StatusOr<std::optional<PeriodicPattern>> pattern = CachedPattern(*rule, session.start, cache);
    if (!pattern.ok()) return pattern.status();
    if (pattern->has_value()) {
      return ExpandPeriodic(**pattern, session, *rule, zone, lo, hi, limits, out);
    }
  }
  return ExpandWithLibical(session, *rule, zone, lo, hi, limits, out);
}

Status CheckSessionRecurrence(const Session& session, const Rrule& rule, const TimeZone& zone,
                              const LocalExpansionLimits& limits, PeriodicPatternCache* cache,
                              int64_t* probe_budget) {
  const LocalTime start = session.start;
  if (rule.until) {
    const RruleUntil& u = *rule.until;
    const bool before =
        (u.form == RruleUntil::Form::kUtc && u.utc < zone.ToInstant(start)) ||
        (u.form == RruleUntil::Form::kLocal && u.local < start) ||
        (u.form == RruleUntil::Form::kDate && u.day < date::floor<date::days>(start));
    if (before) {
      return InvalidArgumentError("UNTIL " + UntilText(u) + " is before the session's start " +
                                  FormatLocalDateTime(start) + ": the rule produces no occurrence");
    }
  }
  if (start > LatestLocal()) {
    return InvalidArgumentError("the session starts after the last year prebell expands (" +
                                std::to_string(kLatestExpansionYear) + ")");
  }
  if (!RruleCanMatchSomeDay(rule, start)) {
    return InvalidArgumentError(
        "no day satisfies the rule's BYMONTH/BYMONTHDAY/BYYEARDAY/BYDAY parts together with its "
        "INTERVAL and the day and month of start (" +
        FormatLocalDate(date::floor<date::days>(start)) + "): it never produces an occurrence");
  }
  if (!RruleSetPosCanSelect(rule, start)) {
    return InvalidArgumentError(
        "BYSETPOS never selects an occurrence: no " +
        std::string(rule.frequency == RruleFrequency::kMonthly ? "month" : "year") +
        " the rule visits has that many candidates");
  }
  StatusOr<std::optional<PeriodicPattern>> pattern = CachedPattern(rule, start, cache);
  if (!pattern.ok()) return pattern.status();
  const std::string never = "the rule never produces an occurrence from the session's start " +
                            FormatLocalDateTime(start) +
                            " (check BYSETPOS, INTERVAL and the weekday of start)";
  if (pattern->has_value()) {
    const PeriodicPattern& p = **pattern;
    if (p.offsets.empty()) return InvalidArgumentError(never);
    if (rule.until && BeyondUntil(*rule.until, zone, start + p.offsets.front())) {
      return InvalidArgumentError(
          "the first occurrence " + FormatLocalDateTime(start + p.offsets.front()) +
          " is after UNTIL " + UntilText(*rule.until) + ": the rule produces no occurrence");
    }
    return CheckStartIsFirst(start, start + p.offsets.front());
  }
  const int64_t limit = limits.max_libical_candidates;
  const int64_t week = EstimateCandidates(rule, start, start + date::days{7});
  if (week > limit) return TooManySteps(rule, week, limit, start, start + date::days{7});
  // Probe for the first occurrence, as far ahead as the probe limits allow.
  const int64_t probe_limit = std::min<int64_t>(
      {limit, kMaxProbeCandidates, probe_budget ? *probe_budget : kMaxProbeCandidates});
  const LocalTime rule_end =
      rule.until ? std::min(UntilLocalBound(*rule.until), LatestLocal()) : LatestLocal();
  LocalTime probe_end = rule_end;
  while (probe_end > start && EstimateCandidates(rule, start, probe_end) > probe_limit) {
    probe_end = start + (probe_end - start) / 2;
  }
  if (probe_budget != nullptr) *probe_budget -= EstimateCandidates(rule, start, probe_end);
  StatusOr<LibicalRecurrence> it = LibicalRecurrence::Create(rule, start, probe_end);
  if (!it.ok()) return it.status();
  const std::optional<LocalTime> first = it->Next();
  if (!first || *first > probe_end) {
    if (probe_end < rule_end) return OkStatus();  // cannot tell; expansion will be bounded
    return InvalidArgumentError(rule.until ? "the rule produces no occurrence between start " +
                                                 FormatLocalDateTime(start) + " and UNTIL " +
                                                 UntilText(*rule.until)
                                           : never);
  }
  if (rule.until && BeyondUntil(*rule.until, zone, *first)) {
    return InvalidArgumentError("the first occurrence " + FormatLocalDateTime(*first) +
                                " is after UNTIL " + UntilText(*rule.until) +
                                ": the rule produces no occurrence");
  }
  return CheckStartIsFirst(start, *first);
}

}  // namespace prebell
