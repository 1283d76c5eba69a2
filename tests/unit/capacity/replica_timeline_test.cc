#include "policies/capacity/replica_timeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace prebell {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Instant At(int64_t s) { return Instant{seconds{s}}; }

ScalingTarget Gateway() {
  ScalingTarget t;
  t.name = "gateway";
  t.per_replica = 1000;
  t.headroom = 0;
  t.min_replicas = 2;
  t.max_replicas = 20;
  t.warmup = seconds(90);
  t.scale_down_delay = seconds(120);
  t.step_period = seconds(15);
  t.max_scale_down_step = {};
  return t;
}

// Replicas in force at `t` according to the timeline.
int32_t At(const CapacityTimeline& tl, Instant t) {
  int32_t r = tl.steps.front().replicas;
  for (const ReplicaStep& s : tl.steps) {
    if (s.from <= t) r = s.replicas;
  }
  return r;
}

TEST(ReplicasForDemand, CeilWithHeadroomWithinFloorAndCeiling) {
  ScalingTarget t = Gateway();
  EXPECT_EQ(ReplicasForDemand(0, t), 2);
  EXPECT_EQ(ReplicasForDemand(2500, t), 3);
  EXPECT_EQ(ReplicasForDemand(3000, t), 3);
  EXPECT_EQ(ReplicasForDemand(3000.5, t), 4);
  t.headroom = 0.2;
  EXPECT_EQ(ReplicasForDemand(5000, t), 6);
  EXPECT_EQ(ReplicasForDemand(1e7, t), 20);
}

TEST(ReplicasForDemand, GuardRailsNaNNegativeInfinite) {
  const ScalingTarget t = Gateway();
  std::string note;
  EXPECT_EQ(ReplicasForDemand(std::numeric_limits<double>::quiet_NaN(), t, &note), 2);
  EXPECT_EQ(note, "demand is not a number: ignored, minReplicas 2 kept");
  EXPECT_EQ(ReplicasForDemand(-500, t, &note), 2);
  EXPECT_EQ(note, "negative demand -500 ignored");
  EXPECT_EQ(ReplicasForDemand(std::numeric_limits<double>::infinity(), t, &note), 20);
  EXPECT_EQ(note, "demand +inf needs more than maxReplicas 20: capped at the ceiling");
  EXPECT_EQ(ReplicasForDemand(1e300, t, &note), 20);
}

TEST(ReplicasForDemand, BrokenTargetValuesStillGiveBoundedAnswers) {
  ScalingTarget t = Gateway();
  t.per_replica = 0;  // would divide by zero
  t.headroom = std::numeric_limits<double>::quiet_NaN();
  const int32_t r = ReplicasForDemand(5, t);
  EXPECT_GE(r, 2);
  EXPECT_LE(r, 20);
}

TEST(PlanReplicas, AsksWarmupAheadAndReleasesAfterTheDelay) {
  const ScalingTarget t = Gateway();
  CapacityRequest req;
  req.now = At(0);
  req.until = At(3600);
  req.demand = {{At(600), At(1200), 7500, 1}};
  const CapacityTimeline tl = PlanReplicas(t, req);
  EXPECT_EQ(At(tl, At(0)), 2);
  EXPECT_EQ(At(tl, At(600 - 90 - 1)), 2);
  EXPECT_EQ(At(tl, At(600 - 90)), 8);  // ready exactly at 600
  EXPECT_EQ(At(tl, At(1200 + 119)), 8);
  EXPECT_EQ(At(tl, At(1200 + 120)), 2);
  ASSERT_EQ(tl.steps.size(), 3u);
  EXPECT_EQ(tl.steps[1].why, ReplicaWhy::kWarmupAhead);
  EXPECT_EQ(tl.steps[1].cause, 1);
  EXPECT_EQ(tl.steps[2].why, ReplicaWhy::kFloor);
}

TEST(PlanReplicas, RoundsAskTimesDownToTheStepGrid) {
  const ScalingTarget t = Gateway();
  CapacityRequest req;
  req.now = At(0);
  req.until = At(3600);
  req.demand = {{At(607), At(1200), 7500, 1}};  // 607 - 90 = 517, not on the 15 s grid
  const CapacityTimeline tl = PlanReplicas(t, req);
  EXPECT_EQ(tl.steps[1].from, At(510));  // earlier, never later
}

TEST(PlanReplicas, TakesTheMaximumOfOverlappingDemand) {
  const ScalingTarget t = Gateway();
  CapacityRequest req;
  req.now = At(0);
  req.until = At(3600);
  req.demand = {{At(600), At(1800), 4000, 1}, {At(900), At(1200), 9000, 2}};
  const CapacityTimeline tl = PlanReplicas(t, req);
  EXPECT_EQ(At(tl, At(700)), 4);
  EXPECT_EQ(At(tl, At(900 - 90)), 9);
  EXPECT_EQ(At(tl, At(1200 + 120)), 4);
  EXPECT_EQ(At(tl, At(1800 + 120)), 2);
}

TEST(PlanReplicas, ScaleDownStepLimitStepsDownEachPeriod) {
  ScalingTarget t = Gateway();
  t.scale_down_delay = seconds(0);
  t.max_scale_down_step.replicas = 3;
  CapacityRequest req;
  req.now = At(0);
  req.until = At(600);
  req.current = 12;
  req.demand = {};
  const CapacityTimeline tl = PlanReplicas(t, req);
  ASSERT_GE(tl.steps.size(), 4u);
  EXPECT_EQ(tl.steps[0].replicas, 9);
  EXPECT_EQ(tl.steps[0].why, ReplicaWhy::kStepLimitDown);
  EXPECT_EQ(At(tl, At(15)), 6);
  EXPECT_EQ(At(tl, At(30)), 3);
  EXPECT_EQ(At(tl, At(45)), 2);
}

TEST(PlanReplicas, PercentScaleDownLimitKeepsAtLeastOneReplicaPerStep) {
  ScalingTarget t = Gateway();
  t.scale_down_delay = seconds(0);
  t.max_scale_down_step.percent = 50;
  CapacityRequest req;
  req.now = At(0);
  req.until = At(600);
  req.current = 20;
  const CapacityTimeline tl = PlanReplicas(t, req);
  EXPECT_EQ(At(tl, At(0)), 10);
  EXPECT_EQ(At(tl, At(15)), 5);
  EXPECT_EQ(At(tl, At(30)), 2);
}

TEST(PlanReplicas, ScaleUpLimitStartsTheRampEarlyEnoughToArriveInTime) {
  ScalingTarget t = Gateway();
  t.max_scale_up_step.replicas = 4;
  CapacityRequest req;
  req.now = At(0);
  req.until = At(3600);
  req.demand = {{At(1200), At(1800), 18000, 1}};
  const CapacityTimeline tl = PlanReplicas(t, req);
  // 18 replicas must be asked by 1200 - 90 = 1110; from 2 in steps of 4:
  // 2 -> 6 -> 10 -> 14 -> 18 takes four steps: 1065, 1080, 1095, 1110.
  EXPECT_EQ(At(tl, At(1110)), 18);
  EXPECT_EQ(At(tl, At(1095)), 14);
  EXPECT_EQ(At(tl, At(1080)), 10);
  EXPECT_EQ(At(tl, At(1065)), 6);
  EXPECT_EQ(At(tl, At(1050)), 2);
  for (size_t i = 1; i < tl.steps.size(); ++i) {
    EXPECT_LE(tl.steps[i].replicas - tl.steps[i - 1].replicas, 4);
  }
}

TEST(PlanReplicas, ScaleUpLimitAppliesFromTheCurrentValue) {
  ScalingTarget t = Gateway();
  t.max_scale_up_step.replicas = 2;
  CapacityRequest req;
  req.now = At(0);
  req.until = At(120);
  req.current = 2;
  req.demand = {{At(0), At(600), 10000, 1}};
  const CapacityTimeline tl = PlanReplicas(t, req);
  EXPECT_EQ(tl.steps[0].replicas, 4);
  EXPECT_EQ(tl.steps[0].why, ReplicaWhy::kStepLimitUp);
  EXPECT_EQ(At(tl, At(15)), 6);
}

TEST(PlanReplicas, NeverOutsideFloorAndCeilingWhateverTheInput) {
  const ScalingTarget t = Gateway();
  CapacityRequest req;
  req.now = At(0);
  req.until = At(3600);
  req.current = 500;  // someone scaled by hand far above the ceiling
  const double nan = std::numeric_limits<double>::quiet_NaN();
  req.demand = {{At(100), At(200), nan, 1},
                {At(300), At(400), -1e9, 2},
                {At(500), At(600), std::numeric_limits<double>::infinity(), 3},
                {At(700), At(650), 1e6, 4}};  // inverted: ignored
  const CapacityTimeline tl = PlanReplicas(t, req);
  for (const ReplicaStep& s : tl.steps) {
    EXPECT_GE(s.replicas, 2);
    EXPECT_LE(s.replicas, 20);
  }
  EXPECT_EQ(At(tl, At(550)), 20);
  ASSERT_EQ(tl.notes.size(), 3u);
  EXPECT_NE(tl.notes[0].text.find("not a number"), std::string::npos);
  EXPECT_NE(tl.notes[1].text.find("negative"), std::string::npos);
  EXPECT_NE(tl.notes[2].text.find("capped"), std::string::npos);
}

TEST(PlanReplicas, EmptyDemandIsTheFloor) {
  const ScalingTarget t = Gateway();
  CapacityRequest req;
  req.now = At(0);
  req.until = At(60);
  const CapacityTimeline tl = PlanReplicas(t, req);
  ASSERT_EQ(tl.steps.size(), 1u);
  EXPECT_EQ(tl.steps[0].replicas, 2);
  EXPECT_EQ(tl.steps[0].why, ReplicaWhy::kFloor);
}

TEST(PlanReplicas, DemandThatEndedBeforeNowStillHoldsForTheDelay) {
  const ScalingTarget t = Gateway();
  CapacityRequest req;
  req.now = At(1000);
  req.until = At(2000);
  req.demand = {{At(0), At(950), 6000, 1}};
  const CapacityTimeline tl = PlanReplicas(t, req);
  EXPECT_EQ(tl.steps[0].replicas, 6);
  EXPECT_EQ(tl.steps[0].why, ReplicaWhy::kScaleDownDelay);
  // Released with the step period that holds 950 + 120 (cells start at now).
  EXPECT_EQ(At(tl, At(1060)), 6);
  EXPECT_EQ(At(tl, At(1075)), 2);
}

}  // namespace
}  // namespace prebell
