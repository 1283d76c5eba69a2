#include "policies/actuation/condition.h"

#include <algorithm>

namespace prebell {

std::string_view ConditionStatusName(ConditionStatus s) {
  switch (s) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

void SetCondition(std::vector<Condition>& conditions, Condition update, Instant now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return c.type == update.type; });
  if (it == conditions.end()) {
    update.last_transition_time = now;
    conditions.push_back(std::move(update));
    return;
  }
  update.last_transition_time = it->status == update.status ? it->last_transition_time : now;
  *it = std::move(update);
}

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

}  // namespace prebell
