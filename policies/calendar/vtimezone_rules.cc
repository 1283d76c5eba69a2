#include "policies/calendar/vtimezone_rules.h"

#include <algorithm>

namespace prebell {
namespace {

// A VTIMEZONE with more transitions than this up to the horizon is not a
// description of a real zone (real ones have two a year).
constexpr size_t kMaxTransitions = 20'000;

}  // namespace

StatusOr<VtimezoneRules> VtimezoneRules::Build(std::string tzid,
                                               const std::vector<VtimezoneObservance>& observances,
                                               LocalTime horizon) {
  if (observances.empty()) {
    return InvalidArgumentError("VTIMEZONE '" + tzid + "' has no STANDARD or DAYLIGHT observance");
  }
  struct Onset {
    Instant at;
    Duration from;
    Duration to;
  };
  std::vector<Onset> onsets;
  for (const VtimezoneObservance& o : observances) {
    const auto add = [&](LocalTime local) {
      onsets.push_back(
          {Instant{(local - o.offset_from).time_since_epoch()}, o.offset_from, o.offset_to});
      return onsets.size() <= kMaxTransitions;
    };
    if (!add(o.onset)) break;
    for (LocalTime r : o.rdates) {
      if (!add(r)) break;
    }
    if (o.rule) {
      RecurrenceLimits limits;
      limits.not_after = horizon;
      limits.max_steps = 1'000'000;
      int64_t steps = 0;
      const Status st = ExpandRecurrenceRule(*o.rule, o.onset, limits, &steps, [&](LocalTime t) {
        if (o.until && Instant{(t - o.offset_from).time_since_epoch()} > *o.until) return false;
        return add(t);
      });
      if (!st.ok()) {
        return InvalidArgumentError("VTIMEZONE '" + tzid + "': RRULE " +
                                    FormatRecurrenceRule(*o.rule) + ": " + st.message());
      }
    }
    if (onsets.size() > kMaxTransitions) {
      return InvalidArgumentError("VTIMEZONE '" + tzid + "' defines more than " +
                                  std::to_string(kMaxTransitions) + " transitions");
    }
  }
  if (onsets.size() > kMaxTransitions) {
    return InvalidArgumentError("VTIMEZONE '" + tzid + "' defines more than " +
                                std::to_string(kMaxTransitions) + " transitions");
  }
  std::sort(onsets.begin(), onsets.end(),
            [](const Onset& a, const Onset& b) { return a.at < b.at; });
  std::vector<Transition> transitions;
  transitions.reserve(onsets.size());
  for (const Onset& o : onsets) {
    if (!transitions.empty() && transitions.back().at == o.at) {
      transitions.back().offset = o.to;  // duplicate onset: the later definition wins
      continue;
    }
    transitions.push_back({o.at, o.to});
  }
  const Duration initial = onsets.front().from;
  return VtimezoneRules(std::move(tzid), std::move(transitions), initial);
}

Duration VtimezoneRules::OffsetAt(Instant t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](Instant x, const Transition& tr) { return x < tr.at; });
  if (it == transitions_.begin()) return initial_offset_;
  return std::prev(it)->offset;
}

Instant VtimezoneRules::ToInstant(LocalTime local) const {
  // The offsets in force a day either side of the reading bracket any single
  // transition near it; whichever of them reproduces `local` is a valid
  // reading. Two valid readings: the first (fall back). None: a gap, read
  // with the offset before it.
  const Instant naive{local.time_since_epoch()};
  const Duration before = OffsetAt(naive - std::chrono::hours{24});
  const Duration after = OffsetAt(naive + std::chrono::hours{24});
  const Instant with_before = naive - before;
  const Instant with_after = naive - after;
  const bool before_ok = OffsetAt(with_before) == before;
  const bool after_ok = OffsetAt(with_after) == after;
  if (before_ok && after_ok) return std::min(with_before, with_after);
  if (after_ok) return with_after;
  return with_before;
}

}  // namespace prebell
