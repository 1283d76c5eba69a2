// Planner benchmarks: the backtest of five weeks at 15 s steps with a
// 5,000-session timetable, learning from history, one decision, and one plan
// over a whole term. See docs/performance/planner.md for the command and the
// figures. The university and its trace are synthesized here, seeded.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cmath>
#include <random>

#include "policies/forecast/session_shape.h"
#include "policies/planner/backtest.h"
#include "policies/planner/planner.h"

namespace prebell {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct University {
  TimeZone zone = *TimeZone::Find("Europe/London");
  std::vector<Occurrence> occurrences;
  std::vector<MetricSample> samples;
  ScalingPolicy policy;
  Instant term_start, trace_end;
  int sessions = 0;
};

ScalingTarget Target(const char* name, CapacityUnit unit, double per, int32_t max) {
  ScalingTarget t;
  t.name = name;
  t.scale_target_ref = {"apps/v1", "Deployment", name};
  t.unit = unit;
  t.per_replica = per;
  t.min_replicas = 2;
  t.max_replicas = max;
  t.warmup = seconds(90);
  return t;
}

// `sessions` weekly sessions (one to three days a week, 08:00-18:00 local,
// 50 to 120 minutes) over a 15-week term from Monday 2026-09-28, 1 % of them
// one-off exams; a trace of the first `trace_weeks` weeks every 15 s.
University MakeUniversity(int sessions, int trace_weeks) {
  University u;
  u.sessions = sessions;
  std::mt19937 rng(20260928);
  const LocalDay monday{date::year{2026} / 9 / 28};
  u.term_start = u.zone.ToInstant(LocalTime{monday});
  u.trace_end = u.term_start + days(7 * trace_weeks);
  const int durations[] = {50, 75, 90, 120};
  const int64_t sizes[] = {30, 60, 120, 240, 600, 1600};
  std::vector<double> ratio(static_cast<size_t>(sessions));
  for (int s = 0; s < sessions; ++s) {
    const bool exam = s % 100 == 99;
    const std::string course = "C" + std::to_string(10000 + s);
    const int duration = durations[rng() % 4];
    const int hour = 8 + static_cast<int>(rng() % 10);
    const int64_t att = exam ? 400 + static_cast<int64_t>(rng() % 2000) : sizes[rng() % 6];
    ratio[static_cast<size_t>(s)] = exam ? 1.2 : 0.2 + 0.9 * (rng() % 1000) / 1000.0;
    std::vector<int> weekdays;
    if (exam) {
      weekdays = {static_cast<int>(rng() % 5)};
    } else {
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < n; ++k) weekdays.push_back(static_cast<int>(rng() % 5));
    }
    const int weeks = exam ? 1 : 15;
    const int first_week = exam ? static_cast<int>(rng() % 15) : 0;
    for (int w = first_week; w < first_week + weeks; ++w) {
      for (int d : weekdays) {
        Occurrence o;
        o.timetable = "university";
        o.session = (exam ? "final-" : "lecture-") + std::to_string(s);
        o.kind = exam ? SessionKind::kExam : SessionKind::kClass;
        o.course = course;
        o.start = u.zone.ToInstant(LocalTime{monday + days(7 * w + d)} + hours(hour));
        o.end = o.start + minutes(duration);
        o.expected_attendance = att;
        u.occurrences.push_back(o);
      }
    }
  }
  std::sort(u.occurrences.begin(), u.occurrences.end(), OccurrenceBefore);
  // The trace: a day profile plus every session's audience, with noise.
  const int64_t n = (u.trace_end - u.term_start) / seconds(15);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const Instant t = u.term_start + seconds(15 * i);
    const LocalTime l = u.zone.ToLocal(t);
    const double h = static_cast<double>((l - date::floor<days>(l)).count()) / 3600.0;
    v[static_cast<size_t>(i)] = 1000 + 8000 * std::exp(-std::pow((h - 13.5) / 3.5, 2));
  }
  for (const Occurrence& o : u.occurrences) {
    if (o.start >= u.trace_end) continue;
    const double r =
        ratio[static_cast<size_t>(std::stoi(o.session.substr(o.session.find('-') + 1)))];
    const SessionShape shape = DefaultShape(o.kind);
    const int64_t lo = std::max<int64_t>(0, (o.start - minutes(30) - u.term_start) / seconds(15));
    const int64_t hi = std::min<int64_t>(n, (o.end + minutes(15) - u.term_start) / seconds(15));
    for (int64_t i = lo; i < hi; ++i) {
      v[static_cast<size_t>(i)] +=
          r * static_cast<double>(o.expected_attendance) *
          shape.PresentFraction(u.term_start + seconds(15 * i), o.start, o.end);
    }
  }
  std::normal_distribution<double> noise(0, 1);
  u.samples.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double x = v[static_cast<size_t>(i)];
    u.samples.push_back(
        {u.term_start + seconds(15 * i), std::max(0.0, x + 0.4 * std::sqrt(x) * noise(rng))});
  }
  u.policy.name = "live-stack";
  u.policy.namespace_name = "campus";
  u.policy.connections_query = "sum(centrifugo_node_num_clients)";
  u.policy.targets.push_back(Target("gateway", CapacityUnit::kConnections, 2500, 2000));
  u.policy.targets.push_back(Target("redis", CapacityUnit::kConnections, 20000, 200));
  u.policy.targets.push_back(Target("media", CapacityUnit::kSessions, 25, 500));
  return u;
}

const University& Big() {
  static const University u = MakeUniversity(5000, 6);
  return u;
}

int64_t PeakRssKiB() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss;
}

// Five weeks replayed at 15 s steps (201,600 decisions for each of three
// targets), learning incrementally from one week of history before them.
void BM_Backtest5Weeks5000Sessions(benchmark::State& state) {
  const University& u = Big();
  const Instant from = u.term_start + days(7);
  const Instant to = from + days(35);
  int64_t steps = 0;
  for (auto _ : state) {
    BacktestOptions o{from, to, seconds(15), {}};
    auto r = RunBacktest(u.policy, u.occurrences, u.zone, u.samples, o);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    steps = static_cast<int64_t>(r->times.size());
    benchmark::DoNotOptimize(r->replicas);
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["occurrences"] = static_cast<double>(u.occurrences.size());
  state.counters["us_per_step"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
  state.counters["peak_rss_MiB"] = static_cast<double>(PeakRssKiB()) / 1024.0;
}
BENCHMARK(BM_Backtest5Weeks5000Sessions)->Unit(benchmark::kMillisecond)->Iterations(1);

// Learning from three weeks of history: observing 120,960 samples and the
// first fit of the attendance ratios.
void BM_LearnThreeWeeks(benchmark::State& state) {
  const University& u = Big();
  const Instant now = u.term_start + days(21);
  const auto history = SamplesUpTo(u.samples, now);
  for (auto _ : state) {
    auto planner = Planner::Create(u.policy, u.occurrences, u.zone);
    planner->Observe(history);
    benchmark::DoNotOptimize(planner->Decide(now));
  }
  state.counters["samples"] = static_cast<double>(history.size());
}
BENCHMARK(BM_LearnThreeWeeks)->Unit(benchmark::kMillisecond);

// A learned planner (three weeks) asked again and again, as the controller
// does: one decision for now, and one plan with reasons over `range(0)` days.
struct Learned {
  explicit Learned(const University& u)
      : planner(*Planner::Create(u.policy, u.occurrences, u.zone)) {
    now = u.term_start + days(21) + hours(9);
    planner.Observe(SamplesUpTo(u.samples, now));
    planner.Decide(now);
  }
  Planner planner;
  Instant now;
};

void BM_Decide(benchmark::State& state) {
  static Learned l(Big());
  for (auto _ : state) benchmark::DoNotOptimize(l.planner.Decide(l.now));
}
BENCHMARK(BM_Decide)->Unit(benchmark::kMicrosecond);

void BM_PlanHorizon(benchmark::State& state) {
  static Learned l(Big());
  size_t changes = 0;
  for (auto _ : state) {
    Plan p = l.planner.MakePlan(l.now, days(state.range(0)));
    changes = p.targets[0].timeline.size();
    benchmark::DoNotOptimize(p);
  }
  state.counters["gateway_changes"] = static_cast<double>(changes);
}
// One day, one week, and the rest of the term (12 weeks).
BENCHMARK(BM_PlanHorizon)->Arg(1)->Arg(7)->Arg(84)->Unit(benchmark::kMillisecond);

// The same for a London-sized timetable (150 sessions).
void BM_PlanHorizonSmallCampus(benchmark::State& state) {
  static const University u = MakeUniversity(150, 4);
  static Learned l(u);
  for (auto _ : state) benchmark::DoNotOptimize(l.planner.MakePlan(l.now, days(state.range(0))));
}
BENCHMARK(BM_PlanHorizonSmallCampus)->Arg(7)->Arg(84)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace prebell

BENCHMARK_MAIN();
