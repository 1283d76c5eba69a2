#include "controller/exporter/metrics_server.h"

#include <CivetServer.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstring>
#include <vector>

namespace prebell::exporter {
namespace {

// civetweb reports why it could not start only through its log callback, on
// the thread that starts it: collect those lines while Start runs.
thread_local std::string* startup_log = nullptr;

int LogMessage(const struct mg_connection*, const char* message) {
  if (startup_log != nullptr && message != nullptr) {
    if (!startup_log->empty()) *startup_log += "; ";
    *startup_log += message;
    return 1;
  }
  return 0;  // civetweb's default logging
}

void Send(mg_connection* conn, int status, const char* content_type, const std::string& body) {
  const char* reason = status == 200 ? "OK" : (status == 500 ? "Internal Server Error" : "Error");
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            status, reason, content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

class MetricsHandler final : public CivetHandler {
 public:
  explicit MetricsHandler(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    std::string body;
    try {
      body = prometheus::TextSerializer().Serialize(registry_->Collect());
    } catch (const std::exception& e) {
      Send(conn, 500, "text/plain; charset=utf-8", std::string("collect failed: ") + e.what());
      return true;
    }
    Send(conn, 200, "text/plain; version=0.0.4; charset=utf-8", body);
    return true;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

class ProbeHandler final : public CivetHandler {
 public:
  ProbeHandler(std::shared_ptr<HealthChecks> checks, HealthChecks::Probe probe)
      : checks_(std::move(checks)), probe_(probe) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    bool verbose = false;
    if (info != nullptr && info->query_string != nullptr) {
      verbose = std::strstr(info->query_string, "verbose") != nullptr;
    }
    HealthReport r = checks_->Run(probe_, verbose);
    Send(conn, r.ok ? 200 : 500, "text/plain; charset=utf-8", r.text);
    return true;
  }

 private:
  std::shared_ptr<HealthChecks> checks_;
  HealthChecks::Probe probe_;
};

}  // namespace

struct MetricsServer::Impl {
  std::shared_ptr<prometheus::Registry> registry;
  std::shared_ptr<HealthChecks> checks;
  std::unique_ptr<MetricsHandler> metrics;
  std::unique_ptr<ProbeHandler> healthz;
  std::unique_ptr<ProbeHandler> readyz;
  std::unique_ptr<CivetServer> server;  // last: stopped first
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

MetricsServer::~MetricsServer() {
  if (impl_ && impl_->server) {
    try {
      impl_->server->close();
    } catch (...) {
    }
    impl_->server.reset();
  }
}

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, std::shared_ptr<prometheus::Registry> registry,
    std::shared_ptr<HealthChecks> checks) {
  const std::string where = "metrics server on '" + options.listen + "'";
  if (!registry || !checks) return InvalidArgumentError(where + ": no registry or checks");
  if (options.listen.empty() || options.threads < 1) {
    return InvalidArgumentError(where + ": need a listen address and at least one thread");
  }
  auto impl = std::make_unique<Impl>();
  impl->registry = std::move(registry);
  impl->checks = std::move(checks);
  impl->metrics = std::make_unique<MetricsHandler>(impl->registry);
  impl->healthz = std::make_unique<ProbeHandler>(impl->checks, HealthChecks::Probe::kLiveness);
  impl->readyz = std::make_unique<ProbeHandler>(impl->checks, HealthChecks::Probe::kReadiness);

  std::vector<std::string> civet_options = {"listening_ports", options.listen, "num_threads",
                                            std::to_string(options.threads)};
  CivetCallbacks callbacks;
  callbacks.log_message = &LogMessage;
  std::string log;
  startup_log = &log;
  try {
    impl->server = std::make_unique<CivetServer>(civet_options, &callbacks);
  } catch (const std::exception& e) {
    startup_log = nullptr;
    if (log.find("invalid port spec") != std::string::npos) {
      return InvalidArgumentError(where + ": not a [address:]port: " + log);
    }
    return UnavailableError(where + ": cannot listen: " + (log.empty() ? e.what() : log));
  } catch (...) {
    startup_log = nullptr;
    return UnavailableError(where + ": cannot listen" + (log.empty() ? "" : ": " + log));
  }
  startup_log = nullptr;
  impl->server->addHandler("/metrics", impl->metrics.get());
  impl->server->addHandler("/healthz", impl->healthz.get());
  impl->server->addHandler("/readyz", impl->readyz.get());
  std::vector<int> ports = impl->server->getListeningPorts();
  const int port = ports.empty() ? 0 : ports.front();
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl), port));
}

}  // namespace prebell::exporter
