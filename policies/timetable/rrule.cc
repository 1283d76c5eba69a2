#include "policies/timetable/rrule.h"

#include <date/date.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

namespace prebell {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

constexpr std::array<std::string_view, 7> kWeekdayCodes = {"SU", "MO", "TU", "WE",
                                                           "TH", "FR", "SA"};  // c_encoding order

constexpr std::string_view kWeekdayHint = "(MO, TU, WE, TH, FR, SA, SU)";

std::optional<unsigned> ParseWeekdayCode(std::string_view s) {
  for (unsigned i = 0; i < kWeekdayCodes.size(); ++i) {
    if (s == kWeekdayCodes[i]) return i;
  }
  return std::nullopt;
}

// An optionally signed decimal integer, nothing else ("+5", "-1", "12").
std::optional<int64_t> ParseSignedInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s.front() == '+' || s.front() == '-') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 10) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return negative ? -v : v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int Digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

StatusOr<RruleUntil> ParseUntil(std::string_view v) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("UNTIL: " + Quote(v) + " is not a date or date-time (" +
                                std::string(why) +
                                "; expected e.g. 20261216T000000Z, 20261216T170000 or 20261216)");
  };
  if (v.size() != 8 && v.size() != 15 && v.size() != 16) return bad("wrong length");
  if (!AllDigits(v.substr(0, 8))) return bad("bad date");
  const date::year_month_day ymd{date::year{Digits(v.substr(0, 4))},
                                 date::month{static_cast<unsigned>(Digits(v.substr(4, 2)))},
                                 date::day{static_cast<unsigned>(Digits(v.substr(6, 2)))}};
  if (!ymd.ok()) return bad("no such date");
  RruleUntil until;
  const LocalDay day{ymd};
  if (v.size() == 8) {
    until.form = RruleUntil::Form::kDate;
    until.day = day;
    return until;
  }
  if (v[8] != 'T' || !AllDigits(v.substr(9, 6))) return bad("bad time of day");
  const int h = Digits(v.substr(9, 2)), m = Digits(v.substr(11, 2)), s = Digits(v.substr(13, 2));
  if (h > 23 || m > 59 || s > 59) return bad("bad time of day");
  const Duration tod = std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{s};
  if (v.size() == 16) {
    if (v[15] != 'Z') return bad("only 'Z' may follow the time");
    until.form = RruleUntil::Form::kUtc;
    until.utc = Instant{date::sys_days{ymd}.time_since_epoch() + tod};
    return until;
  }
  until.form = RruleUntil::Form::kLocal;
  until.local = LocalTime{day.time_since_epoch() + tod};
  return until;
}

// A comma-separated list of integers in [lo, hi], zero excluded when
// `signed_range` (then [-hi, -lo] is allowed too).
Status ParseIntList(std::string_view name, std::string_view value, int lo, int hi,
                    bool signed_range, std::vector<int>& out) {
  std::set<int> seen;
  for (std::string_view item : Split(value, ',')) {
    const std::optional<int64_t> v = ParseSignedInt(item);
    const std::string range = signed_range
                                  ? std::to_string(lo) + ".." + std::to_string(hi) + " or -" +
                                        std::to_string(hi) + "..-" + std::to_string(lo)
                                  : std::to_string(lo) + ".." + std::to_string(hi);
    if (!v) {
      return InvalidArgumentError(std::string(name) + ": " + Quote(item) +
                                  " is not an integer (expected " + range + ")");
    }
    const int64_t a = signed_range ? (*v < 0 ? -*v : *v) : *v;
    if (a < lo || a > hi || (!signed_range && *v < 0)) {
      if (name == "BYSECOND" && *v == 60) {
        return InvalidArgumentError(
            "BYSECOND: 60 (a leap second) is not supported: prebell's clock has no leap seconds");
      }
      return InvalidArgumentError(std::string(name) + ": " + std::to_string(*v) +
                                  " is out of range (expected " + range + ")");
    }
    if (!seen.insert(static_cast<int>(*v)).second) {
      return InvalidArgumentError(std::string(name) + ": " + std::to_string(*v) +
                                  " is listed twice");
    }
    out.push_back(static_cast<int>(*v));
  }
  return OkStatus();
}

Status ParseByDay(std::string_view value, std::vector<Rrule::WeekdayNum>& out) {
  std::set<std::pair<int, unsigned>> seen;
  for (std::string_view item : Split(value, ',')) {
    if (item.size() < 2) {
      return InvalidArgumentError("BYDAY: " + Quote(item) + " is not a weekday " +
                                  std::string(kWeekdayHint));
    }
    const std::string_view code = item.substr(item.size() - 2);
    const std::string_view ord = item.substr(0, item.size() - 2);
    const std::optional<unsigned> wd = ParseWeekdayCode(code);
    if (!wd) {
      return InvalidArgumentError("BYDAY: " + Quote(item) + " is not a weekday " +
                                  std::string(kWeekdayHint) +
                                  ", optionally after an ordinal as in 2TU or -1FR");
    }
    Rrule::WeekdayNum num;
    num.weekday = *wd;
    if (!ord.empty()) {
      const std::optional<int64_t> n = ParseSignedInt(ord);
      if (!n || *n == 0 || *n > 53 || *n < -53) {
        return InvalidArgumentError("BYDAY: " + Quote(item) +
                                    " has a bad ordinal (expected 1..53 or -53..-1 before the "
                                    "weekday, as in 2TU or -1FR)");
      }
      num.ordinal = static_cast<int>(*n);
    }
    if (!seen.insert({num.ordinal, num.weekday}).second) {
      return InvalidArgumentError("BYDAY: " + Quote(item) + " is listed twice");
    }
    out.push_back(num);
  }
  return OkStatus();
}

size_t CountOr1(size_t n) { return n == 0 ? 1 : n; }

// The most candidates one period of a SECONDLY..WEEKLY rule can hold (the
// set BYSETPOS indexes into); 0 for MONTHLY and YEARLY (libical checks those
// against the real calendar).
size_t MaxSetSize(const Rrule& r) {
  const size_t s = CountOr1(r.by_second.size()), m = CountOr1(r.by_minute.size()),
               h = CountOr1(r.by_hour.size());
  switch (r.frequency) {
    case RruleFrequency::kSecondly:
      return 1;
    case RruleFrequency::kMinutely:
      return s;
    case RruleFrequency::kHourly:
      return s * m;
    case RruleFrequency::kDaily:
      return s * m * h;
    case RruleFrequency::kWeekly:
      return s * m * h * CountOr1(r.by_day.size());
    case RruleFrequency::kMonthly:
    case RruleFrequency::kYearly:
      return 0;
  }
  return 0;
}

Status CheckCombination(const Rrule& r) {
  const std::string freq(RruleFrequencyName(r.frequency));
  if (r.count != 0 && r.until) {
    return InvalidArgumentError("COUNT and UNTIL must not both be given (RFC 5545 3.3.10)");
  }
  for (const Rrule::WeekdayNum& d : r.by_day) {
    if (d.ordinal == 0) continue;
    const std::string item = std::to_string(d.ordinal) + std::string(kWeekdayCodes[d.weekday]);
    if (r.frequency == RruleFrequency::kMonthly) {
      if (d.ordinal > 5 || d.ordinal < -5) {
        return InvalidArgumentError("BYDAY: " + item +
                                    ": a month has at most 5 of each weekday (expected 1..5 or "
                                    "-5..-1 with FREQ=MONTHLY)");
      }
    } else if (r.frequency == RruleFrequency::kYearly) {
      if (!r.by_week_no.empty()) {
        return InvalidArgumentError("BYDAY: " + item +
                                    ": an ordinal is not allowed together with BYWEEKNO");
      }
    } else {
      return InvalidArgumentError("BYDAY: " + item +
                                  ": an ordinal is only allowed with "
                                  "FREQ=MONTHLY or FREQ=YEARLY, not FREQ=" +
                                  freq);
    }
  }
  if (!r.by_month_day.empty() && r.frequency == RruleFrequency::kWeekly) {
    return InvalidArgumentError("BYMONTHDAY is not allowed with FREQ=WEEKLY");
  }
  if (!r.by_year_day.empty() &&
      (r.frequency == RruleFrequency::kDaily || r.frequency == RruleFrequency::kWeekly ||
       r.frequency == RruleFrequency::kMonthly)) {
    return InvalidArgumentError("BYYEARDAY is not allowed with FREQ=" + freq);
  }
  if (!r.by_week_no.empty() && r.frequency != RruleFrequency::kYearly) {
    return InvalidArgumentError("BYWEEKNO is only allowed with FREQ=YEARLY, not FREQ=" + freq);
  }
  if (!r.by_set_pos.empty()) {
    const bool other = !r.by_second.empty() || !r.by_minute.empty() || !r.by_hour.empty() ||
                       !r.by_day.empty() || !r.by_month_day.empty() || !r.by_year_day.empty() ||
                       !r.by_week_no.empty() || !r.by_month.empty();
    if (!other) {
      return InvalidArgumentError("BYSETPOS needs another BYxxx part to select from");
    }
    if (const size_t max = MaxSetSize(r); max != 0) {
      const bool any = std::any_of(r.by_set_pos.begin(), r.by_set_pos.end(), [&](int p) {
        return static_cast<size_t>(p < 0 ? -p : p) <= max;
      });
      if (!any) {
        return InvalidArgumentError("BYSETPOS never selects an occurrence: each " + freq +
                                    " period has at most " + std::to_string(max) +
                                    (max == 1 ? " candidate" : " candidates"));
      }
    }
  }
  return OkStatus();
}

}  // namespace

std::string_view RruleFrequencyName(RruleFrequency f) {
  switch (f) {
    case RruleFrequency::kSecondly:
      return "SECONDLY";
    case RruleFrequency::kMinutely:
      return "MINUTELY";
    case RruleFrequency::kHourly:
      return "HOURLY";
    case RruleFrequency::kDaily:
      return "DAILY";
    case RruleFrequency::kWeekly:
      return "WEEKLY";
    case RruleFrequency::kMonthly:
      return "MONTHLY";
    case RruleFrequency::kYearly:
      return "YEARLY";
  }
  return "WEEKLY";
}

StatusOr<Rrule> ParseRrule(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("the recurrence rule is empty");
  if (text.size() > 512) {
    return InvalidArgumentError("the recurrence rule is longer than 512 characters");
  }
  if (text.size() >= 6 && (text.substr(0, 6) == "RRULE:" || text.substr(0, 6) == "rrule:")) {
    return InvalidArgumentError(
        "remove the 'RRULE:' prefix: the value is the rule itself, e.g. "
        "FREQ=WEEKLY;BYDAY=MO,WE");
  }
  Rrule r;
  std::set<std::string> seen;
  bool have_freq = false;
  for (std::string_view part : Split(text, ';')) {
    if (part.empty()) {
      return InvalidArgumentError(
          "empty rule part (two ';' in a row, or a ';' at the start or end)");
    }
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == part.size()) {
      return InvalidArgumentError(Quote(part) + " is not a NAME=VALUE rule part");
    }
    const std::string_view name = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    std::string upper(name);
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    if (upper != name) {
      return InvalidArgumentError(Quote(name) + ": rule part names are upper case (" + upper + ")");
    }
    if (!seen.insert(upper).second) {
      return InvalidArgumentError(upper + " is given more than once");
    }
    if (name == "FREQ") {
      static constexpr RruleFrequency kAll[] = {
          RruleFrequency::kSecondly, RruleFrequency::kMinutely, RruleFrequency::kHourly,
          RruleFrequency::kDaily,    RruleFrequency::kWeekly,   RruleFrequency::kMonthly,
          RruleFrequency::kYearly};
      auto it = std::find_if(std::begin(kAll), std::end(kAll),
                             [&](RruleFrequency f) { return RruleFrequencyName(f) == value; });
      if (it == std::end(kAll)) {
        return InvalidArgumentError("FREQ: " + Quote(value) +
                                    " is not a frequency (SECONDLY, MINUTELY, HOURLY, DAILY, "
                                    "WEEKLY, MONTHLY or YEARLY)");
      }
      r.frequency = *it;
      have_freq = true;
    } else if (name == "UNTIL") {
      StatusOr<RruleUntil> until = ParseUntil(value);
      if (!until.ok()) return until.status();
      r.until = *until;
      continue;  // not part of text_without_end
    } else if (name == "COUNT") {
      const std::optional<int64_t> v = ParseSignedInt(value);
      if (!v || value.front() == '+' || value.front() == '-' || *v < 1 || *v > 2147483647) {
        return InvalidArgumentError("COUNT: " + Quote(value) +
                                    " is not a positive integer (1..2147483647)");
      }
      r.count = *v;
      continue;
    } else if (name == "INTERVAL") {
      const std::optional<int64_t> v = ParseSignedInt(value);
      // libical keeps INTERVAL in a short.
      if (!v || value.front() == '+' || value.front() == '-' || *v < 1 || *v > 32767) {
        return InvalidArgumentError("INTERVAL: " + Quote(value) +
                                    " is not a positive integer (1..32767)");
      }
      r.interval = static_cast<int>(*v);
    } else if (name == "BYSECOND") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 0, 59, false, r.by_second));
    } else if (name == "BYMINUTE") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 0, 59, false, r.by_minute));
    } else if (name == "BYHOUR") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 0, 23, false, r.by_hour));
    } else if (name == "BYDAY") {
      PREBELL_RETURN_IF_ERROR(ParseByDay(value, r.by_day));
    } else if (name == "BYMONTHDAY") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 1, 31, true, r.by_month_day));
    } else if (name == "BYYEARDAY") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 1, 366, true, r.by_year_day));
    } else if (name == "BYWEEKNO") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 1, 53, true, r.by_week_no));
    } else if (name == "BYMONTH") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 1, 12, false, r.by_month));
    } else if (name == "BYSETPOS") {
      PREBELL_RETURN_IF_ERROR(ParseIntList(name, value, 1, 366, true, r.by_set_pos));
    } else if (name == "WKST") {
      const std::optional<unsigned> wd = ParseWeekdayCode(value);
      if (!wd) {
        return InvalidArgumentError("WKST: " + Quote(value) + " is not a weekday " +
                                    std::string(kWeekdayHint));
      }
      r.week_start = *wd;
    } else if (name == "RSCALE" || name == "SKIP") {
      return InvalidArgumentError(std::string(name) +
                                  ": non-Gregorian recurrence (RFC 7529) is not supported");
    } else {
      return InvalidArgumentError(
          Quote(name) +
          " is not a rule part (FREQ, UNTIL, COUNT, INTERVAL, BYSECOND, BYMINUTE, BYHOUR, "
          "BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST)");
    }
    if (!r.text_without_end.empty()) r.text_without_end += ';';
    r.text_without_end += part;
  }
  if (!have_freq) return InvalidArgumentError("FREQ is missing (e.g. FREQ=WEEKLY;BYDAY=MO)");
  PREBELL_RETURN_IF_ERROR(CheckCombination(r));
  return r;
}

namespace {

// The day-level parts of a rule (with the defaults RFC 5545 takes from
// DTSTART) as a predicate on days, plus which months (MONTHLY) or years
// (YEARLY) the rule's INTERVAL visits, as residues of the 400-year cycle
// after which weekdays and leap years repeat.
class DayFilter {
 public:
  static constexpr int kCycleYears = 400;
  static constexpr int kCycleDays = 146097;

  DayFilter(const Rrule& rule, LocalTime dtstart) : rule_(rule) {
    months_ = rule.by_month;
    month_days_ = rule.by_month_day;
    const bool no_day_parts =
        rule.by_year_day.empty() && rule.by_month_day.empty() && rule.by_day.empty();
    const date::year_month_day start{date::floor<date::days>(dtstart)};
    // The defaults RFC 5545 (and libical, and python-dateutil) take from DTSTART.
    if (no_day_parts && rule.frequency == RruleFrequency::kYearly) {
      if (months_.empty())
        months_.push_back(static_cast<int>(static_cast<unsigned>(start.month())));
      month_days_.push_back(static_cast<int>(static_cast<unsigned>(start.day())));
    } else if (no_day_parts && rule.frequency == RruleFrequency::kMonthly) {
      month_days_.push_back(static_cast<int>(static_cast<unsigned>(start.day())));
    }
    for (int m : months_) month_ok_[static_cast<size_t>(m)] = true;
    for (int d : month_days_) {
      (d > 0 ? mday_pos_ : mday_neg_)[static_cast<size_t>(d > 0 ? d : -d)] = true;
    }
    for (int d : rule.by_year_day) {
      (d > 0 ? yday_pos_ : yday_neg_)[static_cast<size_t>(d > 0 ? d : -d)] = true;
    }
    // Ordinals count within the month for MONTHLY, and for YEARLY with
    // BYMONTH; otherwise within the year (RFC 5545 3.3.10, BYDAY).
    ordinal_in_month_ = rule.frequency == RruleFrequency::kMonthly ||
                        (rule.frequency == RruleFrequency::kYearly && !months_.empty());
    const int start_year = static_cast<int>(start.year());
    const int start_month = static_cast<int>(static_cast<unsigned>(start.month()));
    if (rule.interval == 1) {
      // Every month and year is visited.
    } else if (rule.frequency == RruleFrequency::kMonthly) {
      reached_.assign(kCycleYears * 12, false);
      for (int64_t k = 0; k < kCycleYears * 12; ++k) {
        reached_[Mod(int64_t{start_year} * 12 + start_month - 1 + k * rule.interval,
                     kCycleYears * 12)] = true;
      }
    } else if (rule.frequency == RruleFrequency::kYearly) {
      reached_.assign(kCycleYears, false);
      for (int64_t k = 0; k < kCycleYears; ++k) {
        reached_[Mod(start_year + k * rule.interval, kCycleYears)] = true;
      }
    }
  }

  // True when every day matches (nothing to scan for).
  bool Trivial() const {
    return months_.empty() && month_days_.empty() && rule_.by_year_day.empty() &&
           rule_.by_day.empty() && rule_.interval == 1;
  }

  // The MONTHLY or YEARLY period a day belongs to, as an index in the cycle.
  static size_t PeriodOf(const date::year_month_day& ymd, bool monthly) {
    const int64_t y = static_cast<int>(ymd.year());
    return monthly ? Mod(y * 12 + static_cast<unsigned>(ymd.month()) - 1, kCycleYears * 12)
                   : Mod(y, kCycleYears);
  }

  bool Matches(date::sys_days day) const {
    const date::year_month_day ymd{day};
    const int m = static_cast<int>(static_cast<unsigned>(ymd.month()));
    const int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    if (!months_.empty() && !month_ok_[static_cast<size_t>(m)]) return false;
    if (!reached_.empty() &&
        !reached_[PeriodOf(ymd, rule_.frequency == RruleFrequency::kMonthly)]) {
      return false;
    }
    const int month_len =
        static_cast<int>(static_cast<unsigned>((ymd.year() / ymd.month() / date::last).day()));
    if (!month_days_.empty() && !mday_pos_[static_cast<size_t>(d)] &&
        !mday_neg_[static_cast<size_t>(month_len - d + 1)]) {
      return false;
    }
    const date::sys_days jan1 = date::sys_days{ymd.year() / 1 / 1};
    const int yday = (day - jan1).count() + 1;
    const int year_len = ymd.year().is_leap() ? 366 : 365;
    if (!rule_.by_year_day.empty() && !yday_pos_[static_cast<size_t>(yday)] &&
        !yday_neg_[static_cast<size_t>(year_len - yday + 1)]) {
      return false;
    }
    if (!rule_.by_day.empty()) {
      const unsigned wd = date::weekday{day}.c_encoding();
      const int pos = ordinal_in_month_ ? (d - 1) / 7 + 1 : (yday - 1) / 7 + 1;
      const int neg = ordinal_in_month_ ? -((month_len - d) / 7 + 1) : -((year_len - yday) / 7 + 1);
      return std::any_of(rule_.by_day.begin(), rule_.by_day.end(), [&](const Rrule::WeekdayNum& n) {
        return n.weekday == wd && (n.ordinal == 0 || n.ordinal == pos || n.ordinal == neg);
      });
    }
    return true;
  }

  static date::sys_days CycleStart() { return date::sys_days{date::year{2001} / 1 / 1}; }

 private:
  static size_t Mod(int64_t a, int64_t b) { return static_cast<size_t>(((a % b) + b) % b); }

  const Rrule& rule_;
  std::vector<int> months_;
  std::vector<int> month_days_;
  std::array<bool, 13> month_ok_{};
  std::array<bool, 32> mday_pos_{}, mday_neg_{};
  std::array<bool, 367> yday_pos_{}, yday_neg_{};
  bool ordinal_in_month_ = false;
  std::vector<bool> reached_;
};

}  // namespace

bool RruleCanMatchSomeDay(const Rrule& rule, LocalTime dtstart) {
  if (!rule.by_week_no.empty()) return true;  // not modelled: never claim "impossible"
  const DayFilter filter(rule, dtstart);
  if (filter.Trivial()) return true;
  const date::sys_days first = DayFilter::CycleStart();
  for (int i = 0; i < DayFilter::kCycleDays; ++i) {
    if (filter.Matches(first + date::days{i})) return true;
  }
  return false;
}

bool RruleSetPosCanSelect(const Rrule& rule, LocalTime dtstart) {
  const bool monthly = rule.frequency == RruleFrequency::kMonthly;
  if (rule.by_set_pos.empty() || !rule.by_week_no.empty() ||
      (!monthly && rule.frequency != RruleFrequency::kYearly)) {
    return true;  // checked by ParseRrule, or not modelled
  }
  const DayFilter filter(rule, dtstart);
  std::vector<int> per_period(monthly ? DayFilter::kCycleYears * 12 : DayFilter::kCycleYears, 0);
  int max_days = 0;
  const date::sys_days first = DayFilter::CycleStart();
  for (int i = 0; i < DayFilter::kCycleDays; ++i) {
    const date::sys_days day = first + date::days{i};
    if (!filter.Matches(day)) continue;
    int& n = per_period[DayFilter::PeriodOf(date::year_month_day{day}, monthly)];
    max_days = std::max(max_days, ++n);
  }
  const int64_t max_set = int64_t{max_days} * static_cast<int64_t>(CountOr1(rule.by_hour.size()) *
                                                                   CountOr1(rule.by_minute.size()) *
                                                                   CountOr1(rule.by_second.size()));
  return std::any_of(rule.by_set_pos.begin(), rule.by_set_pos.end(),
                     [&](int p) { return (p < 0 ? -p : p) <= max_set; });
}

}  // namespace prebell
