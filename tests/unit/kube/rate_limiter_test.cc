#include "controller/kube/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace prebell::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(RateLimiter, BurstThenQps) {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter rl(10, 3, clock);
  EXPECT_EQ(rl.Reserve(), nanoseconds(0));
  EXPECT_EQ(rl.Reserve(), nanoseconds(0));
  EXPECT_EQ(rl.Reserve(), nanoseconds(0));
  // The bucket is empty: reservations queue 100 ms apart.
  EXPECT_EQ(rl.Reserve(), milliseconds(100));
  EXPECT_EQ(rl.Reserve(), milliseconds(200));
  clock->Advance(milliseconds(200));
  EXPECT_EQ(rl.Reserve(), milliseconds(100));
  EXPECT_FALSE(rl.TryAcquire());
  clock->Advance(std::chrono::seconds(10));  // refills to the burst, not beyond
  EXPECT_TRUE(rl.TryAcquire());
  EXPECT_TRUE(rl.TryAcquire());
  EXPECT_TRUE(rl.TryAcquire());
  EXPECT_FALSE(rl.TryAcquire());
}

TEST(RateLimiter, AcquireWaitsOnTheClock) {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter rl(1, 1, clock);
  rl.Acquire();  // the burst
  std::atomic<bool> done{false};
  std::thread t([&] {
    rl.Acquire();
    done = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(done);
  clock->Advance(std::chrono::seconds(1));
  t.join();
  EXPECT_TRUE(done);
}

TEST(RateLimiter, DisabledWhenQpsIsZero) {
  auto clock = std::make_shared<FakeClock>();
  RateLimiter rl(0, 1, clock);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(rl.Reserve(), nanoseconds(0));
}

}  // namespace
}  // namespace prebell::kube
