#include "controller/runtime/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "controller/kube/scripted_transport.h"

namespace prebell::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An in-memory Lease endpoint with the API server's optimistic concurrency:
// a PUT with a stale resourceVersion gets 409.
class FakeLeaseServer {
 public:
  explicit FakeLeaseServer(std::shared_ptr<kube::ScriptedTransport> t) {
    t->OnSend([this](const kube::HttpRequest& r) -> StatusOr<kube::HttpResponse> {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      if (down_) return UnavailableError("connection refused");
      switch (r.method) {
        case kube::HttpMethod::kGet:
          if (lease_.is_null()) return kube::StatusResponse(404, "NotFound", "leases not found");
          return kube::JsonResponse(200, lease_);
        case kube::HttpMethod::kPost: {
          if (!lease_.is_null()) return kube::StatusResponse(409, "AlreadyExists", "exists");
          lease_ = nlohmann::json::parse(r.body);
          lease_["metadata"]["resourceVersion"] = std::to_string(++rv_);
          return kube::JsonResponse(201, lease_);
        }
        case kube::HttpMethod::kPut: {
          auto body = nlohmann::json::parse(r.body);
          if (lease_.is_null()) return kube::StatusResponse(404, "NotFound", "gone");
          if (body["metadata"]["resourceVersion"] != lease_["metadata"]["resourceVersion"]) {
            return kube::StatusResponse(409, "Conflict", "the object has been modified");
          }
          lease_ = body;
          lease_["metadata"]["resourceVersion"] = std::to_string(++rv_);
          return kube::JsonResponse(200, lease_);
        }
        default:
          return kube::StatusResponse(405, "MethodNotAllowed", "no");
      }
    });
  }

  nlohmann::json spec() {
    std::lock_guard<std::mutex> lock(mu_);
    return lease_.is_null() ? nlohmann::json() : lease_["spec"];
  }
  void set_down(bool down) {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = down;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  nlohmann::json lease_;
  int rv_ = 0;
  bool down_ = false;
  int requests_ = 0;
};

struct Candidate {
  std::shared_ptr<kube::FakeClock> clock;
  std::unique_ptr<LeaderElector> elector;
};

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorTest()
      : transport_(std::make_shared<kube::ScriptedTransport>()), server_(transport_) {}

  // Each candidate has its own clock: they are different machines.
  Candidate Make(const std::string& id, kube::WallTime wall = {}) {
    Candidate c;
    c.clock = wall == kube::WallTime{} ? std::make_shared<kube::FakeClock>()
                                       : std::make_shared<kube::FakeClock>(wall);
    kube::ClientOptions o;
    o.clock = c.clock;
    o.qps = 0;
    auto client = std::make_shared<kube::Client>(transport_, o);
    LeaderElectionConfig cfg;
    cfg.lease_namespace = "prebell-system";
    cfg.lease_name = "prebell";
    cfg.identity = id;
    auto e = LeaderElector::Create(client, cfg, c.clock, 7);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    c.elector = std::move(e).value();
    return c;
  }

  std::shared_ptr<kube::ScriptedTransport> transport_;
  FakeLeaseServer server_;
};

TEST(LeaderElectionConfig, Validation) {
  LeaderElectionConfig c;
  c.lease_namespace = "n";
  c.lease_name = "l";
  c.identity = "me";
  EXPECT_TRUE(ValidateLeaderElectionConfig(c).ok());
  auto bad = c;
  bad.renew_deadline = seconds(15);
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
  bad = c;
  bad.retry_period = milliseconds(9000);  // 1.2 x 9 s > 10 s
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
  bad = c;
  bad.identity = "";
  EXPECT_FALSE(ValidateLeaderElectionConfig(bad).ok());
}

TEST(MicroTime, FormatAndParse) {
  kube::WallTime t = std::chrono::sys_days(std::chrono::year(2026) / 3 / 29) +
                     std::chrono::hours(1) + std::chrono::microseconds(123456);
  EXPECT_EQ(FormatMicroTime(t), "2026-03-29T01:00:00.123456Z");
  auto back = ParseMicroTime("2026-03-29T01:00:00.123456Z");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  EXPECT_EQ(*ParseMicroTime("2026-03-29T03:00:00.123456+02:00"), t);
  EXPECT_FALSE(ParseMicroTime("yesterday").ok());
}

TEST_F(LeaderElectorTest, FirstCandidateCreatesTheLease) {
  auto a = Make("a");
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_TRUE(a.elector->TryAcquireOrRenew());
  EXPECT_TRUE(a.elector->IsLeader());
  auto spec = server_.spec();
  EXPECT_EQ(spec["holderIdentity"], "a");
  EXPECT_EQ(spec["leaseDurationSeconds"], 15);
  EXPECT_EQ(spec["leaseTransitions"], 0);
  EXPECT_EQ(spec["renewTime"], "2026-01-05T08:00:00.000000Z");
  EXPECT_EQ(a.elector->CurrentLeader(), "a");
}

TEST_F(LeaderElectorTest, OnlyOneLeadsWhileTheHolderRenews) {
  auto a = Make("a");
  auto b = Make("b");
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  for (int i = 0; i < 20; ++i) {
    a.clock->Advance(seconds(2));
    b.clock->Advance(seconds(2));
    EXPECT_TRUE(a.elector->TryAcquireOrRenew());
    EXPECT_FALSE(b.elector->TryAcquireOrRenew());
    EXPECT_TRUE(a.elector->IsLeader());
    EXPECT_FALSE(b.elector->IsLeader());
  }
  EXPECT_EQ(b.elector->CurrentLeader(), "a");
}

TEST_F(LeaderElectorTest, RenewalUsesTheCachedLeaseWithoutAGet) {
  auto a = Make("a");
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());  // GET (404) + POST
  transport_->ClearRequests();
  a.clock->Advance(seconds(2));
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  auto reqs = transport_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, kube::HttpMethod::kPut);
}

TEST_F(LeaderElectorTest, StandbyTakesOverOnlyAfterTheLeaseDurationOfSilence) {
  auto a = Make("a");
  auto b = Make("b");
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());  // b sees the record now
  // a dies (no more renewals).
  b.clock->Advance(seconds(14));
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  b.clock->Advance(seconds(1));
  EXPECT_TRUE(b.elector->TryAcquireOrRenew());
  EXPECT_TRUE(b.elector->IsLeader());
  auto spec = server_.spec();
  EXPECT_EQ(spec["holderIdentity"], "b");
  EXPECT_EQ(spec["leaseTransitions"], 1);
}

TEST_F(LeaderElectorTest, ExpiryIsJudgedByLocalTimeNotRenewTime) {
  // b's wall clock is a day ahead: renewTime written by a looks ancient to
  // it. b must still wait for 15 s without a change, on its own clock.
  auto a = Make("a");
  auto b =
      Make("b", std::chrono::sys_days(std::chrono::year(2026) / 1 / 6) + std::chrono::hours(8));
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  b.clock->Advance(seconds(10));
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  // a renews: the record changes, b's 15 s start again from when it sees it.
  a.clock->Advance(seconds(10));
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  b.clock->Advance(seconds(1));
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  b.clock->Advance(seconds(14));
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  b.clock->Advance(seconds(1));
  EXPECT_TRUE(b.elector->TryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, IsLeaderTurnsFalseAtTheRenewDeadline) {
  auto a = Make("a");
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  server_.set_down(true);
  a.clock->Advance(seconds(2));
  EXPECT_FALSE(a.elector->TryAcquireOrRenew());
  EXPECT_TRUE(a.elector->IsLeader());  // still within the renew deadline
  a.clock->Advance(milliseconds(7999));
  EXPECT_TRUE(a.elector->IsLeader());
  a.clock->Advance(milliseconds(1));
  EXPECT_FALSE(a.elector->IsLeader());  // 10 s since the last renewal: stop writing
}

TEST_F(LeaderElectorTest, ReleaseHandsOverAtTheNextTry) {
  auto a = Make("a");
  auto b = Make("b");
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  EXPECT_TRUE(a.elector->Release());
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(server_.spec()["holderIdentity"], "");
  EXPECT_TRUE(b.elector->TryAcquireOrRenew());  // no waiting for expiry
  EXPECT_EQ(server_.spec()["leaseTransitions"], 1);
}

TEST_F(LeaderElectorTest, LosingToAnotherHolderStopsLeadingAtOnce) {
  auto a = Make("a");
  auto b = Make("b");
  ASSERT_TRUE(a.elector->TryAcquireOrRenew());
  EXPECT_FALSE(b.elector->TryAcquireOrRenew());
  // a is partitioned for longer than the lease; b takes over.
  server_.set_down(true);
  a.clock->Advance(seconds(2));
  EXPECT_FALSE(a.elector->TryAcquireOrRenew());
  server_.set_down(false);
  b.clock->Advance(seconds(16));
  ASSERT_TRUE(b.elector->TryAcquireOrRenew());
  // a comes back within its renew deadline: its conditional write conflicts,
  // it reads the lease, sees b, and is no longer leader.
  a.clock->Advance(seconds(1));
  EXPECT_FALSE(a.elector->TryAcquireOrRenew());
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(a.elector->CurrentLeader(), "b");
}

// The loop: callbacks, handover on Stop, and one leader at a time.
TEST_F(LeaderElectorTest, LoopHandsOverOnStop) {
  auto clock = std::make_shared<kube::FakeClock>();
  kube::ClientOptions o;
  o.clock = clock;
  o.qps = 0;
  auto client = std::make_shared<kube::Client>(transport_, o);
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0};
  LeaderElectionConfig ca;
  ca.lease_namespace = "ns";
  ca.lease_name = "l";
  ca.identity = "a";
  ca.on_started_leading = [&] { ++a_started; };
  ca.on_stopped_leading = [&] { ++a_stopped; };
  LeaderElectionConfig cb = ca;
  cb.identity = "b";
  cb.on_started_leading = [&] { ++b_started; };
  cb.on_stopped_leading = nullptr;
  auto a = std::move(LeaderElector::Create(client, ca, clock, 1)).value();
  auto b = std::move(LeaderElector::Create(client, cb, clock, 2)).value();

  std::atomic<bool> run{true};
  std::atomic<bool> both{false};
  std::thread ticker([&] {
    while (run) {
      clock->Advance(milliseconds(100));
      if (a->IsLeader() && b->IsLeader()) both = true;
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  auto wait_for = [&](auto pred) {
    for (int i = 0; i < 5000 && !pred(); ++i) std::this_thread::sleep_for(milliseconds(1));
    return pred();
  };
  a->Start();
  ASSERT_TRUE(wait_for([&] { return a_started.load() == 1; }));
  b->Start();
  ASSERT_TRUE(wait_for([&] { return server_.requests() > 20; }));
  EXPECT_EQ(b_started.load(), 0);
  a->Stop();
  EXPECT_EQ(a_stopped.load(), 1);
  EXPECT_FALSE(a->IsLeader());
  ASSERT_TRUE(wait_for([&] { return b_started.load() == 1; }));
  EXPECT_TRUE(b->IsLeader());
  b->Stop();
  run = false;
  ticker.join();
  EXPECT_FALSE(both);
}

}  // namespace
}  // namespace prebell::runtime
