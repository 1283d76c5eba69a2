#include "policies/forecast/attendance_model.h"

#include <gtest/gtest.h>

#include <random>

namespace prebell {
namespace {

// Rows from "sessions" given as (key, attendance) sets, excess = sum of
// ratio x attendance (+ noise).
struct Data {
  AttendanceRows rows;
  std::vector<double> excess, weight;
  void Add(const std::vector<std::pair<int, double>>& terms, const std::vector<double>& ratios,
           double noise = 0, double multiplier = 1) {
    double e = noise;
    for (auto [k, a] : terms) {
      rows.AddTerm(k, a);
      e += ratios[static_cast<size_t>(k)] * a * multiplier;
    }
    rows.EndRow();
    excess.push_back(e);
    weight.push_back(1);
  }
};

TEST(AttendanceModel, RecoversRatiosFromOverlappingSessions) {
  const std::vector<double> truth{0.4, 1.1, 0.75, 1.6};
  Data d;
  std::mt19937 rng(3);
  std::normal_distribution<double> n(0, 30);
  // Different mixes so that every ratio is identifiable.
  for (int rep = 0; rep < 300; ++rep) {
    d.Add({{0, 1000}, {1, 600}}, truth, n(rng));
    d.Add({{1, 600}, {2, 2000}}, truth, n(rng));
    d.Add({{2, 2000}, {3, 400}, {0, 1000}}, truth, n(rng));
    d.Add({{3, 400}}, truth, n(rng));
  }
  AttendanceModel m(std::vector<SessionKind>(4, SessionKind::kClass));
  m.Fit(d.rows, d.excess, d.weight);
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(m.Ratio(k), truth[static_cast<size_t>(k)], 0.03) << k;
    EXPECT_EQ(m.Source(k), RatioSource::kLearned);
  }
  EXPECT_EQ(m.learned_keys(), 4);
  EXPECT_GE(m.SpikeMargin(), 0.05);
  EXPECT_LE(m.SpikeMargin(), 0.5);
}

TEST(AttendanceModel, CoursesAlwaysTogetherShareTheLoad) {
  const std::vector<double> truth{0.2, 1.4};
  Data d;
  for (int rep = 0; rep < 100; ++rep) d.Add({{0, 1000}, {1, 1000}}, truth);
  AttendanceModel m(std::vector<SessionKind>(2, SessionKind::kClass));
  m.Fit(d.rows, d.excess, d.weight);
  // Individually unidentifiable; together exact, and neither absurd.
  EXPECT_NEAR(m.Ratio(0) * 1000 + m.Ratio(1) * 1000, 1600, 10);
  EXPECT_GT(m.Ratio(0), 0);
  EXPECT_GT(m.Ratio(1), 0);
}

TEST(AttendanceModel, UnseenCoursesGetTheKindsUpperQuartileAndExamsAPrior) {
  const std::vector<double> truth{0.3, 0.5, 0.7, 0.9, 1.1, 0, 0};
  Data d;
  for (int rep = 0; rep < 40; ++rep) {
    for (int k = 0; k < 5; ++k) d.Add({{k, 1000}}, truth);
  }
  std::vector<SessionKind> kinds(5, SessionKind::kClass);
  kinds.push_back(SessionKind::kClass);  // key 5: a class never seen
  kinds.push_back(SessionKind::kExam);   // key 6: an exam never seen
  AttendanceModel m(kinds);
  m.Fit(d.rows, d.excess, d.weight);
  EXPECT_EQ(m.Source(5), RatioSource::kKind);
  EXPECT_NEAR(m.Ratio(5), 0.9, 0.02);  // upper quartile of 0.3..1.1
  EXPECT_EQ(m.Source(6), RatioSource::kKind);
  EXPECT_GE(m.Ratio(6), PriorRatio(SessionKind::kExam));
}

TEST(AttendanceModel, PriorsBeforeAnyHistory) {
  AttendanceModel m({SessionKind::kClass, SessionKind::kExam, SessionKind::kEvent});
  EXPECT_EQ(m.Ratio(0), PriorRatio(SessionKind::kClass));
  EXPECT_EQ(m.Ratio(1), PriorRatio(SessionKind::kExam));
  EXPECT_EQ(m.Source(2), RatioSource::kPrior);
  // Fitting on nothing changes nothing.
  AttendanceRows rows;
  m.Fit(rows, {}, {});
  EXPECT_EQ(m.Ratio(1), PriorRatio(SessionKind::kExam));
}

TEST(AttendanceModel, OneSurgeDoesNotSetTheCoursesRatio) {
  const std::vector<double> truth{0.6, 0.9};
  Data d;
  for (int rep = 0; rep < 200; ++rep) {
    d.Add({{0, 1000}}, truth);
    d.Add({{0, 1000}, {1, 1000}}, truth);
  }
  // Once, course 0 drew four times its audience for a while.
  for (int rep = 0; rep < 40; ++rep) d.Add({{0, 1000}}, truth, 0, 4.0);
  AttendanceModel m(std::vector<SessionKind>(2, SessionKind::kClass));
  m.Fit(d.rows, d.excess, d.weight);
  EXPECT_NEAR(m.Ratio(0), 0.6, 0.06);
}

TEST(AttendanceModel, RatiosAreNeverNegative) {
  // Course 1's rows are below what course 0 alone explains.
  const std::vector<double> truth{1.0, -0.5};
  Data d;
  for (int rep = 0; rep < 50; ++rep) {
    d.Add({{0, 1000}}, truth);
    d.Add({{0, 1000}, {1, 1000}}, truth);
  }
  AttendanceModel m(std::vector<SessionKind>(2, SessionKind::kClass));
  m.Fit(d.rows, d.excess, d.weight);
  EXPECT_EQ(m.Ratio(1), 0);
  EXPECT_NEAR(m.Ratio(0), 1.0, 0.3);
}

TEST(AttendanceModel, ZeroWeightRowsAreIgnored) {
  const std::vector<double> truth{0.5};
  Data d;
  for (int rep = 0; rep < 50; ++rep) d.Add({{0, 1000}}, truth);
  for (int rep = 0; rep < 50; ++rep) {
    d.Add({{0, 1000}}, truth, 0, 10);
    d.weight.back() = 0;
  }
  AttendanceModel m(std::vector<SessionKind>(1, SessionKind::kClass));
  m.Fit(d.rows, d.excess, d.weight);
  EXPECT_NEAR(m.Ratio(0), 0.5, 0.01);
}

}  // namespace
}  // namespace prebell
