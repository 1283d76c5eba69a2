#include "controller/prom/connection_history.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace prebell::prom {
namespace {

// The last grid instant at or before t (floor division for negative too).
Instant FloorToGrid(Instant t, Duration step) {
  const int64_t s = t.time_since_epoch().count();
  const int64_t q = step.count();
  int64_t k = s / q;
  if (s % q != 0 && s < 0) --k;
  return Instant(Duration(k * q));
}

Instant CeilToGrid(Instant t, Duration step) {
  const Instant f = FloorToGrid(t, step);
  return f == t ? f : f + step;
}

}  // namespace

ConnectionHistory::ConnectionHistory(std::shared_ptr<PrometheusClient> client, std::string query,
                                     HistoryOptions options)
    : client_(std::move(client)), query_(std::move(query)), options_(options) {}

Status ConnectionHistory::ValidateOptions(const HistoryOptions& o) {
  if (o.step <= Duration::zero()) return InvalidArgumentError("history step must be positive");
  if (o.lookback < o.step) {
    return InvalidArgumentError("history lookback " + FormatDuration(o.lookback) +
                                " is shorter than its step " + FormatDuration(o.step));
  }
  if (o.max_points_per_request < 1 ||
      o.max_points_per_request > PrometheusClient::kMaxPointsPerSeries) {
    return InvalidArgumentError("history points per request must be in 1.." +
                                std::to_string(PrometheusClient::kMaxPointsPerSeries) + ", got " +
                                std::to_string(o.max_points_per_request));
  }
  if (o.settle < Duration::zero()) return InvalidArgumentError("history settle must be >= 0");
  return OkStatus();
}

std::optional<Instant> ConnectionHistory::latest_sample() const {
  if (samples_.empty()) return std::nullopt;
  return samples_.back().time;
}

Status ConnectionHistory::FetchChunk(Instant from, Instant to) {
  StatusOr<QueryData> data = client_->QueryRange(query_, from, to, options_.step);
  if (!data.ok()) return data.status();
  if (data->series.size() > 1 && !options_.sum_series) {
    return FailedPreconditionError(DescribeQuery(query_) + ": answer has " +
                                   std::to_string(data->series.size()) +
                                   " series where one was expected; aggregate it, e.g. sum(...)");
  }
  std::map<Instant, double> merged;
  for (const Series& s : data->series) {
    for (const Sample& sample : s.samples) {
      if (sample.time < from || sample.time > to) {
        return UnavailableError(DescribeQuery(query_) + ": sample at " +
                                FormatRfc3339(sample.time) + " lies outside the range asked for [" +
                                FormatRfc3339(from) + ", " + FormatRfc3339(to) + "]");
      }
      if (!std::isfinite(sample.value)) {
        ++stats_.dropped_not_finite;
        continue;
      }
      merged[sample.time] += sample.value;
    }
  }
  ++stats_.range_queries;
  // Everything at or after `from` is replaced by the new answer.
  auto keep_end = std::lower_bound(samples_.begin(), samples_.end(), from,
                                   [](const MetricSample& m, Instant t) { return m.time < t; });
  samples_.erase(keep_end, samples_.end());
  samples_.reserve(samples_.size() + merged.size());
  for (const auto& [t, v] : merged) samples_.push_back(MetricSample{t, v});
  covered_until_ = to;
  return OkStatus();
}

Status ConnectionHistory::Sync(Instant now) {
  PREBELL_RETURN_IF_ERROR(ValidateOptions(options_));
  const Duration step = options_.step;
  const Instant end = FloorToGrid(now, step);
  const Instant oldest = CeilToGrid(now - options_.lookback, step);
  Instant start = oldest;
  if (covered_until_) {
    // Resume after what we have, re-fetching the settle span.
    start = std::max(oldest, CeilToGrid(*covered_until_ + step - options_.settle, step));
  }
  Status status;
  const Duration chunk = step * (options_.max_points_per_request - 1);
  for (Instant from = start; from <= end; from += chunk + step) {
    const Instant to = std::min(end, from + chunk);
    status = FetchChunk(from, to);
    if (!status.ok()) break;
  }
  // Let go of what fell out of the lookback.
  auto first_kept = std::lower_bound(samples_.begin(), samples_.end(), oldest,
                                     [](const MetricSample& m, Instant t) { return m.time < t; });
  samples_.erase(samples_.begin(), first_kept);
  return status;
}

}  // namespace prebell::prom
