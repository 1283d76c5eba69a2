#include "policies/severity/upcoming_sessions.h"

#include <gtest/gtest.h>

#include <vector>

namespace prebell {
namespace {

using std::chrono::days;
using std::chrono::hours;

Instant At(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return *t;
}

Occurrence Occ(SessionKind kind, const char* course, const char* start, int64_t attendance) {
  Occurrence o;
  o.timetable = "tt";
  o.session = course;
  o.kind = kind;
  o.course = course;
  o.start = At(start);
  o.end = o.start + hours(1);
  o.expected_attendance = attendance;
  return o;
}

UpcomingSessions Compute(const std::vector<Occurrence>& occ, Instant now,
                         Duration horizon = days(7)) {
  auto u = ComputeUpcomingSessions(occ, now, horizon);
  EXPECT_TRUE(u.ok()) << u.status().ToString();
  return u.ok() ? *u : UpcomingSessions{};
}

TEST(UpcomingSessions, NothingScheduled) {
  UpcomingSessions u = Compute({}, At("2026-11-23T08:00:00Z"));
  EXPECT_TRUE(u.courses.empty());
  EXPECT_FALSE(u.NextStart(SessionKind::kClass).has_value());
  EXPECT_FALSE(u.NextStart(SessionKind::kEvent).has_value());
  EXPECT_FALSE(u.next_change.has_value());
}

TEST(UpcomingSessions, NextPerKindAndPerCourseIncludingEvents) {
  std::vector<Occurrence> occ = {Occ(SessionKind::kClass, "math", "2026-11-24T08:00:00Z", 300),
                                 Occ(SessionKind::kClass, "math", "2026-11-23T10:00:00Z", 250),
                                 Occ(SessionKind::kExam, "math", "2026-11-27T09:00:00Z", 400),
                                 Occ(SessionKind::kClass, "bio", "2026-11-23T12:00:00Z", 90),
                                 Occ(SessionKind::kEvent, "", "2026-11-25T18:00:00Z", 1000)};
  UpcomingSessions u = Compute(occ, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(u.NextStart(SessionKind::kClass), At("2026-11-23T10:00:00Z"));
  EXPECT_EQ(u.NextStart(SessionKind::kExam), At("2026-11-27T09:00:00Z"));
  EXPECT_EQ(u.NextStart(SessionKind::kEvent), At("2026-11-25T18:00:00Z"));
  ASSERT_EQ(u.courses.size(), 4u);
  EXPECT_EQ(u.courses[0],
            (CourseNextSession{"", SessionKind::kEvent, At("2026-11-25T18:00:00Z"), 1000}));
  EXPECT_EQ(u.courses[1],
            (CourseNextSession{"bio", SessionKind::kClass, At("2026-11-23T12:00:00Z"), 90}));
  EXPECT_EQ(u.courses[2],
            (CourseNextSession{"math", SessionKind::kClass, At("2026-11-23T10:00:00Z"), 250}));
  EXPECT_EQ(u.courses[3],
            (CourseNextSession{"math", SessionKind::kExam, At("2026-11-27T09:00:00Z"), 400}));
  EXPECT_EQ(u.next_change, At("2026-11-23T10:00:00Z"));
}

TEST(UpcomingSessions, StartingNowIsNoLongerUpcoming) {
  std::vector<Occurrence> occ = {Occ(SessionKind::kClass, "math", "2026-11-23T10:00:00Z", 250),
                                 Occ(SessionKind::kClass, "math", "2026-11-24T10:00:00Z", 260)};
  UpcomingSessions u = Compute(occ, At("2026-11-23T10:00:00Z"));
  ASSERT_EQ(u.courses.size(), 1u);
  EXPECT_EQ(u.courses[0].start, At("2026-11-24T10:00:00Z"));
  EXPECT_EQ(u.courses[0].expected_attendance, 260);
}

TEST(UpcomingSessions, SimultaneousSectionsAddUp) {
  std::vector<Occurrence> occ = {Occ(SessionKind::kClass, "math", "2026-11-23T10:00:00Z", 250),
                                 Occ(SessionKind::kClass, "math", "2026-11-23T10:00:00Z", 120),
                                 Occ(SessionKind::kClass, "math", "2026-11-23T11:00:00Z", 999)};
  UpcomingSessions u = Compute(occ, At("2026-11-23T08:00:00Z"));
  ASSERT_EQ(u.courses.size(), 1u);
  EXPECT_EQ(u.courses[0].expected_attendance, 370);
}

TEST(UpcomingSessions, HorizonBoundsRowsAndSaysWhenTheNextOneEnters) {
  std::vector<Occurrence> occ = {Occ(SessionKind::kExam, "chem", "2026-12-10T09:00:00Z", 80)};
  UpcomingSessions far = Compute(occ, At("2026-11-23T08:00:00Z"));
  EXPECT_TRUE(far.courses.empty());
  EXPECT_FALSE(far.NextStart(SessionKind::kExam).has_value());
  EXPECT_EQ(far.next_change, At("2026-12-03T09:00:00Z"));
  UpcomingSessions entered = Compute(occ, At("2026-12-03T09:00:00Z"));
  ASSERT_EQ(entered.courses.size(), 1u);
  EXPECT_EQ(entered.next_change, At("2026-12-10T09:00:00Z"));
  EXPECT_TRUE(Compute(occ, At("2026-12-03T08:59:59Z")).courses.empty());
}

TEST(UpcomingSessions, NonPositiveHorizonIsRejected) {
  auto u = ComputeUpcomingSessions({}, At("2026-11-23T08:00:00Z"), Duration::zero());
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace prebell
