#include "policies/planner/scenario.h"

#include <nlohmann/json.hpp>

namespace prebell {

std::vector<TimeWindow> Scenario::UnforetoldWindows() const {
  std::vector<TimeWindow> out;
  for (const UnforetoldLoad& u : unforetold) out.push_back(UnforetoldWindow(u.start));
  return out;
}

StatusOr<Scenario> ParseScenarioJson(std::string_view text, std::string_view file_name) {
  const std::string file(file_name);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(file + ": (document): not valid JSON: " + e.what());
  }
  if (!j.is_object()) return InvalidArgumentError(file + ": (document): expected an object");
  std::vector<std::string> problems;
  Scenario s;
  auto unix_seconds = [&](const char* key) -> std::optional<Instant> {
    if (!j.contains(key)) return std::nullopt;
    const auto& v = j[key];
    if (!v.is_number_integer() && !v.is_number_unsigned()) {
      problems.push_back(file + ": " + key + ": expected unix seconds, got " + v.dump());
      return std::nullopt;
    }
    return Instant{std::chrono::seconds{v.get<int64_t>()}};
  };
  s.eval_from = unix_seconds("eval_from");
  s.eval_to = unix_seconds("eval_to");
  if (j.contains("scenario") && j["scenario"].is_string())
    s.name = j["scenario"].get<std::string>();
  if (j.contains("target")) {
    if (j["target"].is_string()) {
      s.target = j["target"].get<std::string>();
    } else {
      problems.push_back(file + ": target: expected a string, got " + j["target"].dump());
    }
  }
  if (j.contains("step")) {
    if (j["step"].is_number_integer() && j["step"].get<int64_t>() > 0) {
      s.step = Duration{j["step"].get<int64_t>()};
    } else {
      problems.push_back(file + ": step: expected positive seconds, got " + j["step"].dump());
    }
  }
  if (j.contains("unforetold")) {
    const auto& u = j["unforetold"];
    if (!u.is_array()) {
      problems.push_back(file + ": unforetold: expected a list");
    } else {
      for (size_t i = 0; i < u.size(); ++i) {
        const std::string f = "unforetold[" + std::to_string(i) + "]";
        if (!u[i].is_object() || !u[i].contains("start") || !u[i]["start"].is_string()) {
          problems.push_back(file + ": " + f + ".start: required, an RFC 3339 time");
          continue;
        }
        auto start = ParseRfc3339(u[i]["start"].get<std::string>());
        if (!start.ok()) {
          problems.push_back(file + ": " + f + ".start: " + start.status().message());
          continue;
        }
        UnforetoldLoad load{*start, ""};
        if (u[i].contains("what") && u[i]["what"].is_string()) {
          load.what = u[i]["what"].get<std::string>();
        }
        s.unforetold.push_back(std::move(load));
      }
    }
  }
  if (s.eval_from && s.eval_to && !(*s.eval_from < *s.eval_to)) {
    problems.push_back(file + ": eval_from/eval_to: the window is empty");
  }
  if (!problems.empty()) {
    std::string all;
    for (const std::string& p : problems) all += (all.empty() ? "" : "\n") + p;
    return InvalidArgumentError(all);
  }
  return s;
}

}  // namespace prebell
