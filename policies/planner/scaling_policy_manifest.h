// ScalingPolicy manifests: YAML text -> validated ScalingPolicy values.
//
// Accepts one or more YAML documents; documents of other kinds (a Timetable
// in the same file) are skipped, and a file without any ScalingPolicy is an
// error. Every problem is reported, not only the first, one per line as
// "FILE:LINE: FIELD: PROBLEM" ("policy.yaml:14: spec.targets[0].warmup: '90x'
// is not a duration ..."), in a single kInvalidArgument status. Unknown fields
// under `spec` are errors: a misspelt `minReplica` must not silently become
// the default. Pure: the caller reads the file.
#pragma once

#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/planner/scaling_policy.h"

namespace prebell {

StatusOr<std::vector<ScalingPolicy>> ParseScalingPolicyManifest(std::string_view text,
                                                                std::string_view file_name);

}  // namespace prebell
