#include "controller/runtime/backoff.h"

#include <gtest/gtest.h>

namespace prebell::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, DoublesFromPointEightSecondsToThirtyWithJitter) {
  kube::FakeClock clock;
  Backoff b(Backoff::Options{}, 42);
  double nominal = 800;
  for (int i = 0; i < 10; ++i) {
    auto d = b.Next(clock.Now());
    double n = std::min(nominal, 30000.0);
    EXPECT_GE(d.count(), static_cast<int64_t>(n * 0.8) - 1) << i;
    EXPECT_LT(d.count(), static_cast<int64_t>(n * 1.2) + 1) << i;
    nominal *= 2;
    clock.Advance(seconds(1));
  }
  EXPECT_EQ(b.failures(), 10);
}

TEST(Backoff, JitterSpreadsWatchersApart) {
  kube::FakeClock clock;
  Backoff a(Backoff::Options{}, 1), b(Backoff::Options{}, 2);
  EXPECT_NE(a.Next(clock.Now()), b.Next(clock.Now()));
}

TEST(Backoff, ResetsAfterAHealthyStretch) {
  kube::FakeClock clock;
  Backoff b(Backoff::Options{}, 7);
  for (int i = 0; i < 6; ++i) {
    (void)b.Next(clock.Now());
    clock.Advance(seconds(5));
  }
  EXPECT_GT(b.Next(clock.Now()), milliseconds(20000));
  clock.Advance(seconds(121));  // no failure for more than two minutes
  EXPECT_LT(b.Next(clock.Now()), milliseconds(1000));
}

TEST(ItemBackoff, PerKeyExponentialCappedAndForgotten) {
  ItemBackoff b;
  EXPECT_EQ(b.When("a"), milliseconds(5));
  EXPECT_EQ(b.When("a"), milliseconds(10));
  EXPECT_EQ(b.When("a"), milliseconds(20));
  EXPECT_EQ(b.When("b"), milliseconds(5));  // independent per key
  EXPECT_EQ(b.Failures("a"), 3);
  for (int i = 0; i < 40; ++i) (void)b.When("a");
  EXPECT_EQ(b.When("a"), milliseconds(1000 * 1000));
  b.Forget("a");
  EXPECT_EQ(b.Failures("a"), 0);
  EXPECT_EQ(b.When("a"), milliseconds(5));
}

}  // namespace
}  // namespace prebell::runtime
