// PrometheusClient: instant and range queries against the Prometheus HTTP
// API, with bounded retries and strict checks of what comes back.
//
// Every call returns data or a Status naming the query and the problem; no
// exception leaves it. Each HTTP attempt is reported to the RequestObserver
// (prebell_prometheus_requests_total / _request_duration_seconds).
//
// Retries: an attempt that got no response (refused, reset, timeout), HTTP
// 429 or any 5xx is retried, up to max_attempts in all, after an
// exponentially growing, jittered delay (or the server's Retry-After, capped
// at max_backoff). Nothing else is retried: a bad query, a malformed answer
// or a 4xx will not get better by asking again.
//
// Checks: the resultType must be the one the endpoint promises (vector or
// scalar for /query, matrix for /query_range); warnings are an error unless
// warnings_are_errors is false (Prometheus warns when the data may be
// partial, and a partial sum of connections looks like a drop in demand);
// QueryValue further requires exactly one series (or sums several when told
// to), a finite value and, if asked, a recent enough sample.
//
// Thread-safe if the transport and the observer are.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "controller/prom/api_response.h"
#include "controller/prom/http_transport.h"
#include "controller/prom/request_outcome.h"
#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell::prom {

struct ClientOptions {
  // Whole exchange of one attempt (headers and body). Also sent to
  // Prometheus as the query's evaluation timeout, so it stops working when
  // we stop waiting.
  std::chrono::milliseconds timeout{10'000};
  int max_attempts = 3;  // >= 1
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{5'000};
  bool warnings_are_errors = true;
  uint64_t jitter_seed = 0;  // 0: seeded from std::random_device
};

// What QueryValue expects of the answer.
struct ValueExpectation {
  enum class Series { kExactlyOne, kSum };
  Series series = Series::kExactlyOne;
  // With no series at all, return std::nullopt instead of an error.
  bool allow_empty = false;
  // Refuse a sample older than this relative to `now` (a query such as
  // `last_over_time(x[1h])` reports old data at the evaluation time; and an
  // evaluation time far from now means Prometheus's clock is off).
  std::optional<Duration> max_age{};
  Instant now{};  // required with max_age
};

struct Reading {
  Instant time{};
  double value = 0;
  int series = 1;  // how many series were summed
};

using Sleeper = std::function<void(std::chrono::milliseconds)>;

class PrometheusClient {
 public:
  // `sleeper` waits between attempts (default: std::this_thread::sleep_for).
  PrometheusClient(std::shared_ptr<HttpTransport> transport, ClientOptions options,
                   RequestObserver observer = {}, Sleeper sleeper = {});

  // kInvalidArgument for options a client cannot work with.
  static Status ValidateOptions(const ClientOptions& options);

  // /api/v1/query at `at` (server's now when empty). The answer is a vector,
  // or a scalar presented as one series without labels.
  StatusOr<QueryData> Query(std::string_view promql, std::optional<Instant> at = std::nullopt);

  // /api/v1/query_range over [start, end] every `step`. Refuses (without
  // asking) a range of more than kMaxPointsPerSeries points, which
  // Prometheus would refuse too.
  StatusOr<QueryData> QueryRange(std::string_view promql, Instant start, Instant end,
                                 Duration step);

  // One number from an instant query, checked against `expect`.
  StatusOr<std::optional<Reading>> QueryValue(std::string_view promql, std::optional<Instant> at,
                                              const ValueExpectation& expect);

  // Prometheus refuses range queries of more points per series than this.
  static constexpr int64_t kMaxPointsPerSeries = 11'000;

 private:
  // `check` validates decoded data and may turn it into an error counted as
  // malformed; it runs inside the attempt so that the count is right.
  using Check = std::function<Status(const QueryData&)>;
  StatusOr<QueryData> Run(Api api, const std::string& context, const std::string& form,
                          const Check& check);
  std::chrono::milliseconds BackoffDelay(int retry, std::optional<std::chrono::seconds> hint);
  void Report(Api api, RequestResult result, std::chrono::steady_clock::time_point started);

  std::shared_ptr<HttpTransport> transport_;
  ClientOptions options_;
  RequestObserver observer_;
  Sleeper sleeper_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

// "query 'sum(x)'", with long queries shortened, for error messages.
std::string DescribeQuery(std::string_view promql);

}  // namespace prebell::prom
