#include "policies/selection/label_selector.h"

#include <algorithm>

namespace prebell {

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const LabelRequirement& r : match_expressions) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in_values =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case LabelRequirement::Operator::kIn:
        if (!in_values) return false;
        break;
      case LabelRequirement::Operator::kNotIn:
        if (in_values) return false;
        break;
      case LabelRequirement::Operator::kExists:
        if (!has) return false;
        break;
      case LabelRequirement::Operator::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

StatusOr<LabelRequirement::Operator> ParseLabelOperator(std::string_view text) {
  if (text == "In") return LabelRequirement::Operator::kIn;
  if (text == "NotIn") return LabelRequirement::Operator::kNotIn;
  if (text == "Exists") return LabelRequirement::Operator::kExists;
  if (text == "DoesNotExist") return LabelRequirement::Operator::kDoesNotExist;
  return InvalidArgumentError("'" + std::string(text) +
                              "' is not a label selector operator (expected In, NotIn, Exists "
                              "or DoesNotExist)");
}

Status ValidateLabelSelector(const LabelSelector& selector) {
  for (size_t i = 0; i < selector.match_expressions.size(); ++i) {
    const LabelRequirement& r = selector.match_expressions[i];
    const std::string where = "matchExpressions[" + std::to_string(i) + "]";
    if (r.key.empty()) return InvalidArgumentError(where + ".key: must not be empty");
    const bool set_op =
        r.op == LabelRequirement::Operator::kIn || r.op == LabelRequirement::Operator::kNotIn;
    if (set_op && r.values.empty()) {
      return InvalidArgumentError(where + ".values: must not be empty for In and NotIn");
    }
    if (!set_op && !r.values.empty()) {
      return InvalidArgumentError(where + ".values: must be empty for Exists and DoesNotExist");
    }
  }
  return OkStatus();
}

}  // namespace prebell
