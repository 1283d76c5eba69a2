// ReadIcalCalendar: libical's component tree -> CalendarEvents.
//
// libical parses the text (line unfolding, escaping, value types, RRULE
// syntax) and marks what it cannot parse with X-LIC-ERROR properties; this
// file turns the tree into plain data, resolves every TZID once, applies RFC
// 5545's defaults and constraints, and reports every problem it finds with
// the position an IcalTextIndex gives it.
#include <libical/ical.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <set>

#include "policies/calendar/ical_event.h"
#include "policies/calendar/ical_splitter.h"
#include "policies/calendar/ical_text_index.h"

namespace prebell {
namespace {

constexpr size_t kMaxReportedProblems = 50;

struct ComponentDeleter {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using ComponentPtr = std::unique_ptr<icalcomponent, ComponentDeleter>;

void InitLibical() {
  static std::once_flag once;
  // Never abort() on malformed input (libical's compile-time default may).
  std::call_once(once, [] { icalerror_set_errors_are_fatal(0); });
}

// libical's name for a component kind; unknown kinds have none.
const char* KindName(icalcomponent_kind kind) {
  const char* name = icalcomponent_kind_to_string(kind);
  return name ? name : "X-COMPONENT";
}

std::string Lower1(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 120;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out + "'";
}

// Where in the file a problem is: the n-th component of a kind, and how to
// call it in a message ("VEVENT 'exam-1'").
struct Where {
  const char* component = "VCALENDAR";
  size_t ordinal = 0;
  std::string label;
};

class Problems {
 public:
  Problems(const std::string& source, std::string_view text) : source_(source), text_(text) {}

  void Add(const Where& where, std::string_view property, const std::string& problem) {
    ++count_;
    if (messages_.size() >= kMaxReportedProblems) return;
    int line = 0;
    if (!property.empty()) {
      if (const auto* l = Index().FindProperty(where.component, where.ordinal, property)) {
        line = l->number;
      }
    }
    if (line == 0) line = Index().ComponentLine(where.component, where.ordinal);
    Push(line, where, property, problem);
  }

  // A problem about one physical line libical could not read at all.
  void AddAtText(const Where& where, std::string_view text, const std::string& problem) {
    ++count_;
    if (messages_.size() >= kMaxReportedProblems) return;
    const auto* l = Index().FindText(where.component, where.ordinal, text);
    Push(l ? l->number : Index().ComponentLine(where.component, where.ordinal), where, "", problem);
  }

  // The raw text of a property line, to quote it.
  std::string RawLine(const Where& where, std::string_view property) {
    const auto* l = Index().FindProperty(where.component, where.ordinal, property);
    return l ? l->text : std::string();
  }

  int LineOf(const Where& where) { return Index().ComponentLine(where.component, where.ordinal); }

  bool empty() const { return count_ == 0; }

  Status ToStatus() const {
    std::string all;
    for (const std::string& m : messages_) {
      if (!all.empty()) all += '\n';
      all += m;
    }
    if (count_ > messages_.size()) {
      all += "\n" + source_ + ": ... and " + std::to_string(count_ - messages_.size()) +
             " more problems";
    }
    return InvalidArgumentError(all);
  }

 private:
  const IcalTextIndex& Index() {
    if (!index_) index_ = std::make_unique<IcalTextIndex>(text_);
    return *index_;
  }
  void Push(int line, const Where& where, std::string_view property, const std::string& problem) {
    std::string m = source_;
    if (line > 0) m += ":" + std::to_string(line);
    m += ": " + where.label;
    if (!property.empty()) m += ": " + std::string(property);
    m += ": " + problem;
    messages_.push_back(std::move(m));
  }

  const std::string& source_;
  std::string_view text_;
  std::unique_ptr<IcalTextIndex> index_;
  std::vector<std::string> messages_;
  size_t count_ = 0;
};

// libical's X-LIC-ERROR properties in `c` and its subcomponents.
void ReportLibicalErrors(icalcomponent* c, const Where& where, Problems* problems) {
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
    const char* raw = icalproperty_get_xlicerror(p);
    std::string message = raw ? raw : "unreadable content";
    const char* type = icalproperty_get_parameter_as_string(p, "X-LIC-ERRORTYPE");
    const std::string error_type = type ? type : "";
    // "Can't parse as DATE-TIME value in DTEND property. Removing entire
    // property: ..." -> property DTEND, and quote the line as written.
    const size_t in = message.find(" in ");
    const size_t prop_end = message.find(" property", in == std::string::npos ? 0 : in + 4);
    if (in != std::string::npos && prop_end != std::string::npos && prop_end > in + 4) {
      const std::string property = message.substr(in + 4, prop_end - in - 4);
      std::string problem = Lower1(message.substr(0, in));
      const std::string line = problems->RawLine(where, property);
      if (!line.empty()) problem += ": " + Quote(line);
      problems->Add(where, property, problem);
      continue;
    }
    const std::string data_line_marker = "component begin tag: ";
    if (const size_t k = message.find(data_line_marker); k != std::string::npos) {
      const std::string text = message.substr(k + data_line_marker.size());
      problems->AddAtText(where, text,
                          "not a property or component line: " + Quote(text) + " (" +
                              (error_type.empty() ? "libical" : error_type) + ")");
      continue;
    }
    problems->Add(where, "", Lower1(message) + (error_type.empty() ? "" : " (" + error_type + ")"));
  }
  for (icalcomponent* sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); sub;
       sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
    ReportLibicalErrors(sub, where, problems);
  }
}

StatusOr<LocalTime> ToLocalTime(const icaltimetype& t) {
  const date::year_month_day ymd{date::year{t.year}, date::month{static_cast<unsigned>(t.month)},
                                 date::day{static_cast<unsigned>(t.day)}};
  if (!ymd.ok() || t.year < 1 || t.year > 9999) {
    return InvalidArgumentError(std::string("'") + icaltime_as_ical_string(t) +
                                "' is not a valid date");
  }
  LocalTime local{LocalDay{ymd}};
  if (!t.is_date) {
    // Second 60 (a leap second) is read as 59: a session does not start on one.
    if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 ||
        t.second > 60) {
      return InvalidArgumentError(std::string("'") + icaltime_as_ical_string(t) +
                                  "' is not a valid time");
    }
    local += std::chrono::hours{t.hour} + std::chrono::minutes{t.minute} +
             std::chrono::seconds{std::min(t.second, 59)};
  }
  return local;
}

// A DTSTART/DTEND/RDATE/EXDATE/RECURRENCE-ID value, read in its zone.
struct TimeValue {
  LocalTime local{};
  Instant instant{};
  bool is_date = false;
  CalendarZone zone{TimeZone::Utc()};
};

// Resolves TZIDs once per file: tz database first, then the VTIMEZONE.
class ZoneResolver {
 public:
  ZoneResolver(const CalendarImportOptions& options, Problems* problems)
      : options_(options), problems_(problems) {}

  void AddVtimezone(const std::string& tzid, icalcomponent* vtimezone, Where where) {
    vtimezones_.emplace(tzid, std::make_pair(vtimezone, std::move(where)));
  }

  // nullopt (and a problem reported once per TZID) when nothing defines it.
  StatusOr<CalendarZone> Resolve(const std::string& tzid) {
    if (auto it = cache_.find(tzid); it != cache_.end()) return it->second;
    StatusOr<CalendarZone> zone = Lookup(tzid);
    cache_.emplace(tzid, zone);
    return zone;
  }

  const CalendarZone& floating() const { return floating_; }

 private:
  StatusOr<CalendarZone> Lookup(const std::string& tzid) {
    if (auto tz = FindTzidInDatabase(tzid)) return CalendarZone(*tz);
    auto it = vtimezones_.find(tzid);
    if (it == vtimezones_.end()) {
      return InvalidArgumentError("TZID " + Quote(tzid) +
                                  " is neither an IANA nor a Windows time zone name, and no "
                                  "VTIMEZONE in the file defines it");
    }
    auto rules = BuildRules(tzid, it->second.first);
    if (!rules.ok()) {
      problems_->Add(it->second.second, "", rules.status().message());
      return InvalidArgumentError("TZID " + Quote(tzid) + " has an unusable VTIMEZONE");
    }
    return CalendarZone(std::make_shared<const VtimezoneRules>(std::move(*rules)));
  }

  static StatusOr<VtimezoneRules> BuildRules(const std::string& tzid, icalcomponent* vtimezone);

  const CalendarImportOptions& options_;
  Problems* problems_;
  CalendarZone floating_{options_.floating_zone};
  std::map<std::string, std::pair<icalcomponent*, Where>> vtimezones_;
  std::map<std::string, StatusOr<CalendarZone>> cache_;
};

StatusOr<VtimezoneRules> ZoneResolver::BuildRules(const std::string& tzid,
                                                  icalcomponent* vtimezone) {
  std::vector<VtimezoneObservance> observances;
  for (icalcomponent* sub = icalcomponent_get_first_component(vtimezone, ICAL_ANY_COMPONENT); sub;
       sub = icalcomponent_get_next_component(vtimezone, ICAL_ANY_COMPONENT)) {
    const icalcomponent_kind kind = icalcomponent_isa(sub);
    if (kind != ICAL_XSTANDARD_COMPONENT && kind != ICAL_XDAYLIGHT_COMPONENT) continue;
    const char* what = kind == ICAL_XSTANDARD_COMPONENT ? "STANDARD" : "DAYLIGHT";
    icalproperty* start = icalcomponent_get_first_property(sub, ICAL_DTSTART_PROPERTY);
    icalproperty* from = icalcomponent_get_first_property(sub, ICAL_TZOFFSETFROM_PROPERTY);
    icalproperty* to = icalcomponent_get_first_property(sub, ICAL_TZOFFSETTO_PROPERTY);
    if (!start || !from || !to) {
      return InvalidArgumentError("VTIMEZONE " + Quote(tzid) + ": " + what +
                                  " needs DTSTART, TZOFFSETFROM and TZOFFSETTO");
    }
    VtimezoneObservance o;
    auto onset = ToLocalTime(icalproperty_get_dtstart(start));
    if (!onset.ok()) {
      return InvalidArgumentError("VTIMEZONE " + Quote(tzid) + ": " + what +
                                  " DTSTART: " + onset.status().message());
    }
    o.onset = *onset;
    o.offset_from = Duration{icalproperty_get_tzoffsetfrom(from)};
    o.offset_to = Duration{icalproperty_get_tzoffsetto(to)};
    if (std::chrono::abs(o.offset_from) > std::chrono::hours{24} ||
        std::chrono::abs(o.offset_to) > std::chrono::hours{24}) {
      return InvalidArgumentError("VTIMEZONE " + Quote(tzid) + ": " + what +
                                  " has a UTC offset of more than 24 hours");
    }
    for (icalproperty* p = icalcomponent_get_first_property(sub, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(sub, ICAL_RDATE_PROPERTY)) {
      const icaldatetimeperiodtype d = icalproperty_get_rdate(p);
      const icaltimetype t = icaltime_is_null_time(d.time) ? d.period.start : d.time;
      auto local = ToLocalTime(t);
      if (!local.ok()) {
        return InvalidArgumentError("VTIMEZONE " + Quote(tzid) + ": " + what +
                                    " RDATE: " + local.status().message());
      }
      o.rdates.push_back(icaltime_is_utc(t) ? *local + o.offset_from : *local);
    }
    icalproperty* rrule = icalcomponent_get_first_property(sub, ICAL_RRULE_PROPERTY);
    if (rrule) {
      const char* text = icalproperty_get_value_as_string(rrule);
      auto parsed = ParseRecurrenceRule(text ? text : "");
      if (!parsed.ok()) {
        return InvalidArgumentError("VTIMEZONE " + Quote(tzid) + ": " + what + ": " +
                                    parsed.status().message());
      }
      o.rule = parsed->rule;
      // RFC 5545 wants a UTC UNTIL here; a local one is read in the offset
      // before the onset, a DATE as the end of that day.
      const RecurrenceUntil& until = parsed->until;
      switch (until.kind) {
        case RecurrenceUntil::Kind::kNone:
          break;
        case RecurrenceUntil::Kind::kUtc:
          o.until = until.utc;
          break;
        case RecurrenceUntil::Kind::kLocal:
          o.until = Instant{(until.local - o.offset_from).time_since_epoch()};
          break;
        case RecurrenceUntil::Kind::kDate:
          o.until = Instant{
              (LocalTime{until.day + date::days{1}} - std::chrono::seconds{1} - o.offset_from)
                  .time_since_epoch()};
          break;
      }
    }
    observances.push_back(std::move(o));
  }
  // Transitions are computed up to the year 2200; the last offset holds after.
  const LocalTime horizon{LocalDay{date::year{2200} / 1 / 1}};
  return VtimezoneRules::Build(tzid, observances, horizon);
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// One VEVENT as read, before UIDs are grouped.
struct RawEvent {
  Where where;
  std::string uid;
  bool ok = true;
  std::optional<TimeValue> recurrence_id;
  bool this_and_future = false;
  std::optional<TimeValue> start;
  EventLength length;
  bool has_length = false;
  std::vector<EventRule> rules;
  std::vector<ExtraInstance> rdates;
  std::vector<Instant> exdates;
  std::vector<LocalDay> exdate_days;
  std::optional<std::string> summary;
  std::optional<int64_t> attendance;  // X-PREBELL-ATTENDANCE, else ATTENDEE count
  bool cancelled = false;
};

class EventReader {
 public:
  EventReader(ZoneResolver* zones, Problems* problems) : zones_(zones), problems_(problems) {}

  RawEvent Read(icalcomponent* vevent, Where where);

 private:
  void Fail(RawEvent* e, std::string_view property, const std::string& problem) {
    e->ok = false;
    problems_->Add(e->where, property, problem);
  }
  std::optional<TimeValue> ReadTime(RawEvent* e, icalproperty* p, const char* name,
                                    const icaltimetype& t);
  void ReadLength(RawEvent* e, icalcomponent* vevent);
  void ReadRules(RawEvent* e, icalcomponent* vevent);
  void ReadRdates(RawEvent* e, icalcomponent* vevent);
  void ReadExdates(RawEvent* e, icalcomponent* vevent);
  void ReadAttendance(RawEvent* e, icalcomponent* vevent);

  ZoneResolver* zones_;
  Problems* problems_;
};

std::optional<TimeValue> EventReader::ReadTime(RawEvent* e, icalproperty* p, const char* name,
                                               const icaltimetype& t) {
  if (icaltime_is_null_time(t)) {
    Fail(e, name, "has no date");
    return std::nullopt;
  }
  auto local = ToLocalTime(t);
  if (!local.ok()) {
    Fail(e, name, local.status().message());
    return std::nullopt;
  }
  TimeValue v;
  v.local = *local;
  v.is_date = t.is_date != 0;
  if (icaltime_is_utc(t)) {
    v.zone = CalendarZone(TimeZone::Utc());
  } else if (const char* tzid = icalproperty_get_parameter_as_string(p, "TZID");
             tzid != nullptr && !v.is_date) {
    auto zone = zones_->Resolve(tzid);
    if (!zone.ok()) {
      Fail(e, name, zone.status().message());
      return std::nullopt;
    }
    v.zone = *zone;
  } else {
    v.zone = zones_->floating();  // floating time, or a DATE (a day of the floating zone)
  }
  v.instant = v.zone.ToInstant(v.local);
  return v;
}

void EventReader::ReadLength(RawEvent* e, icalcomponent* vevent) {
  icalproperty* dtend = icalcomponent_get_first_property(vevent, ICAL_DTEND_PROPERTY);
  icalproperty* duration = icalcomponent_get_first_property(vevent, ICAL_DURATION_PROPERTY);
  const TimeValue& start = *e->start;
  if (dtend && duration) {
    Fail(e, "DURATION", "an event has DTEND or DURATION, not both (RFC 5545 3.6.1)");
    return;
  }
  if (dtend) {
    auto end = ReadTime(e, dtend, "DTEND", icalproperty_get_dtend(dtend));
    if (!end) return;
    if (end->is_date != start.is_date) {
      Fail(e, "DTEND", "must be a DATE when DTSTART is a DATE and a DATE-TIME otherwise");
      return;
    }
    if (end->instant < start.instant || (start.is_date && end->local < start.local)) {
      Fail(e, "DTEND", "is before DTSTART");
      return;
    }
    if (start.is_date) {
      e->length.nominal_days = date::floor<date::days>(end->local - start.local).count();
    } else {
      e->length.exact = end->instant - start.instant;
    }
    e->has_length = true;
    return;
  }
  if (duration) {
    const icaldurationtype d = icalproperty_get_duration(duration);
    if (d.is_neg) {
      Fail(e, "DURATION", "is negative");
      return;
    }
    e->length.nominal_days = static_cast<int64_t>(d.weeks) * 7 + d.days;
    e->length.exact = std::chrono::hours{d.hours} + std::chrono::minutes{d.minutes} +
                      std::chrono::seconds{d.seconds};
    if (e->length.nominal_days > 366 * 100) {
      Fail(e, "DURATION", "is longer than 100 years");
      return;
    }
    e->has_length = true;
    return;
  }
  // RFC 5545 3.6.1: a DATE lasts one day, a DATE-TIME no time at all.
  if (start.is_date) e->length.nominal_days = 1;
}

void EventReader::ReadRules(RawEvent* e, icalcomponent* vevent) {
  for (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_RRULE_PROPERTY); p;
       p = icalcomponent_get_next_property(vevent, ICAL_RRULE_PROPERTY)) {
    const char* text = icalproperty_get_value_as_string(p);
    auto parsed = ParseRecurrenceRule(text ? text : "");
    if (!parsed.ok()) {
      Fail(e, "RRULE", parsed.status().message());
      continue;
    }
    const RecurrenceRule& rule = parsed->rule;
    const TimeValue& start = *e->start;
    if (start.is_date && (rule.frequency < RecurrenceFrequency::kDaily || !rule.by_hour.empty() ||
                          !rule.by_minute.empty() || !rule.by_second.empty())) {
      Fail(e, "RRULE",
           FormatRecurrenceRule(rule) +
               " sets times of day, but DTSTART is a DATE (an all-day event)");
      continue;
    }
    e->rules.push_back({CompiledRecurrenceRule(parsed->rule, start.local), parsed->until});
  }
}

void EventReader::ReadRdates(RawEvent* e, icalcomponent* vevent) {
  const TimeValue& start = *e->start;
  for (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_RDATE_PROPERTY); p;
       p = icalcomponent_get_next_property(vevent, ICAL_RDATE_PROPERTY)) {
    const icaldatetimeperiodtype d = icalproperty_get_rdate(p);
    if (!icaltime_is_null_time(d.time)) {
      auto t = ReadTime(e, p, "RDATE", d.time);
      if (!t) continue;
      if (t->is_date != start.is_date) {
        Fail(e, "RDATE",
             "must have DTSTART's value type (DATE for all-day events, else DATE-TIME)");
        continue;
      }
      e->rdates.push_back({t->instant, std::nullopt});
      continue;
    }
    auto from = ReadTime(e, p, "RDATE", d.period.start);
    if (!from) continue;
    if (from->is_date || start.is_date) {
      Fail(e, "RDATE", "a PERIOD is for events with a DATE-TIME DTSTART");
      continue;
    }
    Instant end;
    if (!icaltime_is_null_time(d.period.end)) {
      auto to = ReadTime(e, p, "RDATE", d.period.end);
      if (!to) continue;
      end = to->instant;
    } else {
      const icaldurationtype du = d.period.duration;
      if (du.is_neg) {
        Fail(e, "RDATE", "the PERIOD has a negative duration");
        continue;
      }
      const LocalTime local_end =
          from->local + date::days{static_cast<int64_t>(du.weeks) * 7 + du.days};
      end = from->zone.ToInstant(local_end) + std::chrono::hours{du.hours} +
            std::chrono::minutes{du.minutes} + std::chrono::seconds{du.seconds};
    }
    if (end < from->instant) {
      Fail(e, "RDATE", "the PERIOD ends before it starts");
      continue;
    }
    e->rdates.push_back({from->instant, end});
  }
}

void EventReader::ReadExdates(RawEvent* e, icalcomponent* vevent) {
  const TimeValue& start = *e->start;
  for (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_EXDATE_PROPERTY); p;
       p = icalcomponent_get_next_property(vevent, ICAL_EXDATE_PROPERTY)) {
    auto t = ReadTime(e, p, "EXDATE", icalproperty_get_exdate(p));
    if (!t) continue;
    if (t->is_date && !start.is_date) {
      e->exdate_days.push_back(date::floor<date::days>(t->local));  // the whole local day
    } else if (!t->is_date && start.is_date) {
      // A DATE-TIME excluding an all-day instance: its day in the floating zone.
      e->exdates.push_back(zones_->floating().ToInstant(
          LocalTime{date::floor<date::days>(zones_->floating().ToLocal(t->instant))}));
    } else {
      e->exdates.push_back(t->instant);
    }
  }
}

void EventReader::ReadAttendance(RawEvent* e, icalcomponent* vevent) {
  int64_t attendees = 0;
  for (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(vevent, ICAL_ANY_PROPERTY)) {
    const icalproperty_kind kind = icalproperty_isa(p);
    if (kind == ICAL_X_PROPERTY) {
      const char* name = icalproperty_get_x_name(p);
      if (name == nullptr || std::string_view(name) != "X-PREBELL-ATTENDANCE") continue;
      const char* value = icalproperty_get_x(p);
      const std::string_view text = TrimSpaces(value ? value : "");
      int64_t n = 0;
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (!IsDigits(text) || ec != std::errc() || ptr != text.data() + text.size() ||
          n > kMaxExpectedAttendance) {
        Fail(e, "X-PREBELL-ATTENDANCE",
             Quote(text) + " is not a whole number of students from 0 to " +
                 std::to_string(kMaxExpectedAttendance));
        continue;
      }
      e->attendance = n;
      return;
    }
    if (kind == ICAL_ATTENDEE_PROPERTY) {
      icalparameter* role = icalproperty_get_first_parameter(p, ICAL_ROLE_PARAMETER);
      icalparameter* cutype = icalproperty_get_first_parameter(p, ICAL_CUTYPE_PARAMETER);
      const bool organiser_or_observer =
          role && (icalparameter_get_role(role) == ICAL_ROLE_CHAIR ||
                   icalparameter_get_role(role) == ICAL_ROLE_NONPARTICIPANT);
      const bool thing = cutype && (icalparameter_get_cutype(cutype) == ICAL_CUTYPE_ROOM ||
                                    icalparameter_get_cutype(cutype) == ICAL_CUTYPE_RESOURCE);
      if (!organiser_or_observer && !thing) ++attendees;
    }
  }
  if (attendees > 0 && e->ok) e->attendance = std::min(attendees, kMaxExpectedAttendance);
}

RawEvent EventReader::Read(icalcomponent* vevent, Where where) {
  RawEvent e;
  e.where = std::move(where);
  if (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_UID_PROPERTY)) {
    const char* uid = icalproperty_get_uid(p);
    e.uid = uid ? uid : "";
  }
  if (e.uid.empty()) {
    Fail(&e, "UID", "the event has no UID (RFC 5545 requires one; it names the session)");
    return e;
  }
  e.where.label = "VEVENT " + Quote(e.uid);
  ReportLibicalErrors(vevent, e.where, problems_);
  if (icalcomponent_get_first_property(vevent, ICAL_XLICERROR_PROPERTY)) e.ok = false;

  if (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_RECURRENCEID_PROPERTY)) {
    e.recurrence_id = ReadTime(&e, p, "RECURRENCE-ID", icalproperty_get_recurrenceid(p));
    if (icalparameter* range = icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER)) {
      e.this_and_future = icalparameter_get_range(range) == ICAL_RANGE_THISANDFUTURE;
    }
  }
  if (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_DTSTART_PROPERTY)) {
    e.start = ReadTime(&e, p, "DTSTART", icalproperty_get_dtstart(p));
  } else if (!e.recurrence_id) {
    Fail(&e, "DTSTART", "the event has no DTSTART");
  }
  if (e.start) {
    ReadLength(&e, vevent);
    ReadRules(&e, vevent);
    ReadRdates(&e, vevent);
    ReadExdates(&e, vevent);
  }
  if (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_SUMMARY_PROPERTY)) {
    const char* s = icalproperty_get_summary(p);
    if (s && *s) e.summary = s;
  }
  if (icalproperty* p = icalcomponent_get_first_property(vevent, ICAL_STATUS_PROPERTY)) {
    e.cancelled = icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
  }
  ReadAttendance(&e, vevent);
  return e;
}

EventDetails DetailsOf(const RawEvent& e, const CalendarImportOptions& options,
                       const EventDetails* master) {
  EventDetails d;
  if (!options.course.empty()) {
    d.course = options.course;
  } else if (e.summary) {
    d.course = *e.summary;
  } else {
    d.course = master ? master->course : e.uid;
  }
  d.attendance = e.attendance ? *e.attendance
                 : master     ? master->attendance
                              : options.expected_attendance;
  d.cancelled = e.cancelled;
  return d;
}

Instant EndOf(const CalendarZone& zone, LocalTime local_start, Instant start,
              const EventLength& len) {
  if (len.nominal_days == 0) return start + len.exact;
  return zone.ToInstant(local_start + date::days{len.nominal_days}) + len.exact;
}

}  // namespace

StatusOr<std::unique_ptr<IcalCalendar::Data>> ReadIcalCalendar(
    std::string_view text, const CalendarImportOptions& options) {
  InitLibical();
  const std::string& source = options.source_name;
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return InvalidArgumentError(source + ": contains a NUL byte at offset " + std::to_string(nul) +
                                " (not an iCalendar text)");
  }
  // Outlook and Windows tools often start the file with a UTF-8 byte order
  // mark, which libical would read as part of "BEGIN".
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  // libical sees the calendar without its events first, then one event at
  // a time (ical_splitter.h); a text that cannot be cut cleanly is parsed
  // whole.
  IcalSplit split = SplitIcalText(text);
  if (!split.ok) split.rest.assign(text);
  icalerror_clear_errno();
  ComponentPtr root(icalparser_parse_string(split.rest.c_str()));
  split.rest.clear();
  split.rest.shrink_to_fit();
  const icalerrorenum parse_errno = icalerrno;
  icalerror_clear_errno();
  if (!root) {
    if (parse_errno == ICAL_NEWFAILED_ERROR) {
      return ResourceExhaustedError(source + ": out of memory while parsing");
    }
    return InvalidArgumentError(source +
                                ": not an iCalendar file (no complete BEGIN:VCALENDAR ... "
                                "END:VCALENDAR)");
  }
  std::vector<icalcomponent*> calendars;
  if (icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
    calendars.push_back(root.get());
  } else {
    for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT);
         c; c = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT)) {
      calendars.push_back(c);
    }
  }
  if (calendars.empty()) {
    return InvalidArgumentError(source + ": not an iCalendar file (the text has " +
                                KindName(icalcomponent_isa(root.get())) + " but no VCALENDAR)");
  }

  Problems problems(source, text);
  ZoneResolver zones(options, &problems);
  // Ordinals count components of one name in document order, as the text
  // index does.
  std::map<std::string, size_t> ordinals;
  auto next_where = [&](icalcomponent* c, std::string label) {
    const std::string name = KindName(icalcomponent_isa(c));
    Where w;
    w.component = KindName(icalcomponent_isa(c));
    w.ordinal = ordinals[name]++;
    w.label = std::move(label);
    return w;
  };

  std::vector<std::pair<icalcomponent*, Where>> vevents;
  for (icalcomponent* cal : calendars) {
    Where cal_where = next_where(cal, "VCALENDAR");
    // Only the calendar's own properties here: components report their own.
    ComponentPtr shallow(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
    for (icalproperty* p = icalcomponent_get_first_property(cal, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(cal, ICAL_XLICERROR_PROPERTY)) {
      icalcomponent_add_property(shallow.get(), icalproperty_new_clone(p));
    }
    ReportLibicalErrors(shallow.get(), cal_where, &problems);
    for (icalcomponent* c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
         c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
      const icalcomponent_kind kind = icalcomponent_isa(c);
      if (kind == ICAL_VTIMEZONE_COMPONENT) {
        icalproperty* tzid_prop = icalcomponent_get_first_property(c, ICAL_TZID_PROPERTY);
        const char* tzid = tzid_prop ? icalproperty_get_tzid(tzid_prop) : nullptr;
        Where w = next_where(c, std::string("VTIMEZONE ") + Quote(tzid ? tzid : ""));
        ReportLibicalErrors(c, w, &problems);
        if (!tzid || !*tzid) {
          problems.Add(w, "TZID", "a VTIMEZONE needs a TZID");
          continue;
        }
        zones.AddVtimezone(tzid, c, std::move(w));
      } else if (kind == ICAL_VEVENT_COMPONENT) {
        vevents.emplace_back(c, next_where(c, "VEVENT #" + std::to_string(ordinals["VEVENT"] + 1)));
      } else {
        // VTODO, VJOURNAL, VFREEBUSY, X- components: not sessions; only
        // counted so that line numbers of later components stay right.
        next_where(c, "");
      }
    }
  }

  EventReader reader(&zones, &problems);
  auto data = std::make_unique<IcalCalendar::Data>();
  data->options = options;
  std::map<std::string, size_t> by_uid;  // -> index in data->events
  std::map<std::string, Where> master_where;
  std::vector<RawEvent> overrides;
  std::vector<RawEvent> masters;
  auto read = [&](icalcomponent* vevent, const Where& where) {
    RawEvent e = reader.Read(vevent, where);
    if (!e.ok) return;
    (e.recurrence_id ? overrides : masters).push_back(std::move(e));
  };
  for (auto& [vevent, where] : vevents) read(vevent, where);
  for (size_t i = 0; i < split.events.size(); ++i) {
    const std::string one(split.events[i]);
    ComponentPtr vevent(icalparser_parse_string(one.c_str()));
    Where where;
    where.component = "VEVENT";
    where.ordinal = i;
    where.label = "VEVENT #" + std::to_string(i + 1);
    if (!vevent || icalcomponent_isa(vevent.get()) != ICAL_VEVENT_COMPONENT) {
      problems.Add(where, "", "libical could not read this event");
      continue;
    }
    read(vevent.get(), where);
  }
  for (RawEvent& e : masters) {
    if (auto it = master_where.find(e.uid); it != master_where.end()) {
      problems.Add(e.where, "UID",
                   "the VEVENT at line " + std::to_string(problems.LineOf(it->second)) +
                       " already has this UID and no RECURRENCE-ID either; a UID names one "
                       "series");
      continue;
    }
    master_where.emplace(e.uid, e.where);
    CalendarEvent ev;
    ev.uid = e.uid;
    ev.has_master = true;
    ev.zone = e.start->zone;
    ev.all_day = e.start->is_date;
    ev.start_local = e.start->local;
    ev.start = e.start->instant;
    ev.length = e.length;
    ev.rules = std::move(e.rules);
    ev.rdates = std::move(e.rdates);
    ev.exdates = std::move(e.exdates);
    std::sort(ev.exdates.begin(), ev.exdates.end());
    ev.exdate_days = std::move(e.exdate_days);
    ev.details = DetailsOf(e, options, nullptr);
    by_uid.emplace(ev.uid, data->events.size());
    data->events.push_back(std::move(ev));
  }
  std::map<std::pair<std::string, Instant>, std::string> seen_ids;
  for (RawEvent& e : overrides) {
    auto it = by_uid.find(e.uid);
    if (it == by_uid.end()) {
      // Instances without their series (an invitation to single sittings):
      // each stands alone.
      CalendarEvent ev;
      ev.uid = e.uid;
      ev.has_master = false;
      by_uid.emplace(e.uid, data->events.size());
      data->events.push_back(std::move(ev));
      it = by_uid.find(e.uid);
    }
    CalendarEvent& ev = data->events[it->second];
    const TimeValue& rid = *e.recurrence_id;
    auto [dup, inserted] = seen_ids.emplace(std::make_pair(e.uid, rid.instant), e.where.label);
    if (!inserted) {
      problems.Add(e.where, "RECURRENCE-ID",
                   "another VEVENT already overrides this instance of " + Quote(e.uid));
      continue;
    }
    EventOverride o;
    if (rid.is_date && ev.has_master && !ev.all_day) {
      o.recurrence_day = date::floor<date::days>(rid.local);
    }
    o.recurrence_id = rid.instant;
    o.this_and_future = e.this_and_future;
    const EventDetails* master = ev.has_master ? &ev.details : nullptr;
    o.details = DetailsOf(e, options, master);
    if (e.start) {
      o.start = e.start->instant;
      o.end = EndOf(e.start->zone, e.start->local, e.start->instant, e.length);
    } else {
      // No DTSTART: the instance keeps its time and the series' length.
      o.start = rid.instant;
      o.end = ev.has_master ? EndOf(ev.zone, ev.zone.ToLocal(rid.instant), rid.instant, ev.length)
                            : rid.instant;
    }
    ev.overrides.push_back(std::move(o));
  }
  if (!problems.empty()) return problems.ToStatus();
  // Expand relies on this order (it stands in for OccurrenceBefore's UID order).
  std::sort(data->events.begin(), data->events.end(),
            [](const CalendarEvent& a, const CalendarEvent& b) { return a.uid < b.uid; });
  return data;
}

}  // namespace prebell
