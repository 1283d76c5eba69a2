#include "policies/calendar/ical_calendar.h"

#include <algorithm>
#include <new>
#include <tuple>

#include "policies/calendar/ical_event.h"

namespace prebell {
namespace {

// Wall-clock margin around [from, to) when asking a rule for its instances:
// more than any UTC offset, so no instance whose instant is in the window
// is missed, whatever the zone.
constexpr date::days kMargin{2};

// Instants the calendar arithmetic can represent comfortably (years 1..9999).
Instant Clamp(Instant t) {
  static const Instant kMin{LocalDay{date::year{1} / 1 / 3}.time_since_epoch()};
  static const Instant kMax{LocalDay{date::year{9999} / 12 / 29}.time_since_epoch()};
  return std::clamp(t, kMin, kMax);
}

bool Excluded(const std::vector<Exclusion>& exclusions, LocalTime local_start) {
  const LocalDay day = date::floor<date::days>(local_start);
  return std::any_of(exclusions.begin(), exclusions.end(),
                     [day](const Exclusion& e) { return day >= e.from && day <= e.until; });
}

Instant EndOf(const CalendarZone& zone, LocalTime local_start, Instant start,
              const EventLength& len) {
  if (len.nominal_days == 0) return start + len.exact;
  return zone.ToInstant(local_start + date::days{len.nominal_days}) + len.exact;
}

// Whether an instance lies beyond the rule's UNTIL (RFC 5545: UNTIL is
// inclusive). All-day events compare days, whatever form UNTIL has.
bool PastUntil(const RecurrenceUntil& until, bool all_day, LocalTime local, Instant start) {
  using Kind = RecurrenceUntil::Kind;
  const LocalDay day = date::floor<date::days>(local);
  switch (until.kind) {
    case Kind::kNone:
      return false;
    case Kind::kUtc:
      return all_day ? day > date::floor<date::days>(LocalTime{until.utc.time_since_epoch()})
                     : start > until.utc;
    case Kind::kLocal:
      return all_day ? day > date::floor<date::days>(until.local) : local > until.local;
    case Kind::kDate:
      return day > until.day;
  }
  return false;
}

struct Instance {
  Instant start;
  LocalTime local;
  std::optional<Instant> end;
};

// An occurrence before it becomes an Occurrence: sorting these (and making
// the strings once, in the final order) is what keeps Expand cheap.
struct Hit {
  Instant start;
  Instant end;
  uint32_t event;  // index into Data::events, which are sorted by UID
  const EventDetails* details;
};

class EventExpansion {
 public:
  EventExpansion(const IcalCalendar::Data& data, Instant from, Instant to,
                 const std::vector<Exclusion>& exclusions, const ExpansionBudget& budget,
                 std::vector<Hit>* out)
      : data_(data), from_(from), to_(to), exclusions_(exclusions), budget_(budget), out_(out) {}

  Status Expand(uint32_t index);

 private:
  Status Emit(const CalendarEvent& ev, uint32_t index, Instant start, Instant end,
              const EventDetails& details);
  Status Collect(const CalendarEvent& ev, Duration widen, std::vector<Instance>* instances);
  Status Fail(const CalendarEvent& ev, const Status& st) const {
    return Status(st.code(),
                  data_.options.source_name + ": VEVENT '" + ev.uid + "': " + st.message());
  }

  const IcalCalendar::Data& data_;
  const Instant from_;
  const Instant to_;
  const std::vector<Exclusion>& exclusions_;
  const ExpansionBudget& budget_;
  std::vector<Hit>* out_;
  std::vector<Instance> instances_;  // reused from event to event
};

Status EventExpansion::Emit(const CalendarEvent& ev, uint32_t index, Instant start, Instant end,
                            const EventDetails& details) {
  if (start < from_ || start >= to_) return OkStatus();
  if (!exclusions_.empty() && Excluded(exclusions_, data_.options.floating_zone.ToLocal(start))) {
    return OkStatus();
  }
  if (static_cast<int64_t>(out_->size()) >= budget_.max_occurrences) {
    return Fail(
        ev, ResourceExhaustedError("more than " + std::to_string(budget_.max_occurrences) +
                                   " occurrences in the window (limit of the expansion budget)"));
  }
  out_->push_back({start, end, index, &details});
  return OkStatus();
}

// The master's recurrence set (DTSTART, RRULEs, RDATEs) near the window,
// sorted and without duplicates; EXDATEs and overrides not yet applied.
Status EventExpansion::Collect(const CalendarEvent& ev, Duration widen,
                               std::vector<Instance>* instances) {
  instances->push_back({ev.start, ev.start_local, std::nullopt});
  const LocalTime not_before = ev.zone.ToLocal(Clamp(from_ - widen)) - kMargin;
  const LocalTime not_after = ev.zone.ToLocal(Clamp(to_ + widen)) + kMargin;
  int64_t steps = 0;
  for (const EventRule& rule : ev.rules) {
    RecurrenceLimits limits;
    limits.not_before = not_before;
    limits.not_after = not_after;
    limits.max_steps = budget_.max_steps_per_session;
    Status too_many;
    const Status st = rule.rule.Expand(limits, &steps, [&](LocalTime local) {
      // Nothing before the window is kept, so the UNTIL check (and the zone
      // lookup it needs) can wait: the window's instances come later and
      // would fail it too.
      if (local < not_before) return true;
      const Instant start = ev.zone.ToInstant(local);
      if (PastUntil(rule.until, ev.all_day, local, start)) return false;
      if (static_cast<int64_t>(instances->size()) > budget_.max_occurrences) {
        too_many =
            ResourceExhaustedError("RRULE " + FormatRecurrenceRule(rule.rule.rule()) +
                                   " has more than " + std::to_string(budget_.max_occurrences) +
                                   " instances near the window (limit of the expansion budget)");
        return false;
      }
      instances->push_back({start, local, std::nullopt});
      return true;
    });
    if (!st.ok()) return Fail(ev, st);
    if (!too_many.ok()) return Fail(ev, too_many);
  }
  for (const ExtraInstance& r : ev.rdates) {
    instances->push_back({r.start, ev.zone.ToLocal(r.start), r.end});
  }
  std::stable_sort(instances->begin(), instances->end(),
                   [](const Instance& a, const Instance& b) { return a.start < b.start; });
  instances->erase(
      std::unique(instances->begin(), instances->end(),
                  [](const Instance& a, const Instance& b) { return a.start == b.start; }),
      instances->end());
  return OkStatus();
}

Status EventExpansion::Expand(uint32_t index) {
  const CalendarEvent& ev = data_.events[index];
  if (ev.has_master) {
    // Single-instance overrides replace the instance they name; a
    // THISANDFUTURE one also moves every later instance by the same
    // wall-clock shift and gives it its length and details.
    std::vector<Instant> replaced;
    std::vector<LocalDay> replaced_days;
    struct RangeOverride {
      Instant from;
      Duration shift;
      Duration length;
      const EventDetails* details;
    };
    std::vector<RangeOverride> ranges;
    Duration widen{0};
    for (const EventOverride& o : ev.overrides) {
      if (o.recurrence_day) {
        replaced_days.push_back(*o.recurrence_day);
      } else {
        replaced.push_back(o.recurrence_id);
      }
      if (o.this_and_future) {
        const Duration shift = ev.zone.ToLocal(o.start) - ev.zone.ToLocal(o.recurrence_id);
        ranges.push_back({o.recurrence_id, shift, o.end - o.start, &o.details});
        widen = std::max(widen, std::chrono::abs(shift));
      }
    }
    std::sort(replaced.begin(), replaced.end());
    std::sort(ranges.begin(), ranges.end(),
              [](const RangeOverride& a, const RangeOverride& b) { return a.from < b.from; });

    std::vector<Instance>& instances = instances_;
    instances.clear();
    PREBELL_RETURN_IF_ERROR(Collect(ev, widen, &instances));
    for (const Instance& inst : instances) {
      if (std::binary_search(ev.exdates.begin(), ev.exdates.end(), inst.start)) continue;
      const LocalDay day = date::floor<date::days>(inst.local);
      if (std::find(ev.exdate_days.begin(), ev.exdate_days.end(), day) != ev.exdate_days.end()) {
        continue;
      }
      if (std::binary_search(replaced.begin(), replaced.end(), inst.start)) continue;
      if (std::find(replaced_days.begin(), replaced_days.end(), day) != replaced_days.end()) {
        continue;
      }
      Instant start = inst.start;
      Instant end = inst.end ? *inst.end : EndOf(ev.zone, inst.local, inst.start, ev.length);
      const EventDetails* details = &ev.details;
      auto range = std::upper_bound(ranges.begin(), ranges.end(), inst.start,
                                    [](Instant t, const RangeOverride& r) { return t < r.from; });
      if (range != ranges.begin()) {
        const RangeOverride& r = *std::prev(range);
        start = ev.zone.ToInstant(inst.local + r.shift);
        end = start + r.length;
        details = r.details;
      }
      if (details->cancelled) continue;
      PREBELL_RETURN_IF_ERROR(Emit(ev, index, start, end, *details));
    }
  }
  for (const EventOverride& o : ev.overrides) {
    if (o.details.cancelled) continue;
    PREBELL_RETURN_IF_ERROR(Emit(ev, index, o.start, o.end, o.details));
  }
  return OkStatus();
}

}  // namespace

IcalCalendar::IcalCalendar(std::unique_ptr<Data> data) : data_(std::move(data)) {}
IcalCalendar::IcalCalendar(IcalCalendar&&) noexcept = default;
IcalCalendar& IcalCalendar::operator=(IcalCalendar&&) noexcept = default;
IcalCalendar::~IcalCalendar() = default;

StatusOr<IcalCalendar> IcalCalendar::Parse(std::string_view text,
                                           const CalendarImportOptions& options) {
  try {
    auto data = ReadIcalCalendar(text, options);
    if (!data.ok()) return data.status();
    return IcalCalendar(std::move(*data));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError(options.source_name +
                                  ": out of memory while reading the calendar");
  }
}

StatusOr<std::vector<Occurrence>> IcalCalendar::Expand(Instant from, Instant to,
                                                       const std::vector<Exclusion>& exclusions,
                                                       const ExpansionBudget& budget) const {
  std::vector<Occurrence> out;
  if (!(from < to)) return out;
  try {
    std::vector<Hit> hits;
    hits.reserve(1024);
    EventExpansion expansion(*data_, from, to, exclusions, budget, &hits);
    for (uint32_t i = 0; i < data_->events.size(); ++i) {
      PREBELL_RETURN_IF_ERROR(expansion.Expand(i));
    }
    // OccurrenceBefore's order: start, end, then the session (the UID);
    // events are sorted by UID, so their index stands in for it.
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return std::tie(a.start, a.end, a.event) < std::tie(b.start, b.end, b.event);
    });
    out.resize(hits.size());
    const CalendarImportOptions& options = data_->options;
    for (size_t i = 0; i < hits.size(); ++i) {
      const Hit& h = hits[i];
      Occurrence& o = out[i];
      o.timetable = options.source_name;
      o.session = data_->events[h.event].uid;
      o.kind = options.kind;
      o.course = h.details->course;
      o.start = h.start;
      o.end = h.end;
      o.expected_attendance = h.details->attendance;
    }
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError(data_->options.source_name +
                                  ": out of memory while expanding the calendar");
  }
  return out;
}

}  // namespace prebell
