#include "controller/kube/resource.h"

#include <gtest/gtest.h>

namespace prebell::kube {
namespace {

TEST(ResourcePath, CoreNamespacedObject) {
  auto p = ResourcePath(resources::ConfigMaps(), "default", "cm1");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "/api/v1/namespaces/default/configmaps/cm1");
}

TEST(ResourcePath, GroupCollectionAndSubresources) {
  EXPECT_EQ(*ResourcePath(resources::Deployments(), "prod"),
            "/apis/apps/v1/namespaces/prod/deployments");
  EXPECT_EQ(*ResourcePath(resources::Deployments(), "prod", "web", "scale"),
            "/apis/apps/v1/namespaces/prod/deployments/web/scale");
  EXPECT_EQ(*ResourcePath(resources::HorizontalPodAutoscalers(), "prod", "web", "status"),
            "/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers/web/status");
  EXPECT_EQ(*ResourcePath(resources::Leases(), "kube-system", "prebell"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/prebell");
}

TEST(ResourcePath, AllNamespacesAndClusterScoped) {
  EXPECT_EQ(*ResourcePath(resources::ConfigMaps(), ""), "/api/v1/configmaps");
  EXPECT_EQ(*ResourcePath(resources::Namespaces(), "", "prod"), "/api/v1/namespaces/prod");
  ResourceType crd{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                   "CustomResourceDefinition", false};
  EXPECT_EQ(*ResourcePath(crd, "", "timetables.prebell.io"),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/timetables.prebell.io");
}

TEST(ResourcePath, RefusesWhatCouldChangeTheUrl) {
  EXPECT_FALSE(ResourcePath(resources::ConfigMaps(), "default", "a/b").ok());
  EXPECT_FALSE(ResourcePath(resources::ConfigMaps(), "default", "..").ok());
  EXPECT_FALSE(ResourcePath(resources::ConfigMaps(), "default", "a%2Fb").ok());
  EXPECT_FALSE(ResourcePath(resources::ConfigMaps(), "default", "a?watch=1").ok());
  EXPECT_FALSE(ResourcePath(resources::ConfigMaps(), "de fault", "a").ok());
  EXPECT_FALSE(ResourcePath(resources::ConfigMaps(), "", "a").ok());   // namespaced needs ns
  EXPECT_FALSE(ResourcePath(resources::Namespaces(), "x", "a").ok());  // cluster-scoped
  EXPECT_FALSE(ResourcePath(resources::Deployments(), "x", "", "scale").ok());
  auto s = ResourcePath(resources::ConfigMaps(), "default", "a/b");
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("a/b"), std::string::npos);
}

TEST(ObjectKeys, ParseAndFormat) {
  auto k = ParseObjectKey("prod/web");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->ns, "prod");
  EXPECT_EQ(k->name, "web");
  EXPECT_EQ(k->ToString(), "prod/web");
  auto c = ParseObjectKey("node-1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ns, "");
  EXPECT_EQ(c->ToString(), "node-1");
  EXPECT_FALSE(ParseObjectKey("").ok());
  EXPECT_FALSE(ParseObjectKey("/x").ok());
  EXPECT_FALSE(ParseObjectKey("a/").ok());
  EXPECT_FALSE(ParseObjectKey("a/b/c").ok());
}

TEST(ObjectKeys, KeyOfObject) {
  nlohmann::json o = {{"metadata", {{"name", "web"}, {"namespace", "prod"}}}};
  EXPECT_EQ(*KeyOf(o), "prod/web");
  EXPECT_EQ(*KeyOf(nlohmann::json{{"metadata", {{"name", "n1"}}}}), "n1");
  EXPECT_FALSE(KeyOf(nlohmann::json{{"metadata", nlohmann::json::object()}}).ok());
  EXPECT_FALSE(KeyOf(nlohmann::json::array()).ok());
  EXPECT_EQ(ResourceVersionOf({{"metadata", {{"resourceVersion", "42"}}}}), "42");
  EXPECT_EQ(ResourceVersionOf(nlohmann::json::object()), "");
}

}  // namespace
}  // namespace prebell::kube
