#include "policies/timetable/timetable_manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/time_zone.h"

namespace prebell {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The problem reported for `field`, or an empty one (and a failure).
ManifestProblem ProblemAt(const TimetableManifest& m, const std::string& field) {
  for (const ManifestProblem& p : m.problems) {
    if (p.field == field) return p;
  }
  ADD_FAILURE() << "no problem for " << field << "; problems:\n"
                << FormatManifestProblems(m.problems);
  return {};
}

constexpr const char* kValid = R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata:
  name: autumn-term
  namespace: campus
  labels:
    prebell.io/stack: live
  annotations:
    note: "written by hand"
spec:
  timeZone: Europe/London
  sessions:
  - name: cs101-lecture
    kind: Class
    course: CS101
    start: "2026-09-28T09:00:00"
    duration: 1h30m
    recurrence: FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261216T000000Z
    expectedAttendance: 420
  - name: cs101-exam
    kind: Exam
    start: 2026-12-14T14:00:00
    duration: 2h
  calendars:
  - configMapRef:
      name: exam-calendar
      key: exams.ics
    kind: Exam
    expectedAttendance: 300
  exclusions:
  - from: "2026-10-26"
    until: "2026-10-30"
    reason: Reading week
status:
  observedGeneration: 3
)";

TEST(TimetableManifestTest, ReadsAValidTimetable) {
  TimetableManifest m = ReadTimetableManifest(kValid, "term.yaml");
  ASSERT_TRUE(m.ok()) << FormatManifestProblems(m.problems);
  ASSERT_EQ(m.timetables.size(), 1u);
  const Timetable& t = m.timetables[0];
  EXPECT_EQ(t.name, "autumn-term");
  EXPECT_EQ(t.namespace_name, "campus");
  EXPECT_EQ(t.labels.at("prebell.io/stack"), "live");
  EXPECT_EQ(t.time_zone, "Europe/London");
  ASSERT_EQ(t.sessions.size(), 2u);
  EXPECT_EQ(t.sessions[0].name, "cs101-lecture");
  EXPECT_EQ(t.sessions[0].course, "CS101");
  EXPECT_EQ(FormatLocalDateTime(t.sessions[0].start), "2026-09-28T09:00:00");
  EXPECT_EQ(t.sessions[0].duration, std::chrono::minutes(90));
  EXPECT_EQ(t.sessions[0].recurrence, "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261216T000000Z");
  EXPECT_EQ(t.sessions[0].expected_attendance, 420);
  EXPECT_EQ(t.sessions[1].kind, SessionKind::kExam);
  EXPECT_EQ(t.sessions[1].course, "");
  EXPECT_EQ(t.sessions[1].expected_attendance, 0);  // optional in the CRD
  EXPECT_TRUE(t.sessions[1].recurrence.empty());
  ASSERT_EQ(t.calendars.size(), 1u);
  EXPECT_EQ(t.calendars[0].config_map, "exam-calendar");
  EXPECT_EQ(t.calendars[0].key, "exams.ics");
  EXPECT_EQ(t.calendars[0].kind, SessionKind::kExam);
  EXPECT_EQ(t.calendars[0].expected_attendance, 300);
  ASSERT_EQ(t.exclusions.size(), 1u);
  EXPECT_EQ(FormatLocalDate(t.exclusions[0].from), "2026-10-26");
  EXPECT_EQ(FormatLocalDate(t.exclusions[0].until), "2026-10-30");
  EXPECT_EQ(t.exclusions[0].reason, "Reading week");

  StatusOr<std::vector<Timetable>> parsed = ParseTimetableManifest(kValid, "term.yaml");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 1u);
}

TEST(TimetableManifestTest, SkipsScalingPoliciesAndEmptyDocuments) {
  const std::string text = std::string(kValid) + R"(---
apiVersion: prebell.io/v1alpha1
kind: ScalingPolicy
metadata:
  name: default
spec: {}
---
---
)";
  TimetableManifest m = ReadTimetableManifest(text, "all.yaml");
  ASSERT_TRUE(m.ok()) << FormatManifestProblems(m.problems);
  EXPECT_EQ(m.timetables.size(), 1u);
  ASSERT_EQ(m.skipped.size(), 1u);
  EXPECT_NE(m.skipped[0].find("ScalingPolicy"), std::string::npos);
}

TEST(TimetableManifestTest, OtherKindsAndApiVersionsAreErrorsNamingTheDocument) {
  const std::string text = std::string(kValid) + R"(---
apiVersion: v1
kind: ConfigMap
metadata:
  name: exam-calendar
data: {}
---
apiVersion: prebell.io/v1beta9
kind: Timetable
metadata:
  name: future
spec:
  timeZone: UTC
)";
  TimetableManifest m = ReadTimetableManifest(text, "mixed.yaml");
  ASSERT_EQ(m.problems.size(), 2u) << FormatManifestProblems(m.problems);
  EXPECT_EQ(m.problems[0].line, 37);
  EXPECT_NE(m.problems[0].message.find("document 2 (kind 'ConfigMap', apiVersion 'v1', name "
                                       "'exam-calendar') is not a prebell resource"),
            std::string::npos)
      << m.problems[0].ToString();
  EXPECT_EQ(m.problems[1].field, "apiVersion");
  EXPECT_EQ(m.problems[1].line, 43);
  EXPECT_NE(m.problems[1].message.find("document 3: apiVersion 'prebell.io/v1beta9' is not "
                                       "supported"),
            std::string::npos);
  // The valid document is still read.
  EXPECT_EQ(m.timetables.size(), 1u);
  EXPECT_FALSE(ParseTimetableManifest(text, "mixed.yaml").ok());
}

// One file with every kind of problem: all are reported, each with its line.
constexpr const char* kBroken = R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata:
  name: Broken_Name
spec:
  timeZone: Mars/Olympus
  sessions:
  - name: bad-duration
    start: "2026-09-28T09:00:00"
    duration: 90x
  - name: bad-rule
    start: "2026-09-28T09:00:00"
    duration: 1h
    recurrence: FREQ=WEEKLY;BYDAY=XX
  - name: utc-start
    start: "2026-09-28T09:00:00Z"
    duration: 1h
  - name: zero
    start: "2026-09-28T09:00:00"
    duration: 0m
  - name: crowd
    start: "2026-09-28T09:00:00"
    duration: 1h
    expectedAttendance: 20000000
  - name: fractional
    start: "2026-09-28T09:00:00"
    duration: 1h
    expectedAttendance: 12.5
  - name: quoted
    start: "2026-09-28T09:00:00"
    duration: 1h
    expectedAttendance: "100"
  - name: crowd
    start: "2026-09-29T09:00:00"
    duration: 1h
  - name: seminar
    kind: Seminar
    start: "2026-09-28T09:00:00"
    duration: 1h
  - start: "2026-09-28T09:00:00"
    duration: 1h
  - name: typo
    start: "2026-09-28T09:00:00"
    duration: 1h
    recurence: FREQ=WEEKLY
  - name: ended
    start: "2026-09-28T09:00:00"
    duration: 1h
    recurrence: FREQ=WEEKLY;UNTIL=20250101T000000Z
  - name: numeric-course
    course: 101
    start: "2026-09-28T09:00:00"
    duration: 1h
  exclusions:
  - from: "2026-10-30"
    until: "2026-10-26"
  - from: "2026-13-01"
    until: "2026-12-01"
)";

TEST(TimetableManifestTest, ReportsEveryProblemWithFileLineAndField) {
  TimetableManifest m = ReadTimetableManifest(kBroken, "broken.yaml");
  EXPECT_TRUE(m.timetables.empty());
  const std::string all = FormatManifestProblems(m.problems);

  ManifestProblem p = ProblemAt(m, "metadata.name");
  EXPECT_EQ(p.line, 4);
  EXPECT_NE(p.message.find("not a valid Kubernetes name"), std::string::npos);

  p = ProblemAt(m, "spec.timeZone");
  EXPECT_EQ(p.ToString().substr(0, 32), "broken.yaml:6: spec.timeZone: un");
  EXPECT_NE(p.message.find("unknown time zone 'Mars/Olympus'"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[0].duration");
  EXPECT_EQ(p.line, 10);
  EXPECT_NE(p.message.find("'90x' is not a duration"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[1].recurrence");
  EXPECT_EQ(p.line, 14);
  EXPECT_NE(p.message.find("BYDAY: 'XX' is not a weekday"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[2].start");
  EXPECT_EQ(p.line, 16);
  EXPECT_NE(p.message.find("has a UTC offset or 'Z'"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[3].duration");
  EXPECT_EQ(p.line, 20);
  EXPECT_NE(p.message.find("must be positive"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[4].expectedAttendance");
  EXPECT_EQ(p.line, 24);
  EXPECT_NE(p.message.find("20000000 is out of range (expected 0..10000000)"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[5].expectedAttendance");
  EXPECT_NE(p.message.find("must be an integer in 0..10000000, not the number 12.5"),
            std::string::npos);

  p = ProblemAt(m, "spec.sessions[6].expectedAttendance");
  EXPECT_NE(p.message.find("not the string '100' (remove the quotes)"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[7].name");
  EXPECT_EQ(p.line, 33);
  EXPECT_NE(p.message.find("duplicate session name 'crowd' (first at line 21)"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[8].kind");
  EXPECT_EQ(p.line, 37);
  EXPECT_NE(p.message.find("'Seminar' is not a session kind"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[9].name");
  EXPECT_EQ(p.line, 40);
  EXPECT_EQ(p.message, "required field is missing");

  p = ProblemAt(m, "spec.sessions[10].recurence");
  EXPECT_EQ(p.line, 45);
  EXPECT_NE(p.message.find("unknown field (did you mean 'recurrence'?)"), std::string::npos);

  p = ProblemAt(m, "spec.sessions[11].recurrence");
  EXPECT_EQ(p.line, 49);
  EXPECT_NE(p.message.find("UNTIL 2025-01-01T00:00:00Z is before the session's start"),
            std::string::npos);

  p = ProblemAt(m, "spec.sessions[12].course");
  EXPECT_EQ(p.line, 51);
  EXPECT_NE(p.message.find("must be a string, not the number 101 (quote it: '101')"),
            std::string::npos);

  p = ProblemAt(m, "spec.exclusions[0].until");
  EXPECT_EQ(p.line, 56);
  EXPECT_NE(p.message.find("2026-10-26 is before from 2026-10-30"), std::string::npos);

  p = ProblemAt(m, "spec.exclusions[1].from");
  EXPECT_EQ(p.line, 57);

  // In file order, each on its own line, each naming the file.
  EXPECT_TRUE(std::is_sorted(
      m.problems.begin(), m.problems.end(),
      [](const ManifestProblem& a, const ManifestProblem& b) { return a.line < b.line; }));
  for (const ManifestProblem& q : m.problems) EXPECT_EQ(q.file, "broken.yaml");

  StatusOr<std::vector<Timetable>> parsed = ParseTimetableManifest(kBroken, "broken.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), all);
}

TEST(TimetableManifestTest, MissingRequiredFieldsAndUnknownTopLevelFields) {
  TimetableManifest m = ReadTimetableManifest(R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata:
  labels: {team: a}
specs:
  timeZone: UTC
)",
                                              "t.yaml");
  EXPECT_EQ(ProblemAt(m, "metadata.name").message, "required field is missing");
  EXPECT_EQ(ProblemAt(m, "spec").message, "required field is missing");
  EXPECT_NE(ProblemAt(m, "specs").message.find("did you mean 'spec'?"), std::string::npos);

  TimetableManifest tz = ReadTimetableManifest(R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata: {name: a}
spec:
  sessions: []
)",
                                               "t.yaml");
  // At the first line of the spec mapping.
  EXPECT_EQ(ProblemAt(tz, "spec.timeZone").line, 5);
}

TEST(TimetableManifestTest, TimeZoneMustBeAnIanaName) {
  auto problem = [](const char* zone) {
    const std::string text = std::string(
                                 "apiVersion: prebell.io/v1alpha1\nkind: Timetable\n"
                                 "metadata: {name: a}\nspec:\n  timeZone: '") +
                             zone + "'\n";
    TimetableManifest m = ReadTimetableManifest(text, "z.yaml");
    return m.problems.empty() ? std::string() : m.problems[0].ToString();
  };
  EXPECT_EQ(problem("America/Argentina/Buenos_Aires"), "");
  EXPECT_EQ(problem("Etc/GMT+5"), "");
  EXPECT_EQ(problem("UTC"), "");
  // Windows names are for calendars; the CRD admits IANA names only.
  EXPECT_EQ(problem("GMT Standard Time"),
            "z.yaml:5: spec.timeZone: 'GMT Standard Time' is not an IANA time-zone name; it is "
            "a Windows name: write 'Europe/London'");
  EXPECT_NE(problem("Europe/London ").find("is not an IANA time-zone name such as"),
            std::string::npos);
  EXPECT_NE(problem("Europe/Lndon").find("unknown time zone 'Europe/Lndon'"), std::string::npos);
  // A link in the tz database (US/Central -> America/Chicago) is accepted.
  TimetableManifest link = ReadTimetableManifest(
      "apiVersion: prebell.io/v1alpha1\nkind: Timetable\nmetadata: {name: a}\nspec:\n"
      "  timeZone: US/Central\n",
      "z.yaml");
  ASSERT_TRUE(link.ok()) << FormatManifestProblems(link.problems);
  EXPECT_EQ(
      TimeZone::Find(link.timetables[0].time_zone)->OffsetAt(*ParseRfc3339("2026-07-01T00:00:00Z")),
      std::chrono::hours(-5));
}

TEST(TimetableManifestTest, YamlSyntaxErrorHasALine) {
  TimetableManifest m =
      ReadTimetableManifest("apiVersion: prebell.io/v1alpha1\nkind: [Timetable\n", "bad.yaml");
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_GT(m.problems[0].line, 0);
  EXPECT_NE(m.problems[0].message.find("not valid YAML"), std::string::npos);
}

// yaml-cpp 0.7's LoadAll loops forever on a document no node can start
// (found by timetable_fuzzer): an error naming the line, not a hang.
TEST(TimetableManifestTest, ADocumentNoNodeCanStartIsAnErrorNotAHang) {
  for (const char* text : {",", ",u# tutorials\n", "# a comment\n,u\n", "a: 1\n---\n,\n"}) {
    TimetableManifest m = ReadTimetableManifest(text, "bad.yaml");
    ASSERT_EQ(m.problems.size(), 1u) << text;
    EXPECT_NE(m.problems[0].message.find("not valid YAML"), std::string::npos) << text;
  }
}

TEST(TimetableManifestTest, DuplicateKeysAndNonMappingDocuments) {
  TimetableManifest m = ReadTimetableManifest(R"(apiVersion: prebell.io/v1alpha1
kind: Timetable
metadata: {name: a}
spec:
  timeZone: UTC
  timeZone: Europe/Paris
---
- just
- a list
)",
                                              "d.yaml");
  ManifestProblem p = ProblemAt(m, "spec.timeZone");
  EXPECT_EQ(p.line, 6);
  EXPECT_NE(p.message.find("given more than once"), std::string::npos);
  bool list_reported = false;
  for (const ManifestProblem& q : m.problems) {
    list_reported |= q.message.find("document 2 is a list") != std::string::npos;
  }
  EXPECT_TRUE(list_reported) << FormatManifestProblems(m.problems);
}

TEST(TimetableManifestTest, ReadsKubectlListsAndJson) {
  TimetableManifest list = ReadTimetableManifest(R"(apiVersion: v1
kind: List
items:
- apiVersion: prebell.io/v1alpha1
  kind: Timetable
  metadata: {name: a, namespace: x, generation: 4, uid: 1234, resourceVersion: "77"}
  spec: {timeZone: UTC}
- apiVersion: prebell.io/v1alpha1
  kind: Timetable
  metadata: {name: b}
  spec: {timeZone: UTC, sessions: [{name: s, start: "2026-01-01T00:00:00", duration: 1h, recurance: x}]}
)",
                                                 "list.yaml");
  EXPECT_EQ(list.timetables.size(), 1u);
  ASSERT_EQ(list.problems.size(), 1u) << FormatManifestProblems(list.problems);
  EXPECT_EQ(list.problems[0].field, "items[1].spec.sessions[0].recurance");
  EXPECT_EQ(list.timetables[0].generation, 4);

  StatusOr<std::vector<Timetable>> json = ParseTimetableManifest(
      R"({"apiVersion": "prebell.io/v1alpha1", "kind": "Timetable",
          "metadata": {"name": "j", "namespace": "campus"},
          "spec": {"timeZone": "America/Chicago",
                   "sessions": [{"name": "s", "start": "2026-03-02T09:00:00",
                                 "duration": "50m", "expectedAttendance": 30}]}})",
      "ns/j");
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ((*json)[0].sessions[0].expected_attendance, 30);
}

TEST(TimetableManifestTest, LongListsAreCutAtTheCrdLimit) {
  // 5000 uses of one anchored session: reported once, read up to the limit.
  std::string text =
      "apiVersion: prebell.io/v1alpha1\nkind: Timetable\nmetadata: {name: x}\nspec:\n"
      "  timeZone: UTC\n  sessions:\n"
      "  - &s {name: s, start: \"2026-01-01T00:00:00\", duration: 1h}\n";
  for (int i = 1; i < 5000; ++i) text += "  - *s\n";
  TimetableManifest m = ReadTimetableManifest(text, "long.yaml");
  ManifestProblem p = ProblemAt(m, "spec.sessions");
  EXPECT_NE(p.message.find("has 5000 items, more than the 2000 a Timetable may hold"),
            std::string::npos);
  // Only the items up to the limit are read (each a duplicate of the first).
  EXPECT_EQ(m.problems.size(), 2000u);
}

// The examples a new user applies as they are.
TEST(TimetableManifestTest, ExamplesParseAndExpand) {
  struct Example {
    const char* file;
    const char* zone;
    size_t occurrences;  // over everything the file holds
  };
  for (const Example& e : {Example{"university-autumn-term.yaml", "Europe/London", 1606},
                           Example{"school-day.yaml", "America/Chicago", 179}}) {
    SCOPED_TRACE(e.file);
    const std::filesystem::path file =
        std::filesystem::path(PREBELL_SOURCE_DIR) / "examples" / "timetables" / e.file;
    StatusOr<std::vector<Timetable>> t = ParseTimetableManifest(ReadFile(file), file.string());
    ASSERT_TRUE(t.ok()) << t.status().message();
    ASSERT_EQ(t->size(), 1u);
    const Timetable& tt = (*t)[0];
    EXPECT_EQ(tt.time_zone, e.zone);
    EXPECT_EQ(tt.labels.at("prebell.io/stack"), "live");
    EXPECT_FALSE(tt.namespace_name.empty());
    StatusOr<std::vector<Occurrence>> occ = ExpandSessions(
        tt, *ParseRfc3339("2026-01-01T00:00:00Z"), *ParseRfc3339("2028-01-01T00:00:00Z"));
    ASSERT_TRUE(occ.ok()) << occ.status().message();
    EXPECT_EQ(occ->size(), e.occurrences);
    const TimeZone zone = *TimeZone::Find(tt.time_zone);
    for (const Occurrence& o : *occ) {
      // No occurrence starts on an excluded local day.
      EXPECT_FALSE(IsExcluded(tt.exclusions, zone.ToLocal(o.start))) << o.session;
    }
  }
}

TEST(TimetableManifestTest, SharedLondonScenarioParsesAndExpands) {
  const std::filesystem::path file =
      std::filesystem::path(PREBELL_SHARED_SCENARIOS) / "london-sample" / "timetable.yaml";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " is not on this machine";
  StatusOr<std::vector<Timetable>> t = ParseTimetableManifest(ReadFile(file), file.string());
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].time_zone, "Europe/London");
  StatusOr<std::vector<Occurrence>> occ = ExpandSessions(
      (*t)[0], *ParseRfc3339("2026-09-01T00:00:00Z"), *ParseRfc3339("2027-01-01T00:00:00Z"));
  ASSERT_TRUE(occ.ok()) << occ.status().message();
  EXPECT_GT(occ->size(), 1000u);
  // Nothing starts on the reading days (Mon 26 and Tue 27 October).
  for (const Occurrence& o : *occ) {
    const std::string day = FormatRfc3339(o.start).substr(0, 10);
    EXPECT_NE(day, "2026-10-26");
    EXPECT_NE(day, "2026-10-27");
  }
}

}  // namespace
}  // namespace prebell
