// timetable_bench: one academic year of a large university
// (university_manifest.h: 5,250 recurring sessions and 450 exams in three
// Timetables, over 300,000 occurrences) through the manifest reader and
// ExpandSessions. Not run by ctest; the figures and the command are in
// docs/performance/timetable.md.
//
// Benchmarks:
//   BM_ReadManifest        YAML text -> validated Timetables (every rule checked)
//   BM_ExpandYear          the whole academic year, all three Timetables
//   BM_ExpandWeek          one week in November (what the controller asks for)
//   BM_ExpandWeekFromFarStart  the same week, every rule starting in 2001
//   BM_LocalStartsYear/auto vs /libical  the periodic arithmetic against
//                          iterating libical for every session
// Each reports the peak resident set size of the process so far (peak_rss_mb).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>

#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/rrule.h"
#include "policies/timetable/session_expansion.h"
#include "policies/timetable/timetable_manifest.h"
#include "tests/bench/timetable/university_manifest.h"

namespace prebell::bench {
namespace {

const Instant kYearFrom = *ParseRfc3339("2026-08-01T00:00:00Z");
const Instant kYearTo = *ParseRfc3339("2027-08-01T00:00:00Z");
const Instant kWeekFrom = *ParseRfc3339("2026-11-23T00:00:00Z");
const Instant kWeekTo = *ParseRfc3339("2026-11-30T00:00:00Z");

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

[[noreturn]] void Fail(const Status& st) {
  std::cerr << st.ToString() << "\n";
  std::exit(1);
}

const std::string& Text() {
  static const std::string text = UniversityManifest();
  return text;
}

const std::vector<Timetable>& University() {
  static const std::vector<Timetable> timetables = [] {
    StatusOr<std::vector<Timetable>> t = ParseTimetableManifest(Text(), "university.yaml");
    if (!t.ok()) Fail(t.status());
    return *t;
  }();
  return timetables;
}

size_t ExpandAll(const std::vector<Timetable>& timetables, Instant from, Instant to) {
  size_t n = 0;
  for (const Timetable& t : timetables) {
    StatusOr<std::vector<Occurrence>> occ = ExpandSessions(t, from, to);
    if (!occ.ok()) Fail(occ.status());
    n += occ->size();
    benchmark::DoNotOptimize(occ);
  }
  return n;
}

void BM_ReadManifest(benchmark::State& state) {
  size_t sessions = 0;
  for (auto _ : state) {
    TimetableManifest m = ReadTimetableManifest(Text(), "university.yaml");
    if (!m.ok()) Fail(InvalidArgumentError(FormatManifestProblems(m.problems)));
    sessions = 0;
    for (const Timetable& t : m.timetables) sessions += t.sessions.size();
    benchmark::DoNotOptimize(m);
  }
  state.counters["sessions"] = static_cast<double>(sessions);
  state.counters["yaml_mb"] = static_cast<double>(Text().size()) / 1e6;
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_ReadManifest)->Unit(benchmark::kMillisecond);

void BM_ExpandYear(benchmark::State& state) {
  const std::vector<Timetable>& u = University();
  size_t n = 0;
  for (auto _ : state) n = ExpandAll(u, kYearFrom, kYearTo);
  state.counters["occurrences"] = static_cast<double>(n);
  state.counters["ns_per_occurrence"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_ExpandYear)->Unit(benchmark::kMillisecond);

void BM_ExpandWeek(benchmark::State& state) {
  const std::vector<Timetable>& u = University();
  size_t n = 0;
  for (auto _ : state) n = ExpandAll(u, kWeekFrom, kWeekTo);
  state.counters["occurrences"] = static_cast<double>(n);
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_ExpandWeek)->Unit(benchmark::kMillisecond);

void BM_ExpandWeekFromFarStart(benchmark::State& state) {
  // The same rules, each starting 25 years earlier on the same weekday
  // (1305 weeks), without an end: the week asked for is far from DTSTART.
  std::vector<Timetable> u = University();
  for (Timetable& t : u) {
    for (Session& s : t.sessions) {
      s.start -= date::days{7 * 1305};
      if (s.recurrence.empty()) continue;
      StatusOr<Rrule> r = ParseRrule(s.recurrence);
      if (!r.ok()) Fail(r.status());
      s.recurrence = r->text_without_end;
    }
  }
  size_t n = 0;
  for (auto _ : state) n = ExpandAll(u, kWeekFrom, kWeekTo);
  state.counters["occurrences"] = static_cast<double>(n);
  state.counters["peak_rss_mb"] = PeakRssMb();
}
BENCHMARK(BM_ExpandWeekFromFarStart)->Unit(benchmark::kMillisecond);

// Wall-clock starts only, to compare the two engines on the same work.
void LocalStartsYear(benchmark::State& state, ExpansionEngine engine) {
  const std::vector<Timetable>& u = University();
  const LocalTime lo = LocalTime{kYearFrom.time_since_epoch()};
  const LocalTime hi = LocalTime{kYearTo.time_since_epoch()};
  size_t n = 0;
  for (auto _ : state) {
    n = 0;
    PeriodicPatternCache cache;
    std::vector<LocalTime> out;
    for (const Timetable& t : u) {
      const TimeZone zone = *TimeZone::Find(t.time_zone);
      for (const Session& s : t.sessions) {
        std::optional<Rrule> rule;
        if (!s.recurrence.empty()) rule = *ParseRrule(s.recurrence);
        out.clear();
        Status st =
            ExpandLocalStarts(s, rule ? &*rule : nullptr, zone, lo, hi, {}, &cache, &out, engine);
        if (!st.ok()) Fail(st);
        n += out.size();
      }
    }
  }
  state.counters["local_starts"] = static_cast<double>(n);
}
BENCHMARK_CAPTURE(LocalStartsYear, auto, ExpansionEngine::kAuto) -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LocalStartsYear, libical, ExpansionEngine::kLibicalOnly)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace prebell::bench

BENCHMARK_MAIN();
