// Scenario files (shared/scenarios/*/scenario.json): the window a backtest is
// scored over and the loads no timetable foretold.
//
// Only the fields a score needs are read: eval_from / eval_to (unix
// seconds), step (seconds, optional), target (optional), and unforetold[]
// with an RFC 3339 `start` and a `what`. Each unforetold load covers
// [start - 15 min, start + 90 min). Pure: the caller reads the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"
#include "policies/planner/scoring.h"

namespace prebell {

struct UnforetoldLoad {
  Instant start{};
  std::string what;
};

struct Scenario {
  std::string name;
  std::optional<Instant> eval_from, eval_to;
  std::optional<Duration> step;
  std::string target;
  std::vector<UnforetoldLoad> unforetold;

  std::vector<TimeWindow> UnforetoldWindows() const;
};

StatusOr<Scenario> ParseScenarioJson(std::string_view text, std::string_view file_name);

}  // namespace prebell
