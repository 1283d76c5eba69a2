#include "controller/runtime/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace prebell::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class WorkQueueTest : public ::testing::Test {
 protected:
  std::shared_ptr<kube::FakeClock> clock_ = std::make_shared<kube::FakeClock>();
  WorkQueue q_{clock_};

  std::optional<std::string> GetNow() { return q_.GetUntil(clock_->Now()); }
};

TEST_F(WorkQueueTest, DeduplicatesKeys) {
  q_.Add("a");
  q_.Add("b");
  q_.Add("a");
  EXPECT_EQ(q_.Len(), 2u);
  EXPECT_EQ(GetNow(), "a");
  EXPECT_EQ(GetNow(), "b");
  EXPECT_EQ(GetNow(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsProcessedAgainAfterDone) {
  q_.Add("a");
  ASSERT_EQ(GetNow(), "a");
  q_.Add("a");  // a change arrives while "a" is being reconciled
  q_.Add("a");
  EXPECT_EQ(GetNow(), std::nullopt);  // never handed to a second worker
  q_.Done("a");
  EXPECT_EQ(GetNow(), "a");  // exactly once more
  q_.Done("a");
  EXPECT_EQ(GetNow(), std::nullopt);
}

TEST_F(WorkQueueTest, AddAfterWaitsForTheClockAndEarliestWins) {
  q_.AddAfter("a", seconds(10));
  q_.AddAfter("a", seconds(30));  // later: ignored
  q_.AddAfter("b", seconds(20));
  q_.AddAfter("b", seconds(5));  // earlier: wins
  EXPECT_EQ(q_.Delayed(), 2u);
  EXPECT_EQ(GetNow(), std::nullopt);
  clock_->Advance(seconds(5));
  EXPECT_EQ(GetNow(), "b");
  EXPECT_EQ(GetNow(), std::nullopt);
  clock_->Advance(seconds(5));
  EXPECT_EQ(GetNow(), "a");
  clock_->Advance(seconds(60));
  EXPECT_EQ(GetNow(), std::nullopt);
  EXPECT_EQ(q_.Delayed(), 0u);
}

TEST_F(WorkQueueTest, BlockingGetWakesWhenTheDelayPasses) {
  q_.AddAfter("later", seconds(3));
  std::optional<std::string> got;
  std::thread t([&] { got = q_.Get(); });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(got);
  clock_->Advance(seconds(3));
  t.join();
  EXPECT_EQ(got, "later");
}

TEST_F(WorkQueueTest, RateLimitedBacksOffPerKeyUntilForgotten) {
  q_.AddRateLimited("a");  // 5 ms
  EXPECT_EQ(GetNow(), std::nullopt);
  clock_->Advance(milliseconds(5));
  ASSERT_EQ(GetNow(), "a");
  q_.Done("a");
  q_.AddRateLimited("a");  // 10 ms
  clock_->Advance(milliseconds(9));
  EXPECT_EQ(GetNow(), std::nullopt);
  clock_->Advance(milliseconds(1));
  ASSERT_EQ(GetNow(), "a");
  q_.Done("a");
  EXPECT_EQ(q_.NumRequeues("a"), 2);
  q_.Forget("a");
  EXPECT_EQ(q_.NumRequeues("a"), 0);
  q_.AddRateLimited("a");
  clock_->Advance(milliseconds(5));
  EXPECT_EQ(GetNow(), "a");
}

TEST_F(WorkQueueTest, ShutDownReleasesWaitersAndDropsKeys) {
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = q_.Get(); });
  std::this_thread::sleep_for(milliseconds(10));
  q_.Add("x");
  t.join();
  EXPECT_EQ(got, "x");
  std::thread waiter([&] { got = q_.Get(); });
  std::this_thread::sleep_for(milliseconds(10));
  q_.ShutDown();
  waiter.join();
  EXPECT_EQ(got, std::nullopt);
  q_.Add("y");
  EXPECT_EQ(q_.Len(), 0u);
  EXPECT_TRUE(q_.shutting_down());
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForInFlightKeys) {
  q_.Add("a");
  ASSERT_EQ(GetNow(), "a");
  std::atomic<bool> drained{false};
  std::thread t([&] {
    q_.ShutDownWithDrain();
    drained = true;
  });
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_FALSE(drained);
  q_.Done("a");
  t.join();
  EXPECT_TRUE(drained);
}

// Many workers, many adds: no key is ever processed on two threads at once.
TEST(WorkQueueConcurrency, NoKeyOnTwoWorkers) {
  auto clock = kube::SystemClock::Shared();
  WorkQueue q(clock);
  std::mutex mu;
  std::set<std::string> in_flight;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!in_flight.insert(*key).second) overlap = true;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        {
          std::lock_guard<std::mutex> lock(mu);
          in_flight.erase(*key);
        }
        ++processed;
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add("k" + std::to_string(i % 7));
  // Wait for the queue to empty out.
  for (int i = 0; i < 2000 && (q.Len() > 0 || q.Processing() > 0); ++i) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  q.ShutDownWithDrain();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_GE(processed.load(), 7);
}

}  // namespace
}  // namespace prebell::runtime
