#include "controller/kube/request.h"

#include <gtest/gtest.h>

namespace prebell::kube {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(PercentEncode, EncodesAllButUnreserved) {
  EXPECT_EQ(PercentEncode("abc-._~XYZ019"), "abc-._~XYZ019");
  EXPECT_EQ(PercentEncode("app=web,tier!=db"), "app%3Dweb%2Ctier%21%3Ddb");
  EXPECT_EQ(PercentEncode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");
}

TEST(BuildList, QueryParameters) {
  ListOptions o;
  o.label_selector = "app=web";
  o.field_selector = "metadata.name=x";
  o.resource_version = "123";
  o.match = ResourceVersionMatch::kNotOlderThan;
  o.limit = 500;
  auto r = BuildList(resources::ConfigMaps(), "default", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, HttpMethod::kGet);
  EXPECT_EQ(r->verb, "list");
  EXPECT_EQ(r->resource, "configmaps");
  EXPECT_EQ(r->query, (Query{{"labelSelector", "app=web"},
                             {"fieldSelector", "metadata.name=x"},
                             {"resourceVersion", "123"},
                             {"resourceVersionMatch", "NotOlderThan"},
                             {"limit", "500"}}));
  EXPECT_EQ(r->PathAndQuery(),
            "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb&fieldSelector="
            "metadata.name%3Dx&resourceVersion=123&resourceVersionMatch=NotOlderThan&limit=500");
}

TEST(BuildList, ContinueAndExact) {
  ListOptions o;
  o.continue_token = "abc==";
  auto r = BuildList(resources::Deployments(), "", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->PathAndQuery(), "/apis/apps/v1/deployments?continue=abc%3D%3D");
  EXPECT_EQ(r->resource, "deployments.apps");

  ListOptions e;
  e.resource_version = "77";
  e.match = ResourceVersionMatch::kExact;
  EXPECT_EQ(BuildList(resources::ConfigMaps(), "a", e)->query,
            (Query{{"resourceVersion", "77"}, {"resourceVersionMatch", "Exact"}}));
}

TEST(BuildList, RefusesInconsistentOptions) {
  ListOptions o;
  o.match = ResourceVersionMatch::kNotOlderThan;  // without a resourceVersion
  EXPECT_EQ(BuildList(resources::ConfigMaps(), "a", o).status().code(),
            StatusCode::kInvalidArgument);
  ListOptions e;
  e.resource_version = "0";
  e.match = ResourceVersionMatch::kExact;
  EXPECT_FALSE(BuildList(resources::ConfigMaps(), "a", e).ok());
  ListOptions c;
  c.continue_token = "t";
  c.resource_version = "5";
  EXPECT_FALSE(BuildList(resources::ConfigMaps(), "a", c).ok());
  ListOptions n;
  n.limit = -1;
  EXPECT_FALSE(BuildList(resources::ConfigMaps(), "a", n).ok());
}

TEST(BuildWatch, BookmarksTimeoutAndVersion) {
  WatchOptions o;
  o.resource_version = "4711";
  o.timeout_seconds = 437;
  o.label_selector = "a in (b,c)";
  auto r = BuildWatch(resources::ConfigMaps(), "ns1", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verb, "watch");
  EXPECT_EQ(r->query, (Query{{"watch", "true"},
                             {"labelSelector", "a in (b,c)"},
                             {"resourceVersion", "4711"},
                             {"allowWatchBookmarks", "true"},
                             {"timeoutSeconds", "437"}}));
  WatchOptions plain;
  plain.allow_bookmarks = false;
  EXPECT_EQ(BuildWatch(resources::ConfigMaps(), "", plain)->PathAndQuery(),
            "/api/v1/configmaps?watch=true");
  WatchOptions bad;
  bad.timeout_seconds = 0;
  EXPECT_FALSE(BuildWatch(resources::ConfigMaps(), "", bad).ok());
}

TEST(BuildPatch, ContentTypes) {
  EXPECT_EQ(PatchContentType(PatchType::kMerge), "application/merge-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kJson), "application/json-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kStrategicMerge), "application/strategic-merge-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kApply), "application/apply-patch+yaml");

  auto m = BuildPatch(resources::Deployments(), "prod", "web", PatchType::kMerge,
                      {{"spec", {{"replicas", 5}}}}, {}, "scale");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->method, HttpMethod::kPatch);
  EXPECT_EQ(m->path, "/apis/apps/v1/namespaces/prod/deployments/web/scale");
  EXPECT_EQ(m->content_type, "application/merge-patch+json");
  EXPECT_EQ(m->body, R"({"spec":{"replicas":5}})");
  EXPECT_EQ(m->resource, "deployments.apps/scale");
  EXPECT_TRUE(m->query.empty());

  nlohmann::json ops =
      nlohmann::json::array({{{"op", "replace"}, {"path", "/spec/minReplicas"}, {"value", 4}}});
  auto j =
      BuildPatch(resources::HorizontalPodAutoscalers(), "prod", "web", PatchType::kJson, ops, {});
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->content_type, "application/json-patch+json");
}

TEST(BuildPatch, ApplyNeedsFieldManagerAndTypeMeta) {
  nlohmann::json obj = {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", "cm"}}},
                        {"data", {{"k", "v"}}}};
  PatchOptions po;
  po.field_manager = "prebell";
  po.force = true;
  auto r = BuildPatch(resources::ConfigMaps(), "default", "cm", PatchType::kApply, obj, po);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->content_type, "application/apply-patch+yaml");
  EXPECT_EQ(r->query, (Query{{"fieldManager", "prebell"}, {"force", "true"}}));

  EXPECT_FALSE(
      BuildPatch(resources::ConfigMaps(), "default", "cm", PatchType::kApply, obj, {}).ok());
  nlohmann::json no_kind = {{"metadata", {{"name", "cm"}}}};
  EXPECT_FALSE(
      BuildPatch(resources::ConfigMaps(), "default", "cm", PatchType::kApply, no_kind, po).ok());
  PatchOptions force_merge;
  force_merge.force = true;
  EXPECT_FALSE(
      BuildPatch(resources::ConfigMaps(), "default", "cm", PatchType::kMerge, obj, force_merge)
          .ok());
  EXPECT_FALSE(BuildPatch(resources::ConfigMaps(), "default", "cm", PatchType::kMerge,
                          nlohmann::json::array(), {})
                   .ok());
  EXPECT_FALSE(BuildPatch(resources::ConfigMaps(), "default", "cm", PatchType::kJson,
                          nlohmann::json::object(), {})
                   .ok());
}

TEST(BuildCreateUpdate, BodiesAndNamespaces) {
  nlohmann::json obj = {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", "cm"}, {"namespace", "default"}}}};
  auto c = BuildCreate(resources::ConfigMaps(), "default", obj, {"prebell", true});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->method, HttpMethod::kPost);
  EXPECT_EQ(c->path, "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(c->content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(c->body), obj);
  EXPECT_EQ(c->query, (Query{{"fieldManager", "prebell"}, {"dryRun", "All"}}));
  EXPECT_FALSE(BuildCreate(resources::ConfigMaps(), "other", obj, {}).ok());
  EXPECT_FALSE(BuildCreate(resources::ConfigMaps(), "", obj, {}).ok());

  auto u = BuildUpdate(resources::ConfigMaps(), "default", obj, {}, "status");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->method, HttpMethod::kPut);
  EXPECT_EQ(u->path, "/api/v1/namespaces/default/configmaps/cm/status");
  EXPECT_FALSE(BuildUpdate(resources::ConfigMaps(), "default", nlohmann::json::object(), {}).ok());
}

TEST(BuildDelete, OptionsBody) {
  DeleteOptions o;
  o.propagation_policy = "Foreground";
  o.precondition_uid = "u-1";
  o.precondition_resource_version = "9";
  auto r = BuildDelete(resources::Deployments(), "prod", "web", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method, HttpMethod::kDelete);
  auto body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["kind"], "DeleteOptions");
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
  EXPECT_EQ(body["preconditions"]["uid"], "u-1");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "9");
  DeleteOptions bad;
  bad.propagation_policy = "Sometimes";
  EXPECT_FALSE(BuildDelete(resources::Deployments(), "prod", "web", bad).ok());
  EXPECT_FALSE(BuildDelete(resources::Deployments(), "prod", "", {}).ok());
}

TEST(BuildGet, Subresource) {
  auto r = BuildGet(resources::StatefulSets(), "db", "redis", "scale");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->PathAndQuery(), "/apis/apps/v1/namespaces/db/statefulsets/redis/scale");
  EXPECT_EQ(r->verb, "get");
  EXPECT_FALSE(BuildGet(resources::StatefulSets(), "db", "").ok());
}

}  // namespace
}  // namespace prebell::kube
