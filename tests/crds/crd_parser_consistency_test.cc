// The CRDs (crds/) and the manifest parsers (policies/) describe the same
// resources twice: the API server validates and defaults an object with the
// CRD, `prebell plan`/`backtest` and the controller read it with the parser.
// These tests keep the two in step:
// - every field the CRD declares is one the parser knows (the parser rejects
//   unknown fields, so a name that differs fails here);
// - every default the CRD applies is the parser's own default: a manifest
//   with the CRD's defaults written out parses to the same value as one that
//   leaves them out, so a policy plans the same from a file and from the
//   cluster.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "policies/planner/scaling_policy_manifest.h"
#include "policies/timetable/timetable_manifest.h"

namespace prebell {
namespace {

YAML::Node LoadCrd(const std::string& file) {
  const std::string path = std::string(PREBELL_SOURCE_DIR) + "/crds/" + file;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return YAML::Load(text.str());
}

YAML::Node SpecSchema(const YAML::Node& crd) {
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
}

std::string Emit(const YAML::Node& n) {
  YAML::Emitter out;
  out << n;
  return out.c_str();
}

// Property name -> its `default`, for the properties of an object schema.
std::map<std::string, YAML::Node> Defaults(const YAML::Node& object_schema) {
  std::map<std::string, YAML::Node> out;
  for (const auto& kv : object_schema["properties"]) {
    if (kv.second["default"]) out[kv.first.as<std::string>()] = kv.second["default"];
  }
  return out;
}

std::set<std::string> Properties(const YAML::Node& object_schema) {
  std::set<std::string> out;
  for (const auto& kv : object_schema["properties"]) out.insert(kv.first.as<std::string>());
  return out;
}

// ---- ScalingPolicy ----------------------------------------------------------

YAML::Node MinimalPolicy() {
  return YAML::Load(R"(
apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata: {name: p, namespace: campus}
spec:
  timetableSelector: {matchLabels: {prebell.io/stack: live}}
  demand: {connectionsQuery: sum(x)}
  targets:
  - name: gateway
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gw}
    connectionsPerReplica: 2500
    maxReplicas: 20
)");
}

ScalingPolicy ParsePolicy(const YAML::Node& doc) {
  StatusOr<std::vector<ScalingPolicy>> parsed = ParseScalingPolicyManifest(Emit(doc), "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << Emit(doc);
  if (!parsed.ok() || parsed->size() != 1) return {};
  return parsed->front();
}

void ExpectSameTarget(const ScalingTarget& a, const ScalingTarget& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.per_replica, b.per_replica);
  EXPECT_EQ(a.warmup, b.warmup);
  EXPECT_EQ(a.min_replicas, b.min_replicas);
  EXPECT_EQ(a.max_replicas, b.max_replicas);
  EXPECT_EQ(a.headroom, b.headroom);
  EXPECT_EQ(a.max_scale_up_step.replicas, b.max_scale_up_step.replicas);
  EXPECT_EQ(a.max_scale_up_step.percent, b.max_scale_up_step.percent);
  EXPECT_EQ(a.max_scale_down_step.replicas, b.max_scale_down_step.replicas);
  EXPECT_EQ(a.max_scale_down_step.percent, b.max_scale_down_step.percent);
  EXPECT_EQ(a.step_period, b.step_period);
  EXPECT_EQ(a.scale_down_delay, b.scale_down_delay);
}

TEST(ScalingPolicyCrd, DefaultsAreTheParsersDefaults) {
  const YAML::Node spec = SpecSchema(LoadCrd("prebell.io_scalingpolicies.yaml"));
  const std::map<std::string, YAML::Node> target_defaults =
      Defaults(spec["properties"]["targets"]["items"]);
  const std::map<std::string, YAML::Node> spec_defaults = Defaults(spec);
  // Not vacuous: the defaults docs/install.md documents are all there.
  for (const char* field :
       {"headroom", "warmup", "minReplicas", "maxScaleDownStep", "stepPeriod", "scaleDownDelay"}) {
    EXPECT_TRUE(target_defaults.count(field)) << "the CRD has no default for targets[]." << field;
  }
  ASSERT_TRUE(spec_defaults.count("mode"));

  const ScalingPolicy omitted = ParsePolicy(MinimalPolicy());
  YAML::Node explicit_doc = MinimalPolicy();
  for (const auto& [field, value] : target_defaults)
    explicit_doc["spec"]["targets"][0][field] = value;
  for (const auto& [field, value] : spec_defaults) explicit_doc["spec"][field] = value;
  const ScalingPolicy written = ParsePolicy(explicit_doc);

  ASSERT_EQ(omitted.targets.size(), 1u);
  ASSERT_EQ(written.targets.size(), 1u);
  SCOPED_TRACE("CRD defaults written out:\n" + Emit(explicit_doc));
  ExpectSameTarget(omitted.targets[0], written.targets[0]);
  EXPECT_EQ(omitted.mode, written.mode);
}

TEST(ScalingPolicyCrd, EveryCrdFieldIsOneTheParserKnows) {
  const YAML::Node spec = SpecSchema(LoadCrd("prebell.io_scalingpolicies.yaml"));
  // A valid value for every property the CRD declares on a target; a new CRD
  // field without one here fails the test, so it gets checked too.
  const std::map<std::string, std::string> samples = {
      {"name", "gateway"},
      {"scaleTargetRef", "{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: gw}"},
      {"connectionsPerReplica", "2500"},
      {"headroom", "0.25"},
      {"warmup", "90s"},
      {"minReplicas", "2"},
      {"maxReplicas", "40"},
      {"maxScaleUpStep", "10"},
      {"maxScaleDownStep", "25%"},
      {"stepPeriod", "30s"},
      {"scaleDownDelay", "10m"},
  };
  YAML::Node doc = MinimalPolicy();
  YAML::Node target = doc["spec"]["targets"][0];
  for (const std::string& field : Properties(spec["properties"]["targets"]["items"])) {
    if (field == "sessionsPerReplica") continue;  // exclusive with connectionsPerReplica
    auto it = samples.find(field);
    ASSERT_NE(it, samples.end()) << "no sample value for the CRD's targets[]." << field;
    target[field] = YAML::Load(it->second);
  }
  doc["spec"]["mode"] = "Shadow";
  const ScalingPolicy p = ParsePolicy(doc);
  ASSERT_EQ(p.targets.size(), 1u);
  EXPECT_EQ(p.mode, PolicyMode::kShadow);
  EXPECT_EQ(p.targets[0].max_scale_down_step.percent, 25.0);
  EXPECT_EQ(p.targets[0].step_period, std::chrono::seconds(30));

  // The other capacity unit, and every selector form the CRD allows.
  YAML::Node media = MinimalPolicy();
  media["spec"]["targets"][0].remove("connectionsPerReplica");
  media["spec"]["targets"][0]["sessionsPerReplica"] = 20;
  media["spec"]["timetableSelector"] = YAML::Load(
      "{matchLabels: {a: b}, matchExpressions: [{key: tier, operator: In, values: [x]}, "
      "{key: t2, operator: Exists}]}");
  for (const std::string& field : Properties(spec["properties"]["timetableSelector"])) {
    EXPECT_TRUE(media["spec"]["timetableSelector"][field]) << field;
  }
  const ScalingPolicy m = ParsePolicy(media);
  ASSERT_EQ(m.targets.size(), 1u);
  EXPECT_EQ(m.targets[0].unit, CapacityUnit::kSessions);
  EXPECT_EQ(Properties(spec),
            (std::set<std::string>{"timetableSelector", "demand", "targets", "mode"}));
}

// ---- Timetable --------------------------------------------------------------

YAML::Node MinimalTimetable() {
  return YAML::Load(R"(
apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata: {name: term, namespace: campus}
spec:
  timeZone: Europe/London
  sessions:
  - name: c100
    start: "2026-09-28T09:00:00"
    duration: 90m
  calendars:
  - configMapRef: {name: lms, key: term.ics}
  exclusions:
  - {from: "2026-10-26", until: "2026-10-27"}
)");
}

Timetable ParseTimetable(const YAML::Node& doc) {
  StatusOr<std::vector<Timetable>> parsed = ParseTimetableManifest(Emit(doc), "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << Emit(doc);
  if (!parsed.ok() || parsed->size() != 1) return {};
  return parsed->front();
}

TEST(TimetableCrd, DefaultsAreTheParsersDefaults) {
  const YAML::Node spec = SpecSchema(LoadCrd("prebell.io_timetables.yaml"));
  const auto session_defaults = Defaults(spec["properties"]["sessions"]["items"]);
  const auto calendar_defaults = Defaults(spec["properties"]["calendars"]["items"]);
  ASSERT_TRUE(session_defaults.count("kind"));
  ASSERT_TRUE(calendar_defaults.count("kind"));

  const Timetable omitted = ParseTimetable(MinimalTimetable());
  YAML::Node doc = MinimalTimetable();
  for (const auto& [field, value] : session_defaults) doc["spec"]["sessions"][0][field] = value;
  for (const auto& [field, value] : calendar_defaults) doc["spec"]["calendars"][0][field] = value;
  const Timetable written = ParseTimetable(doc);
  ASSERT_EQ(omitted.sessions.size(), 1u);
  ASSERT_EQ(written.sessions.size(), 1u);
  ASSERT_EQ(omitted.calendars.size(), 1u);
  ASSERT_EQ(written.calendars.size(), 1u);
  EXPECT_EQ(omitted.sessions[0].kind, written.sessions[0].kind);
  EXPECT_EQ(omitted.calendars[0].kind, written.calendars[0].kind);
}

TEST(TimetableCrd, EveryCrdFieldIsOneTheParserKnows) {
  const YAML::Node spec = SpecSchema(LoadCrd("prebell.io_timetables.yaml"));
  const std::map<std::string, std::string> session_samples = {
      {"name", "c100"},
      {"kind", "Exam"},
      {"course", "C100"},
      {"start", "\"2026-09-28T09:00:00\""},
      {"duration", "1h30m"},
      {"recurrence", "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261216T000000Z"},
      {"expectedAttendance", "1600"},
  };
  const std::map<std::string, std::string> calendar_samples = {
      {"configMapRef", "{name: lms, key: term.ics}"},
      {"kind", "Event"},
      {"course", "C200"},
      {"expectedAttendance", "300"},
  };
  const std::map<std::string, std::string> exclusion_samples = {
      {"from", "\"2026-10-26\""}, {"until", "\"2026-10-27\""}, {"reason", "Reading days"}};

  YAML::Node doc = MinimalTimetable();
  auto fill = [](YAML::Node item, const YAML::Node& schema,
                 const std::map<std::string, std::string>& samples, const std::string& where) {
    for (const std::string& field : Properties(schema)) {
      auto it = samples.find(field);
      ASSERT_NE(it, samples.end()) << "no sample value for the CRD's " << where << field;
      item[field] = YAML::Load(it->second);
    }
  };
  fill(doc["spec"]["sessions"][0], spec["properties"]["sessions"]["items"], session_samples,
       "sessions[].");
  fill(doc["spec"]["calendars"][0], spec["properties"]["calendars"]["items"], calendar_samples,
       "calendars[].");
  fill(doc["spec"]["exclusions"][0], spec["properties"]["exclusions"]["items"], exclusion_samples,
       "exclusions[].");
  const Timetable t = ParseTimetable(doc);
  ASSERT_EQ(t.sessions.size(), 1u);
  EXPECT_EQ(t.sessions[0].kind, SessionKind::kExam);
  EXPECT_EQ(t.sessions[0].expected_attendance, 1600);
  ASSERT_EQ(t.calendars.size(), 1u);
  EXPECT_EQ(t.calendars[0].kind, SessionKind::kEvent);
  ASSERT_EQ(t.exclusions.size(), 1u);
  EXPECT_EQ(t.exclusions[0].reason, "Reading days");
  EXPECT_EQ(Properties(spec),
            (std::set<std::string>{"timeZone", "sessions", "calendars", "exclusions"}));
}

}  // namespace
}  // namespace prebell
