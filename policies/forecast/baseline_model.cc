#include "policies/forecast/baseline_model.h"

#include <algorithm>
#include <cmath>

namespace prebell {
namespace {

// 1970-01-01 was a Thursday: local days since the epoch plus 3 are days since
// a Monday.
constexpr int64_t kEpochToMonday = 3 * 86400;
constexpr int64_t kWeekSeconds = 7 * 86400;

double MedianOf(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
  }
  return m;
}

}  // namespace

BaselineModel::BaselineModel(TimeZone zone, Options options)
    : zone_(std::move(zone)), options_(options) {
  table_.fill(0);
}

int64_t BaselineModel::LocalSecondsSinceMonday(Instant t) const {
  const int64_t local = zone_.ToLocal(t).time_since_epoch().count();
  return local + kEpochToMonday;
}

int BaselineModel::SlotOf(Instant t) const {
  const int64_t s = LocalSecondsSinceMonday(t);
  const int64_t in_week = ((s % kWeekSeconds) + kWeekSeconds) % kWeekSeconds;
  return static_cast<int>(in_week / kSlotSeconds);
}

void BaselineModel::AddQuietSample(Instant t, double value) {
  if (any_sample_ && t <= last_time_) return;
  if (!std::isfinite(value) || value < 0) return;
  any_sample_ = true;
  last_time_ = t;
  const int64_t s = LocalSecondsSinceMonday(t);
  const int64_t week = s >= 0 ? s / kWeekSeconds : (s - kWeekSeconds + 1) / kWeekSeconds;
  const int slot = SlotOf(t);
  if (week != open_week_ || slot != open_slot_) {
    CloseBucket();
    open_week_ = week;
    open_slot_ = slot;
  }
  open_values_.push_back(value);
}

void BaselineModel::CloseBucket() {
  if (open_slot_ < 0) return;
  if (static_cast<int>(open_values_.size()) >= options_.min_samples_per_slot) {
    const double median = MedianOf(open_values_);
    auto& h = history_[static_cast<size_t>(open_slot_)];
    h.push_back({open_week_, median});
    while (static_cast<int>(h.size()) > options_.weeks_kept) h.pop_front();
    for (double& v : open_values_) v = std::abs(v - median);
    recent_spreads_.push_back(MedianOf(open_values_));
    while (recent_spreads_.size() > 500) recent_spreads_.pop_front();
  }
  open_values_.clear();
  open_slot_ = -1;
  open_week_ = -1;
}

void BaselineModel::Refresh(Instant now) {
  if (open_slot_ >= 0) {
    const int64_t s = LocalSecondsSinceMonday(now);
    const int64_t week = s >= 0 ? s / kWeekSeconds : (s - kWeekSeconds + 1) / kWeekSeconds;
    if (week != open_week_ || SlotOf(now) != open_slot_) CloseBucket();
  }
  std::array<double, kSlotsPerWeek> raw;
  std::array<bool, kSlotsPerWeek> has{};
  learned_slots_ = 0;
  for (int i = 0; i < kSlotsPerWeek; ++i) {
    const auto& h = history_[static_cast<size_t>(i)];
    if (h.empty()) continue;
    std::vector<double> v;
    v.reserve(h.size());
    for (const WeeklyValue& w : h) v.push_back(w.value);
    std::sort(v.begin(), v.end());
    // Lower median: with two weeks, the quieter one (surges are upward).
    raw[static_cast<size_t>(i)] = v[(v.size() - 1) / 2];
    has[static_cast<size_t>(i)] = true;
    ++learned_slots_;
  }
  if (learned_slots_ == 0) {
    table_.fill(0);
  } else {
    // Fill unseen slots by linear interpolation around the week (circular).
    for (int i = 0; i < kSlotsPerWeek; ++i) {
      if (has[static_cast<size_t>(i)]) {
        table_[static_cast<size_t>(i)] = raw[static_cast<size_t>(i)];
        continue;
      }
      int back = 1, fwd = 1;
      while (!has[static_cast<size_t>((i - back + kSlotsPerWeek) % kSlotsPerWeek)]) ++back;
      while (!has[static_cast<size_t>((i + fwd) % kSlotsPerWeek)]) ++fwd;
      const double a = raw[static_cast<size_t>((i - back + kSlotsPerWeek) % kSlotsPerWeek)];
      const double b = raw[static_cast<size_t>((i + fwd) % kSlotsPerWeek)];
      table_[static_cast<size_t>(i)] = a + (b - a) * back / static_cast<double>(back + fwd);
    }
  }
  if (!recent_spreads_.empty()) {
    std::vector<double> v(recent_spreads_.begin(), recent_spreads_.end());
    noise_ = 1.4826 * MedianOf(v);
  }
}

double BaselineModel::Estimate(Instant t) const {
  if (learned_slots_ == 0) return 0;
  const int64_t s = LocalSecondsSinceMonday(t);
  const int64_t in_week = ((s % kWeekSeconds) + kWeekSeconds) % kWeekSeconds;
  // Interpolate between slot centres.
  const double pos = (static_cast<double>(in_week) - kSlotSeconds / 2.0) / kSlotSeconds;
  const double fl = std::floor(pos);
  const int i = static_cast<int>((static_cast<int64_t>(fl) + kSlotsPerWeek) % kSlotsPerWeek);
  const int j = (i + 1) % kSlotsPerWeek;
  const double f = pos - fl;
  return table_[static_cast<size_t>(i)] * (1 - f) + table_[static_cast<size_t>(j)] * f;
}

}  // namespace prebell
