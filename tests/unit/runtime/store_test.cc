#include "controller/runtime/store.h"

#include <gtest/gtest.h>

#include <map>

namespace prebell::runtime {
namespace {

nlohmann::json Obj(const std::string& ns, const std::string& name, const std::string& rv) {
  return {{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}};
}

TEST(ObjectStore, ApplyGetRemove) {
  ObjectStore s;
  auto c = s.Apply(Obj("a", "x", "1"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key, "a/x");
  EXPECT_FALSE(c->old_object);
  ObjectPtr held = s.Get("a/x");
  auto u = s.Apply(Obj("a", "x", "2"));
  ASSERT_TRUE(u && u->old_object);
  EXPECT_EQ((*u->old_object)["metadata"]["resourceVersion"], "1");
  EXPECT_EQ((*held)["metadata"]["resourceVersion"], "1");  // readers keep their snapshot
  EXPECT_EQ((*s.Get("a/x"))["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(s.resource_version(), "2");
  auto r = s.Remove(Obj("a", "x", "3"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->new_object);
  EXPECT_EQ(s.Get("a/x"), nullptr);
  EXPECT_EQ(s.resource_version(), "3");
  EXPECT_FALSE(s.Apply(nlohmann::json::object()));  // no name: ignored
}

TEST(ObjectStore, ListByNamespace) {
  ObjectStore s;
  (void)s.Apply(Obj("a", "1", "1"));
  (void)s.Apply(Obj("a", "2", "1"));
  (void)s.Apply(Obj("ab", "3", "1"));
  (void)s.Apply(Obj("b", "4", "1"));
  EXPECT_EQ(s.ListNamespace("a").size(), 2u);
  EXPECT_EQ(s.ListNamespace("ab").size(), 1u);
  EXPECT_EQ(s.ListNamespace("").size(), 4u);
  EXPECT_EQ(s.Keys(), (std::vector<std::string>{"a/1", "a/2", "ab/3", "b/4"}));
}

TEST(ObjectStore, ReplaceReportsAdditionsChangesAndVanished) {
  ObjectStore s;
  EXPECT_FALSE(s.synced());
  (void)s.Apply(Obj("a", "same", "5"));
  (void)s.Apply(Obj("a", "changed", "5"));
  (void)s.Apply(Obj("a", "vanished", "5"));
  auto changes =
      s.Replace({Obj("a", "same", "5"), Obj("a", "changed", "9"), Obj("a", "new", "9")}, "10");
  EXPECT_TRUE(s.synced());
  EXPECT_EQ(s.resource_version(), "10");
  std::map<std::string, const Change*> by_key;
  for (const auto& c : changes) by_key[c.key] = &c;
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_TRUE(by_key.at("a/changed")->old_object && by_key.at("a/changed")->new_object);
  EXPECT_TRUE(!by_key.at("a/new")->old_object && by_key.at("a/new")->new_object);
  EXPECT_TRUE(by_key.at("a/vanished")->old_object && !by_key.at("a/vanished")->new_object);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.Get("a/vanished"), nullptr);
}

}  // namespace
}  // namespace prebell::runtime
