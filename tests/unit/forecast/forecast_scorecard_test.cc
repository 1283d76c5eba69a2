#include "policies/forecast/forecast_scorecard.h"

#include <gtest/gtest.h>

#include "tests/unit/forecast/synthetic_trace.h"

namespace prebell {
namespace {

using testing::CourseSpec;
using testing::LocalAt;
using testing::MakeOccurrence;
using testing::Synthesize;
using testing::Truth;
using testing::Utc;

TimeZone Chicago() { return *TimeZone::Find("America/Chicago"); }

// Course A (2,000 expected, Mon/Wed/Fri 09:00 for 50 min) and B (1,000,
// Tue/Thu 11:00 for 75 min) over three weeks from 2026-09-07.
std::vector<Occurrence> Term(const TimeZone& z) {
  const CourseSpec a{"A", SessionKind::kClass, 2000, 0.5}, b{"B", SessionKind::kClass, 1000, 1};
  std::vector<Occurrence> occs;
  for (int week = 0; week < 3; ++week) {
    for (int dow : {0, 2, 4}) {
      const auto day = static_cast<unsigned>(7 + 7 * week + dow);
      occs.push_back(MakeOccurrence(z, a, LocalAt(z, 2026, 9, day, 9), 50));
    }
    for (int dow : {1, 3}) {
      const auto day = static_cast<unsigned>(7 + 7 * week + dow);
      occs.push_back(MakeOccurrence(z, b, LocalAt(z, 2026, 9, day, 11), 75));
    }
  }
  return occs;
}

const Instant kFrom = Utc(2026, 9, 7, 5);
const Instant kTo = Utc(2026, 9, 28, 5);

std::vector<MetricSample> Trace(const TimeZone& z, const std::vector<Occurrence>& occs,
                                const Truth& truth) {
  return Synthesize(z, occs, truth, kFrom, kTo, std::chrono::seconds(15), 10);
}

std::span<const MetricSample> Upto(const std::vector<MetricSample>& samples, Instant t) {
  auto end = std::upper_bound(samples.begin(), samples.end(), t,
                              [](Instant x, const MetricSample& s) { return x < s.time; });
  return {samples.data(), static_cast<size_t>(end - samples.begin())};
}

double ObservedPeak(const std::vector<MetricSample>& samples, Instant from, Instant to) {
  double peak = 0;
  for (const MetricSample& s : samples) {
    if (s.time >= from && s.time < to) peak = std::max(peak, s.value);
  }
  return peak;
}

TEST(ForecastScorecard, PredictsWithOnlyTheSamplesBeforeTheStart) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  // The last session of A, Friday 2026-09-25 09:00 local, draws twice its
  // usual audience: a forecast learned before cannot know it.
  const Instant start = LocalAt(z, 2026, 9, 25, 9), end = start + std::chrono::minutes(50);
  Truth truth{{{"A", 0.5}, {"B", 1.0}}, {}};
  for (const Occurrence& o : occs) {
    if (o.course == "A" && o.start == start) truth.multiplier[o.session] = 2;
  }
  const auto samples = Trace(z, occs, truth);

  ForecastModel model(occs, z);
  ForecastScorecard card({.lookback = std::chrono::days(30)});
  card.Observe(model, samples);
  card.Score(samples);
  ASSERT_TRUE(card.errors().contains("A"));
  const CourseForecastError& e = card.errors().at("A");
  const double observed = ObservedPeak(samples, start, end);
  EXPECT_EQ(e.session_end, end);
  EXPECT_DOUBLE_EQ(e.observed_peak, observed);
  EXPECT_DOUBLE_EQ(e.ratio, (e.predicted_peak - observed) / observed);
  EXPECT_LT(e.ratio, -0.25);  // the doubled audience was not foreseen

  // Whatever comes after the start changes the observed peak, never the
  // prediction.
  auto louder = samples;
  for (MetricSample& s : louder) {
    if (s.time > start) s.value *= 3;
  }
  ForecastModel model2(occs, z);
  ForecastScorecard card2({.lookback = std::chrono::days(30)});
  card2.Observe(model2, louder);
  card2.Score(louder);
  ASSERT_TRUE(card2.errors().contains("A"));
  EXPECT_DOUBLE_EQ(card2.errors().at("A").predicted_peak, e.predicted_peak);
  EXPECT_DOUBLE_EQ(card2.errors().at("A").observed_peak, ObservedPeak(louder, start, end));

  // B behaved as learned: its error is small.
  ASSERT_TRUE(card.errors().contains("B"));
  EXPECT_NEAR(card.errors().at("B").ratio, 0, 0.1);
  EXPECT_EQ(card.pending(), 0u);
}

TEST(ForecastScorecard, LiveBatchesScoreLikeOneBigBatch) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  const auto samples = Trace(z, occs, Truth{{{"A", 0.5}, {"B", 1.0}}, {}});

  ForecastModel whole(occs, z);
  ForecastScorecard at_once({.lookback = std::chrono::days(30)});
  at_once.Observe(whole, samples);
  at_once.Score(samples);

  // What a controller does: history up to some point at start-up, then a
  // few samples every reconcile, scoring each time.
  ForecastModel live(occs, z);
  ForecastScorecard card({.lookback = std::chrono::days(30)});
  size_t seen = 0;
  const size_t first = samples.size() / 2;
  for (size_t n = first; seen < samples.size(); n = std::min(samples.size(), n + 7)) {
    card.Observe(live, std::span<const MetricSample>(samples).subspan(seen, n - seen));
    card.Score(std::span<const MetricSample>(samples.data(), n));
    seen = n;
  }
  ASSERT_EQ(card.errors().size(), at_once.errors().size());
  for (const auto& [course, e] : at_once.errors()) {
    ASSERT_TRUE(card.errors().contains(course)) << course;
    EXPECT_DOUBLE_EQ(card.errors().at(course).ratio, e.ratio) << course;
  }
}

TEST(ForecastScorecard, WaitsForTheMetricToCoverTheEnd) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  const auto samples = Trace(z, occs, Truth{{{"A", 0.5}, {"B", 1.0}}, {}});
  // The first session of A, 2026-09-07 09:00-09:50 local, half over.
  const Instant mid = LocalAt(z, 2026, 9, 7, 9, 25);
  ForecastModel model(occs, z);
  ForecastScorecard card;
  card.Observe(model, Upto(samples, mid));
  card.Score(Upto(samples, mid));
  EXPECT_TRUE(card.errors().empty());
  EXPECT_EQ(card.pending(), 1u);
  const Instant after = LocalAt(z, 2026, 9, 7, 10);
  card.Observe(model, Upto(samples, after).subspan(Upto(samples, mid).size()));
  card.Score(Upto(samples, after));
  EXPECT_TRUE(card.errors().contains("A"));
  EXPECT_EQ(card.pending(), 0u);
}

TEST(ForecastScorecard, OnlyTheLookbackIsPredicted) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  const auto samples = Trace(z, occs, Truth{{{"A", 0.5}, {"B", 1.0}}, {}});
  ForecastModel model(occs, z);
  // The trace ends Monday 2026-09-28 05:00 UTC: the last day holds no
  // session (Saturday and Sunday), the last 3 days only A's Friday class.
  ForecastScorecard day({.lookback = std::chrono::hours(24)});
  day.Observe(model, samples);
  day.Score(samples);
  EXPECT_TRUE(day.errors().empty());

  ForecastModel model3(occs, z);
  ForecastScorecard three({.lookback = std::chrono::hours(72)});
  three.Observe(model3, samples);
  three.Score(samples);
  EXPECT_EQ(three.errors().size(), 1u);
  EXPECT_TRUE(three.errors().contains("A"));
}

TEST(ForecastScorecard, AGapInTheMetricIsNotScored) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  auto samples = Trace(z, occs, Truth{{{"A", 0.5}, {"B", 1.0}}, {}});
  // Nothing from 08:30 to 10:30 local on the last Friday (A's class).
  const Instant gap_from = LocalAt(z, 2026, 9, 25, 8, 30), gap_to = LocalAt(z, 2026, 9, 25, 10, 30);
  std::erase_if(samples,
                [&](const MetricSample& s) { return s.time >= gap_from && s.time < gap_to; });
  ForecastModel model(occs, z);
  ForecastScorecard card({.lookback = std::chrono::hours(72)});
  card.Observe(model, samples);
  card.Score(samples);
  EXPECT_FALSE(card.errors().contains("A"));
  EXPECT_EQ(card.pending(), 0u);
}

TEST(ForecastScorecard, ResetKeepsTheErrors) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  const auto samples = Trace(z, occs, Truth{{{"A", 0.5}, {"B", 1.0}}, {}});
  ForecastModel model(occs, z);
  ForecastScorecard card({.lookback = std::chrono::days(30)});
  card.Observe(model, Upto(samples, LocalAt(z, 2026, 9, 25, 9, 10)));
  card.Score(Upto(samples, LocalAt(z, 2026, 9, 25, 9, 10)));
  EXPECT_EQ(card.pending(), 1u);  // A's Friday class is under way
  const auto before = card.errors();
  ASSERT_FALSE(before.empty());
  card.Reset();
  EXPECT_EQ(card.pending(), 0u);
  EXPECT_EQ(card.errors().size(), before.size());
}

TEST(ExpectedPeak, SamplesLongSessionsCoarselyButIncludesTheStart) {
  const TimeZone z = Chicago();
  const auto occs = Term(z);
  const auto samples = Trace(z, occs, Truth{{{"A", 0.5}, {"B", 1.0}}, {}});
  ForecastModel model(occs, z);
  model.Observe(samples);
  model.MaybeRefit(kTo, true);
  const Instant start = LocalAt(z, 2026, 9, 25, 9);
  const double fine =
      ExpectedPeak(model, start, start + std::chrono::minutes(50), std::chrono::minutes(1), 240);
  const double coarse =
      ExpectedPeak(model, start, start + std::chrono::minutes(50), std::chrono::minutes(1), 2);
  EXPECT_GE(fine, coarse);
  EXPECT_GE(coarse, model.Expected(start));
  EXPECT_EQ(ExpectedPeak(model, start, start, std::chrono::minutes(1), 240), model.Expected(start));
}

}  // namespace
}  // namespace prebell
