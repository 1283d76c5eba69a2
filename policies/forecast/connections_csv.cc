#include "policies/forecast/connections_csv.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace prebell {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseUnixSeconds(std::string_view s, int64_t& out) {
  // Integer seconds; a fractional part ("1790550000.5") is truncated.
  const size_t dot = s.find('.');
  std::string_view whole = dot == std::string_view::npos ? s : s.substr(0, dot);
  if (dot != std::string_view::npos) {
    for (char c : s.substr(dot + 1)) {
      if (c < '0' || c > '9') return false;
    }
  }
  auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), out);
  // Before 1970 or after 9999: not a recording of this century's metrics.
  return ec == std::errc() && ptr == whole.data() + whole.size() && out >= 0 && out < 253402300800;
}

}  // namespace

StatusOr<std::vector<MetricSample>> ParseConnectionsCsv(std::string_view text,
                                                        std::string_view file_name) {
  std::vector<MetricSample> out;
  std::vector<std::string> problems;
  int64_t problem_count = 0;
  auto problem = [&](int64_t line, std::string_view field, const std::string& what) {
    ++problem_count;
    if (problems.size() < 20) {
      problems.push_back(std::string(file_name) + ":" + std::to_string(line) + ": " +
                         std::string(field) + ": " + what);
    }
  };
  int64_t line_no = 0;
  bool header_seen = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty()) {
      if (nl == text.size()) break;
      continue;
    }
    if (!header_seen) {
      header_seen = true;
      const size_t c = line.find(',');
      if (c == std::string_view::npos || Trim(line.substr(0, c)) != "timestamp" ||
          Trim(line.substr(c + 1)) != "connections") {
        problem(line_no, "header",
                "expected 'timestamp,connections', got '" + std::string(line) + "'");
        break;
      }
      continue;
    }
    const size_t c = line.find(',');
    if (c == std::string_view::npos || line.find(',', c + 1) != std::string_view::npos) {
      problem(line_no, "row",
              "expected two fields 'timestamp,connections', got '" + std::string(line) + "'");
      continue;
    }
    const std::string_view ts = Trim(line.substr(0, c));
    const std::string_view val = Trim(line.substr(c + 1));
    int64_t seconds = 0;
    if (!ParseUnixSeconds(ts, seconds)) {
      problem(line_no, "timestamp", "'" + std::string(ts) + "' is not unix seconds");
      continue;
    }
    double v = std::numeric_limits<double>::quiet_NaN();
    if (!val.empty() && val != "NaN" && val != "nan" && val != "NAN") {
      auto [ptr, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
      if (ptr != val.data() + val.size() ||
          (ec != std::errc() && ec != std::errc::result_out_of_range)) {
        problem(line_no, "connections", "'" + std::string(val) + "' is not a number");
        continue;
      }
      if (ec == std::errc::result_out_of_range) v = std::numeric_limits<double>::infinity();
    }
    out.push_back({Instant{std::chrono::seconds{seconds}}, v});
  }
  if (!header_seen) problem(1, "header", "empty file; expected 'timestamp,connections'");
  if (problem_count > 0) {
    std::string all;
    for (const std::string& p : problems) all += (all.empty() ? "" : "\n") + p;
    if (problem_count > static_cast<int64_t>(problems.size())) {
      all += "\n... and " + std::to_string(problem_count - static_cast<int64_t>(problems.size())) +
             " more";
    }
    return InvalidArgumentError(all);
  }
  return out;
}

}  // namespace prebell
