#include "controller/runtime/watcher.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/unit/runtime/watch_script.h"

namespace prebell::runtime {
namespace {

using namespace prebell::runtime::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

class WatcherTest : public ::testing::Test {
 protected:
  WatcherTest()
      : transport_(std::make_shared<kube::ScriptedTransport>()),
        clock_(std::make_shared<kube::FakeClock>()),
        script_(transport_) {
    kube::ClientOptions o;
    o.clock = clock_;
    o.qps = 0;
    client_ = std::make_shared<kube::Client>(transport_, o);
    WatcherOptions wo;
    wo.type = kube::resources::ConfigMaps();
    wo.ns = "d";
    wo.seed = 1234;
    watcher_ = std::make_unique<Watcher>(client_, wo, clock_);
  }

  kube::HttpRequest LastRequest() { return transport_->requests().back(); }

  std::shared_ptr<kube::ScriptedTransport> transport_;
  std::shared_ptr<kube::FakeClock> clock_;
  WatchScript script_;
  std::shared_ptr<kube::Client> client_;
  std::unique_ptr<Watcher> watcher_;
};

TEST_F(WatcherTest, ListsFromTheCacheThenWatchesFromTheListVersion) {
  script_.List(ListOf("100", {Cm("a", "90"), Cm("b", "95")}));
  script_.Watch(kube::WatchLine("ADDED", Cm("c", "101")) +
                kube::WatchLine("MODIFIED", Cm("a", "102")) +
                kube::WatchLine("BOOKMARK", {{"metadata", {{"resourceVersion", "150"}}}}) +
                kube::WatchLine("DELETED", Cm("b", "151")));

  WatcherStep s = watcher_->Step();
  ASSERT_TRUE(s.error.ok()) << s.error.ToString();
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].kind, WatcherEvent::Kind::kRestarted);
  EXPECT_EQ(s.events[0].objects.size(), 2u);
  EXPECT_EQ(s.events[0].objects[0]["kind"], "ConfigMap");
  EXPECT_EQ(s.events[0].resource_version, "100");
  auto list = QueryOf(LastRequest());
  EXPECT_EQ(list.at("resourceVersion"), "0");
  EXPECT_FALSE(list.count("limit"));
  EXPECT_EQ(watcher_->state(), Watcher::State::kOpenWatch);

  s = watcher_->Step();  // opens the watch
  auto watch = QueryOf(LastRequest());
  EXPECT_EQ(watch.at("watch"), "true");
  EXPECT_EQ(watch.at("resourceVersion"), "100");
  EXPECT_EQ(watch.at("allowWatchBookmarks"), "true");
  int timeout = std::stoi(watch.at("timeoutSeconds"));
  EXPECT_GE(timeout, 300);
  EXPECT_LE(timeout, 600);
  EXPECT_EQ(transport_->stream_idle_timeouts().back(), seconds(timeout + 30));

  std::vector<WatcherEvent> events;
  for (int i = 0; i < 4; ++i) {
    s = watcher_->Step();
    ASSERT_TRUE(s.error.ok()) << s.error.ToString();
    for (auto& e : s.events) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), 3u);  // the bookmark is not an event
  EXPECT_EQ(events[0].kind, WatcherEvent::Kind::kApplied);
  EXPECT_EQ(events[0].object["metadata"]["name"], "c");
  EXPECT_EQ(events[1].object["metadata"]["resourceVersion"], "102");
  EXPECT_EQ(events[2].kind, WatcherEvent::Kind::kDeleted);
  EXPECT_EQ(watcher_->resource_version(), "151");
}

TEST_F(WatcherTest, CleanEndResumesFromTheLastVersionAtOnce) {
  script_.List(ListOf("10", {}));
  script_.Watch(kube::WatchLine("ADDED", Cm("a", "11")))->End();
  script_.Watch("");
  (void)watcher_->Step();  // list
  (void)watcher_->Step();  // watch
  clock_->Advance(seconds(400));
  (void)watcher_->Step();  // ADDED
  WatcherStep end = watcher_->Step();
  EXPECT_TRUE(end.error.ok());
  EXPECT_EQ(end.sleep, milliseconds(0));
  EXPECT_EQ(watcher_->state(), Watcher::State::kOpenWatch);
  (void)watcher_->Step();
  EXPECT_EQ(QueryOf(LastRequest()).at("resourceVersion"), "11");
  EXPECT_EQ(watcher_->counters().lists, 1u);  // no relist
}

TEST_F(WatcherTest, ErrorEvent410RelistsAtLastVersionThenConsistently) {
  script_.List(ListOf("10", {Cm("a", "5"), Cm("gone-while-down", "6")}));
  script_.Watch(kube::WatchLine("MODIFIED", Cm("a", "12")) +
                kube::WatchLine("ERROR", {{"kind", "Status"},
                                          {"code", 410},
                                          {"reason", "Expired"},
                                          {"message", "too old resource version: 12 (300)"}}));
  // The relist at the last version is itself too old: a consistent read.
  script_.List(kube::StatusResponse(410, "Expired", "too old"));
  script_.List(ListOf("300", {Cm("a", "250")}));
  script_.Watch("");

  (void)watcher_->Step();  // list
  (void)watcher_->Step();  // open
  (void)watcher_->Step();  // MODIFIED
  WatcherStep gone = watcher_->Step();
  EXPECT_FALSE(gone.error.ok());
  EXPECT_EQ(gone.sleep, milliseconds(0));
  EXPECT_EQ(watcher_->state(), Watcher::State::kList);
  EXPECT_EQ(watcher_->list_resource_version(), "12");

  WatcherStep relist_at_rv = watcher_->Step();
  auto q1 = QueryOf(LastRequest());
  EXPECT_EQ(q1.at("resourceVersion"), "12");
  EXPECT_EQ(q1.at("resourceVersionMatch"), "NotOlderThan");
  EXPECT_TRUE(kube::IsResourceExpired(relist_at_rv.error));
  EXPECT_EQ(relist_at_rv.sleep, milliseconds(0));

  WatcherStep consistent = watcher_->Step();
  auto q2 = QueryOf(LastRequest());
  EXPECT_FALSE(q2.count("resourceVersion"));
  EXPECT_EQ(q2.at("limit"), "500");
  ASSERT_EQ(consistent.events.size(), 1u);
  EXPECT_EQ(consistent.events[0].kind, WatcherEvent::Kind::kRestarted);
  EXPECT_EQ(consistent.events[0].objects.size(), 1u);

  (void)watcher_->Step();
  EXPECT_EQ(QueryOf(LastRequest()).at("resourceVersion"), "300");
  EXPECT_EQ(watcher_->counters().relists_after_gone, 1u);
}

TEST_F(WatcherTest, Http410OnOpenRelists) {
  script_.List(ListOf("10", {}));
  script_.WatchError(410, "Gone");
  script_.List(ListOf("20", {}));
  (void)watcher_->Step();
  WatcherStep s = watcher_->Step();
  EXPECT_TRUE(kube::IsResourceExpired(s.error));
  EXPECT_EQ(watcher_->state(), Watcher::State::kList);
  (void)watcher_->Step();
  EXPECT_EQ(QueryOf(LastRequest()).at("resourceVersion"), "10");
}

TEST_F(WatcherTest, BrokenConnectionsBackOffAndResume) {
  script_.List(ListOf("10", {}));
  auto* first = script_.Watch(kube::WatchLine("ADDED", Cm("a", "11")));
  first->Fail(UnavailableError("connection reset by peer"));
  script_.WatchError(503, "ServiceUnavailable");
  auto* third = script_.Watch("");
  third->PushTimeout();  // silent: idle timeout
  script_.Watch("")->PushTimeout();

  (void)watcher_->Step();  // list
  clock_->Advance(seconds(5));
  (void)watcher_->Step();  // open
  (void)watcher_->Step();  // ADDED
  WatcherStep broken = watcher_->Step();
  EXPECT_EQ(broken.error.code(), StatusCode::kUnavailable);
  EXPECT_GE(broken.sleep, milliseconds(640));
  EXPECT_LT(broken.sleep, milliseconds(960));

  WatcherStep refused = watcher_->Step();  // reopen: 503
  EXPECT_EQ(QueryOf(transport_->requests().back()).at("resourceVersion"), "11");
  EXPECT_GE(refused.sleep, milliseconds(1280));
  EXPECT_LT(refused.sleep, milliseconds(1920));

  (void)watcher_->Step();  // reopen: ok
  WatcherStep idle = watcher_->Step();
  EXPECT_EQ(idle.error.code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(idle.sleep, milliseconds(2560));

  clock_->Advance(seconds(121));  // a healthy stretch resets the backoff
  (void)watcher_->Step();         // reopen
  WatcherStep again = watcher_->Step();
  EXPECT_LT(again.sleep, milliseconds(960));
  EXPECT_EQ(watcher_->counters().lists, 1u);  // never relisted
}

TEST_F(WatcherTest, AWatchThatEndsAtOnceEmptyBacksOff) {
  script_.List(ListOf("10", {}));
  script_.Watch("")->End();
  (void)watcher_->Step();
  (void)watcher_->Step();
  WatcherStep s = watcher_->Step();
  EXPECT_FALSE(s.error.ok());
  EXPECT_GT(s.sleep, milliseconds(0));
}

TEST_F(WatcherTest, ListErrorsBackOff) {
  script_.List(kube::StatusResponse(403, "Forbidden", "no list for you"));
  script_.List(ListOf("10", {}));
  WatcherStep s = watcher_->Step();
  EXPECT_EQ(s.error.code(), StatusCode::kPermissionDenied);
  EXPECT_GT(s.sleep, milliseconds(0));
  EXPECT_EQ(watcher_->state(), Watcher::State::kList);
  EXPECT_EQ(watcher_->list_resource_version(), "0");
  s = watcher_->Step();
  EXPECT_TRUE(s.error.ok());
}

TEST_F(WatcherTest, CancelUnblocksAStep) {
  script_.List(ListOf("10", {}));
  script_.Watch("");  // silent for up to 2 s
  (void)watcher_->Step();
  (void)watcher_->Step();
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(50));
    watcher_->Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  WatcherStep s = watcher_->Step();
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  EXPECT_EQ(s.error.code(), StatusCode::kAborted);
  EXPECT_EQ(watcher_->Step().error.code(), StatusCode::kAborted);  // stays cancelled
}

}  // namespace
}  // namespace prebell::runtime
