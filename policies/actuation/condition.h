// Condition: a Kubernetes status condition, and the rule for updating one.
//
// Conditions follow the API conventions: {type, status, observedGeneration,
// lastTransitionTime, reason, message}. lastTransitionTime changes only when
// status flips, so that re-asserting a condition on every reconcile does not
// produce a new status (and a new watch event, and another reconcile).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/common/time_text.h"

namespace prebell {

enum class ConditionStatus { kTrue, kFalse, kUnknown };
std::string_view ConditionStatusName(ConditionStatus s);  // "True", "False", "Unknown"

struct Condition {
  std::string type;  // "Ready", "Valid", ...
  ConditionStatus status = ConditionStatus::kUnknown;
  int64_t observed_generation = 0;
  Instant last_transition_time{};
  std::string reason;  // PascalCase
  std::string message;

  friend bool operator==(const Condition&, const Condition&) = default;
};

// Sets `update` (matched by type) in `conditions`. last_transition_time is
// `now` if the type is new or its status changed, else the old one is kept
// whatever `update` carries. Order of existing types is preserved; new types
// are appended.
void SetCondition(std::vector<Condition>& conditions, Condition update, Instant now);

// The condition of `type`, or nullptr.
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

}  // namespace prebell
