// `prebell sessions`: every occurrence in [from, to) of Timetable manifests
// and iCalendar files, as one JSON array or a table for a person
// (DESIGN.md, "Contracts"). Without --from the window starts now; without
// --to it lasts seven days.
#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/main/commands.h"
#include "controller/main/input_file.h"
#include "policies/calendar/ical_calendar.h"
#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/time_zone.h"
#include "policies/timetable/timetable_manifest.h"

namespace prebell::cli {
namespace {

constexpr Duration kDefaultWindow = std::chrono::hours(24 * 7);

struct SessionsArgs {
  std::string from;
  std::string to;
  std::string time_zone;
  std::string output = "table";
  std::vector<std::string> files;
};

// An occurrence and the zone a person reads it in: the timetable's own, or
// --time-zone for iCalendar files.
struct Row {
  Occurrence occurrence;
  TimeZone zone;
};

// Collects errors and the exit status they call for (bad input wins).
class Failures {
 public:
  void Add(const Status& s, const std::string& path) {
    std::cerr << NamingFile(path, s.message()) << "\n";
    const int code = ExitStatusFor(s);
    if (code == kExitBadInput || exit_ == kExitOk) exit_ = code;
  }
  void AddProblems(const std::vector<ManifestProblem>& problems) {
    for (const ManifestProblem& p : problems) std::cerr << p.ToString() << "\n";
    if (!problems.empty()) exit_ = kExitBadInput;
  }
  int exit_status() const { return exit_; }

 private:
  int exit_ = kExitOk;
};

// "Mon 2026-09-28 09:00 +01:00", or "10:30" for an end on the same day.
std::string LocalText(const TimeZone& zone, Instant t, bool with_date) {
  static constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const LocalTime local = zone.ToLocal(t);
  const std::string full = FormatLocalDateTime(local);  // YYYY-MM-DDTHH:MM:SS
  const unsigned wd = date::weekday{date::floor<date::days>(local)}.c_encoding();
  std::string text =
      with_date ? std::string(kWeekdays[wd]) + " " + full.substr(0, 10) + " " + full.substr(11, 5)
                : full.substr(11, 5);
  if (full.substr(17, 2) != "00") text += full.substr(16, 3);
  if (!with_date) return text;
  const int64_t offset = zone.OffsetAt(t).count();
  const int64_t a = offset < 0 ? -offset : offset;
  char buf[16];
  std::snprintf(buf, sizeof buf, " %c%02d:%02d", offset < 0 ? '-' : '+', static_cast<int>(a / 3600),
                static_cast<int>(a % 3600 / 60));
  return text + buf;
}

void PrintTable(const std::vector<Row>& rows, Instant from, Instant to) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"START", "END", "KIND", "COURSE", "SESSION", "TIMETABLE", "EXPECTED"});
  for (const Row& r : rows) {
    const Occurrence& o = r.occurrence;
    const bool same_day = FormatLocalDateTime(r.zone.ToLocal(o.start)).substr(0, 10) ==
                          FormatLocalDateTime(r.zone.ToLocal(o.end)).substr(0, 10);
    cells.push_back({LocalText(r.zone, o.start, true), LocalText(r.zone, o.end, !same_day),
                     std::string(SessionKindName(o.kind)), o.course.empty() ? "-" : o.course,
                     o.session, o.timetable, std::to_string(o.expected_attendance)});
  }
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
  std::cout << rows.size() << (rows.size() == 1 ? " occurrence" : " occurrences")
            << " starting in [" << FormatRfc3339(from) << ", " << FormatRfc3339(to)
            << "); local times: each timetable's zone (iCalendar files: --time-zone)\n";
}

void PrintJson(const std::vector<Row>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Row& r : rows) {
    const Occurrence& o = r.occurrence;
    out.push_back({{"timetable", o.timetable},
                   {"session", o.session},
                   {"kind", std::string(SessionKindName(o.kind))},
                   {"course", o.course},
                   {"start", FormatRfc3339(o.start)},
                   {"end", FormatRfc3339(o.end)},
                   {"expectedAttendance", o.expected_attendance}});
  }
  std::cout << out.dump(2) << "\n";
}

void AddIcalendar(const std::string& path, const std::string& text, const TimeZone& zone,
                  Instant from, Instant to, std::vector<Row>* rows, Failures* failures) {
  CalendarImportOptions options;
  options.source_name = path;
  options.floating_zone = zone;
  StatusOr<IcalCalendar> calendar = IcalCalendar::Parse(text, options);
  if (!calendar.ok()) return failures->Add(calendar.status(), path);
  StatusOr<std::vector<Occurrence>> occurrences = calendar->Expand(from, to);
  if (!occurrences.ok()) return failures->Add(occurrences.status(), path);
  for (Occurrence& o : *occurrences) rows->push_back(Row{std::move(o), zone});
}

void AddManifest(const std::string& path, const std::string& text, Instant from, Instant to,
                 std::vector<Row>* rows, Failures* failures) {
  TimetableManifest manifest = ReadTimetableManifest(text, path);
  if (!manifest.ok()) return failures->AddProblems(manifest.problems);
  if (manifest.timetables.empty()) {
    return failures->Add(InvalidArgumentError("no Timetable in the file (a document with "
                                              "apiVersion prebell.io/v1alpha1 and kind Timetable)"),
                         path);
  }
  for (const Timetable& t : manifest.timetables) {
    if (!t.calendars.empty()) {
      std::cerr << path << ": note: timetable '" << t.name << "' imports " << t.calendars.size()
                << " iCalendar file(s) from ConfigMaps (spec.calendars); they are not listed: "
                   "pass the .ics files to `prebell sessions` as well\n";
    }
    StatusOr<std::vector<Occurrence>> occurrences = ExpandSessions(t, from, to);
    if (!occurrences.ok()) {
      failures->Add(occurrences.status(), path);
      continue;
    }
    const TimeZone zone = *TimeZone::Find(t.time_zone);  // validated by the reader
    for (Occurrence& o : *occurrences) rows->push_back(Row{std::move(o), zone});
  }
}

int RunSessions(const SessionsArgs& args) {
  Failures failures;
  const Instant now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  Instant from = now;
  if (!args.from.empty()) {
    StatusOr<Instant> t = ParseRfc3339(args.from);
    if (!t.ok()) failures.Add(t.status(), "--from");
    if (t.ok()) from = *t;
  }
  Instant to = from + kDefaultWindow;
  if (!args.to.empty()) {
    StatusOr<Instant> t = ParseRfc3339(args.to);
    if (!t.ok()) failures.Add(t.status(), "--to");
    if (t.ok()) to = *t;
  }
  if (failures.exit_status() == kExitOk && to <= from) {
    failures.Add(
        InvalidArgumentError(FormatRfc3339(to) + " is not after --from " + FormatRfc3339(from)),
        "--to");
  }
  TimeZone zone = TimeZone::Utc();
  if (!args.time_zone.empty()) {
    StatusOr<TimeZone> z = TimeZone::Find(args.time_zone);
    if (!z.ok()) failures.Add(z.status(), "--time-zone");
    if (z.ok()) zone = *z;
  }
  if (failures.exit_status() != kExitOk) return failures.exit_status();

  std::vector<Row> rows;
  for (const std::string& path : args.files) {
    StatusOr<std::string> text = ReadInputFile(path);
    if (!text.ok()) {
      failures.Add(text.status(), path);
      continue;
    }
    if (IsIcalendarInput(path, *text)) {
      AddIcalendar(path, *text, zone, from, to, &rows, &failures);
    } else {
      AddManifest(path, *text, from, to, &rows, &failures);
    }
  }
  if (failures.exit_status() != kExitOk) return failures.exit_status();
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return OccurrenceBefore(a.occurrence, b.occurrence);
  });
  if (args.output == "json") {
    PrintJson(rows);
  } else {
    PrintTable(rows, from, to);
  }
  std::cout.flush();
  return std::cout.good() ? kExitOk : kExitRuntimeFailure;
}

}  // namespace

void AddSessionsCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SessionsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sessions", "List every occurrence in [from, to) of Timetable manifests and .ics files");
  cmd->add_option("--from", args->from, "Start of the window, RFC 3339 (default: now)");
  cmd->add_option("--to", args->to, "End of the window, RFC 3339 (default: --from + 7d)");
  cmd->add_option("--time-zone", args->time_zone,
                  "IANA zone for floating iCalendar times, and for their rows in the table "
                  "(default UTC)");
  cmd->add_option("--output", args->output, "json (one array) or table (default)")
      ->check(CLI::IsMember({"json", "table"}));
  cmd->add_option("FILE", args->files,
                  "Timetable manifest (YAML, several documents allowed) or .ics file; - for "
                  "standard input")
      ->required();
  cmd->callback([args, &exit_code] { exit_code = RunSessions(*args); });
}

}  // namespace prebell::cli
