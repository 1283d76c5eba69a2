// PlanningInputs: manifest texts -> what the planner works from.
//
// The `plan` and `backtest` commands (and tests) read files; this turns their
// text into the policy, the timetables its timetableSelector chooses, their
// occurrences over a window, and the zone the baseline follows (the first
// selected timetable's). All problems of all files are reported together,
// each naming the file, line and field. A selector that chooses no timetable
// is bad input: planning a stack from nothing would silently scale it to the
// floor. Timetables in other zones than the first are fine (occurrences are
// instants); only the baseline's time of week uses the first zone, and a
// note says so.
//
// Also the peer KEDA cron + HPA's windows: what an operator would write by
// hand from the same timetables (every weekly session, 15 minutes before its
// start to its end, sized by expectedAttendance), knowing nothing of
// exclusions.
#pragma once

#include <string>
#include <vector>

#include "policies/common/status.h"
#include "policies/planner/scaling_policy.h"
#include "policies/planner/scoring.h"
#include "policies/timetable/occurrence.h"
#include "policies/timetable/time_zone.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct InputText {
  std::string name;  // file name, for messages
  std::string text;
};

struct PlanningInputs {
  ScalingPolicy policy;
  std::vector<Timetable> timetables;  // the selected ones
  TimeZone zone = TimeZone::Utc();
  std::vector<Occurrence> occurrences;  // in [from, to), sorted
  std::vector<std::string> notes;       // for a person: what was skipped and why
};

StatusOr<PlanningInputs> BuildPlanningInputs(const std::vector<InputText>& timetable_files,
                                             const InputText& policy_file, Instant from,
                                             Instant to);

// Hand-written cron windows for the selected timetables over [from, to).
StatusOr<std::vector<CronWindow>> HandWrittenCronWindows(const std::vector<Timetable>& timetables,
                                                         Instant from, Instant to);

}  // namespace prebell
