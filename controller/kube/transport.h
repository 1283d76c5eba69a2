// Transport: the one place where Kubernetes API requests become bytes on a
// connection.
//
// Everything above (Client, Watcher, LeaderElector) talks to this interface,
// so unit tests script it (ScriptedTransport) and production uses
// RestTransport (cpprestsdk). A Transport authenticates each request itself
// (credentials never pass through callers). Its contract:
// - Send returns the response for any HTTP status; a non-ok Status only when
//   there was no response (connection refused, TLS failure, timeout), with
//   kUnavailable or kDeadlineExceeded.
// - Stream returns once the response headers are in. A 2xx response comes
//   with a BodyStream delivering the body as it arrives; any other status
//   comes with the whole (short) body in `error_body` and no stream.
// - No exception leaves a Transport; every method is thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controller/kube/request.h"
#include "policies/common/status.h"

namespace prebell::kube {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  // The value of a header (name in any case), if present.
  std::optional<std::string> Header(std::string_view name) const;
};

// The body of a streaming response, read piece by piece. A piece is whatever
// the connection delivered: it may hold part of a line or several lines.
class BodyStream {
 public:
  virtual ~BodyStream() = default;

  // The next piece of the body: std::nullopt once the body has ended
  // cleanly; kDeadlineExceeded if nothing arrived within `timeout` (the
  // stream stays usable); kUnavailable if the connection broke; kAborted
  // after Cancel().
  virtual StatusOr<std::optional<std::string>> Read(std::chrono::milliseconds timeout) = 0;

  // Ends the stream from any thread; a blocked Read returns at once.
  virtual void Cancel() = 0;
};

struct StreamResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string error_body;                      // the body when status is not 2xx
  std::unique_ptr<BodyStream> body;            // set iff status is 2xx
};

class Transport {
 public:
  virtual ~Transport() = default;

  virtual StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;

  // `idle_timeout`: the connection is closed when no byte arrived for this
  // long (set it above the watch's timeoutSeconds, or a quiet watch dies).
  virtual StatusOr<StreamResponse> Stream(const HttpRequest& request,
                                          std::chrono::seconds idle_timeout) = 0;
};

}  // namespace prebell::kube
