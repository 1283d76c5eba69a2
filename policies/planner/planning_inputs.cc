#include "policies/planner/planning_inputs.h"

#include <algorithm>

#include "policies/planner/scaling_policy_manifest.h"
#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/timetable_manifest.h"

namespace prebell {

StatusOr<PlanningInputs> BuildPlanningInputs(const std::vector<InputText>& timetable_files,
                                             const InputText& policy_file, Instant from,
                                             Instant to) {
  std::vector<std::string> problems;
  PlanningInputs out;

  auto policies = ParseScalingPolicyManifest(policy_file.text, policy_file.name);
  if (!policies.ok()) {
    problems.push_back(policies.status().message());
  } else if (policies->size() != 1) {
    problems.push_back(policy_file.name + ": kind: expected one ScalingPolicy, found " +
                       std::to_string(policies->size()));
  } else {
    out.policy = std::move((*policies)[0]);
  }

  std::vector<Timetable> all;
  for (const InputText& f : timetable_files) {
    auto parsed = ParseTimetableManifest(f.text, f.name);
    if (!parsed.ok()) {
      problems.push_back(parsed.status().message());
      continue;
    }
    for (Timetable& t : *parsed) all.push_back(std::move(t));
  }
  if (timetable_files.empty()) problems.push_back("--timetable: at least one file is required");
  if (!problems.empty()) {
    std::string all_problems;
    for (const std::string& p : problems) all_problems += (all_problems.empty() ? "" : "\n") + p;
    return InvalidArgumentError(all_problems);
  }

  for (Timetable& t : all) {
    if (out.policy.timetable_selector.Matches(t.labels)) {
      out.timetables.push_back(std::move(t));
    } else {
      out.notes.push_back("timetable " + t.namespace_name + "/" + t.name +
                          " is not selected by the policy's timetableSelector");
    }
  }
  if (out.timetables.empty()) {
    std::string labels;
    for (const auto& [k, v] : out.policy.timetable_selector.match_labels) {
      labels += (labels.empty() ? "" : ",") + k + "=" + v;
    }
    return InvalidArgumentError(policy_file.name +
                                ": spec.timetableSelector: selects none of the given timetables" +
                                (labels.empty() ? "" : " (matchLabels " + labels + ")"));
  }
  auto zone = TimeZone::Find(out.timetables.front().time_zone);
  if (!zone.ok()) return zone.status();
  out.zone = *zone;
  for (const Timetable& t : out.timetables) {
    if (t.time_zone != out.timetables.front().time_zone) {
      out.notes.push_back("timetable " + t.name + " is in " + t.time_zone +
                          "; the baseline follows " + out.zone.name());
    }
    auto occs = ExpandSessions(t, from, to);
    if (!occs.ok()) return occs.status().WithContext("timetable " + t.name);
    out.occurrences.insert(out.occurrences.end(), occs->begin(), occs->end());
  }
  std::sort(out.occurrences.begin(), out.occurrences.end(), OccurrenceBefore);
  return out;
}

StatusOr<std::vector<CronWindow>> HandWrittenCronWindows(const std::vector<Timetable>& timetables,
                                                         Instant from, Instant to) {
  std::vector<CronWindow> out;
  for (Timetable t : timetables) {
    t.exclusions.clear();  // a cron schedule knows nothing of reading days
    auto occs = ExpandSessions(t, from, to);
    if (!occs.ok()) return occs.status().WithContext("timetable " + t.name);
    for (const Occurrence& o : *occs) {
      out.push_back({o.start - std::chrono::minutes(15), o.end, o.expected_attendance});
    }
  }
  return out;
}

}  // namespace prebell
