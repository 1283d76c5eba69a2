#include "policies/actuation/scale_action.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

constexpr std::string_view kPolicy = "campus/live-stack";

ObservedTarget Hpa(int32_t min, int32_t max) {
  ObservedTarget t;
  t.workload_exists = true;
  t.workload_replicas = min;
  t.has_hpa = true;
  t.hpa_min_replicas = min;
  t.hpa_max_replicas = max;
  return t;
}

ObservedTarget Plain(int32_t replicas) {
  ObservedTarget t;
  t.workload_exists = true;
  t.workload_replicas = replicas;
  return t;
}

TEST(ScaleActionTest, RaisesHpaFloorAndRemembersTheOriginal) {
  ScaleAction a = DecideScaleAction(Hpa(2, 50), 12, kPolicy, /*shadow=*/false);
  EXPECT_EQ(a.write, ScaleWrite::kPatchHpaMinReplicas);
  EXPECT_EQ(a.replicas, 12);
  EXPECT_TRUE(a.set_owner);
  ASSERT_TRUE(a.record_original_min.has_value());
  EXPECT_EQ(*a.record_original_min, 2);
}

TEST(ScaleActionTest, NoWriteWhenNothingChanges) {
  ObservedTarget t = Hpa(12, 50);
  t.original_min_replicas = 2;
  t.owner = std::string(kPolicy);
  EXPECT_EQ(DecideScaleAction(t, 12, kPolicy, false).write, ScaleWrite::kNone);
  // A plan below the operator's floor with the floor in place: nothing to do.
  EXPECT_EQ(DecideScaleAction(Hpa(2, 50), 1, kPolicy, false).write, ScaleWrite::kNone);
  EXPECT_EQ(DecideScaleAction(Plain(5), 5, kPolicy, false).write, ScaleWrite::kNone);
}

TEST(ScaleActionTest, NeverBelowTheOperatorsFloor) {
  ObservedTarget t = Hpa(12, 50);
  t.original_min_replicas = 3;
  t.owner = std::string(kPolicy);
  ScaleAction a = DecideScaleAction(t, 0, kPolicy, false);
  EXPECT_EQ(a.write, ScaleWrite::kPatchHpaMinReplicas);
  EXPECT_EQ(a.replicas, 3);
  EXPECT_FALSE(a.record_original_min.has_value());  // the first original is kept
  EXPECT_FALSE(a.set_owner);
}

TEST(ScaleActionTest, NeverAboveTheHpaCeiling) {
  ScaleAction a = DecideScaleAction(Hpa(2, 20), 80, kPolicy, false);
  EXPECT_EQ(a.write, ScaleWrite::kPatchHpaMinReplicas);
  EXPECT_EQ(a.replicas, 20);
  EXPECT_NE(a.reason.find("maxReplicas"), std::string::npos);
}

TEST(ScaleActionTest, ScaleSubresourceWithoutHpa) {
  ScaleAction a = DecideScaleAction(Plain(3), 9, kPolicy, false);
  EXPECT_EQ(a.write, ScaleWrite::kPatchScale);
  EXPECT_EQ(a.replicas, 9);
  EXPECT_EQ(DecideScaleAction(Plain(9), 4, kPolicy, false).replicas, 4);
  EXPECT_EQ(DecideScaleAction(Plain(3), -7, kPolicy, false).replicas, 0);
}

TEST(ScaleActionTest, ShadowWritesNothingButSaysWhatItWould) {
  ScaleAction a = DecideScaleAction(Hpa(2, 50), 12, kPolicy, /*shadow=*/true);
  EXPECT_EQ(a.write, ScaleWrite::kNone);
  EXPECT_FALSE(a.set_owner);
  EXPECT_FALSE(a.record_original_min.has_value());
  EXPECT_NE(a.reason.find("shadow"), std::string::npos);
}

TEST(ScaleActionTest, ConflictWithAnotherPolicy) {
  ObservedTarget t = Hpa(2, 50);
  t.owner = "campus/other";
  ScaleAction a = DecideScaleAction(t, 12, kPolicy, false);
  EXPECT_TRUE(a.conflict);
  EXPECT_EQ(a.write, ScaleWrite::kNone);
  EXPECT_NE(a.reason.find("campus/other"), std::string::npos);
}

TEST(ScaleActionTest, MissingWorkload) {
  ObservedTarget t;
  EXPECT_EQ(DecideScaleAction(t, 5, kPolicy, false).write, ScaleWrite::kNone);
}

TEST(RestoreTest, RestoresTheOperatorsFloor) {
  ObservedTarget t = Hpa(12, 50);
  t.original_min_replicas = 2;
  t.owner = std::string(kPolicy);
  RestoreAction r = DecideRestore(t, kPolicy);
  EXPECT_TRUE(r.restore_hpa);
  EXPECT_EQ(r.min_replicas, 2);
  EXPECT_TRUE(r.clear_annotations);
}

TEST(RestoreTest, LeavesOthersAlone) {
  ObservedTarget t = Hpa(12, 50);
  t.original_min_replicas = 2;
  t.owner = "campus/other";
  RestoreAction r = DecideRestore(t, kPolicy);
  EXPECT_FALSE(r.restore_hpa);
  EXPECT_FALSE(r.clear_annotations);
  ObservedTarget plain = Plain(7);
  plain.owner = std::string(kPolicy);
  r = DecideRestore(plain, kPolicy);
  EXPECT_FALSE(r.restore_hpa);
  EXPECT_TRUE(r.clear_annotations);
}

}  // namespace
}  // namespace prebell
