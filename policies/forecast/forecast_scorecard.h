// ForecastScorecard: how far each course's forecast was from what came, as
// `prebell_forecast_error_ratio` reports it.
//
// A session's forecast is scored out of sample: Observe() feeds the metric to
// the model and pauses at each session's start, so the prediction is the one
// a planner had at that moment, learned from samples at or before the start
// and none after (the model re-fits there as a planner would, at most once
// per refit interval). The prediction is the largest Expected() over the
// session. Once the metric covers the session's end, Score() compares it with
// the largest sample seen while the session ran:
//
//   error = (predicted peak - observed peak) / observed peak
//
// negative when the forecast was short (the dangerous direction). Per course
// (the session's name when it has no course), the error of the session that
// ended last is kept.
//
// Bounded whatever the history holds: only sessions starting within
// `lookback` of the newest sample are predicted (a controller that starts
// with a month of history scores the last day's sessions, not the month's);
// a pending prediction is dropped once the metric covers its end, scored or
// not: a session with no sample while it ran (a gap in the metric) or an
// observed peak below one connection is not scored.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "policies/common/time_text.h"
#include "policies/forecast/forecast_model.h"
#include "policies/forecast/metric_series.h"

namespace prebell {

struct ScorecardOptions {
  Duration lookback = std::chrono::hours(24);
  // Expected() is evaluated every `step` over a session, at most
  // `max_points` times (a long session is sampled more coarsely).
  Duration step = std::chrono::minutes(1);
  size_t max_points = 240;
};

struct CourseForecastError {
  double ratio = 0;  // (predicted - observed) / observed
  double predicted_peak = 0;
  double observed_peak = 0;
  Instant session_end{};
};

class ForecastScorecard {
 public:
  explicit ForecastScorecard(ScorecardOptions options = {}) : options_(options) {}

  // Feeds `samples` (in time order, after those the model has seen) to
  // `model`, taking each session's prediction at its start. Call Reset()
  // first when the model was rebuilt.
  void Observe(ForecastModel& model, std::span<const MetricSample> samples);

  // Scores the pending predictions whose sessions ended at or before the
  // newest sample of `history` (all samples so far, in time order).
  void Score(std::span<const MetricSample> history);

  // The model was rebuilt (new spec or schedule): predictions start over;
  // the errors already measured stay.
  void Reset();

  const std::map<std::string, CourseForecastError>& errors() const { return errors_; }
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::string course;
    Instant start{};
    Instant end{};
    double predicted_peak = 0;
  };

  ScorecardOptions options_;
  const ForecastModel* model_ = nullptr;  // the model `order_` indexes
  std::vector<size_t> order_;             // occurrences by start
  size_t cursor_ = 0;                     // next in order_ to predict
  std::vector<Pending> pending_;
  std::map<std::string, CourseForecastError> errors_;
};

// The largest Expected() of `model` over [from, to), at `step` (coarser when
// that would take more than `max_points` evaluations), and at `from`.
double ExpectedPeak(const ForecastModel& model, Instant from, Instant to, Duration step,
                    size_t max_points);

}  // namespace prebell
