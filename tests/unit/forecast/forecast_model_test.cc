#include "policies/forecast/forecast_model.h"

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

// Three weekly courses over four weeks, Mon/Wed/Fri.
std::vector<Occurrence> Term(const TimeZone& z, const std::vector<CourseSpec>& courses) {
  std::vector<Occurrence> occs;
  for (int week = 0; week < 4; ++week) {
    for (int dow : {0, 2, 4}) {
      const unsigned day = static_cast<unsigned>(7 + 7 * week + dow);  // 2026-09-07 is a Monday
      occs.push_back(MakeOccurrence(z, courses[0], LocalAt(z, 2026, 9, day, 9), 50));
      occs.push_back(MakeOccurrence(z, courses[1], LocalAt(z, 2026, 9, day, 9), 75));
      occs.push_back(MakeOccurrence(z, courses[2], LocalAt(z, 2026, 9, day, 11), 90));
    }
  }
  return occs;
}

TEST(ForecastModel, LearnsRatiosAndPredictsAPlateau) {
  const TimeZone z = Chicago();
  const std::vector<CourseSpec> courses{{"A", SessionKind::kClass, 2000, 0.5},
                                        {"B", SessionKind::kClass, 1000, 1.2},
                                        {"C", SessionKind::kClass, 3000, 0.8}};
  const auto occs = Term(z, courses);
  Truth truth{{{"A", 0.5}, {"B", 1.2}, {"C", 0.8}}, {}};
  const Instant from = Utc(2026, 9, 7, 5), to = Utc(2026, 9, 28, 5);
  const auto samples = Synthesize(z, occs, truth, from, to, std::chrono::seconds(15), 20);
  ForecastModel m(occs, z);
  m.Observe(samples);
  ASSERT_TRUE(m.MaybeRefit(to, true));
  // The baseline under the sessions is never seen and is interpolated, so
  // ratios carry a few percent of its error.
  for (size_t i = 0; i < m.occurrences().size(); ++i) {
    const Occurrence& o = m.occurrences()[i];
    EXPECT_NEAR(m.Ratio(i), truth.ratio.at(o.course), 0.1 * truth.ratio.at(o.course)) << o.course;
    EXPECT_EQ(m.RatioSourceOf(i), RatioSource::kLearned);
  }
  // Week 4 Monday 09:30: a plateau of A and B.
  const Instant t = LocalAt(z, 2026, 9, 28, 9, 30);
  const double expect = testing::DayProfile(z, t) + 0.5 * 2000 + 1.2 * 1000;
  EXPECT_NEAR(m.Expected(t), expect, 0.05 * expect);
  EXPECT_GT(m.SpikeMargin(), 0);
}

TEST(ForecastModel, RefitsAtMostOncePerInterval) {
  const TimeZone z = Chicago();
  const std::vector<CourseSpec> courses{{"A"}, {"B"}, {"C"}};
  const auto occs = Term(z, courses);
  ForecastModel m(occs, z);
  const Instant t0 = Utc(2026, 9, 7, 5);
  Truth truth{{{"A", 0.7}, {"B", 0.7}, {"C", 0.7}}, {}};
  auto day1 = Synthesize(z, occs, truth, t0, t0 + std::chrono::hours(24), std::chrono::seconds(15));
  m.Observe(day1);
  EXPECT_TRUE(m.MaybeRefit(t0 + std::chrono::hours(24)));
  EXPECT_FALSE(m.MaybeRefit(t0 + std::chrono::hours(24) + std::chrono::minutes(30)));
  // An hour later but nothing new observed: nothing to learn.
  EXPECT_FALSE(m.MaybeRefit(t0 + std::chrono::hours(26)));
}

TEST(ForecastModel, LiveLevelAndTrend) {
  const TimeZone z = Chicago();
  ForecastModel m({}, z);
  const Instant t0 = Utc(2026, 9, 7, 5);
  std::vector<MetricSample> s;
  for (int i = 0; i <= 8; ++i) s.push_back({t0 + std::chrono::seconds(15 * i), 1000.0 + 30.0 * i});
  m.Observe(s);
  auto live = m.Live(t0 + std::chrono::seconds(120));
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->level, 1240);
  EXPECT_NEAR(live->slope, 2.0, 1e-9);  // 30 per 15 s
  // Two minutes and a second after the newest sample it is not live any more.
  EXPECT_FALSE(m.Live(t0 + std::chrono::seconds(241)).has_value());
  EXPECT_EQ(m.RecentMax(t0, t0 + std::chrono::seconds(60)), 1120);
}

TEST(ForecastModel, IgnoresImplausibleAndOutOfOrderSamples) {
  const TimeZone z = Chicago();
  ForecastModel m({}, z);
  const Instant t0 = Utc(2026, 9, 7, 5);
  m.Observe(std::vector<MetricSample>{{t0, 100},
                                      {t0 + std::chrono::seconds(15), std::nan("")},
                                      {t0 + std::chrono::seconds(30), -1},
                                      {t0 + std::chrono::seconds(45), 5e9},
                                      {t0 - std::chrono::seconds(15), 900},
                                      {t0 + std::chrono::seconds(60), 110}});
  EXPECT_EQ(m.observed_samples(), 2);
  EXPECT_EQ(m.Live(t0 + std::chrono::seconds(60))->level, 110);
}

TEST(ForecastModel, PlanningWindowsCoverArrivalsAndDepartures) {
  const TimeZone z = Chicago();
  const CourseSpec exam{"X", SessionKind::kExam, 500, 1.0};
  const Occurrence o = MakeOccurrence(z, exam, LocalAt(z, 2026, 9, 8, 10), 120);
  ForecastModel m({o}, z);
  EXPECT_EQ(m.WindowStart(0), o.start - DefaultShape(SessionKind::kExam).lead());
  EXPECT_EQ(m.WindowEnd(0), o.end + DefaultShape(SessionKind::kExam).lag());
  // The window starts before nearly anyone arrives and ends after they left.
  const SessionShape& s = m.Shape(SessionKind::kExam);
  EXPECT_LT(s.PresentFraction(m.WindowStart(0), o.start, o.end), 0.001);
  EXPECT_LT(s.PresentFraction(m.WindowEnd(0), o.start, o.end), 0.001);
  EXPECT_GT(DefaultShape(SessionKind::kExam).lead(), DefaultShape(SessionKind::kClass).lead());
  EXPECT_EQ(m.OccurrencesTouching(o.start, o.start + std::chrono::seconds(1)).size(), 1u);
  EXPECT_TRUE(
      m.OccurrencesTouching(m.WindowEnd(0), m.WindowEnd(0) + std::chrono::hours(1)).empty());
}

}  // namespace
}  // namespace prebell
