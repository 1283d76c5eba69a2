// BaselineModel: the connections that are there without any session
// (recordings, homework, forums), by time of week in the timetable's zone.
//
// Learned incrementally from samples the caller knows to be quiet (no session
// near). The week is cut into 15-minute local slots; every (week, slot) keeps
// the median of its quiet samples, and a slot's estimate is the lower median
// of its last `weeks_kept` weekly values, so one odd week (an unscheduled
// surge at 02:17) does not move it. Slots never seen quiet (weekday daytime,
// always under some class) are interpolated from the nearest slots that
// were. Estimates are piecewise linear between slot centres. Following local
// time is what keeps the baseline right across DST changes.
//
// Feed samples in time order, then call Refresh() before querying: queries
// are const and read only the table Refresh() built.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

#include "policies/common/time_text.h"
#include "policies/timetable/time_zone.h"

namespace prebell {

class BaselineModel {
 public:
  static constexpr int kSlotSeconds = 900;
  static constexpr int kSlotsPerWeek = 7 * 24 * 3600 / kSlotSeconds;

  struct Options {
    int weeks_kept = 6;
    // A (week, slot) counts only with at least this many quiet samples.
    int min_samples_per_slot = 8;
  };

  explicit BaselineModel(TimeZone zone) : BaselineModel(zone, Options{}) {}
  BaselineModel(TimeZone zone, Options options);

  // A sample with no session near. Samples must come in time order; earlier
  // ones than the last accepted are ignored.
  void AddQuietSample(Instant t, double value);
  // Closes the open (week, slot) bucket if `now` is past it, and rebuilds the
  // slot table from everything closed so far.
  void Refresh(Instant now);

  // The baseline at `t` (0 when nothing was ever learned).
  double Estimate(Instant t) const;
  // The robust spread of quiet samples around their slot's median: the noise
  // a plan must absorb even when the forecast is right.
  double Noise() const { return noise_; }
  bool learned() const { return learned_slots_ > 0; }
  int learned_slots() const { return learned_slots_; }
  const TimeZone& zone() const { return zone_; }

  // Slot index (0 = Monday 00:00-00:15 local) and the week number of `t`.
  int SlotOf(Instant t) const;

 private:
  struct WeeklyValue {
    int64_t week;
    double value;
  };
  void CloseBucket();
  int64_t LocalSecondsSinceMonday(Instant t) const;

  TimeZone zone_;
  Options options_;
  std::array<std::deque<WeeklyValue>, kSlotsPerWeek> history_;
  std::array<double, kSlotsPerWeek> table_{};
  int learned_slots_ = 0;
  double noise_ = 0;

  // The bucket being filled.
  int64_t open_week_ = -1;
  int open_slot_ = -1;
  std::vector<double> open_values_;
  Instant last_time_{};
  bool any_sample_ = false;
  std::deque<double> recent_spreads_;  // MAD of recent buckets
};

}  // namespace prebell
