// HealthChecks: the named checks behind /healthz and /readyz.
//
// Liveness (/healthz) says "restart me if this fails": keep it to things a
// restart fixes (a wedged work loop), never to dependencies (an unreachable
// Prometheus or API server would make every replica restart in a loop).
// Readiness (/readyz) says "do not send me traffic / do not count me yet":
// caches synced, metrics registered, not shutting down.
//
// A check is a function returning a Status, called on the HTTP server's
// threads each time a probe arrives; it must be cheap and thread-safe. For
// state pushed by the controller, a CheckState (a settable Status) gives a
// ready-made check. The report follows the Kubernetes API server's format:
// "[+]name ok" / "[-]name failed: reason" lines, then a verdict.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "policies/common/status.h"

namespace prebell::exporter {

using HealthCheck = std::function<Status()>;

// A Status the controller sets and a probe reads. Thread-safe.
class CheckState {
 public:
  explicit CheckState(Status initial = OkStatus()) : status_(std::move(initial)) {}
  void Set(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(s);
  }
  Status Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  // A check that reads this state (which must outlive the check's use).
  HealthCheck AsCheck() const {
    return [this] { return Get(); };
  }

 private:
  mutable std::mutex mu_;
  Status status_;
};

struct HealthReport {
  bool ok = true;
  std::string text;  // the body of the probe's answer
};

class HealthChecks {
 public:
  enum class Probe { kLiveness, kReadiness };

  // Names are unique per probe; adding a name again replaces its check.
  void Add(Probe probe, std::string name, HealthCheck check);
  // After this, readiness fails ("shutting down") so that traffic drains
  // before the process exits; liveness is unaffected.
  void SetShuttingDown();

  // Runs the probe's checks. A check that throws counts as failed.
  HealthReport Run(Probe probe, bool verbose) const;

 private:
  struct Entry {
    Probe probe;
    std::string name;
    HealthCheck check;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  bool shutting_down_ = false;
};

}  // namespace prebell::exporter
