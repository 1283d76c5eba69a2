#include "policies/calendar/rrule_text.h"

#include <libical/ical.h>

#include <cstdlib>
#include <string>

namespace prebell {
namespace {

// libical's parse result; owns the RSCALE string libical allocates.
class LibicalRule {
 public:
  explicit LibicalRule(const std::string& text) {
    icalerror_clear_errno();
    rule_ = icalrecurrencetype_from_string(text.c_str());
    icalerror_clear_errno();
  }
  ~LibicalRule() {
    if (rule_.rscale) std::free(rule_.rscale);
  }
  LibicalRule(const LibicalRule&) = delete;
  LibicalRule& operator=(const LibicalRule&) = delete;

  const icalrecurrencetype& get() const { return rule_; }
  bool ok() const { return rule_.freq != ICAL_NO_RECURRENCE; }

 private:
  icalrecurrencetype rule_;
};

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 200;
  return "'" + std::string(s.substr(0, kMax)) + (s.size() > kMax ? "...'" : "'");
}

// libical says only that a rule does not parse; find the part that does not.
std::string WhyNot(std::string_view text) {
  bool has_freq = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) return Quote(part) + " is not NAME=VALUE";
    const std::string_view name = part.substr(0, eq);
    if (name == "FREQ") {
      has_freq = true;
      if (!LibicalRule(std::string(part)).ok()) return Quote(part) + " is not a frequency";
      continue;
    }
    if (!LibicalRule("FREQ=YEARLY;" + std::string(part)).ok()) {
      return Quote(part) + " is not a valid rule part";
    }
  }
  if (!has_freq) return "FREQ is missing";
  if (text.find("COUNT=") != std::string_view::npos &&
      text.find("UNTIL=") != std::string_view::npos) {
    return "COUNT and UNTIL cannot both be given";
  }
  return "the rule parts do not fit together";
}

}  // namespace

StatusOr<ParsedRecurrenceRule> ParseRecurrenceRule(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("the RRULE is empty");
  if (text.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("the RRULE contains a NUL byte");
  }
  const std::string copy(text);
  const LibicalRule parsed(copy);
  if (!parsed.ok()) return InvalidArgumentError("RRULE " + Quote(text) + ": " + WhyNot(text));
  const icalrecurrencetype& r = parsed.get();
  ParsedRecurrenceRule out;
  RecurrenceRule& rule = out.rule;
  switch (r.freq) {
    case ICAL_SECONDLY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kSecondly;
      break;
    case ICAL_MINUTELY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kMinutely;
      break;
    case ICAL_HOURLY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kHourly;
      break;
    case ICAL_DAILY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kDaily;
      break;
    case ICAL_WEEKLY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kWeekly;
      break;
    case ICAL_MONTHLY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kMonthly;
      break;
    case ICAL_YEARLY_RECURRENCE:
      rule.frequency = RecurrenceFrequency::kYearly;
      break;
    default:
      return InvalidArgumentError("RRULE " + Quote(text) + ": FREQ is missing or unknown");
  }
  if (r.rscale != nullptr && std::string_view(r.rscale) != "GREGORIAN" &&
      std::string_view(r.rscale) != "gregorian") {
    return InvalidArgumentError("RRULE " + Quote(text) + ": RSCALE=" + r.rscale +
                                " is not supported (only the Gregorian calendar)");
  }
  rule.interval = r.interval;
  rule.count = r.count;
  rule.week_start = r.week_start == ICAL_NO_WEEKDAY ? 1u : static_cast<unsigned>(r.week_start) - 1;
  auto copy_part = [](const short* array, size_t size, std::vector<int>* to) {
    for (size_t i = 0; i < size && array[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i) {
      to->push_back(array[i]);
    }
  };
  copy_part(r.by_second, ICAL_BY_SECOND_SIZE, &rule.by_second);
  copy_part(r.by_minute, ICAL_BY_MINUTE_SIZE, &rule.by_minute);
  copy_part(r.by_hour, ICAL_BY_HOUR_SIZE, &rule.by_hour);
  copy_part(r.by_month_day, ICAL_BY_MONTHDAY_SIZE, &rule.by_month_day);
  copy_part(r.by_year_day, ICAL_BY_YEARDAY_SIZE, &rule.by_year_day);
  copy_part(r.by_week_no, ICAL_BY_WEEKNO_SIZE, &rule.by_week_no);
  copy_part(r.by_month, ICAL_BY_MONTH_SIZE, &rule.by_month);
  copy_part(r.by_set_pos, ICAL_BY_SETPOS_SIZE, &rule.by_set_pos);
  for (size_t i = 0; i < ICAL_BY_DAY_SIZE && r.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i) {
    const int wd = icalrecurrencetype_day_day_of_week(r.by_day[i]);
    if (wd < 1 || wd > 7) {
      return InvalidArgumentError("RRULE " + Quote(text) + ": BYDAY names no day of the week");
    }
    rule.by_day.push_back(
        {icalrecurrencetype_day_position(r.by_day[i]), static_cast<unsigned>(wd - 1)});
  }
  for (int m : rule.by_month) {
    if (m & 0x1000) {
      return InvalidArgumentError("RRULE " + Quote(text) +
                                  ": leap months (BYMONTH=..L) need RSCALE");
    }
  }
  if (Status st = ValidateRecurrenceRule(rule); !st.ok()) {
    return InvalidArgumentError("RRULE " + Quote(text) + ": " + st.message());
  }
  if (!icaltime_is_null_time(r.until)) {
    const icaltimetype& u = r.until;
    const date::year_month_day ymd{date::year{u.year}, date::month{static_cast<unsigned>(u.month)},
                                   date::day{static_cast<unsigned>(u.day)}};
    if (!ymd.ok() || u.year < 1 || u.year > 9999 || u.hour < 0 || u.hour > 23 || u.minute < 0 ||
        u.minute > 59 || u.second < 0 || u.second > 60) {
      return InvalidArgumentError("RRULE " + Quote(text) + ": UNTIL is not a valid date or time");
    }
    const LocalTime local = LocalTime{LocalDay{ymd}} + std::chrono::hours{u.hour} +
                            std::chrono::minutes{u.minute} +
                            std::chrono::seconds{std::min(u.second, 59)};
    if (u.is_date) {
      out.until.kind = RecurrenceUntil::Kind::kDate;
      out.until.day = LocalDay{ymd};
    } else if (icaltime_is_utc(u)) {
      out.until.kind = RecurrenceUntil::Kind::kUtc;
      out.until.utc = Instant{local.time_since_epoch()};
    } else {
      out.until.kind = RecurrenceUntil::Kind::kLocal;
      out.until.local = local;
    }
  }
  return out;
}

}  // namespace prebell
