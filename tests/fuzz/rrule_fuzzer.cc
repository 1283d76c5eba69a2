// libFuzzer target: an RRULE value through ParseRecurrenceRule and the
// expansion engine, with the engine's invariants checked:
// - instances come in strictly increasing order, none before DTSTART;
// - expanding with a window start (which skips whole periods when the rule
//   has no COUNT) yields exactly the instances of the full expansion from
//   that point on;
// - the step budget ends every expansion.
// The first 4 bytes (if any) pick DTSTART; the rest is the rule text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "policies/calendar/recurrence_rule.h"
#include "policies/calendar/rrule_text.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using prebell::LocalTime;
  uint32_t seed = 0;
  if (size >= 4) {
    seed = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
           static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24;
    data += 4;
    size -= 4;
  }
  auto parsed =
      prebell::ParseRecurrenceRule(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) return 0;
  // DTSTART within 1990..2050, at any second of the day.
  const LocalTime dtstart = *prebell::ParseLocalDateTime("1990-01-01T00:00:00") +
                            std::chrono::seconds{static_cast<int64_t>(seed % (60u * 365 * 86400))};
  const LocalTime window_start = dtstart + std::chrono::hours{24 * 400};
  prebell::RecurrenceLimits full;
  full.not_after = dtstart + std::chrono::hours{24 * 800};
  full.max_steps = 200'000;
  prebell::CompiledRecurrenceRule rule(parsed->rule, dtstart);

  std::vector<LocalTime> all;
  int64_t steps = 0;
  const prebell::Status st = rule.Expand(full, &steps, [&](LocalTime t) {
    Check(t >= dtstart);
    Check(all.empty() || t > all.back());
    Check(t <= full.not_after);
    all.push_back(t);
    return true;
  });
  Check(steps <= full.max_steps + 1);
  if (!st.ok()) {
    Check(st.code() == prebell::StatusCode::kResourceExhausted);
    return 0;
  }
  prebell::RecurrenceLimits windowed = full;
  windowed.not_before = window_start;
  std::vector<LocalTime> skipped;
  steps = 0;
  Check(rule.Expand(windowed, &steps,
                    [&](LocalTime t) {
                      if (t >= window_start) skipped.push_back(t);
                      return true;
                    })
            .ok());
  std::vector<LocalTime> expected;
  for (LocalTime t : all) {
    if (t >= window_start) expected.push_back(t);
  }
  Check(skipped == expected);
  return 0;
}
