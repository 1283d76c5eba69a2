#include "policies/actuation/condition.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

Instant At(int64_t s) { return Instant{std::chrono::seconds(s)}; }

Condition Make(std::string type, ConditionStatus status, std::string reason) {
  Condition c;
  c.type = std::move(type);
  c.status = status;
  c.reason = std::move(reason);
  return c;
}

TEST(ConditionTest, TransitionTimeChangesOnlyWhenStatusFlips) {
  std::vector<Condition> cs;
  SetCondition(cs, Make("Ready", ConditionStatus::kFalse, "Starting"), At(100));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].last_transition_time, At(100));

  SetCondition(cs, Make("Ready", ConditionStatus::kFalse, "StillStarting"), At(200));
  EXPECT_EQ(cs[0].last_transition_time, At(100));
  EXPECT_EQ(cs[0].reason, "StillStarting");

  SetCondition(cs, Make("Ready", ConditionStatus::kTrue, "Planned"), At(300));
  EXPECT_EQ(cs[0].last_transition_time, At(300));
}

TEST(ConditionTest, KeepsOrderAndAppendsNewTypes) {
  std::vector<Condition> cs;
  SetCondition(cs, Make("Valid", ConditionStatus::kTrue, "Parsed"), At(1));
  SetCondition(cs, Make("Ready", ConditionStatus::kTrue, "Planned"), At(2));
  SetCondition(cs, Make("Valid", ConditionStatus::kFalse, "BadZone"), At(3));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].type, "Valid");
  EXPECT_EQ(cs[0].last_transition_time, At(3));
  ASSERT_NE(FindCondition(cs, "Ready"), nullptr);
  EXPECT_EQ(FindCondition(cs, "Ready")->reason, "Planned");
  EXPECT_EQ(FindCondition(cs, "Missing"), nullptr);
  EXPECT_EQ(ConditionStatusName(ConditionStatus::kUnknown), "Unknown");
}

}  // namespace
}  // namespace prebell
