// libFuzzer target: IcalCalendar::Parse, then Expand over a decade.
//
// Whatever the bytes, Parse returns a calendar or an error (never a crash,
// hang or leak); a calendar's expansion stays within the budget it is given
// and returns sorted occurrences with start <= end inside the window.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policies/calendar/ical_calendar.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();  // an invariant the fuzzer must report
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const prebell::TimeZone kLondon = *prebell::TimeZone::Find("Europe/London");
  static const prebell::Instant kFrom = *prebell::ParseRfc3339("2020-01-01T00:00:00Z");
  static const prebell::Instant kTo = *prebell::ParseRfc3339("2030-01-01T00:00:00Z");
  prebell::CalendarImportOptions options;
  options.source_name = "fuzz.ics";
  options.floating_zone = kLondon;
  auto calendar = prebell::IcalCalendar::Parse(
      std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!calendar.ok()) {
    Check(!calendar.status().message().empty());
    return 0;
  }
  prebell::ExpansionBudget budget;
  budget.max_occurrences = 20'000;
  budget.max_steps_per_session = 200'000;
  auto occurrences = calendar->Expand(kFrom, kTo, {}, budget);
  if (!occurrences.ok()) {
    Check(occurrences.status().code() == prebell::StatusCode::kResourceExhausted ||
          occurrences.status().code() == prebell::StatusCode::kInvalidArgument);
    return 0;
  }
  Check(static_cast<int64_t>(occurrences->size()) <= budget.max_occurrences);
  for (size_t i = 0; i < occurrences->size(); ++i) {
    const prebell::Occurrence& o = (*occurrences)[i];
    Check(o.start >= kFrom && o.start < kTo && o.start <= o.end);
    if (i > 0) Check(!prebell::OccurrenceBefore(o, (*occurrences)[i - 1]));
  }
  return 0;
}
