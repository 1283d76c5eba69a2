// calendar_bench: IcalCalendar::Parse and Expand on one academic year of a
// large university (gen_university.py: 6,000 recurring sessions plus an
// exam timetable, > 200,000 occurrences). Not run by ctest; see
// docs/performance/calendar.md for the figures and compare_with_python.py
// for the same calendar through python3-recurring-ical-events.
//
//   calendar_bench [--benchmark_...] [FILE.ics]   (default: the generated file)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "policies/calendar/ical_calendar.h"

namespace {

std::string g_path = PREBELL_UNIVERSITY_ICS;  // set by CMake
std::string g_text;

const prebell::Instant kFrom = *prebell::ParseRfc3339("2026-08-01T00:00:00Z");
const prebell::Instant kTo = *prebell::ParseRfc3339("2027-08-01T00:00:00Z");

prebell::CalendarImportOptions Options() {
  prebell::CalendarImportOptions o;
  o.source_name = "university-2026.ics";
  o.floating_zone = *prebell::TimeZone::Find("Europe/London");
  o.expected_attendance = 50;
  return o;
}

void Fail(const prebell::Status& st) {
  std::cerr << st.ToString() << "\n";
  std::exit(1);
}

void BM_Parse(benchmark::State& state) {
  for (auto _ : state) {
    auto cal = prebell::IcalCalendar::Parse(g_text, Options());
    if (!cal.ok()) Fail(cal.status());
    benchmark::DoNotOptimize(cal);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_text.size()));
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);

void BM_ExpandYear(benchmark::State& state) {
  auto cal = prebell::IcalCalendar::Parse(g_text, Options());
  if (!cal.ok()) Fail(cal.status());
  size_t n = 0;
  for (auto _ : state) {
    auto occurrences = cal->Expand(kFrom, kTo);
    if (!occurrences.ok()) Fail(occurrences.status());
    n = occurrences->size();
    benchmark::DoNotOptimize(occurrences);
  }
  state.counters["occurrences"] = static_cast<double>(n);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_ExpandYear)->Unit(benchmark::kMillisecond);

// What `prebell sessions` does with the file: read it, expand the year.
void BM_ParseAndExpandYear(benchmark::State& state) {
  size_t n = 0;
  for (auto _ : state) {
    auto cal = prebell::IcalCalendar::Parse(g_text, Options());
    if (!cal.ok()) Fail(cal.status());
    auto occurrences = cal->Expand(kFrom, kTo);
    if (!occurrences.ok()) Fail(occurrences.status());
    n = occurrences->size();
    benchmark::DoNotOptimize(occurrences);
  }
  state.counters["occurrences"] = static_cast<double>(n);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_ParseAndExpandYear)->Unit(benchmark::kMillisecond);

// One week of the same calendar: what the controller asks for every sync.
void BM_ExpandWeek(benchmark::State& state) {
  auto cal = prebell::IcalCalendar::Parse(g_text, Options());
  if (!cal.ok()) Fail(cal.status());
  const prebell::Instant from = *prebell::ParseRfc3339("2027-03-22T00:00:00Z");
  size_t n = 0;
  for (auto _ : state) {
    auto occurrences = cal->Expand(from, from + std::chrono::hours{24 * 7});
    if (!occurrences.ok()) Fail(occurrences.status());
    n = occurrences->size();
    benchmark::DoNotOptimize(occurrences);
  }
  state.counters["occurrences"] = static_cast<double>(n);
}
BENCHMARK(BM_ExpandWeek)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc > 1) g_path = argv[1];
  std::ifstream in(g_path, std::ios::binary);
  if (!in) {
    std::cerr << "calendar_bench: cannot read " << g_path << "\n";
    return 1;
  }
  g_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
