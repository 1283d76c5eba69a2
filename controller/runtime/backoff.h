// Backoff policies.
//
// Backoff: the delay before reconnecting a broken watch (kube-rs's default
// and client-go's reflector): 0.8 s doubling to 30 s, each delay jittered
// into [0.8, 1.2) of its nominal value so that many watchers that broke
// together (an API server restart) do not come back together; after a
// healthy stretch (no failure for `reset_after`) it starts again from the
// initial delay.
//
// ItemBackoff: the per-key delay of the work queue after a failed reconcile:
// 5 ms doubling up to 1000 s (client-go's default controller rate limiter),
// forgotten when the key succeeds.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "controller/kube/clock.h"

namespace prebell::runtime {

using kube::MonoTime;

class Backoff {
 public:
  struct Options {
    std::chrono::milliseconds initial{800};
    std::chrono::milliseconds max{30000};
    double factor = 2.0;
    double jitter = 0.4;  // the delay is nominal * [1 - jitter/2, 1 + jitter/2)
    std::chrono::milliseconds reset_after{120000};
  };

  Backoff(Options options, uint64_t seed);

  // The delay after a failure at `now`.
  std::chrono::milliseconds Next(MonoTime now);
  void Reset();
  int failures() const { return failures_; }

 private:
  Options options_;
  std::mt19937_64 rng_;
  int failures_ = 0;
  std::optional<MonoTime> last_failure_;
};

class ItemBackoff {
 public:
  struct Options {
    std::chrono::milliseconds base{5};
    std::chrono::milliseconds max{1000 * 1000};
  };

  ItemBackoff() : ItemBackoff(Options{}) {}
  explicit ItemBackoff(Options options) : options_(options) {}

  // Records a failure of `key` and returns the delay before its retry.
  std::chrono::milliseconds When(const std::string& key);
  void Forget(const std::string& key);
  int Failures(const std::string& key) const;

 private:
  Options options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

}  // namespace prebell::runtime
