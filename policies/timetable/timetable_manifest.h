// Timetable manifests: YAML (or JSON) text -> validated Timetable values.
//
// A file may hold several YAML documents, and a `kind: List` (what `kubectl
// get -o yaml` prints) whose items are read the same way. A document is a
// Timetable when it says `apiVersion: prebell.io/v1alpha1` and `kind:
// Timetable`. Documents of the other prebell kind (ScalingPolicy) are
// skipped; any other document is an error that names it, and so is a
// Timetable of another apiVersion. Empty documents (a trailing `---`) are
// ignored.
//
// Validation follows the Timetable CRD (crds/prebell.io_timetables.yaml) and
// adds what the API server cannot check: the zone exists, durations parse,
// recurrence rules parse and produce occurrences (rrule.h,
// session_expansion.h), session names are unique, exclusions end after they
// begin. Every problem in the file is reported, each with the file, the line,
// the field path and what is wrong:
//   term.yaml:42: spec.sessions[3].duration: '90x' is not a duration (...)
// Unknown fields are problems too: a misspelt `recurence` must not silently
// turn a weekly class into a one-off.
//
// Pure: the caller reads the file. yaml-cpp's exceptions stop here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/timetable/manifest_problem.h"
#include "policies/timetable/timetable.h"

namespace prebell {

struct TimetableManifest {
  // The Timetable documents without problems, in file order.
  std::vector<Timetable> timetables;
  // Every problem, in file order.
  std::vector<ManifestProblem> problems;
  // Documents of other prebell kinds that were skipped ("ScalingPolicy
  // campus/default").
  std::vector<std::string> skipped;

  bool ok() const { return problems.empty(); }
};

TimetableManifest ReadTimetableManifest(std::string_view text, std::string_view file_name);

// The StatusOr form: kInvalidArgument listing every problem (one per line),
// also when the file holds no Timetable at all.
StatusOr<std::vector<Timetable>> ParseTimetableManifest(std::string_view text,
                                                        std::string_view file_name);

}  // namespace prebell
