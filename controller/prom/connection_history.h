// ConnectionHistory: the live connections metric of one ScalingPolicy, as
// the planner consumes it: a sorted vector of {Instant, value} samples.
//
// The first Sync loads `lookback` of history with range queries, cut into
// chunks of at most max_points_per_request evaluation points (Prometheus
// refuses more than 11,000 points per series); later Syncs fetch only what
// is new. Evaluation instants lie on a grid of `step` anchored at the Unix
// epoch, so chunks and increments line up exactly and a re-fetched instant
// replaces its earlier value. The most recent `settle` span is re-fetched on
// every Sync, because a scrape that arrives late changes the value
// Prometheus computes for an instant it already answered for.
//
// Gaps stay gaps: an instant where Prometheus had no value (the target was
// down, the series went stale) has no sample; nothing is zero-filled or
// interpolated. NaN and infinite values are dropped too (and counted): they
// are not demand. Several series are an error naming the query unless
// sum_series is set, in which case they are summed per instant.
//
// A failed Sync keeps everything fetched so far and the next one resumes
// where it stopped. Samples older than `lookback` are let go, which bounds
// memory (28 days at 15 s is 161,280 samples, 2.6 MB).
//
// Not thread-safe: one history per policy, synced by that policy's
// reconcile (which never runs on two threads at once).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/prom/prometheus_client.h"
#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/forecast/metric_series.h"

namespace prebell::prom {

struct HistoryOptions {
  Duration lookback = std::chrono::days(28);
  Duration step = std::chrono::seconds(15);
  int64_t max_points_per_request = 10'000;  // 1..PrometheusClient::kMaxPointsPerSeries
  Duration settle = std::chrono::minutes(1);
  bool sum_series = false;
};

struct HistoryStats {
  int64_t range_queries = 0;       // successful ones
  int64_t dropped_not_finite = 0;  // NaN / +Inf / -Inf values left out
};

class ConnectionHistory {
 public:
  ConnectionHistory(std::shared_ptr<PrometheusClient> client, std::string query,
                    HistoryOptions options = {});

  // kInvalidArgument for options that cannot work.
  static Status ValidateOptions(const HistoryOptions& options);

  // Brings the history up to the last grid instant at or before `now`.
  Status Sync(Instant now);

  // Sorted by time, one sample per instant, finite values.
  const std::vector<MetricSample>& samples() const { return samples_; }
  // Time of the newest sample (feeds the demand-freshness decision).
  std::optional<Instant> latest_sample() const;
  // The last grid instant Prometheus has answered for (with or without a
  // value there).
  std::optional<Instant> covered_until() const { return covered_until_; }
  const HistoryStats& stats() const { return stats_; }
  const std::string& query() const { return query_; }

 private:
  Status FetchChunk(Instant from, Instant to);

  std::shared_ptr<PrometheusClient> client_;
  std::string query_;
  HistoryOptions options_;
  std::vector<MetricSample> samples_;
  std::optional<Instant> covered_until_;
  HistoryStats stats_;
};

}  // namespace prebell::prom
