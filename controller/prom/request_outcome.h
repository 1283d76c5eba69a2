// How one request to the Prometheus HTTP API ended, for
// prebell_prometheus_requests_total{api,result} and
// prebell_prometheus_request_duration_seconds{api} (docs/metrics.md).
//
// The client reports every HTTP attempt (a retried query counts once per
// attempt) to a RequestObserver; the exporter turns the reports into series.
// The enums are the closed label sets of the catalogue.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

namespace prebell::prom {

enum class Api { kQuery, kQueryRange };

enum class RequestResult {
  kSuccess,       // answered with data
  kEmpty,         // answered with no series
  kQueryError,    // Prometheus reported an error (bad query, query timeout), or warnings
  kHttpError,     // non-2xx without a Prometheus error body (a proxy, 429)
  kMalformed,     // unparsable or unexpected answer: wrong result type, NaN where a
                  // number is required, several series where one was expected,
                  // stale sample, body over the size cap
  kNetworkError,  // no HTTP response: connect, TLS, timeout, reset
};

inline constexpr Api kApis[] = {Api::kQuery, Api::kQueryRange};
inline constexpr RequestResult kRequestResults[] = {
    RequestResult::kSuccess,   RequestResult::kEmpty,     RequestResult::kQueryError,
    RequestResult::kHttpError, RequestResult::kMalformed, RequestResult::kNetworkError};

// "query", "query_range".
std::string_view ApiLabel(Api api);
// "success", "empty", "query_error", "http_error", "malformed", "network_error".
std::string_view RequestResultLabel(RequestResult result);

struct RequestReport {
  Api api = Api::kQuery;
  RequestResult result = RequestResult::kSuccess;
  std::chrono::nanoseconds duration{0};
};

// Called once per HTTP attempt, on the calling thread; must be thread-safe if
// the client is used from several threads.
using RequestObserver = std::function<void(const RequestReport&)>;

}  // namespace prebell::prom
