#include "policies/planner/planning_inputs.h"

#include <gtest/gtest.h>

#include "policies/planner/reason_text.h"
#include "policies/planner/scenario.h"

namespace prebell {
namespace {

constexpr const char* kTimetable = R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata:
  name: term
  namespace: campus
  labels: {prebell.io/stack: live}
spec:
  timeZone: America/Chicago
  sessions:
  - name: c1-lecture
    kind: Class
    course: C1
    start: '2026-10-26T09:00:00'
    duration: 50m
    recurrence: FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261110T000000Z
    expectedAttendance: 300
  exclusions:
  - from: '2026-11-02'
    until: '2026-11-02'
    reason: Holiday
---
apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata:
  name: other
  namespace: campus
  labels: {prebell.io/stack: batch}
spec:
  timeZone: Europe/Paris
  sessions:
  - {name: x, kind: Exam, course: X, start: '2026-10-27T09:00:00', duration: 2h, expectedAttendance: 10}
)";

constexpr const char* kPolicy = R"(apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata: {name: p, namespace: campus}
spec:
  timetableSelector: {matchLabels: {prebell.io/stack: live}}
  demand: {connectionsQuery: q}
  targets:
  - {name: gateway, scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: g}, connectionsPerReplica: 1000, maxReplicas: 10}
)";

Instant Utc(const char* s) { return *ParseRfc3339(s); }

TEST(PlanningInputs, SelectsTimetablesExpandsAndTakesTheZone) {
  auto in = BuildPlanningInputs({{"tt.yaml", kTimetable}}, {"p.yaml", kPolicy},
                                Utc("2026-10-01T00:00:00Z"), Utc("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(in.ok()) << in.status().message();
  ASSERT_EQ(in->timetables.size(), 1u);
  EXPECT_EQ(in->timetables[0].name, "term");
  EXPECT_EQ(in->zone.name(), "America/Chicago");
  // Mon/Wed 26 Oct - 9 Nov minus the holiday: 26, 28 Oct, 4, 9 Nov.
  ASSERT_EQ(in->occurrences.size(), 4u);
  EXPECT_EQ(in->occurrences[0].start, Utc("2026-10-26T14:00:00Z"));  // CDT
  EXPECT_EQ(in->occurrences[2].start, Utc("2026-11-04T15:00:00Z"));  // CST after 1 Nov
  ASSERT_EQ(in->notes.size(), 1u);
  EXPECT_NE(in->notes[0].find("campus/other is not selected"), std::string::npos);
}

TEST(PlanningInputs, HandWrittenCronsIgnoreExclusions) {
  auto in = BuildPlanningInputs({{"tt.yaml", kTimetable}}, {"p.yaml", kPolicy},
                                Utc("2026-10-01T00:00:00Z"), Utc("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(in.ok());
  auto cron = HandWrittenCronWindows(in->timetables, Utc("2026-10-01T00:00:00Z"),
                                     Utc("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(cron.ok());
  ASSERT_EQ(cron->size(), 5u);  // the holiday too
  EXPECT_EQ((*cron)[0].from, Utc("2026-10-26T13:45:00Z"));
  EXPECT_EQ((*cron)[0].to, Utc("2026-10-26T14:50:00Z"));
  EXPECT_EQ((*cron)[0].attendance, 300);
}

TEST(PlanningInputs, ProblemsOfAllFilesTogether) {
  auto in = BuildPlanningInputs(
      {{"tt.yaml",
        "apiVersion: prebell.io/v1alpha1\nkind: Timetable\nmetadata: {name: t}\n"
        "spec: {timeZone: Mars/Olympus}\n"}},
      {"p.yaml",
       "apiVersion: prebell.io/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: p}\n"
       "spec: {targets: []}\n"},
      Utc("2026-10-01T00:00:00Z"), Utc("2026-12-01T00:00:00Z"));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(in.status().message().find("p.yaml:4: spec.targets"), std::string::npos)
      << in.status().message();
  EXPECT_NE(in.status().message().find("tt.yaml:4"), std::string::npos) << in.status().message();
}

TEST(PlanningInputs, ASelectorThatSelectsNothingIsBadInput) {
  std::string policy = kPolicy;
  policy.replace(policy.find("stack: live"), 11, "stack: none");
  auto in = BuildPlanningInputs({{"tt.yaml", kTimetable}}, {"p.yaml", policy},
                                Utc("2026-10-01T00:00:00Z"), Utc("2026-12-01T00:00:00Z"));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().message(),
            "p.yaml: spec.timetableSelector: selects none of the given timetables (matchLabels "
            "prebell.io/stack=none)");
}

TEST(Scenario, ParsesTheSharedFormat) {
  auto s = ParseScenarioJson(R"({"scenario": "x", "eval_from": 100, "eval_to": 200, "step": 15,
      "target": "gateway", "unforetold": [{"start": "2026-10-29T13:00:00+00:00", "what": "viral"}]})",
                             "scenario.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(*s->eval_from, Instant{std::chrono::seconds{100}});
  EXPECT_EQ(*s->step, std::chrono::seconds(15));
  EXPECT_EQ(s->target, "gateway");
  ASSERT_EQ(s->UnforetoldWindows().size(), 1u);
  EXPECT_EQ(s->UnforetoldWindows()[0].from, Utc("2026-10-29T12:45:00Z"));
  EXPECT_EQ(s->UnforetoldWindows()[0].to, Utc("2026-10-29T14:30:00Z"));
}

TEST(Scenario, ErrorsNameTheField) {
  auto bad =
      ParseScenarioJson(R"({"eval_from": "soon", "unforetold": [{"start": "x"}]})", "s.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("s.json: eval_from: expected unix seconds"),
            std::string::npos);
  EXPECT_NE(bad.status().message().find("s.json: unforetold[0].start:"), std::string::npos);
  auto not_json = ParseScenarioJson("{", "s.json");
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.status().message().find("not valid JSON"), std::string::npos);
  auto empty = ParseScenarioJson(R"({"eval_from": 5, "eval_to": 5})", "s.json");
  EXPECT_FALSE(empty.ok());
}

TEST(ReasonText, Formats) {
  EXPECT_EQ(FormatThousands(3100.4), "3,100");
  EXPECT_EQ(FormatThousands(999), "999");
  EXPECT_EQ(FormatThousands(-1234567), "-1,234,567");
  const TimeZone london = *TimeZone::Find("Europe/London");
  EXPECT_EQ(FormatLocalWeekdayTime(Utc("2026-10-20T08:00:00Z"), london), "Tue 09:00");
  EXPECT_EQ(FormatLocalWeekdayTime(Utc("2026-10-27T09:00:00Z"), london), "Tue 09:00");
}

}  // namespace
}  // namespace prebell
