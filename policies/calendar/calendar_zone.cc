#include "policies/calendar/calendar_zone.h"

namespace prebell {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<TimeZone> FindTzidInDatabase(std::string_view tzid) {
  tzid = Trim(tzid);
  if (tzid.empty() || tzid.size() > 256) return std::nullopt;
  if (auto zone = TimeZone::Find(tzid); zone.ok()) return *zone;
  // Vendor prefixes ("/mozilla.org/20050126_1/Europe/London",
  // "/freeassociation.sourceforge.net/Tzfile/Europe/London"): try every
  // suffix that starts after a '/', longest first, so "America/Argentina/
  // Buenos_Aires" is found before "Argentina/Buenos_Aires".
  for (size_t pos = tzid.find('/'); pos != std::string_view::npos; pos = tzid.find('/', pos + 1)) {
    const std::string_view suffix = tzid.substr(pos + 1);
    // A zone name has an area and a location ("Europe/London") or is one of
    // the few single names ("UTC"); a bare "London" is not tried.
    if (suffix.empty() ||
        (suffix.find('/') == std::string_view::npos && suffix != "UTC" && suffix != "GMT")) {
      continue;
    }
    if (auto zone = TimeZone::Find(suffix); zone.ok()) return *zone;
  }
  return std::nullopt;
}

}  // namespace prebell
