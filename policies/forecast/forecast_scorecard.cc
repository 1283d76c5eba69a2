#include "policies/forecast/forecast_scorecard.h"

#include <algorithm>
#include <numeric>

namespace prebell {

double ExpectedPeak(const ForecastModel& model, Instant from, Instant to, Duration step,
                    size_t max_points) {
  double peak = model.Expected(from);
  if (to <= from || step <= Duration::zero()) return peak;
  const size_t points = std::max<size_t>(max_points, 1);
  if ((to - from) / step > static_cast<int64_t>(points)) {
    step = (to - from) / static_cast<int64_t>(points);
  }
  for (Instant t = from + step; t < to; t += step) peak = std::max(peak, model.Expected(t));
  return peak;
}

void ForecastScorecard::Reset() {
  model_ = nullptr;
  order_.clear();
  cursor_ = 0;
  pending_.clear();
}

void ForecastScorecard::Observe(ForecastModel& model, std::span<const MetricSample> samples) {
  if (samples.empty()) return;
  const auto& occurrences = model.occurrences();
  if (model_ != &model || order_.size() != occurrences.size()) {
    model_ = &model;
    order_.resize(occurrences.size());
    std::iota(order_.begin(), order_.end(), size_t{0});
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
      return occurrences[a].start < occurrences[b].start;
    });
    cursor_ = 0;
  }
  const Instant newest = samples.back().time;
  const Instant oldest_wanted = newest - options_.lookback;
  auto fed = samples.begin();
  for (; cursor_ < order_.size(); ++cursor_) {
    const Occurrence& o = occurrences[order_[cursor_]];
    if (o.start > newest) break;  // predicted once a later sample passes its start
    if (o.start < oldest_wanted) continue;
    auto upto = std::upper_bound(fed, samples.end(), o.start,
                                 [](Instant t, const MetricSample& s) { return t < s.time; });
    model.Observe(std::span<const MetricSample>(fed, upto));
    fed = upto;
    model.MaybeRefit(o.start);
    pending_.push_back({o.course.empty() ? o.session : o.course, o.start, o.end,
                        ExpectedPeak(model, o.start, o.end, options_.step, options_.max_points)});
  }
  model.Observe(std::span<const MetricSample>(fed, samples.end()));
}

void ForecastScorecard::Score(std::span<const MetricSample> history) {
  if (history.empty()) return;
  const Instant newest = history.back().time;
  auto by_time = [](const MetricSample& s, Instant t) { return s.time < t; };
  std::erase_if(pending_, [&](const Pending& p) {
    if (p.end > newest) return false;  // not over yet
    auto first = std::lower_bound(history.begin(), history.end(), p.start, by_time);
    auto last = std::lower_bound(first, history.end(), p.end, by_time);
    if (first == last) return true;  // no sample while it ran: nothing to score
    const double observed =
        std::max_element(first, last, [](const MetricSample& a, const MetricSample& b) {
          return a.value < b.value;
        })->value;
    if (!(observed >= 1)) return true;
    CourseForecastError& e = errors_[p.course];
    if (p.end >= e.session_end) {
      e = {(p.predicted_peak - observed) / observed, p.predicted_peak, observed, p.end};
    }
    return true;
  });
}

}  // namespace prebell
