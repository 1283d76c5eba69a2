#include "policies/selection/label_selector.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

using Op = LabelRequirement::Operator;
const std::map<std::string, std::string> kLive = {{"prebell.io/stack", "live"}, {"tier", "a"}};

TEST(LabelSelectorTest, EmptyMatchesEverything) {
  EXPECT_TRUE(LabelSelector{}.Matches({}));
  EXPECT_TRUE(LabelSelector{}.Matches(kLive));
}

TEST(LabelSelectorTest, MatchLabelsAreAnded) {
  LabelSelector s;
  s.match_labels = {{"prebell.io/stack", "live"}};
  EXPECT_TRUE(s.Matches(kLive));
  s.match_labels["tier"] = "b";
  EXPECT_FALSE(s.Matches(kLive));
  EXPECT_FALSE(s.Matches({}));
}

TEST(LabelSelectorTest, Expressions) {
  LabelSelector in{{}, {{"tier", Op::kIn, {"a", "b"}}}};
  EXPECT_TRUE(in.Matches(kLive));
  EXPECT_FALSE(in.Matches({}));
  LabelSelector not_in{{}, {{"tier", Op::kNotIn, {"a"}}}};
  EXPECT_FALSE(not_in.Matches(kLive));
  EXPECT_TRUE(not_in.Matches({}));  // as in Kubernetes: a missing key is not in the set
  LabelSelector exists{{}, {{"tier", Op::kExists, {}}}};
  EXPECT_TRUE(exists.Matches(kLive));
  EXPECT_FALSE(exists.Matches({}));
  LabelSelector absent{{}, {{"tier", Op::kDoesNotExist, {}}}};
  EXPECT_FALSE(absent.Matches(kLive));
  EXPECT_TRUE(absent.Matches({}));
}

TEST(LabelSelectorTest, Validation) {
  EXPECT_TRUE(ValidateLabelSelector(LabelSelector{{}, {{"k", Op::kIn, {"v"}}}}).ok());
  EXPECT_FALSE(ValidateLabelSelector(LabelSelector{{}, {{"k", Op::kIn, {}}}}).ok());
  EXPECT_FALSE(ValidateLabelSelector(LabelSelector{{}, {{"k", Op::kExists, {"v"}}}}).ok());
  EXPECT_FALSE(ValidateLabelSelector(LabelSelector{{}, {{"", Op::kExists, {}}}}).ok());
  EXPECT_TRUE(ParseLabelOperator("NotIn").ok());
  EXPECT_FALSE(ParseLabelOperator("notin").ok());
}

}  // namespace
}  // namespace prebell
