// RestTransport: the Transport over HTTPS, on cpprestsdk (Boost.Asio +
// OpenSSL). cpprestsdk stays behind this header (it is in maintenance mode
// upstream; keeping it here keeps it replaceable).
//
// What it guarantees:
// - TLS verifies the server against the cluster CA only (the system roots
//   are dropped when a CA is configured) and checks the host name; client
//   certificates are presented when configured. insecure-skip-tls-verify is
//   honoured only if the config allowed it at load time.
// - A bearer token is injected into every request from a TokenSource that
//   re-reads a token file every minute and after any 401 (the request is then
//   retried once with the fresh token).
// - Plain requests share one http_client with the request timeout; after a
//   transport error that client is replaced (cpprestsdk can leave a client
//   unusable after "Failed to read HTTP status line", and keeps keep-alive
//   connections the server has closed). The request is then sent once more
//   on the fresh client if that cannot do harm: a GET, or any request that
//   failed while being written (the server never got it). Each watch gets its own
//   http_client whose timeout (reset on every chunk) is the watch's idle
//   timeout, and its own cancellation token; the body is read with read_line
//   in a chain of continuations that never blocks.
// - Request bodies are sent with Content-Length (never chunked).
// - No exception from cpprestsdk, Boost or OpenSSL leaves this class.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "controller/kube/clock.h"
#include "controller/kube/config.h"
#include "controller/kube/transport.h"
#include "policies/common/status.h"

namespace prebell::kube {

struct RestTransportOptions {
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds token_refresh{60};
  std::string user_agent = "prebell/0.1";
  std::shared_ptr<const Clock> clock;  // for the token refresh; default SystemClock
};

class RestTransport final : public Transport {
 public:
  // Checks the config (server URL; CA, certificate and key parse as PEM and
  // the key matches the certificate) and reports problems naming the field.
  static StatusOr<std::shared_ptr<RestTransport>> Create(const ClusterConfig& config,
                                                         RestTransportOptions options = {});
  ~RestTransport() override;

  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<StreamResponse> Stream(const HttpRequest& request,
                                  std::chrono::seconds idle_timeout) override;

  // Cancels every request and watch in flight and fails new ones at once
  // (for process shutdown).
  void Shutdown();

  struct Impl;

 private:
  explicit RestTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace prebell::kube
