// The schedule signal: what the timetable says about "now", per kind.
//
// From the occurrences of one namespace and an instant `now`, computes for
// each alerting kind (class, exam) whether a session is in progress, when the
// next one starts and when the current (or next) window ends, plus the
// namespace's criticality level and the next instant at which any of it
// changes (the controller requeues then). The controller exports it as the
// prebell_schedule_* metrics of docs/metrics.md; the alert rules turn it
// into severity.
//
// Definitions (all on the UTC time line: the zone conversion happened in the
// expander, so a 09:00 class is at the right instant across DST and nothing
// downstream needs to know about zones or midnight):
// - Per kind, the sessions' [start, end) intervals that overlap or touch (one
//   ends exactly where the next starts) merge into windows, so back-to-back
//   sessions never blink the signal off at the seam.
// - `active`: now lies in a window (start inclusive, end exclusive). The lead
//   time is not part of it (docs/metrics.md: the rules add the lead time).
// - `live_or_near`: active, or the next session of the kind starts within
//   lead_time (now >= next_start - lead_time). This is what the level uses.
// - `next_start`: the earliest session start strictly after now; empty when
//   no session of the kind starts after now within what the caller expanded
//   (the exporter then removes the series: no 0 or +Inf sentinel).
// - `window_start`/`window_end`: the bounds of the current window when
//   active, otherwise of the next one; empty when there is none.
// - `level`: 2 if an exam is live or near, else 1 if a class is, else 0.
//   Sessions of kind Event take no part in the signal.
// - `next_change`: the earliest instant after now at which any output above
//   changes; empty when nothing in the input changes them any more.
//
// The caller must pass every occurrence that is in progress at now or starts
// in (now, horizon]: expand from at least now minus the longest session
// duration, and recompute before the expansion horizon runs out (an
// occurrence beyond it cannot show up in next_start or next_change).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/timetable/occurrence.h"

namespace prebell {

// The kinds the schedule signal is computed for.
enum class ScheduleKind { kClass, kExam };

inline constexpr ScheduleKind kScheduleKinds[] = {ScheduleKind::kClass, ScheduleKind::kExam};

// The `kind` label value: "class", "exam".
std::string_view ScheduleKindLabel(ScheduleKind kind);

struct ScheduleSignalOptions {
  // How long before a session it counts as near. Zero is allowed; negative
  // is rejected.
  Duration lead_time = std::chrono::minutes(30);
};

struct KindSignal {
  bool active = false;
  bool live_or_near = false;
  std::optional<Instant> next_start{};
  std::optional<Instant> window_start{};
  std::optional<Instant> window_end{};

  friend bool operator==(const KindSignal&, const KindSignal&) = default;
};

struct ScheduleSignal {
  KindSignal class_signal;
  KindSignal exam_signal;
  int level = 0;  // 0 idle, 1 class live or near, 2 exam live or near
  std::optional<Instant> next_change{};

  const KindSignal& For(ScheduleKind kind) const {
    return kind == ScheduleKind::kExam ? exam_signal : class_signal;
  }
  friend bool operator==(const ScheduleSignal&, const ScheduleSignal&) = default;
};

// kInvalidArgument when lead_time is negative or an occurrence does not end
// after it starts (naming the timetable and session).
StatusOr<ScheduleSignal> ComputeScheduleSignal(std::span<const Occurrence> occurrences, Instant now,
                                               const ScheduleSignalOptions& options = {});

}  // namespace prebell
