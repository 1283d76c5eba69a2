#include "controller/kube/rate_limiter.h"

#include <algorithm>

namespace prebell::kube {

RateLimiter::RateLimiter(double qps, int burst, std::shared_ptr<const Clock> clock)
    : qps_(qps),
      burst_(std::max(burst, 1)),
      clock_(std::move(clock)),
      tokens_(static_cast<double>(std::max(burst, 1))),
      last_(clock_->Now()) {}

void RateLimiter::Refill(MonoTime now) {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  last_ = now;
}

std::chrono::nanoseconds RateLimiter::Reserve() {
  if (qps_ <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard<std::mutex> lock(mu_);
  Refill(clock_->Now());
  tokens_ -= 1.0;
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(-tokens_ / qps_ * 1e9));
}

bool RateLimiter::TryAcquire() {
  if (qps_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  Refill(clock_->Now());
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void RateLimiter::Acquire() {
  auto wait = Reserve();
  if (wait.count() <= 0) return;
  MonoTime deadline = clock_->Now() + std::chrono::duration_cast<MonoTime::duration>(wait);
  std::unique_lock<std::mutex> lock(mu_);
  while (clock_->Now() < deadline) clock_->WaitUntil(cv_, lock, deadline);
}

}  // namespace prebell::kube
