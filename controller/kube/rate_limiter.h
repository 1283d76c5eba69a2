// RateLimiter: a client-side token bucket (QPS with a burst), as client-go's
// default, so that a controller in a tight loop cannot flood the API server.
//
// Reserve() takes a token now and says how long the caller must wait before
// using it; reservations queue fairly (first come, first served) because each
// one moves the bucket's debt forward. Thread-safe. qps <= 0 disables it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "controller/kube/clock.h"

namespace prebell::kube {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst, std::shared_ptr<const Clock> clock);

  // Takes one token; returns the wait before it may be used (zero if now).
  std::chrono::nanoseconds Reserve();
  // Reserve() and wait on the clock until the token is usable.
  void Acquire();
  // Takes a token only if one is available now.
  bool TryAcquire();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  void Refill(MonoTime now);  // under mu_

  const double qps_;
  const int burst_;
  std::shared_ptr<const Clock> clock_;

  std::mutex mu_;
  std::condition_variable cv_;  // only for waiting on the clock
  double tokens_;               // may go negative: debt of queued reservations
  MonoTime last_;
};

}  // namespace prebell::kube
