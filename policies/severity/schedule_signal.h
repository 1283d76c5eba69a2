// The schedule signal: what the timetable says about "now", per kind.
//
// From the occurrences of one namespace and an instant `now`, computes for
// each alerting kind (class, exam) whether a window is active, when the next
// session starts and when the current (or next) window ends, plus the
// namespace's criticality level and the next instant at which any of it
// changes (the controller requeues then). This is what the controller
// exports as prebell_schedule_* and what the alert rules turn into severity.
//
// Definitions (all on the UTC time line; the zone conversion happened in the
// expander, so a 09:00 class is at the right instant across DST and nothing
// downstream needs to know about zones):
// - A session's window is [start - lead_time, end): it opens lead_time before
//   the bell and closes when the session ends. Windows of one kind that
//   overlap or touch (one ends exactly where the next opens) merge into one,
//   so back-to-back sessions never blink the signal off at the seam.
// - `active` is true when now lies in a merged window (start inclusive, end
//   exclusive).
// - `next_start` is the earliest session start strictly after now. When no
//   session of the kind starts after now (within what the caller expanded),
//   it is empty: the exporter then removes the series rather than inventing
//   a sentinel such as 0 or +Inf (see docs/metrics.md).
// - `window_start`/`window_end` are the bounds of the current merged window
//   when active, otherwise of the next one; empty when there is none.
// - Level: 2 if an exam window is active, else 1 if a class window is
//   active, else 0. Sessions of kind Event do not take part in the signal.
// - `next_change` is the earliest instant after now at which any of the
//   outputs above changes; empty when nothing in the input changes them.
//
// The caller must pass every occurrence that is live at now or starts in
// (now, horizon]: expand from at least now minus the longest session
// duration, and re-compute before the expansion horizon runs out (an
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

// The kinds the schedule signal is exported for.
enum class ScheduleKind { kClass, kExam };

inline constexpr ScheduleKind kScheduleKinds[] = {ScheduleKind::kClass, ScheduleKind::kExam};

// The `kind` label value: "class", "exam".
std::string_view ScheduleKindLabel(ScheduleKind kind);

struct ScheduleSignalOptions {
  // How long before a session its window opens. Zero is allowed (the window
  // is the session itself); negative is rejected.
  Duration lead_time = std::chrono::minutes(30);
};

struct KindSignal {
  bool active = false;
  std::optional<Instant> next_start;
  std::optional<Instant> window_start;
  std::optional<Instant> window_end;

  friend bool operator==(const KindSignal&, const KindSignal&) = default;
};

struct ScheduleSignal {
  KindSignal class_signal;
  KindSignal exam_signal;
  int level = 0;  // 0 idle, 1 class window, 2 exam window
  std::optional<Instant> next_change;

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
