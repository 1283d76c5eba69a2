#include "policies/planner/scaling_policy_manifest.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

constexpr const char* kLondon = R"(apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata:
  name: live-stack
  namespace: campus
spec:
  timetableSelector:
    matchLabels:
      prebell.io/stack: live
  demand:
    connectionsQuery: sum(gateway_connections)
  targets:
  - name: gateway
    scaleTargetRef:
      apiVersion: apps/v1
      kind: Deployment
      name: gateway
    connectionsPerReplica: 2500
    warmup: 90s
    minReplicas: 2
    maxReplicas: 200
)";

TEST(ScalingPolicyManifest, ParsesTheSampleWithDefaults) {
  auto r = ParseScalingPolicyManifest(kLondon, "policy.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  const ScalingPolicy& p = (*r)[0];
  EXPECT_EQ(p.name, "live-stack");
  EXPECT_EQ(p.namespace_name, "campus");
  EXPECT_EQ(p.timetable_selector.match_labels.at("prebell.io/stack"), "live");
  EXPECT_EQ(p.connections_query, "sum(gateway_connections)");
  EXPECT_EQ(p.mode, PolicyMode::kActive);
  ASSERT_EQ(p.targets.size(), 1u);
  const ScalingTarget& t = p.targets[0];
  EXPECT_EQ(t.name, "gateway");
  EXPECT_EQ(t.scale_target_ref.kind, "Deployment");
  EXPECT_EQ(t.unit, CapacityUnit::kConnections);
  EXPECT_EQ(t.per_replica, 2500);
  EXPECT_EQ(t.warmup, std::chrono::seconds(90));
  EXPECT_EQ(t.min_replicas, 2);
  EXPECT_EQ(t.max_replicas, 200);
  // Defaults (docs/planner.md).
  EXPECT_DOUBLE_EQ(t.headroom, 0.1);
  EXPECT_FALSE(t.max_scale_up_step.limited());
  EXPECT_EQ(t.max_scale_down_step.percent, 50.0);
  EXPECT_EQ(t.step_period, std::chrono::seconds(15));
  EXPECT_EQ(t.scale_down_delay, std::chrono::minutes(2));
  EXPECT_TRUE(ValidateScalingPolicy(p).ok());
}

TEST(ScalingPolicyManifest, EveryFieldAndAMediaTarget) {
  auto r = ParseScalingPolicyManifest(R"(apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata: {name: p, labels: {team: a}}
spec:
  mode: Shadow
  timetableSelector:
    matchExpressions:
    - {key: tier, operator: In, values: [live, exams]}
  demand: {connectionsQuery: 'sum(centrifugo_node_num_clients)'}
  targets:
  - name: gateway
    scaleTargetRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: gw}
    connectionsPerReplica: 5000
    warmup: 2m
    minReplicas: 0
    maxReplicas: 50
    headroom: 0.25
    maxScaleUpStep: 10
    maxScaleDownStep: 25%
    stepPeriod: 30s
    scaleDownDelay: 0s
  - name: media
    scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: livekit}
    sessionsPerReplica: 20
    maxReplicas: 10
)",
                                      "p.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const ScalingPolicy& p = (*r)[0];
  EXPECT_EQ(p.namespace_name, "default");
  EXPECT_EQ(p.mode, PolicyMode::kShadow);
  ASSERT_EQ(p.timetable_selector.match_expressions.size(), 1u);
  EXPECT_TRUE(p.timetable_selector.Matches({{"tier", "exams"}}));
  EXPECT_FALSE(p.timetable_selector.Matches({{"tier", "other"}}));
  const ScalingTarget& g = p.targets[0];
  EXPECT_EQ(g.min_replicas, 0);
  EXPECT_EQ(g.headroom, 0.25);
  EXPECT_EQ(g.max_scale_up_step.replicas, 10);
  EXPECT_EQ(g.max_scale_down_step.percent, 25.0);
  EXPECT_EQ(g.step_period, std::chrono::seconds(30));
  EXPECT_EQ(g.scale_down_delay, std::chrono::seconds(0));
  const ScalingTarget& m = p.targets[1];
  EXPECT_EQ(m.unit, CapacityUnit::kSessions);
  EXPECT_EQ(m.per_replica, 20);
  EXPECT_EQ(m.min_replicas, 1);
}

TEST(ScalingPolicyManifest, ReportsEveryProblemWithFileLineAndField) {
  auto r = ParseScalingPolicyManifest(R"(apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata:
  name: p
spec:
  mode: Loud
  demand:
    connectionsQuery: q
  targets:
  - name: Gateway
    scaleTargetRef: {apiVersion: apps/v1, kind: Pod, name: gw}
    connectionsPerReplica: 2500
    sessionsPerReplica: 3
    warmup: 90x
    minReplicas: 5
    maxReplicas: 3
    headroom: -1
    maxScaleDownStep: 0
    minReplica: 2
  - name: redis
    scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: redis}
    connectionsPerReplica: abc
)",
                                      "policy.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = r.status().message();
  for (const char* expected : {
           "policy.yaml:6: spec.mode: 'Loud' is not Active or Shadow",
           "policy.yaml:10: spec.targets[0].name: 'Gateway' is not a DNS label",
           "policy.yaml:11: spec.targets[0].scaleTargetRef.kind: 'Pod' is not Deployment",
           "policy.yaml:13: spec.targets[0]: give either connectionsPerReplica or "
           "sessionsPerReplica, not both",
           "policy.yaml:14: spec.targets[0].warmup: '90x' is not a duration",
           "policy.yaml:16: spec.targets[0].maxReplicas: must be at least minReplicas (5), got 3",
           "policy.yaml:17: spec.targets[0].headroom: must be a fraction in [0, 10]",
           "policy.yaml:18: spec.targets[0].maxScaleDownStep: '0' is not a replica count",
           "policy.yaml:19: spec.targets[0].minReplica: unknown field",
           "policy.yaml:22: spec.targets[1].connectionsPerReplica: 'abc' is not a finite number",
           "policy.yaml:20: spec.targets[1].maxReplicas: required",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << m;
  }
}

TEST(ScalingPolicyManifest, StructuralProblems) {
  auto bad_yaml = ParseScalingPolicyManifest("spec: [unclosed", "x.yaml");
  ASSERT_FALSE(bad_yaml.ok());
  EXPECT_NE(bad_yaml.status().message().find("x.yaml:1: (document): not valid YAML"),
            std::string::npos);

  // yaml-cpp 0.7's LoadAll would loop forever here.
  auto no_node = ParseScalingPolicyManifest("# policies\n,u\n", "x.yaml");
  ASSERT_FALSE(no_node.ok());
  EXPECT_NE(no_node.status().message().find("x.yaml:2: (document): not valid YAML"),
            std::string::npos)
      << no_node.status().message();

  auto none = ParseScalingPolicyManifest("apiVersion: v1\nkind: ConfigMap\n", "x.yaml");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "x.yaml: kind: no ScalingPolicy document in the file");

  auto no_targets = ParseScalingPolicyManifest(
      "apiVersion: prebell.io/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: p}\nspec:\n  "
      "targets: []\n",
      "x.yaml");
  ASSERT_FALSE(no_targets.ok());
  EXPECT_NE(no_targets.status().message().find("spec.targets: expected a non-empty list"),
            std::string::npos);

  auto wrong_version = ParseScalingPolicyManifest(
      "apiVersion: prebell.io/v2\nkind: ScalingPolicy\nmetadata: {name: p}\nspec: {targets: "
      "[]}\n",
      "x.yaml");
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_NE(wrong_version.status().message().find("x.yaml:1: apiVersion: 'prebell.io/v2' is not "
                                                  "supported"),
            std::string::npos);
}

TEST(ScalingPolicyManifest, ConnectionsTargetsNeedAQuery) {
  auto r = ParseScalingPolicyManifest(R"(apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata: {name: p}
spec:
  targets:
  - name: gateway
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gw}
    connectionsPerReplica: 100
    maxReplicas: 3
)",
                                      "p.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("spec.demand.connectionsQuery: required"), std::string::npos);
}

TEST(ScalingPolicyManifest, SkipsOtherKindsAndDuplicateTargetNamesFail) {
  auto r = ParseScalingPolicyManifest(R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata: {name: t}
spec: {timeZone: UTC}
---
apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata: {name: p}
spec:
  targets:
  - {name: m, scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, sessionsPerReplica: 2, maxReplicas: 3}
  - {name: m, scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: b}, sessionsPerReplica: 2, maxReplicas: 3}
)",
                                      "p.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("p.yaml:12: spec.targets[1].name: duplicate target name 'm'"),
            std::string::npos)
      << r.status().message();
}

TEST(StepLimit, AllowedChange) {
  StepLimit none;
  EXPECT_FALSE(none.limited());
  StepLimit pods{4, std::nullopt};
  EXPECT_EQ(pods.AllowedChange(100), 4);
  StepLimit pct{std::nullopt, 50.0};
  EXPECT_EQ(pct.AllowedChange(10), 5);
  EXPECT_EQ(pct.AllowedChange(3), 2);
  EXPECT_EQ(pct.AllowedChange(1), 1);
  EXPECT_EQ(pct.AllowedChange(0), 1);  // never stuck
  StepLimit both{2, 50.0};
  EXPECT_EQ(both.AllowedChange(10), 2);
}

TEST(ValidateScalingPolicy, CatchesPoliciesBuiltInCode) {
  ScalingPolicy p;
  EXPECT_FALSE(ValidateScalingPolicy(p).ok());
  ScalingTarget t;
  t.name = "a";
  t.per_replica = -1;
  t.min_replicas = 3;
  t.max_replicas = 2;
  p.targets.push_back(t);
  const Status s = ValidateScalingPolicy(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("capacity per replica"), std::string::npos);
  EXPECT_NE(s.message().find("minReplicas <= maxReplicas"), std::string::npos);
}

}  // namespace
}  // namespace prebell
