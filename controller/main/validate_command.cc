// `prebell validate`: check Timetable manifests (and the ScalingPolicies and
// iCalendar files beside them) before they are applied. Every problem of
// every file goes to standard error as "FILE:LINE: FIELD: PROBLEM"; a file
// without problems gets one summary line on standard output. Exit status 2
// when any file has a problem (DESIGN.md, "Contracts").
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "controller/main/commands.h"
#include "controller/main/input_file.h"
#include "policies/calendar/ical_calendar.h"
#include "policies/planner/scaling_policy_manifest.h"
#include "policies/timetable/timetable_manifest.h"

namespace prebell::cli {
namespace {

std::string Plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Summary(const Timetable& t) {
  std::string s = t.namespace_name.empty() ? t.name : t.namespace_name + "/" + t.name;
  s += " (" + t.time_zone + ", " + Plural(t.sessions.size(), "session", "sessions");
  if (!t.exclusions.empty()) s += ", " + Plural(t.exclusions.size(), "exclusion", "exclusions");
  if (!t.calendars.empty()) s += ", " + Plural(t.calendars.size(), "calendar", "calendars");
  return s + ")";
}

// The exit status for one file (printing its problems or its summary).
int ValidateFile(const std::string& path) {
  StatusOr<std::string> text = ReadInputFile(path);
  if (!text.ok()) {
    std::cerr << NamingFile(path, text.status().message()) << "\n";
    return ExitStatusFor(text.status());
  }
  if (IsIcalendarInput(path, *text)) {
    CalendarImportOptions options;
    options.source_name = path;
    StatusOr<IcalCalendar> calendar = IcalCalendar::Parse(*text, options);
    if (!calendar.ok()) {
      std::cerr << NamingFile(path, calendar.status().message()) << "\n";
      return ExitStatusFor(calendar.status());
    }
    std::cout << path << ": OK: iCalendar file\n";
    return kExitOk;
  }
  TimetableManifest manifest = ReadTimetableManifest(*text, path);
  std::vector<std::string> problems;
  for (const ManifestProblem& p : manifest.problems) problems.push_back(p.ToString());
  size_t policies = 0;
  if (!manifest.skipped.empty()) {
    // The other prebell kind in the file: check it with its own reader.
    StatusOr<std::vector<ScalingPolicy>> parsed = ParseScalingPolicyManifest(*text, path);
    if (parsed.ok()) {
      policies = parsed->size();
    } else {
      problems.push_back(NamingFile(path, parsed.status().message()));
    }
  }
  if (problems.empty() && manifest.timetables.empty() && policies == 0) {
    problems.push_back(path +
                       ": no Timetable or ScalingPolicy in the file (apiVersion "
                       "prebell.io/v1alpha1)");
  }
  if (!problems.empty()) {
    for (const std::string& p : problems) std::cerr << p << "\n";
    return kExitBadInput;
  }
  std::string line = path + ": OK: ";
  if (!manifest.timetables.empty()) {
    line += Plural(manifest.timetables.size(), "Timetable", "Timetables") + " ";
    for (size_t i = 0; i < manifest.timetables.size(); ++i) {
      line += (i ? ", " : "") + Summary(manifest.timetables[i]);
    }
  }
  if (policies > 0) {
    line += std::string(manifest.timetables.empty() ? "" : "; ") +
            Plural(policies, "ScalingPolicy", "ScalingPolicies");
  }
  std::cout << line << "\n";
  return kExitOk;
}

int RunValidate(const std::vector<std::string>& files) {
  int exit_status = kExitOk;
  for (const std::string& path : files) {
    const int code = ValidateFile(path);
    if (code == kExitBadInput || exit_status == kExitOk) exit_status = code;
  }
  return exit_status;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Check Timetable manifests (and ScalingPolicies, .ics files): every problem, "
      "with file, line and field");
  cmd->add_option("FILE", *files, "Manifest (YAML) or .ics file; - for standard input")->required();
  cmd->callback([files, &exit_code] { exit_code = RunValidate(*files); });
}

}  // namespace prebell::cli
