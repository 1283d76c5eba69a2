#include "policies/timetable/libical_recurrence.h"

#include <date/date.h>
#include <libical/ical.h>

namespace prebell {
namespace {

icaltimetype ToIcal(LocalTime t) {
  const LocalDay day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<Duration> tod{t - day};
  icaltimetype out = icaltime_null_time();
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.hour = static_cast<int>(tod.hours().count());
  out.minute = static_cast<int>(tod.minutes().count());
  out.second = static_cast<int>(tod.seconds().count());
  out.is_date = 0;
  out.zone = nullptr;  // floating: wall-clock time, no zone
  return out;
}

std::optional<LocalTime> FromIcal(const icaltimetype& t) {
  if (icaltime_is_null_time(t)) return std::nullopt;
  const date::year_month_day ymd{date::year{t.year}, date::month{static_cast<unsigned>(t.month)},
                                 date::day{static_cast<unsigned>(t.day)}};
  if (!ymd.ok()) return std::nullopt;
  return LocalTime{LocalDay{ymd}.time_since_epoch() + std::chrono::hours{t.hour} +
                   std::chrono::minutes{t.minute} + std::chrono::seconds{t.second}};
}

}  // namespace

struct LibicalRecurrence::Impl {
  icalrecur_iterator* it = nullptr;
  ~Impl() {
    if (it != nullptr) icalrecur_iterator_free(it);
  }
};

LibicalRecurrence::LibicalRecurrence(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LibicalRecurrence::LibicalRecurrence(LibicalRecurrence&&) noexcept = default;
LibicalRecurrence& LibicalRecurrence::operator=(LibicalRecurrence&&) noexcept = default;
LibicalRecurrence::~LibicalRecurrence() = default;

bool LibicalRecurrence::CanSkipAhead(const Rrule& rule) {
  return rule.count == 0 &&
         (rule.frequency == RruleFrequency::kDaily || rule.frequency == RruleFrequency::kWeekly ||
          rule.frequency == RruleFrequency::kMonthly || rule.frequency == RruleFrequency::kYearly);
}

StatusOr<LibicalRecurrence> LibicalRecurrence::Create(const Rrule& rule, LocalTime dtstart,
                                                      LocalTime until,
                                                      std::optional<LocalTime> start_at) {
  icalerror_clear_errno();
  icalrecurrencetype r = icalrecurrencetype_from_string(rule.text_without_end.c_str());
  if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    icalerror_clear_errno();
    return InvalidArgumentError("libical cannot read the rule '" + rule.text_without_end + "'");
  }
  r.count = static_cast<int>(rule.count);
  r.until = ToIcal(until);
  auto impl = std::make_unique<Impl>();
  impl->it = icalrecur_iterator_new(r, ToIcal(dtstart));
  if (impl->it == nullptr) {
    icalerror_clear_errno();
    return InvalidArgumentError(
        "the rule can never produce an occurrence from this start (libical rejects it; "
        "for example a BYSETPOS beyond the number of days it selects from)");
  }
  if (start_at && *start_at > dtstart && *start_at <= until && CanSkipAhead(rule)) {
    if (icalrecur_iterator_set_start(impl->it, ToIcal(*start_at)) == 0) {
      // Not fatal: iterate from DTSTART instead.
      icalrecur_iterator_free(impl->it);
      impl->it = icalrecur_iterator_new(r, ToIcal(dtstart));
      if (impl->it == nullptr) return InternalError("libical iterator could not be recreated");
    }
  }
  icalerror_clear_errno();
  return LibicalRecurrence(std::move(impl));
}

std::optional<LocalTime> LibicalRecurrence::Next() {
  if (impl_ == nullptr || impl_->it == nullptr) return std::nullopt;
  return FromIcal(icalrecur_iterator_next(impl_->it));
}

}  // namespace prebell
