#include "policies/planner/scoring.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Instant At(int64_t s) { return Instant{seconds{s}}; }

ScoringModel Model() {
  ScoringModel m;
  m.per_replica = 100;
  m.warmup = seconds(30);
  m.min_replicas = 1;
  m.max_replicas = 100;
  m.step = seconds(15);
  return m;
}

std::vector<MetricSample> Demand(std::initializer_list<double> values, int64_t t0 = 0) {
  std::vector<MetricSample> out;
  int64_t t = t0;
  for (double v : values) {
    out.push_back({At(t), v});
    t += 15;
  }
  return out;
}

TEST(ScoreSeries, ReadyIsTheMinimumOfNowAndWarmupAgo) {
  // Demand 150 from t=30; replicas asked 2 from t=30 -> ready at 60.
  const auto demand = Demand({50, 50, 150, 150, 150, 150});
  ReplicaSeries s{{At(0), At(15), At(30), At(45), At(60), At(75)}, {1, 1, 2, 2, 2, 2}};
  const Score sc = ScoreSeries(demand, s, Model(), At(0), At(90), {});
  // Short at 30 and 45 by 50 each, 15 s each.
  EXPECT_DOUBLE_EQ(sc.shortfall_connection_seconds, 2 * 50 * 15);
  EXPECT_DOUBLE_EQ(sc.demand_connection_seconds, (50 + 50 + 4 * 150) * 15);
  EXPECT_NEAR(sc.shortfall_percent, 100.0 * 1500 / 10500, 1e-9);
  EXPECT_EQ(sc.minutes_short, 1);
  EXPECT_EQ(sc.minutes_short_foretold, 1);
  EXPECT_EQ(sc.worst_gap, 50);
  EXPECT_EQ(sc.worst_gap_at, At(30));
  EXPECT_DOUBLE_EQ(sc.cost_replica_seconds, (1 + 1 + 2 + 2 + 2 + 2) * 15);
}

TEST(ScoreSeries, ScaleDownIsImmediate) {
  const auto demand = Demand({150, 150, 150});
  ReplicaSeries s{{At(0), At(15), At(30)}, {2, 1, 2}};
  const Score sc = ScoreSeries(demand, s, Model(), At(0), At(45), {});
  // At 15 one replica (short 50); at 30 asked 2 again but ready is min(2, d(0))=2.
  EXPECT_DOUBLE_EQ(sc.shortfall_connection_seconds, 50 * 15);
}

TEST(ScoreSeries, UnforetoldWindowsOnlyLeaveTheForetoldMinutes) {
  const auto demand = Demand({500, 500, 500, 500, 500, 500, 500, 500});
  ReplicaSeries s{{At(0)}, {1}};
  const std::vector<TimeWindow> unforetold{{At(0), At(60)}};
  const Score sc = ScoreSeries(demand, s, Model(), At(0), At(120), unforetold);
  EXPECT_EQ(sc.minutes_short, 2);
  EXPECT_EQ(sc.minutes_short_foretold, 1);
  EXPECT_DOUBLE_EQ(sc.shortfall_connection_seconds, 8 * 400 * 15);
}

TEST(ScoreSeries, OnlyTheWindowCounts) {
  const auto demand = Demand({500, 500, 500, 500});
  ReplicaSeries s{{At(0)}, {1}};
  const Score sc = ScoreSeries(demand, s, Model(), At(15), At(45), {});
  EXPECT_DOUBLE_EQ(sc.shortfall_connection_seconds, 2 * 400 * 15);
  EXPECT_DOUBLE_EQ(sc.cost_replica_seconds, 30);
}

TEST(UnforetoldWindow, FifteenMinutesBeforeToNinetyAfter) {
  const TimeWindow w = UnforetoldWindow(At(10000));
  EXPECT_EQ(w.from, At(10000 - 900));
  EXPECT_EQ(w.to, At(10000 + 5400));
}

TEST(OracleSeries, AsksForTheMostNeededWithinTheWarmup) {
  const auto demand = Demand({50, 50, 50, 250, 50, 50, 50});
  const ReplicaSeries o = OracleSeries(demand, Model(), At(0), At(105));
  ASSERT_EQ(o.replicas.size(), 7u);
  // Need 3 at t=45; warm-up 30 s: asked at 15 (covers [15,45]) and 30, 45.
  EXPECT_EQ(o.replicas, (std::vector<int32_t>{1, 3, 3, 3, 1, 1, 1}));
  const Score sc = ScoreSeries(demand, o, Model(), At(0), At(105), {});
  EXPECT_EQ(sc.shortfall_connection_seconds, 0);
}

TEST(OracleSeries, FloorAndCeiling) {
  ScoringModel m = Model();
  m.max_replicas = 2;
  m.min_replicas = 2;
  const auto demand = Demand({0, 10000});
  const ReplicaSeries o = OracleSeries(demand, m, At(0), At(30));
  EXPECT_EQ(o.replicas, (std::vector<int32_t>{2, 2}));
}

TEST(HpaSeries, ReactsLateAndStabilizesDown) {
  ScoringModel m = Model();
  // 70 per pod target. Demand jumps 50 -> 700 at t=600, back at t=1200.
  std::vector<MetricSample> demand;
  for (int64_t t = 0; t < 2400; t += 15)
    demand.push_back({At(t), t >= 600 && t < 1200 ? 700.0 : 50.0});
  const ReplicaSeries h = HpaSeries(demand, m, At(0), At(2400));
  auto at = [&](int64_t t) { return h.replicas[static_cast<size_t>(t / 15)]; };
  EXPECT_EQ(at(0), 1);
  // The jump is seen 45 s late, at the sync at 645: 1 -> 5 (+4 pods), then doubling.
  EXPECT_EQ(at(630), 1);
  EXPECT_EQ(at(645), 5);
  EXPECT_EQ(at(660), 10);
  // 700 / 70 = 10 replicas; after the drop (seen at 1245) it stays for the
  // 300 s stabilization window.
  EXPECT_EQ(at(1245), 10);
  EXPECT_EQ(at(1515), 10);
  EXPECT_EQ(at(1530), 1);  // the last 10 was recommended at 1230
}

TEST(HpaSeries, ToleranceKeepsTheCurrentSize) {
  ScoringModel m = Model();
  std::vector<MetricSample> demand;
  // 2 pods at 70 target = 140; 150 is within 10 %.
  for (int64_t t = 0; t < 300; t += 15) demand.push_back({At(t), t < 60 ? 140.0 : 150.0});
  const ReplicaSeries h = HpaSeries(demand, m, At(0), At(300));
  for (int32_t r : h.replicas) EXPECT_EQ(r, 2);
}

TEST(HpaSeries, CronWindowsAddAMetricTheHpaTakesTheMaxOf) {
  ScoringModel m = Model();
  std::vector<MetricSample> demand;
  for (int64_t t = 0; t < 1200; t += 15) demand.push_back({At(t), 50});
  const std::vector<CronWindow> cron{{At(300), At(600), 450}, {At(400), At(500), 300}};
  const ReplicaSeries h = HpaSeries(demand, m, At(0), At(1200), cron);
  auto at = [&](int64_t t) { return h.replicas[static_cast<size_t>(t / 15)]; };
  EXPECT_EQ(at(285), 1);
  EXPECT_EQ(at(300), 5);  // 450 / 100, +4 pods allowed
  EXPECT_EQ(at(405), 8);  // 750 / 100 (sum of concurrent windows)
  // After the windows, scale-down waits for the 300 s stabilization.
  EXPECT_EQ(at(870), 5);
  EXPECT_EQ(at(885), 1);  // the last 5 was recommended at 585
}

}  // namespace
}  // namespace prebell
