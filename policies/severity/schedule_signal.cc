#include "policies/severity/schedule_signal.h"

#include <algorithm>
#include <string>
#include <vector>

namespace prebell {
namespace {

struct Window {
  Instant start;
  Instant end;
};

std::optional<ScheduleKind> KindOf(SessionKind kind) {
  switch (kind) {
    case SessionKind::kClass:
      return ScheduleKind::kClass;
    case SessionKind::kExam:
      return ScheduleKind::kExam;
    case SessionKind::kEvent:
      return std::nullopt;
  }
  return std::nullopt;
}

void KeepEarliest(std::optional<Instant>& current, std::optional<Instant> candidate) {
  if (candidate && (!current || *candidate < *current)) current = candidate;
}

// The signal of one kind and the earliest instant after now where it changes.
struct KindResult {
  KindSignal signal;
  std::optional<Instant> next_change;
};

KindResult ComputeKind(std::vector<Window>& windows, const std::optional<Instant>& next_start,
                       Instant now) {
  KindResult out;
  out.signal.next_start = next_start;
  std::sort(windows.begin(), windows.end(),
            [](const Window& a, const Window& b) { return a.start < b.start; });
  // Walk the union of the windows in order; only the one containing now and
  // the first one after now matter, so stop as soon as both are known.
  size_t i = 0;
  while (i < windows.size()) {
    Window merged = windows[i++];
    while (i < windows.size() && windows[i].start <= merged.end) {
      merged.end = std::max(merged.end, windows[i].end);
      ++i;
    }
    if (merged.end <= now) continue;
    out.signal.window_start = merged.start;
    out.signal.window_end = merged.end;
    if (merged.start <= now) {
      out.signal.active = true;
      out.next_change = merged.end;  // nothing merged touches it, so it closes then
    } else {
      out.next_change = merged.start;
    }
    break;
  }
  // next_start moves on when that session starts.
  KeepEarliest(out.next_change, next_start);
  return out;
}

}  // namespace

std::string_view ScheduleKindLabel(ScheduleKind kind) {
  return kind == ScheduleKind::kExam ? "exam" : "class";
}

StatusOr<ScheduleSignal> ComputeScheduleSignal(std::span<const Occurrence> occurrences, Instant now,
                                               const ScheduleSignalOptions& options) {
  if (options.lead_time < Duration::zero()) {
    return InvalidArgumentError("schedule signal: lead time " +
                                std::to_string(options.lead_time.count()) + "s is negative");
  }
  std::vector<Window> windows[2];
  std::optional<Instant> next_start[2];
  for (const Occurrence& o : occurrences) {
    if (o.end <= o.start) {
      return InvalidArgumentError("schedule signal: timetable '" + o.timetable + "' session '" +
                                  o.session + "': occurrence ends at " + FormatRfc3339(o.end) +
                                  ", not after its start " + FormatRfc3339(o.start));
    }
    const std::optional<ScheduleKind> kind = KindOf(o.kind);
    if (!kind) continue;
    const int k = *kind == ScheduleKind::kExam ? 1 : 0;
    // Windows that already closed still count: one may merge into the window
    // containing now and so decide where that window started.
    windows[k].push_back({o.start - options.lead_time, o.end});
    if (o.start > now) KeepEarliest(next_start[k], o.start);
  }

  ScheduleSignal out;
  KindResult class_result = ComputeKind(windows[0], next_start[0], now);
  KindResult exam_result = ComputeKind(windows[1], next_start[1], now);
  out.class_signal = class_result.signal;
  out.exam_signal = exam_result.signal;
  out.level = out.exam_signal.active ? 2 : (out.class_signal.active ? 1 : 0);
  KeepEarliest(out.next_change, class_result.next_change);
  KeepEarliest(out.next_change, exam_result.next_change);
  return out;
}

}  // namespace prebell
