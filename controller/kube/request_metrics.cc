#include "controller/kube/request_metrics.h"

namespace prebell::kube {

void RequestCounters::Record(const RequestRecord& r) {
  std::string result = r.http_status == 0 ? "error" : std::to_string(r.http_status);
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[Key{r.verb, r.resource, result}];
}

RequestObserver RequestCounters::Observer() {
  return [this](const RequestRecord& r) { Record(r); };
}

std::map<RequestCounters::Key, uint64_t> RequestCounters::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

uint64_t RequestCounters::Total() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [k, v] : counts_) n += v;
  return n;
}

uint64_t RequestCounters::Count(const std::string& verb) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [k, v] : counts_) {
    if (std::get<0>(k) == verb) n += v;
  }
  return n;
}

}  // namespace prebell::kube
