#include "policies/calendar/recurrence_rule.h"

#include <date/date.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdlib>

namespace prebell {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;
constexpr int kMinYear = 1;
constexpr int kMaxYear = 9'999;

constexpr const char* kWeekdayNames[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};

bool IsLeap(int year) { return date::year{year}.is_leap(); }
int DaysInYear(int year) { return IsLeap(year) ? 366 : 365; }
int DaysInMonth(int year, unsigned month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}
int64_t DayNumber(int year, unsigned month, unsigned day) {
  return LocalDay{date::year{year} / date::month{month} / date::day{day}}
      .time_since_epoch()
      .count();
}
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// One calendar day, with what the BYxxx parts look at.
struct Day {
  int64_t number = 0;  // days since 1970-01-01
  int year = 0;
  unsigned month = 0;
  unsigned mday = 0;
  unsigned weekday = 0;  // c_encoding
  int yday = 0;          // 0-based
};

Day MakeDay(int64_t number) {
  const LocalDay ld{date::days{number}};
  const date::year_month_day ymd{ld};
  Day d;
  d.number = number;
  d.year = static_cast<int>(ymd.year());
  d.month = static_cast<unsigned>(ymd.month());
  d.mday = static_cast<unsigned>(ymd.day());
  d.weekday = date::weekday{ld}.c_encoding();
  d.yday = static_cast<int>(number - DayNumber(d.year, 1, 1));
  return d;
}

// A vector without the heap, for the per-period lists of the expansion.
template <typename T, size_t N>
class FixedList {
 public:
  void clear() { size_ = 0; }
  void push_back(const T& v) {
    if (size_ < N) items_[size_++] = v;
  }
  void resize(size_t n) { size_ = n < N ? n : N; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return items_[i]; }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }

 private:
  std::array<T, N> items_;
  size_t size_ = 0;
};

// The day after `d`, without a calendar conversion.
void NextDay(Day* d) {
  ++d->number;
  ++d->yday;
  d->weekday = (d->weekday + 1) % 7;
  if (static_cast<int>(++d->mday) > DaysInMonth(d->year, d->month)) {
    d->mday = 1;
    if (++d->month > 12) {
      d->month = 1;
      ++d->year;
      d->yday = 0;
    }
  }
}

std::string JoinInts(const std::vector<int>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out;
}

const char* FrequencyName(RecurrenceFrequency f) {
  switch (f) {
    case RecurrenceFrequency::kSecondly:
      return "SECONDLY";
    case RecurrenceFrequency::kMinutely:
      return "MINUTELY";
    case RecurrenceFrequency::kHourly:
      return "HOURLY";
    case RecurrenceFrequency::kDaily:
      return "DAILY";
    case RecurrenceFrequency::kWeekly:
      return "WEEKLY";
    case RecurrenceFrequency::kMonthly:
      return "MONTHLY";
    case RecurrenceFrequency::kYearly:
      return "YEARLY";
  }
  return "?";
}

Status CheckRange(const std::vector<int>& values, const char* part, int lo, int hi,
                  bool allow_negative) {
  for (int v : values) {
    const bool ok = (v >= lo && v <= hi) || (allow_negative && v <= -lo && v >= -hi);
    if (!ok) {
      return InvalidArgumentError(std::string(part) + "=" + std::to_string(v) +
                                  " is out of range (" + (allow_negative ? "+/-" : "") +
                                  std::to_string(lo) + ".." + std::to_string(hi) + ")");
    }
  }
  return OkStatus();
}

}  // namespace

// What a rule and its DTSTART fix once: the effective BYxxx parts, with
// RFC 5545's defaults from DTSTART filled in.
struct CompiledRecurrenceRule::Setup {
  Setup(RecurrenceRule r, LocalTime start) : rule(std::move(r)), dtstart(start) { Build(); }
  void Build();

  const RecurrenceRule rule;
  const LocalTime dtstart;
  // Effective BYxxx parts (RFC 5545 defaults from DTSTART filled in).
  bool has_month_ = false;
  std::bitset<13> months_;
  bool has_month_day_ = false;
  std::bitset<32> month_days_;      // 1..31
  std::bitset<32> neg_month_days_;  // -1..-31 stored as 1..31
  bool has_year_day_ = false;
  std::bitset<367> year_days_;
  std::bitset<367> neg_year_days_;
  bool has_week_no_ = false;
  std::vector<int> week_nos_;
  bool has_day_ = false;
  std::bitset<7> plain_weekdays_;
  std::vector<RecurrenceRule::WeekdayNum> nth_weekdays_;
  bool nth_in_month_ = false;
  std::bitset<24> hours_;
  std::bitset<60> minutes_;
  std::bitset<60> seconds_;
  bool has_hour_ = false;
  bool has_minute_ = false;
  bool has_second_ = false;
  std::vector<int> times_of_day_;  // DAILY and coarser: sorted seconds since midnight
  std::vector<int> offsets_;       // HOURLY: sorted seconds within the hour
};

namespace {

// The expansion of one rule, period by period.
class Expansion {
 public:
  Expansion(const CompiledRecurrenceRule::Setup& setup, const RecurrenceLimits& limits,
            int64_t* steps, RecurrenceVisitor visit)
      : s_(setup),
        rule_(setup.rule),
        dtstart_(setup.dtstart),
        limits_(limits),
        steps_(steps),
        visit_(visit),
        remaining_(setup.rule.count) {}

  Status Run();

 private:
  enum class Outcome { kContinue, kStop };

  bool DayMatches(const Day& d);
  bool WeekNoMatches(const Day& d);
  bool NthWeekdayMatches(const Day& d) const;
  void AddMonthDays(int year, unsigned month);
  Outcome EmitPeriod(const std::vector<int>& times_of_day);
  Outcome Emit(LocalTime instance);
  bool Step() { return ++*steps_ <= limits_.max_steps; }

  Status RunYearly();
  Status RunMonthly();
  Status RunWeekly();
  Status RunDaily();
  Status RunSubDaily(int64_t unit_seconds);
  Status Exhausted() const {
    return ResourceExhaustedError("RRULE " + FormatRecurrenceRule(rule_) + " needed more than " +
                                  std::to_string(limits_.max_steps) +
                                  " expansion steps (limit of the expansion budget)");
  }

  const CompiledRecurrenceRule::Setup& s_;
  const RecurrenceRule& rule_;
  const LocalTime dtstart_;
  const RecurrenceLimits& limits_;
  int64_t* steps_;
  RecurrenceVisitor visit_;

  // Week numbering cache (BYWEEKNO).
  int week_year_ = 0;
  int64_t week1_start_ = 0;
  int64_t next_week1_start_ = 0;
  int weeks_in_year_ = 0;
  int weeks_in_previous_year_ = 0;
  int weeks_in_next_year_ = 0;

  FixedList<Day, 372> days_;          // a year's days at most
  FixedList<int64_t, 400> selected_;  // one per BYSETPOS value at most

  int64_t remaining_ = 0;  // COUNT left; unused when the rule has no COUNT
  bool seen_first_ = false;
  bool done_ = false;
};

bool Expansion::WeekNoMatches(const Day& d) {
  if (d.year != week_year_ || weeks_in_year_ == 0) {
    const unsigned wkst = rule_.week_start;
    auto week1_start = [wkst](int year) {
      const int64_t jan4 = DayNumber(year, 1, 4);
      const unsigned wd = date::weekday{LocalDay{date::days{jan4}}}.c_encoding();
      return jan4 - static_cast<int64_t>((wd + 7 - wkst) % 7);
    };
    const int64_t prev = week1_start(d.year - 1);
    week1_start_ = week1_start(d.year);
    next_week1_start_ = week1_start(d.year + 1);
    const int64_t after_next = week1_start(d.year + 2);
    weeks_in_previous_year_ = static_cast<int>((week1_start_ - prev) / 7);
    weeks_in_year_ = static_cast<int>((next_week1_start_ - week1_start_) / 7);
    weeks_in_next_year_ = static_cast<int>((after_next - next_week1_start_) / 7);
    week_year_ = d.year;
  }
  auto listed = [this](int week, int weeks_in_that_year) {
    for (int n : s_.week_nos_) {
      if (n == week || n == week - weeks_in_that_year - 1) return true;
    }
    return false;
  };
  if (d.number >= next_week1_start_) return listed(1, weeks_in_next_year_);
  if (d.number >= week1_start_) {
    return listed(static_cast<int>((d.number - week1_start_) / 7) + 1, weeks_in_year_);
  }
  return listed(weeks_in_previous_year_, weeks_in_previous_year_);
}

bool Expansion::NthWeekdayMatches(const Day& d) const {
  for (const auto& wd : s_.nth_weekdays_) {
    if (wd.weekday != d.weekday) continue;
    int position;
    if (s_.nth_in_month_) {
      const int dim = DaysInMonth(d.year, d.month);
      position = wd.ordinal > 0 ? static_cast<int>(d.mday - 1) / 7 + 1
                                : -((dim - static_cast<int>(d.mday)) / 7 + 1);
    } else {
      const int len = DaysInYear(d.year);
      position = wd.ordinal > 0 ? d.yday / 7 + 1 : -((len - 1 - d.yday) / 7 + 1);
    }
    if (position == wd.ordinal) return true;
  }
  return false;
}

bool Expansion::DayMatches(const Day& d) {
  if (s_.has_month_ && !s_.months_[d.month]) return false;
  if (s_.has_week_no_ && !WeekNoMatches(d)) return false;
  if (s_.has_day_ && !s_.plain_weekdays_[d.weekday] && !NthWeekdayMatches(d)) return false;
  if (s_.has_month_day_) {
    const int dim = DaysInMonth(d.year, d.month);
    if (!s_.month_days_[d.mday] &&
        !s_.neg_month_days_[static_cast<size_t>(dim - static_cast<int>(d.mday) + 1)]) {
      return false;
    }
  }
  if (s_.has_year_day_) {
    const int len = DaysInYear(d.year);
    if (!s_.year_days_[static_cast<size_t>(d.yday + 1)] &&
        !s_.neg_year_days_[static_cast<size_t>(len - d.yday)]) {
      return false;
    }
  }
  return true;
}

void Expansion::AddMonthDays(int year, unsigned month) {
  const int dim = DaysInMonth(year, month);
  Day d;
  d.number = DayNumber(year, month, 1);
  d.year = year;
  d.month = month;
  d.weekday = date::weekday{LocalDay{date::days{d.number}}}.c_encoding();
  d.yday = static_cast<int>(d.number - DayNumber(year, 1, 1));
  for (int i = 1; i <= dim; ++i) {
    d.mday = static_cast<unsigned>(i);
    if (DayMatches(d)) days_.push_back(d);
    ++d.number;
    ++d.yday;
    d.weekday = (d.weekday + 1) % 7;
  }
}

Expansion::Outcome Expansion::Emit(LocalTime instance) {
  if (instance < dtstart_) return Outcome::kContinue;
  if (instance > limits_.not_after) return Outcome::kStop;
  if (rule_.count > 0) {
    if (!seen_first_) {
      seen_first_ = true;
      if (instance != dtstart_) --remaining_;  // DTSTART is always the first instance
    }
    if (remaining_ <= 0) return Outcome::kStop;
    --remaining_;
  }
  if (!visit_(instance)) return Outcome::kStop;
  return Outcome::kContinue;
}

// Emits days_ x times_of_day, through BYSETPOS when the rule has one.
Expansion::Outcome Expansion::EmitPeriod(const std::vector<int>& times_of_day) {
  if (days_.empty() || times_of_day.empty()) return Outcome::kContinue;
  const auto instance = [&](size_t day_index, size_t time_index) {
    return LocalTime{
        std::chrono::seconds{days_[day_index].number * kSecondsPerDay + times_of_day[time_index]}};
  };
  if (rule_.by_set_pos.empty()) {
    for (size_t i = 0; i < days_.size(); ++i) {
      for (size_t j = 0; j < times_of_day.size(); ++j) {
        if (!Step()) {
          done_ = true;
          return Outcome::kStop;
        }
        if (Emit(instance(i, j)) == Outcome::kStop) return Outcome::kStop;
      }
    }
    return Outcome::kContinue;
  }
  const int64_t n = static_cast<int64_t>(days_.size() * times_of_day.size());
  selected_.clear();
  for (int pos : rule_.by_set_pos) {
    const int64_t index = pos > 0 ? pos - 1 : n + pos;
    if (index >= 0 && index < n) selected_.push_back(index);
  }
  std::sort(selected_.begin(), selected_.end());
  selected_.resize(
      static_cast<size_t>(std::unique(selected_.begin(), selected_.end()) - selected_.begin()));
  const auto per_day = static_cast<int64_t>(times_of_day.size());
  for (int64_t index : selected_) {
    if (!Step()) {
      done_ = true;
      return Outcome::kStop;
    }
    if (Emit(instance(static_cast<size_t>(index / per_day),
                      static_cast<size_t>(index % per_day))) == Outcome::kStop) {
      return Outcome::kStop;
    }
  }
  return Outcome::kContinue;
}

Status Expansion::RunYearly() {
  const int y0 = MakeDay(date::floor<date::days>(dtstart_).time_since_epoch().count()).year;
  int64_t k = 0;
  if (rule_.count == 0 && limits_.not_before > dtstart_) {
    const int ny =
        static_cast<int>(date::year_month_day{date::floor<date::days>(limits_.not_before)}.year());
    k = std::max<int64_t>(0, FloorDiv(ny - y0, rule_.interval));
  }
  for (;; ++k) {
    const int64_t y = y0 + k * rule_.interval;
    if (y > kMaxYear) return OkStatus();
    const int year = static_cast<int>(y);
    if (LocalTime{std::chrono::seconds{DayNumber(year, 1, 1) * kSecondsPerDay}} >
        limits_.not_after) {
      return OkStatus();
    }
    if (!Step()) return Exhausted();
    days_.clear();
    for (unsigned m = 1; m <= 12; ++m) {
      if (s_.has_month_ && !s_.months_[m]) continue;
      AddMonthDays(year, m);
    }
    if (EmitPeriod(s_.times_of_day_) == Outcome::kStop) return done_ ? Exhausted() : OkStatus();
  }
}

Status Expansion::RunMonthly() {
  const date::year_month_day ymd0{date::floor<date::days>(dtstart_)};
  const int64_t m0 = static_cast<int>(ymd0.year()) * 12LL + static_cast<unsigned>(ymd0.month()) - 1;
  int64_t k = 0;
  if (rule_.count == 0 && limits_.not_before > dtstart_) {
    const date::year_month_day nb{date::floor<date::days>(limits_.not_before)};
    const int64_t mn = static_cast<int>(nb.year()) * 12LL + static_cast<unsigned>(nb.month()) - 1;
    k = std::max<int64_t>(0, FloorDiv(mn - m0, rule_.interval));
  }
  for (;; ++k) {
    const int64_t mi = m0 + k * rule_.interval;
    const int64_t y = mi / 12;
    if (y > kMaxYear) return OkStatus();
    const int year = static_cast<int>(y);
    const auto month = static_cast<unsigned>(mi % 12 + 1);
    if (LocalTime{std::chrono::seconds{DayNumber(year, month, 1) * kSecondsPerDay}} >
        limits_.not_after) {
      return OkStatus();
    }
    if (!Step()) return Exhausted();
    days_.clear();
    if (!s_.has_month_ || s_.months_[month]) AddMonthDays(year, month);
    if (EmitPeriod(s_.times_of_day_) == Outcome::kStop) return done_ ? Exhausted() : OkStatus();
  }
}

Status Expansion::RunWeekly() {
  const int64_t start_day = date::floor<date::days>(dtstart_).time_since_epoch().count();
  const unsigned wd = date::weekday{LocalDay{date::days{start_day}}}.c_encoding();
  const int64_t week0 = start_day - static_cast<int64_t>((wd + 7 - rule_.week_start) % 7);
  const int64_t period = 7LL * rule_.interval;
  int64_t k = 0;
  if (rule_.count == 0 && limits_.not_before > dtstart_) {
    const int64_t nb = date::floor<date::days>(limits_.not_before).time_since_epoch().count();
    k = std::max<int64_t>(0, FloorDiv(nb - week0, period));
  }
  const int64_t last_day = DayNumber(kMaxYear, 12, 31);
  for (;; ++k) {
    const int64_t first = week0 + k * period;
    if (first > last_day) return OkStatus();
    if (LocalTime{std::chrono::seconds{first * kSecondsPerDay}} > limits_.not_after) {
      return OkStatus();
    }
    if (!Step()) return Exhausted();
    days_.clear();
    Day d = MakeDay(first);
    for (int i = 0; i < 7 && d.number <= last_day; ++i, NextDay(&d)) {
      if (DayMatches(d)) days_.push_back(d);
    }
    if (EmitPeriod(s_.times_of_day_) == Outcome::kStop) return done_ ? Exhausted() : OkStatus();
  }
}

Status Expansion::RunDaily() {
  const int64_t day0 = date::floor<date::days>(dtstart_).time_since_epoch().count();
  int64_t k = 0;
  if (rule_.count == 0 && limits_.not_before > dtstart_) {
    const int64_t nb = date::floor<date::days>(limits_.not_before).time_since_epoch().count();
    k = std::max<int64_t>(0, FloorDiv(nb - day0, rule_.interval));
  }
  const int64_t last_day = DayNumber(kMaxYear, 12, 31);
  for (;; ++k) {
    const int64_t n = day0 + k * rule_.interval;
    if (n > last_day) return OkStatus();
    if (LocalTime{std::chrono::seconds{n * kSecondsPerDay}} > limits_.not_after) return OkStatus();
    if (!Step()) return Exhausted();
    days_.clear();
    const Day d = MakeDay(n);
    if (DayMatches(d)) days_.push_back(d);
    if (EmitPeriod(s_.times_of_day_) == Outcome::kStop) return done_ ? Exhausted() : OkStatus();
  }
}

// HOURLY, MINUTELY, SECONDLY: a period is `interval` units long and holds the
// instances of one hour, minute or second. Periods on a day, hour or minute
// that a BYxxx part rules out are skipped in one step.
Status Expansion::RunSubDaily(int64_t unit_seconds) {
  const int64_t stride = unit_seconds * rule_.interval;
  const int64_t start = dtstart_.time_since_epoch().count();
  // Periods are aligned on DTSTART's hour, minute or second.
  int64_t p = start - (start % unit_seconds + unit_seconds) % unit_seconds;
  if (rule_.count == 0 && limits_.not_before > dtstart_) {
    const int64_t nb = limits_.not_before.time_since_epoch().count();
    p += std::max<int64_t>(0, FloorDiv(nb - p, stride)) * stride;
  }
  const int64_t end = (DayNumber(kMaxYear, 12, 31) + 1) * kSecondsPerDay;
  const int64_t not_after = limits_.not_after.time_since_epoch().count();
  // Moves p to the first period at or after `boundary`, in one step.
  auto skip_to = [&](int64_t boundary) { p += (boundary - p + stride - 1) / stride * stride; };
  int64_t current_day = INT64_MIN;
  Day current;
  bool day_ok = false;
  std::vector<int> times;
  while (p < end && p <= not_after) {
    if (!Step()) return Exhausted();
    const int64_t day = FloorDiv(p, kSecondsPerDay);
    if (day != current_day) {
      current_day = day;
      current = MakeDay(day);
      day_ok = DayMatches(current);
    }
    if (!day_ok) {
      skip_to((day + 1) * kSecondsPerDay);
      continue;
    }
    const int64_t tod = p - day * kSecondsPerDay;
    const auto hour = static_cast<size_t>(tod / 3600);
    const auto minute = static_cast<size_t>(tod / 60 % 60);
    const auto second = static_cast<size_t>(tod % 60);
    if (s_.has_hour_ && !s_.hours_[hour]) {
      skip_to(day * kSecondsPerDay + (tod / 3600 + 1) * 3600);
      continue;
    }
    times.clear();
    if (rule_.frequency == RecurrenceFrequency::kHourly) {
      for (int off : s_.offsets_) times.push_back(static_cast<int>(tod) + off);
    } else {
      if (s_.has_minute_ && !s_.minutes_[minute]) {
        skip_to(day * kSecondsPerDay + (tod / 60 + 1) * 60);
        continue;
      }
      if (rule_.frequency == RecurrenceFrequency::kMinutely) {
        for (size_t s = 0; s < 60; ++s) {
          if (s_.seconds_[s]) times.push_back(static_cast<int>(tod) + static_cast<int>(s));
        }
      } else if (!s_.has_second_ || s_.seconds_[second]) {
        times.push_back(static_cast<int>(tod));
      }
    }
    days_.clear();
    days_.push_back(current);
    if (EmitPeriod(times) == Outcome::kStop) return done_ ? Exhausted() : OkStatus();
    p += stride;
  }
  return OkStatus();
}

}  // namespace

void CompiledRecurrenceRule::Setup::Build() {
  const LocalDay start_day = date::floor<date::days>(dtstart);
  const Day d0 = MakeDay(start_day.time_since_epoch().count());
  const int64_t tod = (dtstart - start_day).count();
  const int start_hour = static_cast<int>(tod / 3600);
  const int start_minute = static_cast<int>(tod / 60 % 60);
  const int start_second = static_cast<int>(tod % 60);
  const RecurrenceFrequency f = rule.frequency;

  std::vector<int> by_month = rule.by_month;
  std::vector<int> by_month_day = rule.by_month_day;
  std::vector<RecurrenceRule::WeekdayNum> by_day = rule.by_day;
  if (rule.by_week_no.empty() && rule.by_year_day.empty() && rule.by_month_day.empty() &&
      rule.by_day.empty()) {
    // RFC 5545 3.3.10: what the rule does not say comes from DTSTART.
    if (f == RecurrenceFrequency::kYearly) {
      if (by_month.empty()) by_month.push_back(static_cast<int>(d0.month));
      by_month_day.push_back(static_cast<int>(d0.mday));
    } else if (f == RecurrenceFrequency::kMonthly) {
      by_month_day.push_back(static_cast<int>(d0.mday));
    } else if (f == RecurrenceFrequency::kWeekly) {
      by_day.push_back({0, d0.weekday});
    }
  } else if (f == RecurrenceFrequency::kYearly && !rule.by_week_no.empty() && rule.by_day.empty() &&
             rule.by_month_day.empty() && rule.by_year_day.empty()) {
    // "FREQ=YEARLY;BYWEEKNO=20": the day of the week is DTSTART's.
    by_day.push_back({0, d0.weekday});
  }

  has_month_ = !by_month.empty();
  for (int m : by_month) months_.set(static_cast<size_t>(m));
  has_month_day_ = !by_month_day.empty();
  for (int v : by_month_day)
    (v > 0 ? month_days_ : neg_month_days_).set(static_cast<size_t>(std::abs(v)));
  has_year_day_ = !rule.by_year_day.empty();
  for (int v : rule.by_year_day)
    (v > 0 ? year_days_ : neg_year_days_).set(static_cast<size_t>(std::abs(v)));
  has_week_no_ = !rule.by_week_no.empty();
  week_nos_ = rule.by_week_no;
  has_day_ = !by_day.empty();
  for (const auto& wd : by_day) {
    if (wd.ordinal == 0) {
      plain_weekdays_.set(wd.weekday);
    } else {
      nth_weekdays_.push_back(wd);
    }
  }
  nth_in_month_ = f == RecurrenceFrequency::kMonthly || has_month_;

  auto fill = [](const std::vector<int>& by, int fallback, int limit, std::bitset<60>* bits,
                 bool* has) {
    *has = !by.empty();
    if (by.empty()) {
      bits->set(static_cast<size_t>(fallback));
      return;
    }
    for (int v : by) {
      if (v >= 0 && v < limit) bits->set(static_cast<size_t>(v));  // second 60: not a valid time
    }
  };
  has_hour_ = !rule.by_hour.empty();
  if (has_hour_) {
    for (int h : rule.by_hour) hours_.set(static_cast<size_t>(h));
  } else {
    hours_.set(static_cast<size_t>(start_hour));
  }
  fill(rule.by_minute, start_minute, 60, &minutes_, &has_minute_);
  fill(rule.by_second, start_second, 60, &seconds_, &has_second_);

  // Sorted lists of the set bits; their products are sorted too.
  auto bits = [](const auto& set, int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) {
      if (set[static_cast<size_t>(i)]) out.push_back(i);
    }
    return out;
  };
  const std::vector<int> minutes = bits(minutes_, 60);
  const std::vector<int> seconds = bits(seconds_, 60);
  if (f >= RecurrenceFrequency::kDaily) {
    for (int h : bits(hours_, 24)) {
      for (int m : minutes) {
        for (int sec : seconds) times_of_day_.push_back(h * 3600 + m * 60 + sec);
      }
    }
  } else if (f == RecurrenceFrequency::kHourly) {
    for (int m : minutes) {
      for (int sec : seconds) offsets_.push_back(m * 60 + sec);
    }
  }
}

namespace {

Status Expansion::Run() {
  switch (rule_.frequency) {
    case RecurrenceFrequency::kYearly:
      return RunYearly();
    case RecurrenceFrequency::kMonthly:
      return RunMonthly();
    case RecurrenceFrequency::kWeekly:
      return RunWeekly();
    case RecurrenceFrequency::kDaily:
      return RunDaily();
    case RecurrenceFrequency::kHourly:
      return RunSubDaily(3600);
    case RecurrenceFrequency::kMinutely:
      return RunSubDaily(60);
    case RecurrenceFrequency::kSecondly:
      return RunSubDaily(1);
  }
  return InternalError("unknown recurrence frequency");
}

}  // namespace

std::string FormatRecurrenceRule(const RecurrenceRule& rule) {
  std::string out = std::string("FREQ=") + FrequencyName(rule.frequency);
  if (rule.interval != 1) out += ";INTERVAL=" + std::to_string(rule.interval);
  if (rule.count > 0) out += ";COUNT=" + std::to_string(rule.count);
  auto part = [&out](const char* name, const std::vector<int>& v) {
    if (!v.empty()) out += std::string(";") + name + "=" + JoinInts(v);
  };
  part("BYSECOND", rule.by_second);
  part("BYMINUTE", rule.by_minute);
  part("BYHOUR", rule.by_hour);
  if (!rule.by_day.empty()) {
    out += ";BYDAY=";
    for (size_t i = 0; i < rule.by_day.size(); ++i) {
      if (i) out += ',';
      if (rule.by_day[i].ordinal != 0) out += std::to_string(rule.by_day[i].ordinal);
      out += kWeekdayNames[rule.by_day[i].weekday % 7];
    }
  }
  part("BYMONTHDAY", rule.by_month_day);
  part("BYYEARDAY", rule.by_year_day);
  part("BYWEEKNO", rule.by_week_no);
  part("BYMONTH", rule.by_month);
  part("BYSETPOS", rule.by_set_pos);
  if (rule.week_start != 1) out += std::string(";WKST=") + kWeekdayNames[rule.week_start % 7];
  return out;
}

Status ValidateRecurrenceRule(const RecurrenceRule& rule) {
  using F = RecurrenceFrequency;
  const F f = rule.frequency;
  if (rule.interval < 1) {
    return InvalidArgumentError("INTERVAL=" + std::to_string(rule.interval) +
                                " must be at least 1");
  }
  if (rule.count < 0) return InvalidArgumentError("COUNT must be positive");
  if (rule.week_start > 6) return InvalidArgumentError("WKST is not a day of the week");
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_second, "BYSECOND", 0, 60, false));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_minute, "BYMINUTE", 0, 59, false));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_hour, "BYHOUR", 0, 23, false));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_month_day, "BYMONTHDAY", 1, 31, true));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_year_day, "BYYEARDAY", 1, 366, true));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_week_no, "BYWEEKNO", 1, 53, true));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_month, "BYMONTH", 1, 12, false));
  PREBELL_RETURN_IF_ERROR(CheckRange(rule.by_set_pos, "BYSETPOS", 1, 366, true));
  for (const auto& wd : rule.by_day) {
    if (wd.weekday > 6) return InvalidArgumentError("BYDAY names no day of the week");
    if (wd.ordinal == 0) continue;
    if (f != F::kMonthly && f != F::kYearly) {
      return InvalidArgumentError(
          "BYDAY=" + std::to_string(wd.ordinal) + kWeekdayNames[wd.weekday] +
          ": a numbered weekday needs FREQ=MONTHLY or FREQ=YEARLY, not " + FrequencyName(f));
    }
    if (!rule.by_week_no.empty()) {
      return InvalidArgumentError("BYDAY with a number cannot be combined with BYWEEKNO");
    }
    if (std::abs(wd.ordinal) > 53) {
      return InvalidArgumentError("BYDAY=" + std::to_string(wd.ordinal) +
                                  kWeekdayNames[wd.weekday] + " is out of range (+/-1..53)");
    }
  }
  if (!rule.by_month_day.empty() && f == F::kWeekly) {
    return InvalidArgumentError("BYMONTHDAY cannot be used with FREQ=WEEKLY");
  }
  if (!rule.by_year_day.empty() && (f == F::kDaily || f == F::kWeekly || f == F::kMonthly)) {
    return InvalidArgumentError(std::string("BYYEARDAY cannot be used with FREQ=") +
                                FrequencyName(f));
  }
  if (!rule.by_week_no.empty() && f != F::kYearly) {
    return InvalidArgumentError(std::string("BYWEEKNO needs FREQ=YEARLY, not ") + FrequencyName(f));
  }
  if (!rule.by_set_pos.empty() && rule.by_second.empty() && rule.by_minute.empty() &&
      rule.by_hour.empty() && rule.by_day.empty() && rule.by_month_day.empty() &&
      rule.by_year_day.empty() && rule.by_week_no.empty() && rule.by_month.empty()) {
    return InvalidArgumentError("BYSETPOS needs another BYxxx rule part to select from");
  }
  return OkStatus();
}

CompiledRecurrenceRule::CompiledRecurrenceRule(RecurrenceRule rule, LocalTime dtstart)
    : setup_(std::make_unique<const Setup>(std::move(rule), dtstart)) {}
CompiledRecurrenceRule::CompiledRecurrenceRule(CompiledRecurrenceRule&&) noexcept = default;
CompiledRecurrenceRule& CompiledRecurrenceRule::operator=(CompiledRecurrenceRule&&) noexcept =
    default;
CompiledRecurrenceRule::~CompiledRecurrenceRule() = default;

const RecurrenceRule& CompiledRecurrenceRule::rule() const { return setup_->rule; }
LocalTime CompiledRecurrenceRule::dtstart() const { return setup_->dtstart; }

Status CompiledRecurrenceRule::Expand(const RecurrenceLimits& limits, int64_t* steps,
                                      RecurrenceVisitor visit) const {
  const date::year_month_day ymd{date::floor<date::days>(setup_->dtstart)};
  if (!ymd.ok() || static_cast<int>(ymd.year()) < kMinYear ||
      static_cast<int>(ymd.year()) > kMaxYear) {
    return InvalidArgumentError("DTSTART " + FormatLocalDateTime(setup_->dtstart) +
                                " is outside the years 1..9999");
  }
  Expansion expansion(*setup_, limits, steps, visit);
  return expansion.Run();
}

Status ExpandRecurrenceRule(const RecurrenceRule& rule, LocalTime dtstart,
                            const RecurrenceLimits& limits, int64_t* steps,
                            RecurrenceVisitor visit) {
  return CompiledRecurrenceRule(rule, dtstart).Expand(limits, steps, visit);
}

}  // namespace prebell
