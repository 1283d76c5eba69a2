#include "controller/kube/fake_api_server.h"

#include <gtest/gtest.h>

#include "controller/kube/api_error.h"
#include "controller/kube/client.h"

namespace prebell::kube {
namespace {

using nlohmann::json;

class FakeApiServerTest : public ::testing::Test {
 protected:
  FakeApiServerTest() : server_(std::make_shared<FakeApiServer>(clock_)) {
    ClientOptions o;
    o.clock = clock_;
    o.qps = 0;
    client_ = std::make_shared<Client>(server_, o);
  }

  static json Deployment(const std::string& name, int replicas) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", name}, {"labels", {{"app", name}}}}},
            {"spec", {{"replicas", replicas}}}};
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::shared_ptr<FakeApiServer> server_;
  std::shared_ptr<Client> client_;
};

TEST_F(FakeApiServerTest, CreateGetUpdateConflictDelete) {
  auto created = client_->Create(resources::Deployments(), "prod", Deployment("web", 2));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["metadata"]["generation"], 1);
  EXPECT_EQ((*created)["metadata"]["namespace"], "prod");
  EXPECT_EQ((*created)["metadata"]["creationTimestamp"], "2026-01-05T08:00:00Z");
  EXPECT_TRUE(IsAlreadyExists(
      client_->Create(resources::Deployments(), "prod", Deployment("web", 2)).status()));

  json stale = *created;
  json next = *created;
  next["spec"]["replicas"] = 3;
  auto updated = client_->Update(resources::Deployments(), "prod", next);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);
  EXPECT_NE(ResourceVersionOf(*updated), ResourceVersionOf(*created));
  stale["spec"]["replicas"] = 9;
  EXPECT_TRUE(IsConflict(client_->Update(resources::Deployments(), "prod", stale).status()));

  ASSERT_TRUE(client_->Delete(resources::Deployments(), "prod", "web").ok());
  EXPECT_TRUE(IsNotFound(client_->Get(resources::Deployments(), "prod", "web").status()));
  EXPECT_EQ(server_->writes().size(), 5u);  // including the two refused
}

TEST_F(FakeApiServerTest, PatchesStatusAndScale) {
  ASSERT_TRUE(client_->Create(resources::Deployments(), "prod", Deployment("web", 2)).ok());
  auto merged = client_->Patch(resources::Deployments(), "prod", "web", PatchType::kMerge,
                               {{"metadata", {{"annotations", {{"a", "1"}}}}}});
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ((*merged)["metadata"]["generation"], 1);  // metadata only
  auto status =
      client_->Patch(resources::Deployments(), "prod", "web", PatchType::kMerge,
                     {{"status", {{"replicas", 2}}}, {"spec", {{"replicas", 50}}}}, {}, "status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["status"]["replicas"], 2);
  EXPECT_EQ((*status)["spec"]["replicas"], 2);  // the status subresource changes only status
  auto scale = client_->Get(resources::Deployments(), "prod", "web", "scale");
  ASSERT_TRUE(scale.ok());
  EXPECT_EQ((*scale)["kind"], "Scale");
  EXPECT_EQ((*scale)["spec"]["replicas"], 2);
  auto scaled = client_->Patch(resources::Deployments(), "prod", "web", PatchType::kMerge,
                               {{"spec", {{"replicas", 7}}}}, {}, "scale");
  ASSERT_TRUE(scaled.ok()) << scaled.status().ToString();
  EXPECT_EQ((*scaled)["spec"]["replicas"], 7);
  EXPECT_EQ((*server_->Object(resources::Deployments(), "prod", "web"))["spec"]["replicas"], 7);
  auto bad =
      client_->Patch(resources::Deployments(), "prod", "web", PatchType::kJson,
                     json::array({{{"op", "test"}, {"path", "/spec/replicas"}, {"value", 1}}}));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto ok =
      client_->Patch(resources::Deployments(), "prod", "web", PatchType::kJson,
                     json::array({{{"op", "test"}, {"path", "/spec/replicas"}, {"value", 7}},
                                  {{"op", "replace"}, {"path", "/spec/replicas"}, {"value", 8}}}));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["spec"]["replicas"], 8);
  auto applied = client_->Apply(resources::ConfigMaps(), "prod",
                                {{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"metadata", {{"name", "new"}}},
                                 {"data", {{"k", "v"}}}},
                                "prebell");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
}

TEST_F(FakeApiServerTest, FinalizersDelayDeletion) {
  json d = Deployment("web", 1);
  d["metadata"]["finalizers"] = {"prebell.io/restore"};
  ASSERT_TRUE(client_->Create(resources::Deployments(), "prod", d).ok());
  ASSERT_TRUE(client_->Delete(resources::Deployments(), "prod", "web").ok());
  auto dying = client_->Get(resources::Deployments(), "prod", "web");
  ASSERT_TRUE(dying.ok());
  EXPECT_TRUE((*dying)["metadata"].contains("deletionTimestamp"));
  ASSERT_TRUE(client_
                  ->Patch(resources::Deployments(), "prod", "web", PatchType::kMerge,
                          {{"metadata", {{"finalizers", nullptr}}}})
                  .ok());
  EXPECT_TRUE(IsNotFound(client_->Get(resources::Deployments(), "prod", "web").status()));
}

TEST_F(FakeApiServerTest, ListWithSelectorsAndPages) {
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(client_->Create(resources::Deployments(), "prod", Deployment(n, 1)).ok());
  }
  ASSERT_TRUE(client_->Create(resources::Deployments(), "dev", Deployment("a", 1)).ok());
  ListOptions lo;
  lo.label_selector = "app in (a, b)";
  auto l = client_->List(resources::Deployments(), "prod", lo);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->items.size(), 2u);
  EXPECT_EQ(client_->List(resources::Deployments(), "", {})->items.size(), 4u);
  ListOptions fs;
  fs.field_selector = "metadata.name=c";
  EXPECT_EQ(client_->List(resources::Deployments(), "prod", fs)->items.size(), 1u);
  auto all = client_->ListAll(resources::Deployments(), "", {}, 1);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 4u);
  EXPECT_EQ(*MatchesLabelSelector("app!=x,!tier", {{"app", "y"}}), true);
  EXPECT_EQ(*MatchesLabelSelector("app notin (y)", {{"app", "y"}}), false);
  EXPECT_EQ(*MatchesLabelSelector("tier", {{"app", "y"}}), false);
}

TEST_F(FakeApiServerTest, WatchFromVersionsAndExpiry) {
  auto a = client_->Create(resources::ConfigMaps(), "d",
                           {{"metadata", {{"name", "a"}}}, {"data", {{"v", "1"}}}});
  ASSERT_TRUE(a.ok());
  std::string after_a = ResourceVersionOf(*a);
  ASSERT_TRUE(
      client_->Patch(resources::ConfigMaps(), "d", "a", PatchType::kMerge, {{"data", {{"v", "2"}}}})
          .ok());
  WatchOptions from;
  from.resource_version = after_a;
  auto w = client_->Watch(resources::ConfigMaps(), "d", from);
  ASSERT_TRUE(w.ok());
  auto ev = (*w)->Next();
  ASSERT_TRUE(ev.ok() && ev->has_value());
  EXPECT_EQ((*ev)->type, WatchEventType::kModified);  // only what came after
  ASSERT_TRUE(client_->Delete(resources::ConfigMaps(), "d", "a").ok());
  ev = (*w)->Next();
  ASSERT_TRUE(ev.ok() && ev->has_value());
  EXPECT_EQ((*ev)->type, WatchEventType::kDeleted);
  server_->SendBookmarks();
  ev = (*w)->Next();
  ASSERT_TRUE(ev.ok() && ev->has_value());
  EXPECT_EQ((*ev)->type, WatchEventType::kBookmark);
  EXPECT_EQ(server_->open_watches(), 1u);
  server_->ExpireWatches();
  ev = (*w)->Next();
  ASSERT_TRUE(ev.ok() && ev->has_value());
  EXPECT_TRUE((*ev)->IsGone());
  auto again = client_->Watch(resources::ConfigMaps(), "d", from);
  ASSERT_TRUE(again.ok());
  ev = (*again)->Next();
  ASSERT_TRUE(ev.ok() && ev->has_value());
  EXPECT_TRUE((*ev)->IsGone());
}

TEST_F(FakeApiServerTest, HookInjectsFaults) {
  int n = 0;
  server_->SetHook([&](const HttpRequest& r) -> std::optional<StatusOr<HttpResponse>> {
    if (r.method == HttpMethod::kPatch && n++ == 0) {
      return StatusOr<HttpResponse>(StatusResponse(409, "Conflict", "injected"));
    }
    return std::nullopt;
  });
  ASSERT_TRUE(client_->Create(resources::ConfigMaps(), "d", {{"metadata", {{"name", "a"}}}}).ok());
  EXPECT_TRUE(IsConflict(
      client_->Patch(resources::ConfigMaps(), "d", "a", PatchType::kMerge, {{"data", {{"v", "1"}}}})
          .status()));
  EXPECT_TRUE(
      client_->Patch(resources::ConfigMaps(), "d", "a", PatchType::kMerge, {{"data", {{"v", "1"}}}})
          .ok());
}

}  // namespace
}  // namespace prebell::kube
