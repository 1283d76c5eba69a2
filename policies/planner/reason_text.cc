#include "policies/planner/reason_text.h"

#include <cmath>
#include <cstdio>

namespace prebell {

std::string FormatThousands(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "inf" : "-inf");
  const bool negative = value < 0;
  long long v = std::llround(std::abs(value));
  std::string digits = std::to_string(v);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out += digits[static_cast<size_t>(i)];
    const int left = n - 1 - i;
    if (left > 0 && left % 3 == 0) out += ',';
  }
  return negative ? "-" + out : out;
}

std::string FormatLocalWeekdayTime(Instant t, const TimeZone& zone) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const LocalTime local = zone.ToLocal(t);
  const auto day = date::floor<date::days>(local);
  const date::weekday wd{day};
  const auto tod = date::make_time(local - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d", kDays[wd.c_encoding()],
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()));
  return buf;
}

}  // namespace prebell
