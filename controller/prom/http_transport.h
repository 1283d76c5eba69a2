// HttpTransport: how the Prometheus client puts a request on the wire.
//
// One method: POST a form to a path under the Prometheus base URL and return
// the whole response, within a deadline and a size cap. The client above it
// decides about retries and decoding; tests substitute scripted transports,
// production uses CpprestTransport. Contract:
// - any HTTP status is a response (ok StatusOr), whatever its body;
// - no response at all is kUnavailable (refused, reset, TLS, truncated
//   body) or kDeadlineExceeded (the whole exchange, headers and body, took
//   longer than `timeout`);
// - a body longer than the transport's cap is kResourceExhausted, noticed
//   from Content-Length before reading or while reading, never buffered
//   whole;
// - thread-safe; no exception leaves it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "policies/common/status.h"

namespace prebell::prom {

struct HttpResponse {
  int status = 0;
  std::string content_type{};
  std::string body{};
  // Retry-After in seconds, when the server sent the delta-seconds form.
  std::optional<std::chrono::seconds> retry_after;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // `path` is relative to the base URL ("api/v1/query"); `form` is an
  // application/x-www-form-urlencoded body.
  virtual StatusOr<HttpResponse> PostForm(const std::string& path, const std::string& form,
                                          std::chrono::milliseconds timeout) = 0;
};

// Percent-encodes `value` for an application/x-www-form-urlencoded body.
std::string FormEncode(std::string_view value);

}  // namespace prebell::prom
