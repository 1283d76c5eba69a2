#include "policies/forecast/forecast_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <utility>

namespace prebell {
namespace {

int KindIndex(SessionKind k) { return static_cast<int>(k); }

std::vector<SessionKind> KeyKinds(const std::vector<Occurrence>& occs,
                                  std::vector<int32_t>& key_of) {
  std::map<std::pair<std::string, SessionKind>, int32_t> keys;
  std::vector<SessionKind> kinds;
  key_of.resize(occs.size());
  for (size_t i = 0; i < occs.size(); ++i) {
    auto [it, inserted] =
        keys.try_emplace({occs[i].course, occs[i].kind}, static_cast<int32_t>(kinds.size()));
    if (inserted) kinds.push_back(occs[i].kind);
    key_of[i] = it->second;
  }
  return kinds;
}

std::vector<Occurrence> SortedByStart(std::vector<Occurrence> occs) {
  std::sort(occs.begin(), occs.end(), OccurrenceBefore);
  return occs;
}

}  // namespace

ForecastModel::ForecastModel(std::vector<Occurrence> occurrences, TimeZone zone,
                             ForecastOptions options)
    : occurrences_(SortedByStart(std::move(occurrences))),
      options_(options),
      baseline_(zone),
      attendance_(KeyKinds(occurrences_, key_of_), options.attendance) {
  for (SessionKind k : {SessionKind::kClass, SessionKind::kExam, SessionKind::kEvent}) {
    const SessionShape& s = shapes_[KindIndex(k)] = DefaultShape(k);
    ShareTable& a = arrived_[KindIndex(k)];
    a.first = -s.lead().count();
    for (int64_t d = a.first; d <= std::max(a.first, s.full_from().count()); ++d) {
      a.values.push_back(s.PlanningArrived(Duration{d}));
    }
    ShareTable& l = left_[KindIndex(k)];
    l.first = std::min(s.full_until().count(), s.lag().count());
    for (int64_t d = l.first; d <= s.lag().count(); ++d)
      l.values.push_back(s.PlanningLeft(Duration{d}));
  }
  window_start_.reserve(occurrences_.size());
  window_end_.reserve(occurrences_.size());
  starts_.reserve(occurrences_.size());
  std::vector<std::pair<Instant, Instant>> busy;
  for (const Occurrence& o : occurrences_) {
    const SessionShape& s = shapes_[KindIndex(o.kind)];
    starts_.push_back(o.start);
    window_start_.push_back(o.start - s.lead());
    window_end_.push_back(std::max(o.end, o.start) + s.lag());
    full_from_.push_back(o.start + s.full_from());
    full_until_.push_back(o.end + s.full_until());
    max_lead_ = std::max(max_lead_, o.start - window_start_.back());
    max_span_ = std::max(max_span_, window_end_.back() - o.start);
    busy.emplace_back(window_start_.back() - options_.quiet_margin,
                      window_end_.back() + options_.quiet_margin);
  }
  std::sort(busy.begin(), busy.end());
  for (const auto& iv : busy) {
    if (!busy_.empty() && iv.first <= busy_.back().second) {
      busy_.back().second = std::max(busy_.back().second, iv.second);
    } else {
      busy_.push_back(iv);
    }
  }
}

const SessionShape& ForecastModel::Shape(SessionKind kind) const {
  return shapes_[KindIndex(kind)];
}

double ForecastModel::PlanningFraction(size_t occurrence, Instant t) const {
  const Occurrence& o = occurrences_[occurrence];
  return Shape(o.kind).PlanningFraction(t, o.start, o.end);
}

double ForecastModel::PlanningArrived(SessionKind kind, Duration since_start) const {
  const ShareTable& t = arrived_[KindIndex(kind)];
  const int64_t i = since_start.count() - t.first;
  if (i < 0) return shapes_[KindIndex(kind)].PlanningArrived(since_start);
  if (i >= static_cast<int64_t>(t.values.size())) {
    return shapes_[KindIndex(kind)].PlanningArrived(since_start);
  }
  return t.values[static_cast<size_t>(i)];
}

double ForecastModel::PlanningLeft(SessionKind kind, Duration since_end) const {
  const ShareTable& t = left_[KindIndex(kind)];
  const int64_t i = since_end.count() - t.first;
  if (i < 0 || i >= static_cast<int64_t>(t.values.size())) {
    return shapes_[KindIndex(kind)].PlanningLeft(since_end);
  }
  return t.values[static_cast<size_t>(i)];
}

double ForecastModel::Ratio(size_t occurrence) const {
  return attendance_.Ratio(key_of_[occurrence]);
}
RatioSource ForecastModel::RatioSourceOf(size_t occurrence) const {
  return attendance_.Source(key_of_[occurrence]);
}
double ForecastModel::ExpectedSpike(size_t occurrence) const {
  return Ratio(occurrence) *
         static_cast<double>(std::max<int64_t>(0, occurrences_[occurrence].expected_attendance));
}
void ForecastModel::Observe(std::span<const MetricSample> samples) {
  for (const MetricSample& s : samples) {
    if (last_time_ && s.time <= *last_time_) continue;
    if (!IsPlausibleConnections(s.value)) continue;
    last_time_ = s.time;
    ++observed_samples_;
    recent_.push_back(s);
    while (!recent_.empty() && recent_.front().time < s.time - std::chrono::hours(1)) {
      recent_.pop_front();
    }
    while (busy_cursor_ < busy_.size() && busy_[busy_cursor_].second <= s.time) ++busy_cursor_;
    const bool quiet = busy_cursor_ == busy_.size() || s.time < busy_[busy_cursor_].first;
    if (quiet) baseline_.AddQuietSample(s.time, s.value);

    const int64_t period = options_.row_period.count();
    const int64_t secs = s.time.time_since_epoch().count();
    const int64_t row = secs >= 0 ? secs / period : (secs - period + 1) / period;
    if (row != open_row_) {
      CloseRow();
      open_row_ = row;
    }
    open_sum_ += s.value;
    ++open_count_;
  }
}

void ForecastModel::CloseRow() {
  if (open_count_ == 0) return;
  const int64_t period = options_.row_period.count();
  const Instant mid{std::chrono::seconds{open_row_ * period + period / 2}};
  const double value = open_sum_ / open_count_;
  const int count = open_count_;
  open_sum_ = 0;
  open_count_ = 0;

  while (sweep_cursor_ < occurrences_.size() && starts_[sweep_cursor_] - max_lead_ <= mid) {
    active_.push_back(sweep_cursor_++);
  }
  std::erase_if(active_, [&](size_t i) { return window_end_[i] <= mid; });
  bool plateau = true;
  std::vector<std::pair<size_t, double>>& terms = scratch_terms_;
  terms.clear();
  for (size_t i : active_) {
    const Occurrence& o = occurrences_[i];
    if (o.expected_attendance <= 0) continue;
    const double f = Shape(o.kind).PresentFraction(mid, o.start, o.end);
    if (f < 1e-3) continue;
    if (f < 0.98) plateau = false;
    terms.emplace_back(i, f);
  }
  if (terms.empty()) {
    last_row_mergeable_ = false;
    return;
  }
  const float fill = count >= 2 ? 1.0f : 0.5f;
  // Consecutive plateau minutes with the same sessions (within one baseline
  // slot) are one observation weighted by its minutes: a fraction of the rows
  // for the same least-squares answer.
  const int64_t slot = mid.time_since_epoch().count() / BaselineModel::kSlotSeconds;
  if (plateau && last_row_mergeable_ && slot == last_row_slot_ &&
      mid - last_row_mid_ == options_.row_period && terms.size() == last_row_occs_.size() &&
      std::equal(terms.begin(), terms.end(), last_row_occs_.begin(),
                 [](const auto& t, size_t i) { return t.first == i; })) {
    const float w = row_fill_.back();
    row_value_.back() = (row_value_.back() * w + value * fill) / (w + fill);
    row_fill_.back() = w + fill;
    row_time_.back() = last_row_first_mid_ + (mid - last_row_first_mid_) / 2;
    last_row_mid_ = mid;
    return;
  }
  for (const auto& [i, f] : terms) {
    rows_.AddTerm(key_of_[i],
                  (plateau ? 1.0 : f) * static_cast<double>(occurrences_[i].expected_attendance));
  }
  rows_.EndRow();
  row_time_.push_back(mid);
  row_value_.push_back(value);
  row_shape_weight_.push_back(plateau ? 1.0f : 0.25f);
  row_fill_.push_back(fill);
  last_row_mergeable_ = plateau;
  last_row_slot_ = slot;
  last_row_mid_ = mid;
  last_row_first_mid_ = mid;
  last_row_occs_.clear();
  for (const auto& t : terms) last_row_occs_.push_back(t.first);
}

bool ForecastModel::MaybeRefit(Instant now, bool force) {
  if (!force) {
    if (last_fit_ && now - *last_fit_ < options_.refit_interval) return false;
    if (last_fit_ &&
        static_cast<int64_t>(rows_.size() - rows_at_last_fit_) < options_.refit_min_new_rows) {
      return false;
    }
  }
  baseline_.Refresh(now);
  const size_t m = rows_.size();
  std::vector<double> excess(m), weight(m);
  std::vector<uint8_t> plateau(m);
  const double half_life =
      static_cast<double>(std::max<int64_t>(1, options_.recency_half_life.count()));
  for (size_t r = 0; r < m; ++r) {
    excess[r] = row_value_[r] - baseline_.Estimate(row_time_[r]);
    const double age = static_cast<double>(std::max<int64_t>(0, (now - row_time_[r]).count()));
    weight[r] = std::exp2(-age / half_life) * row_shape_weight_[r] * row_fill_[r];
    if (weight[r] < 1e-3) weight[r] = 0;  // ten half-lives old: not worth the work
    plateau[r] = row_shape_weight_[r] >= 1.0f;
  }
  attendance_.Fit(rows_, excess, weight, plateau);
  rows_at_last_fit_ = m;
  last_fit_ = now;
  return true;
}

double ForecastModel::Expected(Instant t) const {
  double d = baseline_.Estimate(t);
  for (size_t i : OccurrencesTouching(t, t + std::chrono::seconds(1))) {
    const Occurrence& o = occurrences_[i];
    d += ExpectedSpike(i) * Shape(o.kind).PresentFraction(t, o.start, o.end);
  }
  return d;
}

std::vector<size_t> ForecastModel::OccurrencesTouching(Instant from, Instant to) const {
  std::vector<size_t> out;
  auto lo = std::lower_bound(starts_.begin(), starts_.end(), from - max_span_);
  auto hi = std::lower_bound(lo, starts_.end(), to + max_lead_);
  for (auto it = lo; it != hi; ++it) {
    const auto i = static_cast<size_t>(it - starts_.begin());
    if (window_end_[i] > from && window_start_[i] < to) out.push_back(i);
  }
  return out;
}

std::optional<LiveReading> ForecastModel::Live(Instant now) const {
  auto it = std::upper_bound(recent_.begin(), recent_.end(), now,
                             [](Instant t, const MetricSample& s) { return t < s.time; });
  if (it == recent_.begin()) return std::nullopt;
  const MetricSample& newest = *(it - 1);
  if (now - newest.time > options_.live_max_age) return std::nullopt;
  LiveReading r{newest.time, newest.value, 0};
  // Least-squares slope over the trend window.
  double n = 0, st = 0, sv = 0, stt = 0, stv = 0;
  for (auto j = it; j != recent_.begin();) {
    --j;
    if (j->time < newest.time - options_.trend_window) break;
    const double t = static_cast<double>((j->time - newest.time).count());
    n += 1;
    st += t;
    sv += j->value;
    stt += t * t;
    stv += t * j->value;
  }
  const double den = n * stt - st * st;
  if (n >= 3 && den > 0) r.slope = (n * stv - st * sv) / den;
  return r;
}

std::optional<double> ForecastModel::RecentMax(Instant from, Instant to) const {
  auto it = std::lower_bound(recent_.begin(), recent_.end(), from,
                             [](const MetricSample& s, Instant t) { return s.time < t; });
  std::optional<double> best;
  for (; it != recent_.end() && it->time <= to; ++it)
    best = std::max(best.value_or(0.0), it->value);
  return best;
}

std::optional<Instant> ForecastModel::last_observed() const { return last_time_; }

}  // namespace prebell
