#include "policies/severity/demand_freshness.h"

#include <gtest/gtest.h>

#include <optional>

namespace prebell {
namespace {

using std::chrono::minutes;

Instant At(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return *t;
}

FreshnessInput In(Instant now, std::optional<Instant> sample = std::nullopt,
                  std::optional<Instant> plan = std::nullopt) {
  FreshnessInput in;
  in.now = now;
  in.latest_sample = sample;
  in.last_good_plan = plan;
  return in;
}

FreshnessDecision Decide(FreshnessInput in, FreshnessOptions opt = {}) {
  auto d = DecideDemandFreshness(in, opt);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : FreshnessDecision{};
}

const FreshnessOptions kOpt{.max_sample_age = minutes(2), .keep_last_plan_for = minutes(15)};

TEST(DemandFreshness, StartUpWithoutAnythingIsTimetableOnly) {
  FreshnessDecision d = Decide(In(At("2026-11-23T08:00:00Z")), kOpt);
  EXPECT_EQ(d.mode, DemandMode::kTimetableOnly);
  EXPECT_EQ(d.reason, "MetricsUnavailable");
  EXPECT_NE(d.message.find("no connections sample"), std::string::npos);
  EXPECT_FALSE(d.next_change.has_value());
}

TEST(DemandFreshness, FreshSampleIsLiveUntilTheBoundPasses) {
  const Instant sample = At("2026-11-23T08:00:00Z");
  FreshnessDecision d = Decide(In(sample + minutes(2), sample), kOpt);
  EXPECT_EQ(d.mode, DemandMode::kLive);
  EXPECT_EQ(d.reason, "MetricsFresh");
  EXPECT_EQ(d.next_change, sample + minutes(2) + Duration(1));
  FreshnessDecision stale = Decide(In(*d.next_change, sample), kOpt);
  EXPECT_NE(stale.mode, DemandMode::kLive);
}

TEST(DemandFreshness, FutureSampleCountsAsFresh) {
  const Instant now = At("2026-11-23T08:00:00Z");
  EXPECT_EQ(Decide(In(now, now + Duration(20)), kOpt).mode, DemandMode::kLive);
}

TEST(DemandFreshness, StaleMetricsKeepTheLastGoodPlanForABoundedTime) {
  const Instant sample = At("2026-11-23T08:00:00Z");
  const Instant plan = At("2026-11-23T08:02:00Z");
  FreshnessDecision kept = Decide(In(At("2026-11-23T08:10:00Z"), sample, plan), kOpt);
  EXPECT_EQ(kept.mode, DemandMode::kLastGoodPlan);
  EXPECT_EQ(kept.reason, "MetricsStale");
  EXPECT_EQ(kept.next_change, At("2026-11-23T08:17:00Z"));
  EXPECT_NE(kept.message.find("10m old"), std::string::npos) << kept.message;
  EXPECT_NE(kept.message.find("2026-11-23T08:17:00Z"), std::string::npos) << kept.message;

  EXPECT_EQ(Decide(In(At("2026-11-23T08:16:59Z"), sample, plan), kOpt).mode,
            DemandMode::kLastGoodPlan);
  FreshnessDecision fallen = Decide(In(At("2026-11-23T08:17:00Z"), sample, plan), kOpt);
  EXPECT_EQ(fallen.mode, DemandMode::kTimetableOnly);
  EXPECT_EQ(fallen.reason, "MetricsUnavailable");
  EXPECT_NE(fallen.message.find("timetable alone"), std::string::npos);
}

TEST(DemandFreshness, NoSampleButARecentPlanKeepsThePlan) {
  // No sample at all (the source lost its data) but a recent plan: kept
  // within the bound all the same.
  const Instant plan = At("2026-11-23T08:00:00Z");
  EXPECT_EQ(Decide(In(plan + minutes(5), std::nullopt, plan), kOpt).mode,
            DemandMode::kLastGoodPlan);
  EXPECT_EQ(Decide(In(plan + minutes(15), std::nullopt, plan), kOpt).mode,
            DemandMode::kTimetableOnly);
}

TEST(DemandFreshness, ZeroKeepFallsBackImmediately) {
  const Instant sample = At("2026-11-23T08:00:00Z");
  FreshnessOptions opt{.max_sample_age = minutes(1), .keep_last_plan_for = Duration::zero()};
  EXPECT_EQ(Decide(In(sample + minutes(5), sample, sample + minutes(1)), opt).mode,
            DemandMode::kTimetableOnly);
}

TEST(DemandFreshness, BadOptionsAreRejected) {
  auto zero_age = DecideDemandFreshness({}, FreshnessOptions{Duration::zero(), minutes(15)});
  ASSERT_FALSE(zero_age.ok());
  EXPECT_EQ(zero_age.status().code(), StatusCode::kInvalidArgument);
  auto negative_keep = DecideDemandFreshness({}, FreshnessOptions{minutes(2), Duration(-1)});
  ASSERT_FALSE(negative_keep.ok());
  EXPECT_NE(negative_keep.status().message().find("keep-last-plan-for"), std::string::npos);
}

TEST(DemandFreshness, ModeNames) {
  EXPECT_EQ(DemandModeName(DemandMode::kLive), "Live");
  EXPECT_EQ(DemandModeName(DemandMode::kLastGoodPlan), "LastGoodPlan");
  EXPECT_EQ(DemandModeName(DemandMode::kTimetableOnly), "TimetableOnly");
}

}  // namespace
}  // namespace prebell
