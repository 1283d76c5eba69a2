// prebell_ical_expand: IcalCalendar::Parse + Expand on .ics files, printing
// the JSON array `prebell sessions --output json` prints (DESIGN.md), so the
// differential test can drive the calendar import without the full binary.
//
//   prebell_ical_expand --from T --to T [--time-zone ZONE] FILE...
//
// Exit status as the CLI contract: 0 ok, 1 runtime failure, 2 bad input.
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "policies/calendar/ical_calendar.h"

namespace {

int Usage(const std::string& problem) {
  std::cerr << "prebell_ical_expand: " << problem
            << "\nusage: prebell_ical_expand --from T --to T [--time-zone ZONE] FILE...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string from_text;
  std::string to_text;
  std::string zone_text = "UTC";
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "--from") {
      if (!value(&from_text)) return Usage("--from needs a value");
    } else if (arg == "--to") {
      if (!value(&to_text)) return Usage("--to needs a value");
    } else if (arg == "--time-zone") {
      if (!value(&zone_text)) return Usage("--time-zone needs a value");
    } else if (arg == "--output") {
      std::string format;
      if (!value(&format) || format != "json") return Usage("only --output json is supported");
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage("unknown option " + arg);
    } else {
      files.push_back(arg);
    }
  }
  if (from_text.empty() || to_text.empty() || files.empty()) return Usage("missing arguments");
  auto from = prebell::ParseRfc3339(from_text);
  auto to = prebell::ParseRfc3339(to_text);
  auto zone = prebell::TimeZone::Find(zone_text);
  for (const prebell::Status& st : {from.status(), to.status(), zone.status()}) {
    if (!st.ok()) return Usage(st.message());
  }
  nlohmann::json out = nlohmann::json::array();
  int exit_code = 0;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file << ": cannot open\n";
      return 1;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    prebell::CalendarImportOptions options;
    options.source_name = file;
    options.floating_zone = *zone;
    auto calendar = prebell::IcalCalendar::Parse(text, options);
    if (!calendar.ok()) {
      std::cerr << calendar.status().message() << "\n";
      exit_code = 2;
      continue;
    }
    auto occurrences = calendar->Expand(*from, *to);
    if (!occurrences.ok()) {
      std::cerr << occurrences.status().message() << "\n";
      exit_code = occurrences.status().code() == prebell::StatusCode::kInvalidArgument ? 2 : 1;
      continue;
    }
    for (const prebell::Occurrence& o : *occurrences) {
      out.push_back({{"timetable", o.timetable},
                     {"session", o.session},
                     {"kind", std::string(prebell::SessionKindName(o.kind))},
                     {"course", o.course},
                     {"start", prebell::FormatRfc3339(o.start)},
                     {"end", prebell::FormatRfc3339(o.end)},
                     {"expectedAttendance", o.expected_attendance}});
    }
  }
  if (exit_code != 0) return exit_code;
  std::cout << out.dump(1) << "\n";
  return 0;
}
