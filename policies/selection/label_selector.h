// LabelSelector: the Kubernetes label-selector semantics (matchLabels and
// matchExpressions), for choosing which Timetables drive a ScalingPolicy.
//
// An empty selector matches everything, as in the Kubernetes API. Every
// requirement must hold (AND). The semantics follow metav1.LabelSelector:
// NotIn and DoesNotExist match objects that lack the key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policies/common/status.h"

namespace prebell {

struct LabelRequirement {
  enum class Operator { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Operator op = Operator::kIn;
  std::vector<std::string> values;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelRequirement> match_expressions;

  bool Matches(const std::map<std::string, std::string>& labels) const;
};

// "In", "NotIn", "Exists", "DoesNotExist"; kInvalidArgument otherwise.
StatusOr<LabelRequirement::Operator> ParseLabelOperator(std::string_view text);

// In/NotIn need values, Exists/DoesNotExist must have none (the API rule).
Status ValidateLabelSelector(const LabelSelector& selector);

}  // namespace prebell
