#include "policies/forecast/baseline_model.h"

#include <gtest/gtest.h>

#include "tests/unit/forecast/synthetic_trace.h"

namespace prebell {
namespace {

using testing::DayProfile;
using testing::LocalAt;
using testing::Utc;

TimeZone London() { return *TimeZone::Find("Europe/London"); }

TEST(BaselineModel, EmptyEstimatesZero) {
  BaselineModel m(London());
  m.Refresh(Utc(2026, 10, 1));
  EXPECT_FALSE(m.learned());
  EXPECT_EQ(m.Estimate(Utc(2026, 10, 1, 12)), 0);
}

TEST(BaselineModel, LearnsTimeOfDayProfile) {
  const TimeZone z = London();
  BaselineModel m(z);
  const Instant from = Utc(2026, 9, 7), to = Utc(2026, 9, 28);
  for (Instant t = from; t < to; t += std::chrono::seconds(15))
    m.AddQuietSample(t, DayProfile(z, t));
  m.Refresh(to);
  EXPECT_EQ(m.learned_slots(), BaselineModel::kSlotsPerWeek);
  for (int h : {3, 9, 14, 20}) {
    const Instant t = LocalAt(z, 2026, 9, 30, h, 7);
    EXPECT_NEAR(m.Estimate(t), DayProfile(z, t), 15) << h;
  }
}

TEST(BaselineModel, FollowsLocalTimeAcrossDst) {
  const TimeZone z = London();
  BaselineModel m(z);
  // Learned in BST (UTC+1); asked about GMT days after 25 October.
  const Instant from = Utc(2026, 9, 28), to = Utc(2026, 10, 19);
  for (Instant t = from; t < to; t += std::chrono::seconds(30))
    m.AddQuietSample(t, DayProfile(z, t));
  m.Refresh(to);
  const Instant after = LocalAt(z, 2026, 10, 28, 14, 0);  // GMT
  EXPECT_NEAR(m.Estimate(after), DayProfile(z, after), 15);
  // One UTC hour away would be far off on the steep part of the profile.
  EXPECT_GT(std::abs(DayProfile(z, after + std::chrono::hours(1)) -
                     DayProfile(z, after - std::chrono::hours(3))),
            100);
}

TEST(BaselineModel, OneSurgeWeekDoesNotMoveTheEstimate) {
  const TimeZone z = London();
  BaselineModel m(z);
  const Instant from = Utc(2026, 9, 7), to = Utc(2026, 9, 28);
  const Instant surge_from = LocalAt(z, 2026, 9, 16, 2, 0),
                surge_to = LocalAt(z, 2026, 9, 16, 3, 0);
  for (Instant t = from; t < to; t += std::chrono::seconds(15)) {
    const double surge = t >= surge_from && t < surge_to ? 6000 : 0;
    m.AddQuietSample(t, DayProfile(z, t) + surge);
  }
  m.Refresh(to);
  const Instant wed = LocalAt(z, 2026, 9, 30, 2, 30);
  EXPECT_NEAR(m.Estimate(wed), DayProfile(z, wed), 10);
}

TEST(BaselineModel, InterpolatesSlotsNeverSeenQuiet) {
  const TimeZone z = London();
  BaselineModel m(z);
  const Instant from = Utc(2026, 9, 7), to = Utc(2026, 9, 14);
  // Quiet only outside 09:00-17:00 local: 1,000 before, 2,000 after.
  for (Instant t = from; t < to; t += std::chrono::seconds(15)) {
    const LocalTime l = z.ToLocal(t);
    const double h = static_cast<double>((l - date::floor<date::days>(l)).count()) / 3600;
    if (h >= 9 && h < 17) continue;
    m.AddQuietSample(t, h < 9 ? 1000 : 2000);
  }
  m.Refresh(to);
  const double mid = m.Estimate(LocalAt(z, 2026, 9, 15, 13, 0));
  EXPECT_GT(mid, 1400);
  EXPECT_LT(mid, 1600);
}

TEST(BaselineModel, MeasuresNoise) {
  const TimeZone z = London();
  BaselineModel m(z);
  std::mt19937 rng(7);
  std::normal_distribution<double> n(0, 40);
  const Instant from = Utc(2026, 9, 7), to = Utc(2026, 9, 14);
  for (Instant t = from; t < to; t += std::chrono::seconds(15)) m.AddQuietSample(t, 500 + n(rng));
  m.Refresh(to);
  EXPECT_NEAR(m.Noise(), 40, 6);
}

TEST(BaselineModel, IgnoresOutOfOrderAndInvalidSamples) {
  const TimeZone z = London();
  BaselineModel m(z);
  const Instant t0 = Utc(2026, 9, 7, 3);
  for (int i = 0; i < 60; ++i) m.AddQuietSample(t0 + std::chrono::seconds(15 * i), 100);
  m.AddQuietSample(t0, 1e6);                                                   // out of order
  m.AddQuietSample(t0 + std::chrono::hours(1), std::nan(""));                  // NaN
  m.AddQuietSample(t0 + std::chrono::hours(1) + std::chrono::seconds(1), -5);  // negative
  m.Refresh(t0 + std::chrono::hours(2));
  EXPECT_NEAR(m.Estimate(t0 + std::chrono::minutes(7)), 100, 1e-9);
}

}  // namespace
}  // namespace prebell
