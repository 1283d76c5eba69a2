#include "controller/runtime/backoff.h"

#include <algorithm>
#include <cmath>

namespace prebell::runtime {

Backoff::Backoff(Options options, uint64_t seed) : options_(options), rng_(seed) {}

std::chrono::milliseconds Backoff::Next(MonoTime now) {
  if (last_failure_ && now - *last_failure_ >= options_.reset_after) failures_ = 0;
  last_failure_ = now;
  double nominal = static_cast<double>(options_.initial.count()) *
                   std::pow(options_.factor, std::min(failures_, 62));
  nominal = std::min(nominal, static_cast<double>(options_.max.count()));
  ++failures_;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double scaled = nominal * (1.0 - options_.jitter / 2 + options_.jitter * u(rng_));
  return std::chrono::milliseconds(static_cast<int64_t>(scaled));
}

void Backoff::Reset() {
  failures_ = 0;
  last_failure_.reset();
}

std::chrono::milliseconds ItemBackoff::When(const std::string& key) {
  int n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = failures_[key]++;
  }
  double d = static_cast<double>(options_.base.count()) * std::pow(2.0, std::min(n, 62));
  d = std::min(d, static_cast<double>(options_.max.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(d));
}

void ItemBackoff::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int ItemBackoff::Failures(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace prebell::runtime
