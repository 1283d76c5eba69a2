// controller/kube and controller/runtime against the real kube-apiserver of
// the shared `controlplane` fixture: authentication, reads and writes, the
// API's error codes, watches, leader election between two electors in this
// process and between two processes, and Events.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "controller/kube/api_error.h"
#include "controller/runtime/event_recorder.h"
#include "controller/runtime/informer.h"
#include "controller/runtime/leader_elector.h"
#include "tests/integration/kube/test_cluster.h"

namespace prebell::kube {
namespace {

using namespace prebell::kube::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace fs = std::filesystem;

class ApiServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!TestCluster::FromEnv().ok()) return;
    admin_ = AdminClient();
    if (admin_) ns_ = CreateNamespace(*admin_, "kube-it");
  }
  static void TearDownTestSuite() {
    if (admin_ && !ns_.empty()) (void)admin_->Delete(resources::Namespaces(), "", ns_);
    admin_.reset();
  }
  void SetUp() override {
    cluster_ = TestCluster::FromEnv();
    PREBELL_REQUIRE_CLUSTER(cluster_);
    ASSERT_TRUE(admin_);
    ASSERT_FALSE(ns_.empty());
  }

  std::string TempFile(const std::string& content) {
    fs::path p = fs::temp_directory_path() / ("prebell-it-" + RandomSuffix());
    std::ofstream(p) << content;
    temp_files_.push_back(p);
    return p.string();
  }
  void TearDown() override {
    for (auto& p : temp_files_) fs::remove(p);
  }

  static std::shared_ptr<Client> admin_;
  static std::string ns_;
  TestCluster cluster_;
  std::vector<fs::path> temp_files_;
};

std::shared_ptr<Client> ApiServerTest::admin_;
std::string ApiServerTest::ns_;

TEST_F(ApiServerTest, ClientCertificateAuthFromKubeconfig) {
  auto cfg = LoadKubeconfig(cluster_.kubeconfig, {});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_FALSE(cfg->client_cert_pem.empty());
  auto client = ClientFor(*cfg);
  ASSERT_TRUE(client);
  auto got = client->Get(resources::Namespaces(), "", "default");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["metadata"]["name"], "default");
}

TEST_F(ApiServerTest, BearerTokenAuthAndRotationAfter401) {
  ASSERT_FALSE(cluster_.token_file.empty());
  auto good = ReadFileToString(cluster_.token_file);
  ASSERT_TRUE(good.ok());
  ClusterConfig cfg;
  cfg.server = cluster_.server;
  cfg.ca_pem = *ReadFileToString(cluster_.ca_file);
  cfg.token_file = TempFile("not-a-valid-token\n");
  auto client = ClientFor(cfg);
  ASSERT_TRUE(client);
  // The file holds a bad token: 401 even after the transport re-read it.
  auto denied = client->Get(resources::Namespaces(), "", "default");
  EXPECT_EQ(denied.status().code(), StatusCode::kUnauthenticated) << denied.status().ToString();
  // The token rotates: the next 401 makes the transport re-read the file at
  // once (not after its one-minute refresh) and the request succeeds.
  std::ofstream(cfg.token_file) << *good;
  auto ok = client->Get(resources::Namespaces(), "", "default");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();

  ClusterConfig static_token = cfg;
  static_token.token_file.clear();
  static_token.token = *good;
  auto c2 = ClientFor(static_token);
  ASSERT_TRUE(c2 && c2->Get(resources::Namespaces(), "", "default").ok());
}

TEST_F(ApiServerTest, NoCredentialsAndWrongCaAreRefused) {
  ClusterConfig anon;
  anon.server = cluster_.server;
  anon.ca_pem = *ReadFileToString(cluster_.ca_file);
  auto client = ClientFor(anon);
  ASSERT_TRUE(client);
  auto r = client->Get(resources::Namespaces(), "", "default");
  EXPECT_TRUE(r.status().code() == StatusCode::kUnauthenticated ||
              r.status().code() == StatusCode::kPermissionDenied)
      << r.status().ToString();

  // The client certificate is signed by the cluster CA but is not the CA of
  // the serving certificate... use it as a wrong trust anchor: verification
  // must fail (no fallback to the system roots, no skipping).
  auto cfg = LoadKubeconfig(cluster_.kubeconfig, {});
  ASSERT_TRUE(cfg.ok());
  ClusterConfig wrong_ca = *cfg;
  wrong_ca.ca_pem = wrong_ca.client_cert_pem;
  auto c2 = ClientFor(wrong_ca);
  ASSERT_TRUE(c2);
  auto tls = c2->Get(resources::Namespaces(), "", "default");
  EXPECT_EQ(tls.status().code(), StatusCode::kUnavailable) << tls.status().ToString();

  ClusterConfig system_roots = *cfg;
  system_roots.ca_pem.clear();  // the test CA is not a system root
  auto c3 = ClientFor(system_roots);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->Get(resources::Namespaces(), "", "default").status().code(),
            StatusCode::kUnavailable);
}

TEST_F(ApiServerTest, ConfigMapCreateGetPatchApplyDelete) {
  RequestCounters counters;
  auto client = AdminClient(counters.Observer());
  ASSERT_TRUE(client);
  auto created = client->Create(resources::ConfigMaps(), ns_, ConfigMap("crud", {{"a", "1"}}),
                                {"prebell-test", false});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE(ResourceVersionOf(*created).empty());

  auto dup = client->Create(resources::ConfigMaps(), ns_, ConfigMap("crud", {}));
  EXPECT_TRUE(IsAlreadyExists(dup.status())) << dup.status().ToString();

  auto merged = client->Patch(resources::ConfigMaps(), ns_, "crud", PatchType::kMerge,
                              {{"data", {{"b", "2"}, {"a", nullptr}}}});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ((*merged)["data"], (nlohmann::json{{"b", "2"}}));

  auto json_patched =
      client->Patch(resources::ConfigMaps(), ns_, "crud", PatchType::kJson,
                    nlohmann::json::array({{{"op", "add"}, {"path", "/data/c"}, {"value", "3"}}}));
  ASSERT_TRUE(json_patched.ok()) << json_patched.status().ToString();
  EXPECT_EQ((*json_patched)["data"]["c"], "3");

  // Server-side apply: prebell owns data.owned; a second manager that tries
  // to change it conflicts unless it forces.
  nlohmann::json mine = ConfigMap("crud", {{"owned", "by-prebell"}});
  auto applied = client->Apply(resources::ConfigMaps(), ns_, mine, "prebell");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ((*applied)["data"]["owned"], "by-prebell");
  nlohmann::json theirs = ConfigMap("crud", {{"owned", "by-someone-else"}});
  auto conflict = client->Apply(resources::ConfigMaps(), ns_, theirs, "other-manager");
  EXPECT_TRUE(IsConflict(conflict.status())) << conflict.status().ToString();
  auto forced = client->Apply(resources::ConfigMaps(), ns_, theirs, "other-manager", true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ((*forced)["data"]["owned"], "by-someone-else");

  auto bad = client->Patch(
      resources::ConfigMaps(), ns_, "crud", PatchType::kJson,
      nlohmann::json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "wrong"}}}));
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(bad.status().IsRetryable()) << bad.status().ToString();

  ASSERT_TRUE(client->Delete(resources::ConfigMaps(), ns_, "crud").ok());
  auto gone = client->Get(resources::ConfigMaps(), ns_, "crud");
  EXPECT_TRUE(IsNotFound(gone.status())) << gone.status().ToString();
  EXPECT_TRUE(IsNotFound(client->Delete(resources::ConfigMaps(), ns_, "crud")));
  EXPECT_GE(counters.Count("patch"), 5u);
  EXPECT_EQ(counters.Snapshot().at({"get", "configmaps", "404"}), 1u);
}

TEST_F(ApiServerTest, StaleUpdateConflicts) {
  auto created = admin_->Create(resources::ConfigMaps(), ns_, ConfigMap("stale", {{"v", "1"}}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  nlohmann::json first = *created;
  nlohmann::json second = *created;
  first["data"]["v"] = "2";
  auto u1 = admin_->Update(resources::ConfigMaps(), ns_, first);
  ASSERT_TRUE(u1.ok()) << u1.status().ToString();
  second["data"]["v"] = "3";  // written from the old resourceVersion
  auto u2 = admin_->Update(resources::ConfigMaps(), ns_, second);
  ASSERT_FALSE(u2.ok());
  EXPECT_TRUE(IsConflict(u2.status())) << u2.status().ToString();
  EXPECT_TRUE(u2.status().IsRetryable());
  // Re-read and retry: what a reconciler does with kAborted.
  auto fresh = admin_->Get(resources::ConfigMaps(), ns_, "stale");
  ASSERT_TRUE(fresh.ok());
  (*fresh)["data"]["v"] = "3";
  EXPECT_TRUE(admin_->Update(resources::ConfigMaps(), ns_, *fresh).ok());
}

TEST_F(ApiServerTest, InformerSeesAddsUpdatesAndDeletes) {
  auto queue = std::make_shared<runtime::WorkQueue>(SystemClock::Shared());
  runtime::WatcherOptions wo;
  wo.type = resources::ConfigMaps();
  wo.ns = ns_;
  wo.label_selector = "test=informer";
  runtime::Informer informer(admin_, wo, SystemClock::Shared());
  informer.AddHandler(runtime::EnqueueOwnKey(queue));
  nlohmann::json pre = ConfigMap("pre", {{"v", "0"}});
  pre["metadata"]["labels"] = {{"test", "informer"}};
  ASSERT_TRUE(admin_->Create(resources::ConfigMaps(), ns_, pre).ok());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(seconds(20)));
  EXPECT_NE(informer.store()->Get(ns_ + "/pre"), nullptr);

  nlohmann::json cm = ConfigMap("live", {{"v", "1"}});
  cm["metadata"]["labels"] = {{"test", "informer"}};
  ASSERT_TRUE(admin_->Create(resources::ConfigMaps(), ns_, cm).ok());
  ASSERT_TRUE(
      Eventually([&] { return informer.store()->Get(ns_ + "/live") != nullptr; }, seconds(10)));
  ASSERT_TRUE(
      admin_
          ->Patch(resources::ConfigMaps(), ns_, "live", PatchType::kMerge, {{"data", {{"v", "2"}}}})
          .ok());
  ASSERT_TRUE(Eventually(
      [&] {
        auto o = informer.store()->Get(ns_ + "/live");
        return o && (*o)["data"]["v"] == "2";
      },
      seconds(10)));
  nlohmann::json other = ConfigMap("unlabelled", {{"v", "1"}});
  ASSERT_TRUE(admin_->Create(resources::ConfigMaps(), ns_, other).ok());
  ASSERT_TRUE(admin_->Delete(resources::ConfigMaps(), ns_, "live").ok());
  ASSERT_TRUE(
      Eventually([&] { return informer.store()->Get(ns_ + "/live") == nullptr; }, seconds(10)));
  EXPECT_EQ(informer.store()->Get(ns_ + "/unlabelled"), nullptr);  // selector honoured
  std::set<std::string> keys;
  while (auto k = queue->GetUntil(SystemClock::Shared()->Now())) {
    keys.insert(*k);
    queue->Done(*k);
  }
  EXPECT_TRUE(keys.count(ns_ + "/pre"));
  EXPECT_TRUE(keys.count(ns_ + "/live"));
  informer.Stop();
  EXPECT_EQ(informer.counters().lists, 1u);
}

TEST_F(ApiServerTest, WatchPiecesAndBookmarks) {
  // Objects of every size reach the watcher intact, however the bytes were
  // split on the wire.
  auto list = admin_->List(resources::ConfigMaps(), ns_);
  ASSERT_TRUE(list.ok());
  WatchOptions o;
  o.resource_version = list->resource_version;
  o.timeout_seconds = 60;
  auto w = admin_->Watch(resources::ConfigMaps(), ns_, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (int size : {1, 1000, 70000, 300000}) {
    ASSERT_TRUE(admin_
                    ->Create(resources::ConfigMaps(), ns_,
                             ConfigMap("big-" + std::to_string(size),
                                       {{"blob", std::string(static_cast<size_t>(size), 'x')}}))
                    .ok());
  }
  for (int size : {1, 1000, 70000, 300000}) {
    StatusOr<std::optional<WatchEvent>> ev = InternalError("unset");
    do {
      ev = (*w)->Next();
      ASSERT_TRUE(ev.ok() && ev->has_value()) << ev.status().ToString();
    } while ((*ev)->type == WatchEventType::kBookmark);
    EXPECT_EQ((*ev)->type, WatchEventType::kAdded);
    EXPECT_EQ((*ev)->object["data"]["blob"].get<std::string>().size(), static_cast<size_t>(size));
  }
  (*w)->Cancel();
  auto after = (*w)->Next();
  EXPECT_FALSE(after.ok() && after->has_value());
}

TEST_F(ApiServerTest, TwoElectorsInOneProcess) {
  auto make = [&](const std::string& id, std::atomic<int>* started) {
    runtime::LeaderElectionConfig c;
    c.lease_namespace = ns_;
    c.lease_name = "in-process";
    c.identity = id;
    c.on_started_leading = [started] { ++*started; };
    return std::move(runtime::LeaderElector::Create(admin_, c, SystemClock::Shared()).value());
  };
  std::atomic<int> a_started{0}, b_started{0};
  auto a = make("a", &a_started);
  auto b = make("b", &b_started);
  a->Start();
  ASSERT_TRUE(Eventually([&] { return a->IsLeader(); }, seconds(10)));
  b->Start();
  std::this_thread::sleep_for(seconds(5));  // b tries at least twice
  EXPECT_FALSE(b->IsLeader());
  EXPECT_EQ(b->CurrentLeader(), "a");
  auto released_at = std::chrono::steady_clock::now();
  a->Stop();  // releases the lease
  EXPECT_FALSE(a->IsLeader());
  ASSERT_TRUE(Eventually([&] { return b->IsLeader(); }, seconds(8)));
  auto handover = std::chrono::steady_clock::now() - released_at;
  // b retries every 2-4.4 s: it takes over at its next try, not after the
  // 15 s lease.
  EXPECT_LT(handover, milliseconds(5000));
  std::printf("[ metric ] release handover: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(handover).count()));
  auto lease = admin_->Get(resources::Leases(), ns_, "in-process");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  b->Stop();
  lease = admin_->Get(resources::Leases(), ns_, "in-process");
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "");
  EXPECT_EQ(a_started.load(), 1);
  EXPECT_EQ(b_started.load(), 1);
}

TEST_F(ApiServerTest, TwoProcessesKillingTheLeaderHandsOverWithinTheLease) {
  const std::string candidate = PREBELL_LEASE_CANDIDATE;
  Child a({candidate, ns_, "two-process", "proc-a"});
  ASSERT_TRUE(a.started());
  ASSERT_TRUE(a.WaitFor("LEADING proc-a", seconds(20)));
  Child b({candidate, ns_, "two-process", "proc-b"});
  ASSERT_TRUE(b.WaitFor("STARTED proc-b", seconds(10)));
  EXPECT_FALSE(b.WaitFor("LEADING", seconds(6)));  // a renews: b stays standby
  auto killed_at = std::chrono::steady_clock::now();
  a.Kill(SIGKILL);  // a crash: no release
  ASSERT_TRUE(b.WaitFor("LEADING proc-b", seconds(40)));
  auto handover = std::chrono::steady_clock::now() - killed_at;
  // b must wait out the 15 s lease, counted from the last renewal it saw (it
  // polls every 2-4.4 s, so up to 4.4 s before the kill), and takes the
  // lease at its first try after that (up to 4.4 s later): 10.6-19.4 s, plus
  // request latency and scheduling on a loaded test machine.
  EXPECT_GT(handover, seconds(10));
  EXPECT_LT(handover, seconds(30));
  std::printf("[ metric ] crash handover: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(handover).count()));
  b.Kill(SIGTERM);  // clean stop: releases
  EXPECT_TRUE(WIFEXITED(b.exit_status()) && WEXITSTATUS(b.exit_status()) == 0);
  auto lease = admin_->Get(resources::Leases(), ns_, "two-process");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "");
}

TEST_F(ApiServerTest, EventsAreRecordedAndDeduplicated) {
  auto cm = admin_->Create(resources::ConfigMaps(), ns_, ConfigMap("with-events", {}));
  ASSERT_TRUE(cm.ok());
  runtime::EventRecorderOptions eo;
  eo.instance = "it-test";
  runtime::EventRecorder rec(admin_, eo, SystemClock::Shared());
  auto ref = runtime::ObjectReference::FromObject(*cm);
  ASSERT_TRUE(rec.Record(ref, runtime::EventType::kWarning, "CalendarUnreadable",
                         "key calendar.ics: not iCalendar")
                  .ok());
  ASSERT_TRUE(rec.Record(ref, runtime::EventType::kWarning, "CalendarUnreadable",
                         "key calendar.ics: not iCalendar")
                  .ok());
  ListOptions lo;
  lo.field_selector = "involvedObject.name=with-events";
  auto events = admin_->List(resources::Events(), ns_, lo);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->items.size(), 1u);
  EXPECT_EQ(events->items[0]["count"], 2);
  EXPECT_EQ(events->items[0]["reason"], "CalendarUnreadable");
  EXPECT_EQ(events->items[0]["involvedObject"]["uid"], (*cm)["metadata"]["uid"]);
}

}  // namespace
}  // namespace prebell::kube
