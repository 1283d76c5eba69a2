// Request accounting: every API request the Client makes is reported once,
// with its outcome, to an observer (the exporter turns these into
// prebell_kube_requests_total{verb,resource,code}; tests and benchmarks use
// RequestCounters to count requests per minute).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "policies/common/status.h"

namespace prebell::kube {

struct RequestRecord {
  std::string verb;      // "get", "list", "watch", "create", "update", "patch", "delete"
  std::string resource;  // "configmaps", "deployments.apps/scale"
  int http_status = 0;   // 0: no response (transport error)
  StatusCode code = StatusCode::kOk;
  std::chrono::nanoseconds latency{0};  // for a watch: until the headers arrived
};

using RequestObserver = std::function<void(const RequestRecord&)>;

// Counts by (verb, resource, result), where result is the HTTP status as
// text or "error" when there was no response. Thread-safe.
class RequestCounters {
 public:
  using Key = std::tuple<std::string, std::string, std::string>;

  void Record(const RequestRecord& r);
  // An observer feeding this object (which must outlive the observer).
  RequestObserver Observer();

  std::map<Key, uint64_t> Snapshot() const;
  uint64_t Total() const;
  // Requests with this verb (any resource and result).
  uint64_t Count(const std::string& verb) const;

 private:
  mutable std::mutex mu_;
  std::map<Key, uint64_t> counts_;
};

}  // namespace prebell::kube
