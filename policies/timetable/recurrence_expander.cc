#include "policies/timetable/recurrence_expander.h"

#include <date/date.h>

#include <algorithm>

#include "policies/timetable/rrule.h"
#include "policies/timetable/session_expansion.h"
#include "policies/timetable/time_zone.h"

namespace prebell {
namespace {

// Excluded day ranges, sorted and merged, for a binary search per occurrence.
class ExcludedDays {
 public:
  explicit ExcludedDays(const std::vector<Exclusion>& exclusions) {
    for (const Exclusion& e : exclusions) {
      if (e.until >= e.from) ranges_.emplace_back(e.from, e.until);
    }
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<LocalDay, LocalDay>> merged;
    for (const auto& r : ranges_) {
      if (!merged.empty() && r.first <= merged.back().second + date::days{1}) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
  }

  bool Contains(LocalTime t) const {
    const LocalDay day = date::floor<date::days>(t);
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), day,
                               [](LocalDay d, const auto& r) { return d < r.first; });
    return it != ranges_.begin() && day <= std::prev(it)->second;
  }

 private:
  std::vector<std::pair<LocalDay, LocalDay>> ranges_;
};

// Keeps the local window arithmetic far from the limits of the clock types.
Instant Clamp(Instant t) {
  static const Instant kEarliest = date::sys_days{date::year{1900} / 1 / 1};
  static const Instant kLatest = date::sys_days{date::year{2600} / 1 / 1};
  return std::clamp(t, kEarliest, kLatest);
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

bool IsExcluded(const std::vector<Exclusion>& exclusions, LocalTime local_start) {
  const LocalDay day = date::floor<date::days>(local_start);
  return std::any_of(exclusions.begin(), exclusions.end(),
                     [&](const Exclusion& e) { return day >= e.from && day <= e.until; });
}

StatusOr<std::vector<Occurrence>> ExpandSessions(const Timetable& timetable, Instant from,
                                                 Instant to, const ExpansionBudget& budget) {
  std::vector<Occurrence> out;
  if (to <= from) return out;
  const std::string where = "timetable " + Quote(timetable.name);
  StatusOr<TimeZone> zone = TimeZone::Find(timetable.time_zone);
  if (!zone.ok()) return zone.status().WithContext(where + ": spec.timeZone");
  // Wall-clock readings of [from, to) lie within a day of the instants in
  // any zone; the exact window is applied to the instants below.
  const LocalTime lo = LocalTime{Clamp(from).time_since_epoch()} - date::days{2};
  const LocalTime hi = LocalTime{Clamp(to).time_since_epoch()} + date::days{2};
  const ExcludedDays excluded(timetable.exclusions);
  LocalExpansionLimits limits;
  limits.max_results = budget.max_occurrences;
  limits.max_steps = budget.max_steps_per_session;
  limits.max_libical_candidates = budget.max_libical_candidates_per_session;
  PeriodicPatternCache patterns;
  std::vector<LocalTime> starts;
  for (const Session& session : timetable.sessions) {
    const std::string session_where = where + ": session " + Quote(session.name);
    std::optional<Rrule> rule;
    if (!session.recurrence.empty()) {
      StatusOr<Rrule> parsed = ParseRrule(session.recurrence);
      if (!parsed.ok()) return parsed.status().WithContext(session_where + ": recurrence");
      rule = std::move(*parsed);
    }
    starts.clear();
    Status st = ExpandLocalStarts(session, rule ? &*rule : nullptr, *zone, lo, hi, limits,
                                  &patterns, &starts);
    if (!st.ok()) return st.WithContext(session_where);
    for (LocalTime local : starts) {
      if (excluded.Contains(local)) continue;
      const Instant start = zone->ToInstant(local);
      if (start < from || start >= to) continue;
      out.push_back(Occurrence{timetable.name, session.name, session.kind, session.course, start,
                               start + session.duration, session.expected_attendance});
    }
    if (static_cast<int64_t>(out.size()) > budget.max_occurrences) {
      return ResourceExhaustedError(
          where + ": more than " + std::to_string(budget.max_occurrences) + " occurrences in [" +
          FormatRfc3339(from) + ", " + FormatRfc3339(to) + ") (the limit was passed at session " +
          Quote(session.name) + "): narrow the window");
    }
  }
  std::sort(out.begin(), out.end(), OccurrenceBefore);
  // A rule stepping through a spring-forward gap can give two wall-clock
  // times the same instant; RFC 5545 counts such a repeat once.
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace prebell
