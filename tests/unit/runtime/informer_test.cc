#include "controller/runtime/informer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "controller/kube/fake_api_server.h"
#include "tests/unit/runtime/watch_script.h"

namespace prebell::runtime {
namespace {

using namespace prebell::runtime::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

class InformerTest : public ::testing::Test {
 protected:
  InformerTest()
      : transport_(std::make_shared<kube::ScriptedTransport>()),
        clock_(std::make_shared<kube::FakeClock>()),
        script_(transport_),
        queue_(std::make_shared<WorkQueue>(clock_)) {
    kube::ClientOptions o;
    o.clock = clock_;
    o.qps = 0;
    client_ = std::make_shared<kube::Client>(transport_, o);
    WatcherOptions wo;
    wo.type = kube::resources::ConfigMaps();
    wo.seed = 99;
    informer_ = std::make_unique<Informer>(client_, wo, clock_);
  }

  std::vector<std::string> Drain() {
    std::vector<std::string> keys;
    while (auto k = queue_->GetUntil(clock_->Now())) {
      keys.push_back(*k);
      queue_->Done(*k);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  std::shared_ptr<kube::ScriptedTransport> transport_;
  std::shared_ptr<kube::FakeClock> clock_;
  WatchScript script_;
  std::shared_ptr<WorkQueue> queue_;
  std::shared_ptr<kube::Client> client_;
  std::unique_ptr<Informer> informer_;
};

TEST_F(InformerTest, KeepsTheCacheAndEnqueuesKeys) {
  informer_->AddHandler(EnqueueOwnKey(queue_));
  script_.List(ListOf("10", {Cm("a", "1"), Cm("b", "2")}));
  script_.Watch(kube::WatchLine("MODIFIED", Cm("a", "11")) +
                kube::WatchLine("DELETED", Cm("b", "12")));
  EXPECT_FALSE(informer_->HasSynced());
  (void)informer_->RunStep();
  EXPECT_TRUE(informer_->HasSynced());
  EXPECT_EQ(informer_->store()->size(), 2u);
  EXPECT_EQ(Drain(), (std::vector<std::string>{"d/a", "d/b"}));
  (void)informer_->RunStep();  // open
  (void)informer_->RunStep();
  EXPECT_EQ((*informer_->store()->Get("d/a"))["data"]["v"], "11");
  EXPECT_EQ(Drain(), (std::vector<std::string>{"d/a"}));
  (void)informer_->RunStep();
  EXPECT_EQ(informer_->store()->Get("d/b"), nullptr);
  EXPECT_EQ(Drain(), (std::vector<std::string>{"d/b"}));
  EXPECT_EQ(informer_->store()->resource_version(), "12");
}

TEST_F(InformerTest, RelistReplacesTheCacheAndReportsVanishedObjects) {
  informer_->AddHandler(EnqueueOwnKey(queue_));
  script_.List(ListOf("10", {Cm("a", "1"), Cm("b", "2"), Cm("c", "3")}));
  script_.Watch(kube::WatchLine("ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Gone"}}));
  script_.List(ListOf("40", {Cm("a", "1"), Cm("c", "33"), Cm("e", "34")}));
  (void)informer_->RunStep();
  (void)Drain();
  (void)informer_->RunStep();  // open
  (void)informer_->RunStep();  // 410
  (void)informer_->RunStep();  // relist
  // b vanished while we were not watching; c changed; e is new; a unchanged.
  EXPECT_EQ(Drain(), (std::vector<std::string>{"d/b", "d/c", "d/e"}));
  EXPECT_EQ(informer_->store()->Keys(), (std::vector<std::string>{"d/a", "d/c", "d/e"}));
  EXPECT_EQ(informer_->counters().relists_after_gone, 1u);
}

TEST_F(InformerTest, MapsChangesToKeysOfAnotherResource) {
  // A ConfigMap change wakes the timetables that import it: both the
  // timetable that referenced the old content and the one referencing the new.
  informer_->AddHandler(EnqueueMappedKeys(queue_, [](const nlohmann::json& cm) {
    std::vector<std::string> keys;
    auto it = cm.find("metadata");
    if (it != cm.end() && it->contains("annotations")) {
      keys.push_back((*it)["annotations"]["used-by"].get<std::string>());
    }
    return keys;
  }));
  nlohmann::json v1 = Cm("cal", "1");
  v1["metadata"]["annotations"]["used-by"] = "d/timetable-a";
  nlohmann::json v2 = Cm("cal", "2");
  v2["metadata"]["annotations"]["used-by"] = "d/timetable-b";
  script_.List(ListOf("1", {v1}));
  script_.Watch(kube::WatchLine("MODIFIED", v2));
  (void)informer_->RunStep();
  EXPECT_EQ(Drain(), (std::vector<std::string>{"d/timetable-a"}));
  (void)informer_->RunStep();
  (void)informer_->RunStep();
  EXPECT_EQ(Drain(), (std::vector<std::string>{"d/timetable-a", "d/timetable-b"}));
}

TEST(Predicates, SpecOrMetadataChanged) {
  auto ptr = [](nlohmann::json j) { return std::make_shared<const nlohmann::json>(std::move(j)); };
  nlohmann::json a = {{"metadata", {{"name", "x"}, {"generation", 1}}}, {"status", {{"r", 1}}}};
  nlohmann::json status_only = a;
  status_only["status"]["r"] = 2;
  nlohmann::json spec = a;
  spec["metadata"]["generation"] = 2;
  nlohmann::json labels = a;
  labels["metadata"]["labels"] = {{"k", "v"}};
  EXPECT_FALSE(SpecOrMetadataChanged({"x", ptr(a), ptr(status_only)}));
  EXPECT_TRUE(SpecOrMetadataChanged({"x", ptr(a), ptr(spec)}));
  EXPECT_TRUE(SpecOrMetadataChanged({"x", ptr(a), ptr(labels)}));
  EXPECT_TRUE(SpecOrMetadataChanged({"x", nullptr, ptr(a)}));
  EXPECT_TRUE(SpecOrMetadataChanged({"x", ptr(a), nullptr}));
  nlohmann::json cm1 = {{"metadata", {{"name", "c"}, {"resourceVersion", "1"}}},
                        {"data", {{"k", "1"}}}};
  nlohmann::json cm2 = cm1;
  cm2["metadata"]["resourceVersion"] = "2";
  EXPECT_FALSE(SpecOrMetadataChanged({"c", ptr(cm1), ptr(cm2)}));
  cm2["data"]["k"] = "2";
  EXPECT_TRUE(SpecOrMetadataChanged({"c", ptr(cm1), ptr(cm2)}));
}

TEST_F(InformerTest, RunsOnItsOwnThreadAndStops) {
  informer_->AddHandler(EnqueueOwnKey(queue_));
  script_.List(ListOf("10", {Cm("a", "1")}));
  script_.Watch("");  // silent
  informer_->Start();
  EXPECT_TRUE(informer_->WaitForSync(seconds(5)));
  auto key = queue_->GetUntil(clock_->Now());
  for (int i = 0; i < 1000 && !key; ++i) {
    std::this_thread::sleep_for(milliseconds(1));
    key = queue_->GetUntil(clock_->Now());
  }
  EXPECT_EQ(key, "d/a");
  auto start = std::chrono::steady_clock::now();
  informer_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
}

// The informer against the in-memory API server: changes made through the
// client arrive; an expired watch relists and nothing is lost.
TEST(InformerOnFakeApiServer, FollowsChangesAndSurvivesExpiry) {
  auto clock = std::make_shared<kube::FakeClock>();
  auto server = std::make_shared<kube::FakeApiServer>(clock);
  kube::ClientOptions o;
  o.clock = clock;
  o.qps = 0;
  auto client = std::make_shared<kube::Client>(server, o);
  auto queue = std::make_shared<WorkQueue>(clock);
  WatcherOptions wo;
  wo.type = kube::resources::ConfigMaps();
  wo.ns = "d";
  wo.seed = 5;
  Informer informer(client, wo, clock);
  informer.AddHandler(EnqueueOwnKey(queue));
  ASSERT_TRUE(client->Create(kube::resources::ConfigMaps(), "d", Cm("a", "")).ok());
  (void)informer.RunStep();  // list
  (void)informer.RunStep();  // watch
  ASSERT_TRUE(client->Create(kube::resources::ConfigMaps(), "d", Cm("b", "")).ok());
  (void)informer.RunStep();
  EXPECT_EQ(informer.store()->size(), 2u);
  server->ExpireWatches();
  // While the watch is gone, a is deleted and c created.
  ASSERT_TRUE(client->Delete(kube::resources::ConfigMaps(), "d", "a").ok());
  ASSERT_TRUE(client->Create(kube::resources::ConfigMaps(), "d", Cm("c", "")).ok());
  WatcherStep gone = informer.RunStep();
  EXPECT_TRUE(kube::IsResourceExpired(gone.error));
  (void)informer.RunStep();  // relist
  EXPECT_EQ(informer.store()->Keys(), (std::vector<std::string>{"d/b", "d/c"}));
  std::set<std::string> keys;
  while (auto k = queue->GetUntil(clock->Now())) {
    keys.insert(*k);
    queue->Done(*k);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"d/a", "d/b", "d/c"}));
  (void)informer.RunStep();  // a new watch from the relist's version
  ASSERT_TRUE(client
                  ->Patch(kube::resources::ConfigMaps(), "d", "c", kube::PatchType::kMerge,
                          {{"data", {{"v", "9"}}}})
                  .ok());
  (void)informer.RunStep();
  EXPECT_EQ((*informer.store()->Get("d/c"))["data"]["v"], "9");
  EXPECT_EQ(informer.counters().relists_after_gone, 1u);
}

}  // namespace
}  // namespace prebell::runtime
