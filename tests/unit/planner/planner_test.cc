#include "policies/planner/planner.h"

#include <gtest/gtest.h>

#include "tests/unit/forecast/synthetic_trace.h"

namespace prebell {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::CourseSpec;
using testing::LocalAt;
using testing::MakeOccurrence;
using testing::Synthesize;
using testing::Truth;

TimeZone Sydney() { return *TimeZone::Find("Australia/Sydney"); }

ScalingTarget Target(std::string name, CapacityUnit unit, double per, int32_t min, int32_t max) {
  ScalingTarget t;
  t.name = std::move(name);
  t.scale_target_ref = {"apps/v1", "Deployment", t.name};
  t.unit = unit;
  t.per_replica = per;
  t.min_replicas = min;
  t.max_replicas = max;
  t.warmup = seconds(90);
  return t;
}

ScalingPolicy Policy() {
  ScalingPolicy p;
  p.name = "live";
  p.namespace_name = "campus";
  p.connections_query = "sum(x)";
  p.targets.push_back(Target("gateway", CapacityUnit::kConnections, 2500, 2, 100));
  p.targets.push_back(Target("media", CapacityUnit::kSessions, 2, 1, 10));
  return p;
}

struct Fixture {
  TimeZone zone = Sydney();
  std::vector<Occurrence> occs;
  std::vector<MetricSample> samples;
  Instant history_end;
};

// Three weeks of history plus a fourth week of timetable: C101 (8,000
// enrolled, 0.8 show up) Mon/Wed 09:00 for 90 min, C102 (1,200, 0.5) Mon
// 09:00, and an exam never seen before in week 4.
Fixture MakeFixture() {
  Fixture f;
  const CourseSpec c101{"C101", SessionKind::kClass, 8000, 0.8};
  const CourseSpec c102{"C102", SessionKind::kClass, 1200, 0.5};
  for (int week = 0; week < 4; ++week) {
    for (int dow : {0, 2}) {
      const unsigned day = static_cast<unsigned>(2 + 7 * week + dow);  // 2026-03-02 is a Monday
      f.occs.push_back(MakeOccurrence(f.zone, c101, LocalAt(f.zone, 2026, 3, day, 9), 90));
      if (dow == 0) {
        f.occs.push_back(MakeOccurrence(f.zone, c102, LocalAt(f.zone, 2026, 3, day, 9), 50));
      }
    }
  }
  f.occs.push_back(MakeOccurrence(f.zone, {"FINAL", SessionKind::kExam, 6000, 1.0},
                                  LocalAt(f.zone, 2026, 3, 26, 13), 120));
  Truth truth{{{"C101", 0.8}, {"C102", 0.5}, {"FINAL", 1.0}}, {}};
  f.history_end = LocalAt(f.zone, 2026, 3, 23, 6);
  f.samples = Synthesize(f.zone, f.occs, truth, LocalAt(f.zone, 2026, 3, 2, 0), f.history_end,
                         seconds(15), 15);
  return f;
}

TEST(Planner, PlansAheadOfAClassWithAReason) {
  Fixture f = MakeFixture();
  auto planner = Planner::Create(Policy(), f.occs, f.zone);
  ASSERT_TRUE(planner.ok()) << planner.status().message();
  planner->Observe(f.samples);
  const Instant now = f.history_end;  // Monday 06:00 local
  const Plan plan = planner->MakePlan(now, hours(12));
  EXPECT_FALSE(plan.shadow);
  EXPECT_EQ(plan.policy, "campus/live");
  ASSERT_EQ(plan.targets.size(), 2u);
  const TargetPlan& gw = plan.targets[0];
  EXPECT_EQ(gw.replicas_now, 2);
  ASSERT_FALSE(gw.timeline.empty());
  // The first raise comes warm-up ahead of the first arrivals and names the
  // later-starting or larger session with the expected connections.
  const PlannedChange& up = gw.timeline.front();
  const Instant start = LocalAt(f.zone, 2026, 3, 23, 9);
  // Ready (warm-up included) before the bulk of the audience arrives.
  EXPECT_LE(up.at + seconds(90), start + DefaultShape(SessionKind::kClass).arrival_center);
  EXPECT_GT(up.at, start - minutes(20));
  EXPECT_EQ(up.why, ReplicaWhy::kWarmupAhead);
  EXPECT_NE(up.reason.find("Mon 09:00"), std::string::npos) << up.reason;
  EXPECT_NE(up.reason.find("connections expected"), std::string::npos) << up.reason;
  EXPECT_NE(up.reason.find("warm-up 1m30s"), std::string::npos) << up.reason;
  // Peak: about baseline + 0.8 x 8,000 + 0.5 x 1,200 = ~7,600 plus margins:
  // 4 or 5 replicas of 2,500.
  int32_t peak = 0;
  for (const PlannedChange& c : gw.timeline) peak = std::max(peak, c.replicas);
  EXPECT_GE(peak, 4);
  EXPECT_LE(peak, 5);
  // Back to the floor once C101 has ended and the scale-down delay passed.
  EXPECT_EQ(gw.timeline.back().replicas, 2);
  EXPECT_GE(gw.timeline.back().at, LocalAt(f.zone, 2026, 3, 23, 10, 30) + minutes(2));
  // Media: two sessions at once, two per replica -> 1 replica (floor 1)
  // and the upcoming sessions listed with their learned ratios.
  const TargetPlan& media = plan.targets[1];
  EXPECT_EQ(media.unit, CapacityUnit::kSessions);
  ASSERT_EQ(plan.sessions.size(), 2u);
  for (const UpcomingSession& s : plan.sessions) {
    EXPECT_EQ(s.ratio_source, RatioSource::kLearned);
    EXPECT_NEAR(s.ratio, s.occurrence.course == "C101" ? 0.8 : 0.5, 0.08);
  }
  EXPECT_TRUE(plan.warnings.empty()) << plan.warnings.front();
}

TEST(Planner, ShadowModeMakesTheSamePlanFlagged) {
  Fixture f = MakeFixture();
  ScalingPolicy shadow = Policy();
  shadow.mode = PolicyMode::kShadow;
  auto a = Planner::Create(Policy(), f.occs, f.zone);
  auto b = Planner::Create(shadow, f.occs, f.zone);
  a->Observe(f.samples);
  b->Observe(f.samples);
  const Plan pa = a->MakePlan(f.history_end, hours(24));
  const Plan pb = b->MakePlan(f.history_end, hours(24));
  EXPECT_FALSE(pa.shadow);
  EXPECT_TRUE(pb.shadow);
  ASSERT_EQ(pa.targets.size(), pb.targets.size());
  for (size_t i = 0; i < pa.targets.size(); ++i) {
    ASSERT_EQ(pa.targets[i].timeline.size(), pb.targets[i].timeline.size());
    for (size_t j = 0; j < pa.targets[i].timeline.size(); ++j) {
      EXPECT_EQ(pa.targets[i].timeline[j].at, pb.targets[i].timeline[j].at);
      EXPECT_EQ(pa.targets[i].timeline[j].replicas, pb.targets[i].timeline[j].replicas);
      EXPECT_EQ(pa.targets[i].timeline[j].reason, pb.targets[i].timeline[j].reason);
    }
  }
}

TEST(Planner, UnseenExamIsPlannedGenerouslyAndEarly) {
  Fixture f = MakeFixture();
  auto planner = Planner::Create(Policy(), f.occs, f.zone);
  planner->Observe(f.samples);
  const Instant exam = LocalAt(f.zone, 2026, 3, 26, 13);
  const Plan plan = planner->MakePlan(f.history_end, hours(24 * 4));
  const TargetPlan& gw = plan.targets[0];
  // 6,000 examinees x at least the exam prior: at least 4 replicas planned
  // before the earliest arrivals (20 min before the start).
  auto replicas_at = [&](Instant t) {
    int32_t r = gw.replicas_now;
    for (const PlannedChange& c : gw.timeline) {
      if (c.at <= t) r = c.replicas;
    }
    return r;
  };
  // Ready (after the warm-up) when the expected arrivals are only half in.
  const Instant half_in = exam + DefaultShape(SessionKind::kExam).arrival_center;
  EXPECT_GE(replicas_at(half_in - seconds(90)), 4);
  EXPECT_EQ(replicas_at(exam - hours(1)), 2);
  bool found = false;
  for (const UpcomingSession& s : plan.sessions) {
    if (s.occurrence.course != "FINAL") continue;
    found = true;
    EXPECT_NE(s.ratio_source, RatioSource::kLearned);
    EXPECT_GE(s.ratio, PriorRatio(SessionKind::kExam));
  }
  EXPECT_TRUE(found);
}

TEST(Planner, LiveSurgeIsPlannedOnAtOnce) {
  Fixture f = MakeFixture();
  auto planner = Planner::Create(Policy(), f.occs, f.zone);
  planner->Observe(f.samples);
  const Instant now = f.history_end + minutes(10);
  // An unscheduled surge at 06:00: 300 -> 9,000 within two minutes.
  std::vector<MetricSample> surge;
  for (int i = 1; i <= 40; ++i) {
    surge.push_back({f.history_end + seconds(15 * i), std::min(9000.0, 300.0 + 1100.0 * i)});
  }
  planner->Observe(surge);
  const auto d = planner->Decide(now);
  // 9,000 x 1.1 / 2,500 -> 4 replicas, at once.
  EXPECT_GE(d[0].replicas, 4);
  const Plan plan = planner->MakePlan(now, hours(1));
  EXPECT_NE(plan.targets[0].reason_now.find("live metric at 9,000 connections"), std::string::npos)
      << plan.targets[0].reason_now;
  ASSERT_TRUE(plan.observed_now.has_value());
  EXPECT_EQ(*plan.observed_now, 9000);
}

TEST(Planner, RisingTrendIsExtrapolatedOverTheWarmup) {
  Fixture f = MakeFixture();
  auto planner = Planner::Create(Policy(), f.occs, f.zone);
  planner->Observe(f.samples);
  // Rising by 1,000 every 15 s, at 4,300 now: in 90 s + 30 s it will be
  // around 12,300 -> 6 replicas with headroom, although 4,300 alone needs 2.
  std::vector<MetricSample> ramp;
  for (int i = 1; i <= 4; ++i)
    ramp.push_back({f.history_end + seconds(15 * i), 300.0 + 1000.0 * i});
  planner->Observe(ramp);
  const auto d = planner->Decide(f.history_end + seconds(60));
  EXPECT_GE(d[0].replicas, 5);
}

TEST(Planner, WithoutHistoryUsesPriorsAndSaysSo) {
  Fixture f = MakeFixture();
  auto planner = Planner::Create(Policy(), f.occs, f.zone);
  const Plan plan = planner->MakePlan(f.history_end, hours(12));
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_NE(plan.warnings.front().find("no metric history"), std::string::npos);
  // 9,200 enrolled x the class prior (0.7) = 6,440 connections.
  EXPECT_NEAR(plan.targets[0].peak_demand, 6440, 1);
  for (const UpcomingSession& s : plan.sessions) EXPECT_EQ(s.ratio_source, RatioSource::kPrior);
}

TEST(Planner, StaleMetricIsReported) {
  Fixture f = MakeFixture();
  auto planner = Planner::Create(Policy(), f.occs, f.zone);
  planner->Observe(f.samples);
  const Plan plan = planner->MakePlan(f.history_end + minutes(30), hours(1));
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_NE(plan.warnings.front().find("metric is stale"), std::string::npos);
  EXPECT_FALSE(plan.observed_now.has_value());
}

TEST(Planner, SessionsTargetCountsConcurrentSessions) {
  Fixture f = MakeFixture();
  ScalingPolicy p = Policy();
  p.targets[1].per_replica = 1;
  p.targets[1].headroom = 0;
  auto planner = Planner::Create(p, f.occs, f.zone);
  const Plan plan = planner->MakePlan(f.history_end, hours(12));
  int32_t peak = 0;
  for (const PlannedChange& c : plan.targets[1].timeline) peak = std::max(peak, c.replicas);
  EXPECT_EQ(peak, 2);  // C101 and C102 together
  EXPECT_NE(plan.targets[1].timeline.front().reason.find("concurrent sessions"), std::string::npos);
}

TEST(Planner, NeverOutsideFloorAndCeiling) {
  Fixture f = MakeFixture();
  ScalingPolicy p = Policy();
  p.targets[0].max_replicas = 3;
  auto planner = Planner::Create(p, f.occs, f.zone);
  planner->Observe(f.samples);
  // Absurd and invalid live values are dropped before they reach a model;
  // a huge but plausible one is capped at the ceiling.
  planner->Observe(std::vector<MetricSample>{{f.history_end + seconds(15), std::nan("")},
                                             {f.history_end + seconds(30), -50},
                                             {f.history_end + seconds(45), 9e7}});
  const Plan plan = planner->MakePlan(f.history_end + seconds(45), hours(24 * 4));
  for (const TargetPlan& t : plan.targets) {
    const ScalingTarget& st = t.name == "gateway" ? p.targets[0] : p.targets[1];
    EXPECT_GE(t.replicas_now, st.min_replicas);
    EXPECT_LE(t.replicas_now, st.max_replicas);
    for (const PlannedChange& c : t.timeline) {
      EXPECT_GE(c.replicas, st.min_replicas);
      EXPECT_LE(c.replicas, st.max_replicas);
    }
  }
  EXPECT_EQ(plan.targets[0].replicas_now, 3);
  ASSERT_FALSE(plan.targets[0].notes.empty());
  EXPECT_NE(plan.targets[0].notes.front().find("capped at the ceiling"), std::string::npos);
}

TEST(Planner, GapsInTheHistoryOnlyMeanLessToLearnFrom) {
  Fixture f = MakeFixture();
  // A two-day hole in week two and a sprinkling of unreadable values.
  std::vector<MetricSample> holed;
  const Instant hole_from = LocalAt(f.zone, 2026, 3, 10, 0),
                hole_to = LocalAt(f.zone, 2026, 3, 12, 0);
  for (size_t i = 0; i < f.samples.size(); ++i) {
    MetricSample s = f.samples[i];
    if (s.time >= hole_from && s.time < hole_to) continue;
    if (i % 97 == 0) s.value = std::nan("");
    holed.push_back(s);
  }
  auto full = Planner::Create(Policy(), f.occs, f.zone);
  auto gappy = Planner::Create(Policy(), f.occs, f.zone);
  full->Observe(f.samples);
  gappy->Observe(SanitizeSamples(holed).samples);
  const Plan a = full->MakePlan(f.history_end, hours(12));
  const Plan b = gappy->MakePlan(f.history_end, hours(12));
  ASSERT_EQ(a.sessions.size(), b.sessions.size());
  for (size_t i = 0; i < a.sessions.size(); ++i) {
    EXPECT_EQ(b.sessions[i].ratio_source, RatioSource::kLearned);
    EXPECT_NEAR(b.sessions[i].ratio, a.sessions[i].ratio, 0.05);
  }
  int32_t peak_a = 0, peak_b = 0;
  for (const PlannedChange& c : a.targets[0].timeline) peak_a = std::max(peak_a, c.replicas);
  for (const PlannedChange& c : b.targets[0].timeline) peak_b = std::max(peak_b, c.replicas);
  EXPECT_NEAR(peak_b, peak_a, 1);
}

TEST(Planner, RejectsAnInvalidPolicy) {
  ScalingPolicy p = Policy();
  p.targets[0].max_replicas = 0;
  auto planner = Planner::Create(p, {}, Sydney());
  ASSERT_FALSE(planner.ok());
  EXPECT_EQ(planner.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace prebell

namespace prebell {
namespace {

TEST(ReplicasAskedAt, LastChangeAtOrBeforeTheInstantElseNow) {
  const Instant now = *ParseRfc3339("2026-09-28T08:00:00Z");
  TargetPlan t;
  t.replicas_now = 2;
  t.timeline = {{now + std::chrono::minutes(10), 6, ReplicaWhy::kFloor, ""},
                {now + std::chrono::minutes(70), 3, ReplicaWhy::kFloor, ""}};
  EXPECT_EQ(ReplicasAskedAt(t, now), 2);
  EXPECT_EQ(ReplicasAskedAt(t, now + std::chrono::minutes(9)), 2);
  EXPECT_EQ(ReplicasAskedAt(t, now + std::chrono::minutes(10)), 6);
  EXPECT_EQ(ReplicasAskedAt(t, now + std::chrono::minutes(69)), 6);
  EXPECT_EQ(ReplicasAskedAt(t, now + std::chrono::hours(5)), 3);
}

}  // namespace
}  // namespace prebell
