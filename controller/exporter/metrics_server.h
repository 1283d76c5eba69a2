// MetricsServer: the controller's HTTP endpoint for /metrics, /healthz and
// /readyz, on one port.
//
// prometheus-cpp's Exposer serves only registries (it has no way to add
// another handler), so this serves the three paths from one civetweb server
// (the library the Exposer itself runs on): /metrics renders the registry
// with prometheus-cpp's TextSerializer in the text exposition format 0.0.4;
// /healthz and /readyz run the HealthChecks (200 or 500, `?verbose` lists
// every check). Anything else is 404.
//
// Start fails with a Status naming the address and civetweb's reason when it
// cannot listen (port in use, address not local); civetweb's exceptions do
// not leave this class. The server holds the registry and the checks alive
// (CONTROLLER-NOTES 15: the Exposer keeps only a weak reference).
#pragma once

#include <memory>
#include <string>

#include "controller/exporter/health_checks.h"
#include "policies/common/status.h"

namespace prometheus {
class Registry;
}

namespace prebell::exporter {

struct MetricsServerOptions {
  // civetweb's listening_ports syntax: "8080", "0.0.0.0:8080",
  // "127.0.0.1:0" (port 0: the system picks one; see port()).
  std::string listen = "0.0.0.0:8080";
  int threads = 2;
};

class MetricsServer {
 public:
  static StatusOr<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::shared_ptr<prometheus::Registry> registry,
      std::shared_ptr<HealthChecks> checks);
  ~MetricsServer();  // stops serving; in-flight requests finish first

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port actually listened on.
  int port() const { return port_; }

 private:
  struct Impl;
  MetricsServer(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

}  // namespace prebell::exporter
