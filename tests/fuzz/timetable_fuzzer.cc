// libFuzzer target: Timetable manifests (YAML) through ReadTimetableManifest
// and, for the timetables that validate, ExpandSessions over a year.
//
// Any text gives timetables or problems (never a crash, a hang, a leak or
// an exception out of the reader); a problem always has a message, and an
// expansion stays within its budget and is sorted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/timetable_manifest.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const prebell::Instant kFrom = *prebell::ParseRfc3339("2026-01-01T00:00:00Z");
  static const prebell::Instant kTo = *prebell::ParseRfc3339("2027-01-01T00:00:00Z");
  const prebell::TimetableManifest manifest = prebell::ReadTimetableManifest(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  for (const prebell::ManifestProblem& p : manifest.problems) {
    Check(!p.ToString().empty());
  }
  prebell::ExpansionBudget budget;
  budget.max_occurrences = 20'000;
  budget.max_steps_per_session = 200'000;
  for (const prebell::Timetable& t : manifest.timetables) {
    auto occurrences = prebell::ExpandSessions(t, kFrom, kTo, budget);
    if (!occurrences.ok()) {
      Check(!occurrences.status().message().empty());
      continue;
    }
    Check(static_cast<int64_t>(occurrences->size()) <= budget.max_occurrences);
    for (size_t i = 1; i < occurrences->size(); ++i) {
      Check(!prebell::OccurrenceBefore((*occurrences)[i], (*occurrences)[i - 1]));
    }
  }
  return 0;
}
