#include "controller/kube/clock.h"

namespace prebell::kube {

std::shared_ptr<const Clock> SystemClock::Shared() {
  static const std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
  return clock;
}

FakeClock::FakeClock()
    : FakeClock(WallTime(std::chrono::sys_days(std::chrono::year(2026) / 1 / 5) +
                         std::chrono::hours(8))) {}

FakeClock::FakeClock(WallTime wall) : mono_(MonoTime(std::chrono::hours(1000))), wall_(wall) {}

MonoTime FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mono_;
}

WallTime FakeClock::WallNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}

void FakeClock::WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          MonoTime deadline) const {
  if (Now() >= deadline) return;
  cv.wait_for(lock, std::chrono::milliseconds(1));
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  if (d.count() < 0) return;
  mono_ += std::chrono::duration_cast<MonoTime::duration>(d);
  wall_ += std::chrono::duration_cast<WallTime::duration>(d);
}

void FakeClock::SetWall(WallTime wall) {
  std::lock_guard<std::mutex> lock(mu_);
  wall_ = wall;
}

}  // namespace prebell::kube
