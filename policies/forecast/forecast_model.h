// ForecastModel: expected connections over time, learned from the metric's
// history and the timetable, updated incrementally as samples arrive.
//
// demand(t) = baseline(t)                        (BaselineModel, local time)
//           + sum over sessions in progress of
//               expectedAttendance x ratio(course, kind) x presence(t)
// with ratio from the AttendanceModel and presence from the SessionShape.
//
// Cost model: Observe() is O(samples) (aggregates samples into one-minute
// learning rows and quiet baseline buckets); the attendance regression is
// re-fitted at most once per `refit_interval` of metric time (MaybeRefit),
// so a controller planning every few seconds, or a backtest stepping every
// 15 s through five weeks, never re-learns from the whole history each time.
//
// Only what Observe() was given is used: the caller decides what "now"
// allows (a backtest feeds samples with timestamp <= t before deciding at t).
// Samples at or before the last one observed are ignored.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "policies/common/time_text.h"
#include "policies/forecast/attendance_model.h"
#include "policies/forecast/baseline_model.h"
#include "policies/forecast/metric_series.h"
#include "policies/forecast/session_shape.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/time_zone.h"

namespace prebell {

struct ForecastOptions {
  Duration row_period = std::chrono::seconds(60);
  // Ratios move when sessions end; re-learning a few times a day follows a
  // course that stops showing up within a day, at a fraction of the cost.
  Duration refit_interval = std::chrono::hours(6);
  // ... and only once this many new learning rows (minutes with a session)
  // arrived: nights and weekends bring nothing to learn.
  int64_t refit_min_new_rows = 30;
  // Older observations count half as much after this long.
  Duration recency_half_life = std::chrono::days(14);
  // Quiet (baseline) samples are this far outside every planning window.
  Duration quiet_margin = std::chrono::minutes(5);
  // The live level is the newest sample if it is at most this old.
  Duration live_max_age = std::chrono::minutes(2);
  // The live trend is the slope over this window.
  Duration trend_window = std::chrono::seconds(60);
  AttendanceModel::Options attendance;
};

// What the metric shows right now.
struct LiveReading {
  Instant time{};    // of the newest sample
  double level = 0;  // its value
  double slope = 0;  // connections per second over the trend window
};

class ForecastModel {
 public:
  ForecastModel(std::vector<Occurrence> occurrences, TimeZone zone, ForecastOptions options = {});

  void Observe(std::span<const MetricSample> samples);
  // Re-learns baseline table and ratios if `force`, or if new rows arrived
  // and `now` is at least refit_interval after the last fit. True if it did.
  bool MaybeRefit(Instant now, bool force = false);

  const std::vector<Occurrence>& occurrences() const { return occurrences_; }
  const TimeZone& zone() const { return baseline_.zone(); }
  const ForecastOptions& options() const { return options_; }

  double Ratio(size_t occurrence) const;
  RatioSource RatioSourceOf(size_t occurrence) const;
  // Connections the session adds at its peak, expected.
  double ExpectedSpike(size_t occurrence) const;
  // Relative error margin the fit measured on spikes (>= 0).
  double SpikeMargin() const { return attendance_.SpikeMargin(); }
  const SessionShape& Shape(SessionKind kind) const;
  // The session's planning share of its audience at `t` (SessionShape).
  double PlanningFraction(size_t occurrence, Instant t) const;
  // SessionShape::PlanningArrived / PlanningLeft of a kind, from tables at
  // one-second resolution (instants are whole seconds, so they are exact).
  double PlanningArrived(SessionKind kind, Duration since_start) const;
  double PlanningLeft(SessionKind kind, Duration since_end) const;

  double Baseline(Instant t) const { return baseline_.Estimate(t); }
  // Added to the baseline in plans: the noise of quiet periods.
  double BaselineMargin() const { return 3 * baseline_.Noise(); }
  bool baseline_learned() const { return baseline_.learned(); }

  // Expected connections at `t` (baseline + shaped spikes).
  double Expected(Instant t) const;

  // Occurrences whose planning window [start - lead, end + lag) meets
  // [from, to), in order of start.
  std::vector<size_t> OccurrencesTouching(Instant from, Instant to) const;
  Instant WindowStart(size_t occurrence) const { return window_start_[occurrence]; }
  Instant WindowEnd(size_t occurrence) const { return window_end_[occurrence]; }
  // The planning fraction is (nearly) 1 within [FullFrom, FullUntil].
  Instant FullFrom(size_t occurrence) const { return full_from_[occurrence]; }
  Instant FullUntil(size_t occurrence) const { return full_until_[occurrence]; }

  // The newest sample, if any was observed at or before `now` and is at most
  // live_max_age old.
  std::optional<LiveReading> Live(Instant now) const;
  // Largest sample value observed in [from, to] among the recent ones kept
  // (the last hour); nullopt if none.
  std::optional<double> RecentMax(Instant from, Instant to) const;

  std::optional<Instant> last_observed() const;
  int64_t observed_samples() const { return observed_samples_; }
  size_t learning_rows() const { return rows_.size(); }
  int learned_courses() const { return attendance_.learned_keys(); }
  std::optional<Instant> last_fit() const { return last_fit_; }

 private:
  void CloseRow();

  std::vector<Occurrence> occurrences_;  // sorted by start
  std::vector<Instant> starts_;
  std::vector<int32_t> key_of_;  // occurrence -> (course, kind) key
  std::vector<Instant> window_start_, window_end_, full_from_, full_until_;
  Duration max_lead_{0};                           // over all occurrences: start - window start
  Duration max_span_{0};                           // window end - start
  std::vector<std::pair<Instant, Instant>> busy_;  // merged quiet-excluding intervals
  ForecastOptions options_;
  SessionShape shapes_[3];
  // Per kind: the planning shares over [-lead, full_from] after the start
  // and [full_until, lag] after the end, one value per second.
  struct ShareTable {
    int64_t first = 0;  // seconds relative to the start (end) of values[0]
    std::vector<double> values;
  };
  ShareTable arrived_[3], left_[3];
  BaselineModel baseline_;
  AttendanceModel attendance_;

  // Learning rows.
  AttendanceRows rows_;
  std::vector<Instant> row_time_;
  std::vector<double> row_value_;
  std::vector<float> row_shape_weight_;  // 1 on plateaus, less in transitions
  std::vector<float> row_fill_;          // minutes the row stands for (half if 1 sample)
  // The last row, while plateau minutes with the same sessions merge into it.
  bool last_row_mergeable_ = false;
  int64_t last_row_slot_ = 0;
  Instant last_row_mid_{}, last_row_first_mid_{};
  std::vector<size_t> last_row_occs_;
  std::vector<std::pair<size_t, double>> scratch_terms_;
  size_t rows_at_last_fit_ = 0;
  std::optional<Instant> last_fit_;

  // Streaming state.
  std::optional<Instant> last_time_;
  int64_t observed_samples_ = 0;
  size_t busy_cursor_ = 0;
  size_t sweep_cursor_ = 0;       // next occurrence (by window start) to activate
  std::vector<size_t> active_;    // occurrences whose window holds the open row
  int64_t open_row_ = INT64_MIN;  // row index (time / row_period) being filled
  double open_sum_ = 0;
  int open_count_ = 0;
  std::deque<MetricSample> recent_;
};

}  // namespace prebell
