#include "policies/common/time_text.h"

#include <charconv>
#include <cstdint>

namespace prebell {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

// Reads exactly `width` decimal digits at `pos`.
bool ReadDigits(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Parses "YYYY-MM-DD" at the start of s into a valid civil date.
bool ReadDate(std::string_view s, date::year_month_day& out) {
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 || !ReadDigits(s, 0, 4, y) || s[4] != '-' || !ReadDigits(s, 5, 2, m) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, d)) {
    return false;
  }
  out = date::year{y} / date::month{static_cast<unsigned>(m)} / date::day{static_cast<unsigned>(d)};
  return out.ok();
}

// Parses "HH:MM:SS" at `pos`. Leap second 60 is not accepted: a timetable
// never needs it and the tz database does not model it.
bool ReadTime(std::string_view s, size_t pos, seconds& out) {
  int h = 0, mi = 0, se = 0;
  if (!ReadDigits(s, pos, 2, h) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
      !ReadDigits(s, pos + 3, 2, mi) || pos + 5 >= s.size() || s[pos + 5] != ':' ||
      !ReadDigits(s, pos + 6, 2, se)) {
    return false;
  }
  if (h > 23 || mi > 59 || se > 59) return false;
  out = hours{h} + minutes{mi} + seconds{se};
  return true;
}

}  // namespace

StatusOr<Duration> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(Quote(text) + " is not a duration (" + std::string(why) +
                                "; expected e.g. 15s, 90m, 2h, 1h30m, 7d)");
  };
  if (text.empty()) return bad("empty");
  static constexpr struct {
    char unit;
    int64_t seconds;
  } kUnits[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
  int64_t total = 0;
  size_t next_unit = 0;  // units must come in decreasing order, once each
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
    if (ec != std::errc() || ptr == text.data() + pos) return bad("expected a number");
    if (value < 0) return bad("negative");
    pos = static_cast<size_t>(ptr - text.data());
    if (pos >= text.size()) return bad("missing unit");
    const char unit = text[pos++];
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].unit != unit) ++u;
    if (u == std::size(kUnits)) return bad("unknown or out-of-order unit");
    next_unit = u + 1;
    if (value > int64_t{100} * 366 * 86400 / kUnits[u].seconds) return bad("too long");
    total += value * kUnits[u].seconds;
  }
  if (total <= 0) return bad("must be positive");
  if (total > int64_t{100} * 366 * 86400) return bad("too long");
  return Duration{total};
}

std::string FormatDuration(Duration d) {
  int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out += '-';
    s = -s;
  }
  const int64_t parts[] = {s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60};
  const char units[] = {'d', 'h', 'm', 's'};
  for (int i = 0; i < 4; ++i) {
    if (parts[i] != 0) {
      out += std::to_string(parts[i]);
      out += units[i];
    }
  }
  return out;
}

StatusOr<Instant> ParseRfc3339(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(Quote(text) + " is not an RFC 3339 time (" + std::string(why) +
                                "; expected e.g. 2026-11-23T08:00:00Z)");
  };
  date::year_month_day ymd;
  if (!ReadDate(text, ymd)) return bad("bad date");
  if (text.size() < 11 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return bad("missing 'T'");
  }
  seconds tod{};
  if (!ReadTime(text, 11, tod)) return bad("bad time of day");
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return bad("empty fraction");
  }
  if (pos >= text.size()) return bad("missing offset ('Z' or +HH:MM)");
  seconds offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    if (!ReadDigits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadDigits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad("bad offset");
    }
    offset = hours{oh} + minutes{om};
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return bad("bad offset");
  }
  if (pos != text.size()) return bad("trailing characters");
  return Instant{date::sys_days{ymd}.time_since_epoch() + tod - offset};
}

std::string FormatRfc3339(Instant t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

StatusOr<LocalTime> ParseLocalDateTime(std::string_view text) {
  date::year_month_day ymd;
  seconds tod{};
  if (text.size() != 19 || !ReadDate(text, ymd) || text[10] != 'T' || !ReadTime(text, 11, tod)) {
    return InvalidArgumentError(Quote(text) +
                                " is not a local date and time (expected YYYY-MM-DDTHH:MM:SS, "
                                "e.g. 2026-09-28T09:00:00, with no offset)");
  }
  return LocalTime{date::local_days{ymd}.time_since_epoch() + tod};
}

std::string FormatLocalDateTime(LocalTime t) { return date::format("%Y-%m-%dT%H:%M:%S", t); }

StatusOr<LocalDay> ParseLocalDate(std::string_view text) {
  date::year_month_day ymd;
  if (text.size() != 10 || !ReadDate(text, ymd)) {
    return InvalidArgumentError(Quote(text) +
                                " is not a date (expected YYYY-MM-DD, e.g. 2026-12-24)");
  }
  return LocalDay{ymd};
}

std::string FormatLocalDate(LocalDay d) { return date::format("%Y-%m-%d", d); }

}  // namespace prebell
