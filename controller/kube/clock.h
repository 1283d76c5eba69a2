// Clock: the one source of time for controller/ code that waits or measures.
//
// Everything in kube/ and runtime/ that sleeps, times out or judges an expiry
// takes a Clock, so that unit tests drive it with a FakeClock and the same
// code runs on the system clock in production. Two time lines are kept apart:
// Now() is monotonic (for timeouts, backoff, lease expiry: never jumps) and
// WallNow() is UTC (only for timestamps written into objects).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace prebell::kube {

using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual MonoTime Now() const = 0;
  virtual WallTime WallNow() const = 0;

  // Blocks on `cv` (with `lock` held on entry and on return) until it is
  // notified, until Now() reaches `deadline`, or spuriously. Callers loop and
  // re-check both their condition and the time.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         MonoTime deadline) const = 0;
};

// The real clocks: std::chrono::steady_clock and system_clock.
class SystemClock final : public Clock {
 public:
  static std::shared_ptr<const Clock> Shared();

  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 MonoTime deadline) const override {
    cv.wait_until(lock, deadline);
  }
};

// A clock that moves only when told to. Thread-safe. WaitUntil returns after
// at most a millisecond of real time (a spurious wake-up by contract), so a
// waiter notices Advance() without the clock knowing its waiters.
class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary monotonic origin and at `wall` (default
  // 2026-01-05T08:00:00Z).
  FakeClock();
  explicit FakeClock(WallTime wall);

  MonoTime Now() const override;
  WallTime WallNow() const override;
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 MonoTime deadline) const override;

  // Moves both time lines forward by `d` (d >= 0).
  void Advance(std::chrono::nanoseconds d);
  // Moves only the wall clock (as NTP or an operator might); the monotonic
  // clock is unaffected, which is the point of keeping them apart.
  void SetWall(WallTime wall);

 private:
  mutable std::mutex mu_;
  MonoTime mono_;
  WallTime wall_;
};

}  // namespace prebell::kube
