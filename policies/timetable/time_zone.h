// TimeZone: an IANA time zone from the operating system's tz database, and
// the one place where wall-clock time becomes an Instant.
//
// Find() accepts IANA names ("Europe/London"), "UTC", and the Windows names
// that Outlook and Exchange write into calendars ("GMT Standard Time"),
// mapped to IANA through CLDR's table as shipped by ICU.
//
// ToInstant follows RFC 5545 section 3.3.5 for the two DST edge cases:
// - a local time that does not exist (inside a spring-forward gap) is read
//   with the UTC offset in force before the gap, so 02:30 on a night that
//   jumps from 02:00 to 03:00 becomes 03:30 local;
// - a local time that happens twice (fall back) is the first of the two.
// A TimeZone is a cheap, copyable handle; the zone data lives for the
// lifetime of the process. All methods are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace date {
class time_zone;
}

namespace prebell {

class TimeZone {
 public:
  // kInvalidArgument naming `name` when neither the tz database nor the
  // Windows-name table knows it.
  static StatusOr<TimeZone> Find(std::string_view name);
  static TimeZone Utc();

  // The IANA name ("America/Chicago"), also when found by a Windows name.
  const std::string& name() const { return name_; }

  Instant ToInstant(LocalTime local) const;
  LocalTime ToLocal(Instant t) const;
  // The zone's UTC offset at `t` (positive east of Greenwich).
  Duration OffsetAt(Instant t) const;

  friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.zone_ == b.zone_; }

 private:
  TimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}

  const date::time_zone* zone_;
  std::string name_;
};

// The IANA name for a Windows time-zone name ("W. Europe Standard Time" ->
// "Europe/Berlin"), using CLDR's territory "001" default; empty if unknown.
std::string IanaNameForWindowsZone(std::string_view windows_name);

}  // namespace prebell
