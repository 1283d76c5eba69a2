// Reading the input files of `prebell plan` and `prebell backtest`: manifest
// text and the recorded connections CSV. Only I/O lives here; parsing and
// every decision are in policies/ (connections_csv.h, metric_series.h,
// planning_inputs.h). Header-only: the commands are the binary's only
// translation units.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "policies/common/status.h"
#include "policies/forecast/connections_csv.h"
#include "policies/forecast/metric_series.h"

namespace prebell::cli {

// kInvalidArgument naming the file when it cannot be read (a missing input
// file is bad input, exit status 2).
inline StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(path + ": cannot open the file");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return InvalidArgumentError(path + ": read error");
  return buf.str();
}

// The CSV as trusted samples, with a report of what was dropped.
inline StatusOr<SanitizedSamples> ReadConnectionsCsv(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  auto raw = ParseConnectionsCsv(*text, path);
  if (!raw.ok()) return raw.status();
  return SanitizeSamples(std::move(*raw));
}

}  // namespace prebell::cli
