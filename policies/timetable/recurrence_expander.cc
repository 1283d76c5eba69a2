#include "policies/timetable/recurrence_expander.h"

#include <date/date.h>

#include <algorithm>
#include <cstdint>
#include <tuple>

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

  // Occurrences are collected as small keys and sorted before the strings
  // are copied: every occurrence shares the timetable's name, so the order
  // of OccurrenceBefore is (start, end, session name), and a session's rank
  // by name stands in for the name.
  const size_t n = timetable.sessions.size();
  std::vector<uint32_t> by_name(n);
  for (size_t i = 0; i < n; ++i) by_name[i] = static_cast<uint32_t>(i);
  std::sort(by_name.begin(), by_name.end(), [&](uint32_t a, uint32_t b) {
    return timetable.sessions[a].name < timetable.sessions[b].name;
  });
  std::vector<uint32_t> rank(n);
  for (size_t r = 0; r < n; ++r) rank[by_name[r]] = static_cast<uint32_t>(r);
  struct Key {
    Instant start;
    Instant end;
    uint32_t rank;
    uint32_t session;
  };
  std::vector<Key> keys;

  PeriodicPatternCache patterns;
  std::vector<LocalTime> starts;
  for (size_t i = 0; i < n; ++i) {
    const Session& session = timetable.sessions[i];
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
      keys.push_back(Key{start, start + session.duration, rank[i], static_cast<uint32_t>(i)});
    }
    if (static_cast<int64_t>(keys.size()) > budget.max_occurrences) {
      return ResourceExhaustedError(session_where + ": more than " +
                                    std::to_string(budget.max_occurrences) + " occurrences in [" +
                                    FormatRfc3339(from) + ", " + FormatRfc3339(to) +
                                    ") (the limit for one expansion): narrow the window");
    }
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return std::tie(a.start, a.end, a.rank) < std::tie(b.start, b.end, b.rank);
  });
  out.reserve(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    // A rule stepping through a spring-forward gap can give two wall-clock
    // times the same instant; RFC 5545 counts such a repeat once.
    if (k > 0 && keys[k].start == keys[k - 1].start && keys[k].end == keys[k - 1].end &&
        keys[k].rank == keys[k - 1].rank) {
      continue;
    }
    const Session& s = timetable.sessions[keys[k].session];
    out.push_back(Occurrence{timetable.name, s.name, s.kind, s.course, keys[k].start, keys[k].end,
                             s.expected_attendance});
  }
  return out;
}

}  // namespace prebell
