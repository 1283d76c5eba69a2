#include "controller/exporter/health_checks.h"

namespace prebell::exporter {

void HealthChecks::Add(Probe probe, std::string name, HealthCheck check) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Entry& e : entries_) {
    if (e.probe == probe && e.name == name) {
      e.check = std::move(check);
      return;
    }
  }
  entries_.push_back(Entry{probe, std::move(name), std::move(check)});
}

void HealthChecks::SetShuttingDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
}

HealthReport HealthChecks::Run(Probe probe, bool verbose) const {
  std::vector<Entry> entries;
  bool shutting_down;
  {
    // Checks run outside the lock: a slow one must not block Add.
    std::lock_guard<std::mutex> lock(mu_);
    entries = entries_;
    shutting_down = shutting_down_;
  }
  HealthReport report;
  std::string lines;
  for (const Entry& e : entries) {
    if (e.probe != probe) continue;
    Status s;
    try {
      s = e.check ? e.check() : InternalError("no check function");
    } catch (const std::exception& ex) {
      s = InternalError(std::string("check threw: ") + ex.what());
    } catch (...) {
      s = InternalError("check threw");
    }
    if (s.ok()) {
      lines += "[+]" + e.name + " ok\n";
    } else {
      report.ok = false;
      lines += "[-]" + e.name + " failed: " + s.message() + "\n";
    }
  }
  if (probe == Probe::kReadiness) {
    if (shutting_down) {
      report.ok = false;
      lines += "[-]shutdown failed: shutting down\n";
    } else {
      lines += "[+]shutdown ok\n";
    }
  }
  const char* what = probe == Probe::kLiveness ? "healthz" : "readyz";
  if (report.ok) {
    report.text = verbose ? lines + what + " check passed\n" : std::string("ok");
  } else {
    // Failures are always explained: the kubelet logs the body.
    report.text = lines + what + " check failed\n";
  }
  return report;
}

}  // namespace prebell::exporter
