// A watch survives the API server being restarted under it: the informer
// reconnects (with backoff) and, when its resourceVersion is no longer
// served (410), relists; changes made while it was away, including a
// deletion, reach the cache and the queue. Runs against its own control plane
// (fixture kube_own_controlplane) because it restarts the API server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "controller/kube/api_error.h"
#include "controller/runtime/informer.h"
#include "tests/integration/kube/test_cluster.h"

namespace prebell::kube {
namespace {

using namespace prebell::kube::testing;
using std::chrono::seconds;

int RestartApiServer(const std::string& dir) {
  std::string cmd = std::string("'") + PREBELL_PYTHON + "' '" + PREBELL_CONTROLPLANE_PY +
                    "' restart-apiserver --dir '" + dir + "'";
  return std::system(cmd.c_str());
}

TEST(ApiServerRestart, WatchResumesOrRelistsAndLosesNothing) {
  TestCluster cluster = TestCluster::FromEnv();
  PREBELL_REQUIRE_CLUSTER(cluster);
  ASSERT_FALSE(cluster.dir.empty());
  auto admin = AdminClient();
  ASSERT_TRUE(admin);
  std::string ns = CreateNamespace(*admin, "kube-restart");

  auto clock = SystemClock::Shared();
  auto queue = std::make_shared<runtime::WorkQueue>(clock);
  runtime::WatcherOptions wo;
  wo.type = resources::ConfigMaps();
  wo.ns = ns;
  runtime::Informer informer(admin, wo, clock);
  informer.AddHandler(runtime::EnqueueOwnKey(queue));
  ASSERT_TRUE(admin->Create(resources::ConfigMaps(), ns, ConfigMap("before", {{"v", "1"}})).ok());
  ASSERT_TRUE(admin->Create(resources::ConfigMaps(), ns, ConfigMap("doomed", {{"v", "1"}})).ok());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(seconds(30)));
  ASSERT_TRUE(Eventually([&] { return informer.store()->size() >= 2; },
                         seconds(10)));  // + kube-root-ca.crt
  auto drain = [&] {
    std::set<std::string> keys;
    while (auto k = queue->GetUntil(clock->Now())) {
      keys.insert(*k);
      queue->Done(*k);
    }
    return keys;
  };
  (void)drain();
  auto before = informer.counters();

  // Move etcd's revision past the informer's resourceVersion (a write it
  // does not watch) and compact up to there: when the watch resumes from its
  // last version after the restart, that version is gone (410) and the
  // informer must relist.
  auto unrelated = admin->Create(resources::ConfigMaps(), "default",
                                 ConfigMap("unrelated-" + RandomSuffix(), {{"v", "1"}}));
  ASSERT_TRUE(unrelated.ok()) << unrelated.status().ToString();
  std::string compacted_at = ResourceVersionOf(*unrelated);
  ASSERT_TRUE(CompactEtcd(compacted_at).ok());
  // resourceVersions are integers in etcd-backed clusters: only a test may
  // compare them. A bookmark could have moved the informer past the
  // compaction in the meantime; then a plain resume is the right outcome.
  bool expect_relist =
      std::stoull(informer.store()->resource_version()) < std::stoull(compacted_at);

  ASSERT_EQ(RestartApiServer(cluster.dir), 0);
  // Changes while the informer is (probably still) reconnecting.
  auto created = admin->Create(resources::ConfigMaps(), ns, ConfigMap("after", {{"v", "2"}}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(admin->Delete(resources::ConfigMaps(), ns, "doomed").ok());
  ASSERT_TRUE(admin
                  ->Patch(resources::ConfigMaps(), ns, "before", PatchType::kMerge,
                          {{"data", {{"v", "3"}}}})
                  .ok());

  ASSERT_TRUE(Eventually(
      [&] {
        auto b = informer.store()->Get(ns + "/before");
        return informer.store()->Get(ns + "/after") != nullptr &&
               informer.store()->Get(ns + "/doomed") == nullptr && b && (*b)["data"]["v"] == "3";
      },
      seconds(90)))
      << "the informer did not converge after the API server restart";
  std::set<std::string> keys = drain();
  EXPECT_TRUE(keys.count(ns + "/after"));
  EXPECT_TRUE(keys.count(ns + "/doomed"));
  EXPECT_TRUE(keys.count(ns + "/before"));
  auto after = informer.counters();
  EXPECT_GE(after.watch_failures + after.watches_opened,
            before.watch_failures + before.watches_opened + 1);
  std::printf(
      "[ metric ] after restart: watch failures %llu, watches opened %llu, relists after "
      "410 %llu, lists %llu\n",
      static_cast<unsigned long long>(after.watch_failures - before.watch_failures),
      static_cast<unsigned long long>(after.watches_opened - before.watches_opened),
      static_cast<unsigned long long>(after.relists_after_gone - before.relists_after_gone),
      static_cast<unsigned long long>(after.lists - before.lists));
  if (expect_relist) {
    EXPECT_GE(after.relists_after_gone, before.relists_after_gone + 1);
  }
  informer.Stop();
  (void)admin->Delete(resources::ConfigMaps(), "default",
                      (*unrelated)["metadata"]["name"].get<std::string>());
  (void)admin->Delete(resources::Namespaces(), "", ns);
}

TEST(ApiServerRestart, WatchFromBeforeTheWatchCacheAndCompactionIsGone) {
  // A restarted API server's watch cache starts at the current version, and
  // etcd is compacted up to now: a watch from an older version cannot be
  // served by either and gets 410 (as the HTTP status or an ERROR event).
  // (On a freshly started API server the cache may still hold every event
  // since version 1, which is why this needs a control plane of its own.)
  TestCluster cluster = TestCluster::FromEnv();
  PREBELL_REQUIRE_CLUSTER(cluster);
  auto admin = AdminClient();
  ASSERT_TRUE(admin);
  std::string ns = CreateNamespace(*admin, "kube-gone");
  ASSERT_EQ(RestartApiServer(cluster.dir), 0);
  auto cm = admin->Create(resources::ConfigMaps(), ns, ConfigMap("now", {{"v", "1"}}));
  ASSERT_TRUE(cm.ok()) << cm.status().ToString();
  ASSERT_TRUE(CompactEtcd(ResourceVersionOf(*cm)).ok());
  WatchOptions o;
  o.resource_version = "1";
  o.timeout_seconds = 30;
  auto w = admin->Watch(resources::ConfigMaps(), ns, o);
  if (!w.ok()) {
    EXPECT_TRUE(IsResourceExpired(w.status())) << w.status().ToString();
  } else {
    auto ev = (*w)->Next();
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    ASSERT_TRUE(ev->has_value());
    EXPECT_TRUE((*ev)->IsGone()) << (*ev)->object.dump();
  }
  // A list at that version is gone too; the consistent read ("") is not.
  ListOptions lo;
  lo.resource_version = "1";
  lo.match = ResourceVersionMatch::kExact;
  auto old_list = admin->List(resources::ConfigMaps(), ns, lo);
  EXPECT_TRUE(IsResourceExpired(old_list.status())) << old_list.status().ToString();
  auto fresh = admin->ListAll(resources::ConfigMaps(), ns, {}, 1);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_GE(fresh->items.size(), 1u);
  (void)admin->Delete(resources::Namespaces(), "", ns);
}

}  // namespace
}  // namespace prebell::kube
