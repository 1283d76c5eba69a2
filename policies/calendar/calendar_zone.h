// CalendarZone: the wall-clock zone of an iCalendar value, and how a TZID
// finds one.
//
// A TZID names a zone of the tz database (IANA "Europe/London", or the
// Windows name Outlook and Exchange write, "GMT Standard Time"), possibly
// behind a vendor prefix ("/mozilla.org/20050126_1/Europe/London",
// "/citadel.org/20190914_1/Europe/London"); failing that, the calendar's own
// VTIMEZONE defines it. The tz database wins over a VTIMEZONE of the same
// name: exporters often write only the current rule into their VTIMEZONEs.
// Both kinds convert local times the same way (RFC 5545 3.3.5: gap -> offset
// before it, overlap -> first reading).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policies/calendar/vtimezone_rules.h"
#include "policies/common/time_text.h"
#include "policies/timetable/time_zone.h"

namespace prebell {

class CalendarZone {
 public:
  explicit CalendarZone(TimeZone zone) : zone_(std::move(zone)) {}
  explicit CalendarZone(std::shared_ptr<const VtimezoneRules> rules)
      : zone_(TimeZone::Utc()), rules_(std::move(rules)) {}

  Instant ToInstant(LocalTime local) const {
    return rules_ ? rules_->ToInstant(local) : zone_.ToInstant(local);
  }
  LocalTime ToLocal(Instant t) const { return rules_ ? rules_->ToLocal(t) : zone_.ToLocal(t); }
  // IANA name, or "VTIMEZONE <tzid>".
  std::string Describe() const { return rules_ ? "VTIMEZONE " + rules_->tzid() : zone_.name(); }

 private:
  TimeZone zone_;
  std::shared_ptr<const VtimezoneRules> rules_;
};

// The tz-database zone a TZID names directly, as a Windows name, or behind a
// vendor prefix; nullopt when it names none (then only a VTIMEZONE can).
std::optional<TimeZone> FindTzidInDatabase(std::string_view tzid);

}  // namespace prebell
