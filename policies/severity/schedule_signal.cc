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

KindResult ComputeKind(std::vector<Window>& sessions, const std::optional<Instant>& next_start,
                       Instant now, Duration lead_time) {
  KindResult out;
  KindSignal& s = out.signal;
  s.next_start = next_start;
  std::sort(sessions.begin(), sessions.end(),
            [](const Window& a, const Window& b) { return a.start < b.start; });
  // Walk the union of the sessions in order; only the window containing now
  // or, failing that, the first one after now matters.
  size_t i = 0;
  while (i < sessions.size()) {
    Window merged = sessions[i++];
    while (i < sessions.size() && sessions[i].start <= merged.end) {
      merged.end = std::max(merged.end, sessions[i].end);
      ++i;
    }
    if (merged.end <= now) continue;
    s.window_start = merged.start;
    s.window_end = merged.end;
    s.active = merged.start <= now;
    break;
  }
  const std::optional<Instant> near_from =
      next_start ? std::optional<Instant>(*next_start - lead_time) : std::nullopt;
  s.live_or_near = s.active || (near_from && *near_from <= now);

  // Nothing merged touches the current window's end, so active flips there;
  // the next window starts at a session start, which is never before
  // next_start; next_start itself moves on when that session starts; and
  // live_or_near turns on at next_start - lead_time, unless that falls while
  // the current window still holds it on (then nothing visible happens).
  if (s.active) out.next_change = s.window_end;
  KeepEarliest(out.next_change, next_start);
  if (near_from && *near_from > now && !(s.active && *near_from < *s.window_end)) {
    KeepEarliest(out.next_change, near_from);
  }
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
  std::vector<Window> sessions[2];
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
    // Sessions that already ended still count: one may merge into the window
    // containing now and so decide where that window started.
    sessions[k].push_back({o.start, o.end});
    if (o.start > now) KeepEarliest(next_start[k], o.start);
  }

  ScheduleSignal out;
  KindResult class_result = ComputeKind(sessions[0], next_start[0], now, options.lead_time);
  KindResult exam_result = ComputeKind(sessions[1], next_start[1], now, options.lead_time);
  out.class_signal = class_result.signal;
  out.exam_signal = exam_result.signal;
  out.level = out.exam_signal.live_or_near ? 2 : (out.class_signal.live_or_near ? 1 : 0);
  KeepEarliest(out.next_change, class_result.next_change);
  KeepEarliest(out.next_change, exam_result.next_change);
  return out;
}

}  // namespace prebell
