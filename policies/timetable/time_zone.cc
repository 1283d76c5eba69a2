#include "policies/timetable/time_zone.h"

#include <date/tz.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include <exception>
#include <vector>

namespace prebell {
namespace {

const date::time_zone* LocateOrNull(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    // date/tz reports an unknown name by throwing; it is bad input here.
    return nullptr;
  }
}

}  // namespace

std::string IanaNameForWindowsZone(std::string_view windows_name) {
  if (windows_name.empty() || windows_name.size() > 128) return {};
  std::vector<UChar> win(windows_name.size() + 1);
  int32_t win_len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8(win.data(), static_cast<int32_t>(win.size()), &win_len, windows_name.data(),
                static_cast<int32_t>(windows_name.size()), &err);
  if (U_FAILURE(err)) return {};
  UChar id[128];
  err = U_ZERO_ERROR;
  const int32_t id_len = ucal_getTimeZoneIDForWindowsID(win.data(), win_len, nullptr, id,
                                                        static_cast<int32_t>(std::size(id)), &err);
  if (U_FAILURE(err) || id_len <= 0) return {};
  char utf8[256];
  int32_t utf8_len = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(utf8, static_cast<int32_t>(sizeof(utf8)), &utf8_len, id, id_len, &err);
  if (U_FAILURE(err)) return {};
  return std::string(utf8, static_cast<size_t>(utf8_len));
}

StatusOr<TimeZone> TimeZone::Find(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("time zone name is empty");
  std::string key(name);
  if (key == "UTC" || key == "Z" || key == "Etc/UTC") return Utc();
  // Reject what is clearly not a zone name before asking the database, so a
  // hostile string never reaches the file system under /usr/share/zoneinfo.
  if (key.size() > 128 || key.find("..") != std::string::npos || key.front() == '/') {
    return InvalidArgumentError("unknown time zone '" + key + "'");
  }
  if (const date::time_zone* z = LocateOrNull(key)) return TimeZone(z, std::string(z->name()));
  const std::string iana = IanaNameForWindowsZone(key);
  if (!iana.empty()) {
    if (const date::time_zone* z = LocateOrNull(iana)) return TimeZone(z, std::string(z->name()));
  }
  return InvalidArgumentError("unknown time zone '" + key +
                              "' (expected an IANA name such as Europe/London)");
}

TimeZone TimeZone::Utc() {
  static const date::time_zone* const utc = date::locate_zone("Etc/UTC");
  return TimeZone(utc, "UTC");
}

Instant TimeZone::ToInstant(LocalTime local) const {
  const date::local_info info = zone_->get_info(local);
  // For unique and ambiguous times `first` is the (earlier) interpretation;
  // for a nonexistent time it is the period before the gap, which is exactly
  // the offset RFC 5545 says to use.
  return Instant{local.time_since_epoch() - info.first.offset};
}

LocalTime TimeZone::ToLocal(Instant t) const {
  return LocalTime{t.time_since_epoch() + OffsetAt(t)};
}

Duration TimeZone::OffsetAt(Instant t) const {
  return std::chrono::duration_cast<Duration>(zone_->get_info(t).offset);
}

}  // namespace prebell
