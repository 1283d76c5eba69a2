#include "policies/severity/schedule_signal.h"

#include <gtest/gtest.h>

#include <vector>

#include "policies/timetable/time_zone.h"

namespace prebell {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Instant At(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return *t;
}

Occurrence Occ(SessionKind kind, const char* start, const char* end, const char* name = "s") {
  Occurrence o;
  o.timetable = "tt";
  o.session = name;
  o.kind = kind;
  o.course = "c";
  o.start = At(start);
  o.end = At(end);
  return o;
}

// A session given in local wall-clock time of `zone`, as the expander makes it.
Occurrence LocalOcc(const TimeZone& zone, SessionKind kind, const char* local_start,
                    Duration duration) {
  auto local = ParseLocalDateTime(local_start);
  EXPECT_TRUE(local.ok()) << local_start;
  Occurrence o;
  o.timetable = "tt";
  o.session = local_start;
  o.kind = kind;
  o.start = zone.ToInstant(*local);
  o.end = o.start + duration;
  return o;
}

ScheduleSignal Compute(const std::vector<Occurrence>& occ, Instant now,
                       ScheduleSignalOptions options = {}) {
  auto s = ComputeScheduleSignal(occ, now, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : ScheduleSignal{};
}

TEST(ScheduleSignal, EmptyTimetableIsIdleWithNothingScheduled) {
  ScheduleSignal s = Compute({}, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(s.level, 0);
  for (ScheduleKind k : kScheduleKinds) {
    EXPECT_FALSE(s.For(k).active);
    EXPECT_FALSE(s.For(k).next_start.has_value());
    EXPECT_FALSE(s.For(k).window_end.has_value());
  }
  EXPECT_FALSE(s.next_change.has_value());
}

TEST(ScheduleSignal, ClassWindowEdges) {
  // Class 08:00-09:30, lead 30m: near from 07:30, live [08:00, 09:30).
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T09:30:00Z")};

  ScheduleSignal before = Compute(occ, At("2026-11-23T07:29:59Z"));
  EXPECT_FALSE(before.class_signal.active);
  EXPECT_FALSE(before.class_signal.live_or_near);
  EXPECT_EQ(before.level, 0);
  EXPECT_EQ(before.class_signal.next_start, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(before.class_signal.window_start, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(before.class_signal.window_end, At("2026-11-23T09:30:00Z"));
  EXPECT_EQ(before.next_change, At("2026-11-23T07:30:00Z"));

  ScheduleSignal near = Compute(occ, At("2026-11-23T07:30:00Z"));
  EXPECT_FALSE(near.class_signal.active);
  EXPECT_TRUE(near.class_signal.live_or_near);
  EXPECT_EQ(near.level, 1);
  EXPECT_EQ(near.class_signal.next_start, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(near.class_signal.window_end, At("2026-11-23T09:30:00Z"));
  EXPECT_EQ(near.next_change, At("2026-11-23T08:00:00Z"));

  // At the bell the session is live and no longer "next".
  ScheduleSignal bell = Compute(occ, At("2026-11-23T08:00:00Z"));
  EXPECT_TRUE(bell.class_signal.active);
  EXPECT_TRUE(bell.class_signal.live_or_near);
  EXPECT_FALSE(bell.class_signal.next_start.has_value());
  EXPECT_EQ(bell.next_change, At("2026-11-23T09:30:00Z"));

  ScheduleSignal last = Compute(occ, At("2026-11-23T09:29:59Z"));
  EXPECT_TRUE(last.class_signal.active);
  EXPECT_EQ(last.level, 1);

  ScheduleSignal closed = Compute(occ, At("2026-11-23T09:30:00Z"));
  EXPECT_FALSE(closed.class_signal.active);
  EXPECT_FALSE(closed.class_signal.live_or_near);
  EXPECT_EQ(closed.level, 0);
  EXPECT_FALSE(closed.class_signal.window_start.has_value());
  EXPECT_FALSE(closed.class_signal.window_end.has_value());
  EXPECT_FALSE(closed.next_change.has_value());
}

TEST(ScheduleSignal, LeadTimeIsConfigurableAndOnlyMovesTheLevel) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z")};
  ScheduleSignalOptions five{.lead_time = minutes(5)};
  EXPECT_EQ(Compute(occ, At("2026-11-23T07:54:59Z"), five).level, 0);
  ScheduleSignal near = Compute(occ, At("2026-11-23T07:55:00Z"), five);
  EXPECT_EQ(near.level, 1);
  EXPECT_FALSE(near.class_signal.active);
  ScheduleSignalOptions zero{.lead_time = Duration::zero()};
  EXPECT_EQ(Compute(occ, At("2026-11-23T07:59:59Z"), zero).level, 0);
  EXPECT_EQ(Compute(occ, At("2026-11-23T07:59:59Z"), zero).next_change, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(Compute(occ, At("2026-11-23T08:00:00Z"), zero).level, 1);
}

TEST(ScheduleSignal, NegativeLeadTimeIsRejected) {
  auto s = ComputeScheduleSignal({}, At("2026-11-23T08:00:00Z"), {.lead_time = Duration(-1)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("lead time"), std::string::npos);
}

TEST(ScheduleSignal, InvertedOccurrenceIsRejectedNamingIt) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kExam, "2026-11-23T09:00:00Z", "2026-11-23T09:00:00Z", "final")};
  auto s = ComputeScheduleSignal(occ, At("2026-11-23T08:00:00Z"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("'final'"), std::string::npos);
  EXPECT_NE(s.status().message().find("'tt'"), std::string::npos);
}

TEST(ScheduleSignal, OverlappingSessionsMergeIntoOneWindow) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T10:00:00Z", "a"),
      Occ(SessionKind::kClass, "2026-11-23T09:00:00Z", "2026-11-23T09:30:00Z", "b"),
      Occ(SessionKind::kClass, "2026-11-23T09:45:00Z", "2026-11-23T11:00:00Z", "c")};
  ScheduleSignal s = Compute(occ, At("2026-11-23T08:10:00Z"));
  EXPECT_TRUE(s.class_signal.active);
  EXPECT_EQ(s.class_signal.window_start, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(s.class_signal.window_end, At("2026-11-23T11:00:00Z"));
  EXPECT_EQ(s.class_signal.next_start, At("2026-11-23T09:00:00Z"));
  EXPECT_EQ(s.next_change, At("2026-11-23T09:00:00Z"));
  // After the last start only the window end is left to change.
  ScheduleSignal late = Compute(occ, At("2026-11-23T10:30:00Z"));
  EXPECT_TRUE(late.class_signal.active);
  EXPECT_EQ(late.next_change, At("2026-11-23T11:00:00Z"));
}

TEST(ScheduleSignal, AdjacentSessionsMergeSoTheSignalNeverBlinks) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "a"),
      Occ(SessionKind::kClass, "2026-11-23T09:00:00Z", "2026-11-23T10:30:00Z", "b")};
  ScheduleSignal seam = Compute(occ, At("2026-11-23T09:00:00Z"));
  EXPECT_TRUE(seam.class_signal.active);
  EXPECT_EQ(seam.class_signal.window_start, At("2026-11-23T08:00:00Z"));
  EXPECT_EQ(seam.class_signal.window_end, At("2026-11-23T10:30:00Z"));
  ScheduleSignal before_seam = Compute(occ, At("2026-11-23T08:59:59Z"));
  EXPECT_TRUE(before_seam.class_signal.active);
  EXPECT_EQ(before_seam.class_signal.window_end, At("2026-11-23T10:30:00Z"));
  EXPECT_EQ(before_seam.next_change, At("2026-11-23T09:00:00Z"));
}

TEST(ScheduleSignal, GapSplitsWindowsButTheLevelBridgesAShortOne) {
  // A 20-minute break between classes: two windows, yet the level stays 1
  // because the second class is within the lead time all through the break.
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "a"),
      Occ(SessionKind::kClass, "2026-11-23T09:20:00Z", "2026-11-23T10:30:00Z", "b")};
  ScheduleSignal live = Compute(occ, At("2026-11-23T08:30:00Z"));
  EXPECT_EQ(live.class_signal.window_end, At("2026-11-23T09:00:00Z"));
  // b is near from 08:50, but a keeps the level at 1 until then anyway.
  EXPECT_EQ(live.next_change, At("2026-11-23T09:00:00Z"));
  ScheduleSignal gap = Compute(occ, At("2026-11-23T09:00:30Z"));
  EXPECT_FALSE(gap.class_signal.active);
  EXPECT_TRUE(gap.class_signal.live_or_near);
  EXPECT_EQ(gap.level, 1);
  EXPECT_EQ(gap.class_signal.window_start, At("2026-11-23T09:20:00Z"));
  EXPECT_EQ(gap.class_signal.window_end, At("2026-11-23T10:30:00Z"));
  EXPECT_EQ(gap.next_change, At("2026-11-23T09:20:00Z"));
}

TEST(ScheduleSignal, ExamOutranksClassAndKindsStaySeparate) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T12:00:00Z"),
      Occ(SessionKind::kExam, "2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z"),
      Occ(SessionKind::kEvent, "2026-11-23T06:00:00Z", "2026-11-23T20:00:00Z")};
  ScheduleSignal early = Compute(occ, At("2026-11-23T09:00:00Z"));
  EXPECT_EQ(early.level, 1);
  EXPECT_FALSE(early.exam_signal.active);
  EXPECT_EQ(early.exam_signal.next_start, At("2026-11-23T10:00:00Z"));
  EXPECT_FALSE(early.class_signal.next_start.has_value());
  EXPECT_EQ(early.next_change, At("2026-11-23T09:30:00Z"));

  ScheduleSignal exam_near = Compute(occ, At("2026-11-23T09:30:00Z"));
  EXPECT_EQ(exam_near.level, 2);
  EXPECT_TRUE(exam_near.class_signal.active);
  EXPECT_FALSE(exam_near.exam_signal.active);
  EXPECT_TRUE(exam_near.exam_signal.live_or_near);
  EXPECT_EQ(exam_near.exam_signal.window_end, At("2026-11-23T11:00:00Z"));

  ScheduleSignal after = Compute(occ, At("2026-11-23T11:00:00Z"));
  EXPECT_EQ(after.level, 1);
  EXPECT_EQ(after.next_change, At("2026-11-23T12:00:00Z"));

  // Events alone never raise the level.
  ScheduleSignal evening = Compute(occ, At("2026-11-23T13:00:00Z"));
  EXPECT_EQ(evening.level, 0);
  EXPECT_FALSE(evening.next_change.has_value());
}

TEST(ScheduleSignal, SessionAcrossLocalMidnight) {
  auto zone = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(zone.ok());
  // 23:30 local on 23 Nov (CET, UTC+1) for 90 minutes: 22:30Z to 00:00Z.
  std::vector<Occurrence> occ = {
      LocalOcc(*zone, SessionKind::kExam, "2026-11-23T23:30:00", minutes(90))};
  EXPECT_EQ(occ[0].start, At("2026-11-23T22:30:00Z"));
  ScheduleSignal before = Compute(occ, At("2026-11-23T21:59:59Z"));
  EXPECT_EQ(before.level, 0);
  EXPECT_EQ(before.next_change, At("2026-11-23T22:00:00Z"));
  EXPECT_EQ(Compute(occ, At("2026-11-23T22:00:00Z")).level, 2);
  // 00:15 local on the 24th, still the same exam.
  ScheduleSignal after_midnight_local = Compute(occ, At("2026-11-23T23:15:00Z"));
  EXPECT_TRUE(after_midnight_local.exam_signal.active);
  EXPECT_EQ(after_midnight_local.exam_signal.window_end, At("2026-11-24T00:00:00Z"));
  EXPECT_EQ(Compute(occ, At("2026-11-24T00:00:00Z")).level, 0);
}

TEST(ScheduleSignal, DailyClassKeepsItsWallClockTimeAcrossSpringForward) {
  // Berlin jumps from 02:00 CET to 03:00 CEST on 2026-03-29. A 09:00 class on
  // the Saturday is 08:00Z, on the Sunday 07:00Z: the window opens at 08:30
  // local, i.e. one hour earlier in UTC on the Sunday.
  auto zone = TimeZone::Find("Europe/Berlin");
  ASSERT_TRUE(zone.ok());
  std::vector<Occurrence> occ = {
      LocalOcc(*zone, SessionKind::kClass, "2026-03-28T09:00:00", hours(1)),
      LocalOcc(*zone, SessionKind::kClass, "2026-03-29T09:00:00", hours(1))};
  ASSERT_EQ(occ[1].start, At("2026-03-29T07:00:00Z"));

  ScheduleSignal sat = Compute(occ, At("2026-03-28T07:29:59Z"));
  EXPECT_EQ(sat.level, 0);
  EXPECT_EQ(sat.next_change, At("2026-03-28T07:30:00Z"));
  EXPECT_TRUE(Compute(occ, At("2026-03-28T08:00:00Z")).class_signal.active);

  ScheduleSignal after_sat = Compute(occ, At("2026-03-28T09:00:00Z"));
  EXPECT_FALSE(after_sat.class_signal.active);
  EXPECT_EQ(after_sat.class_signal.next_start, At("2026-03-29T07:00:00Z"));
  EXPECT_EQ(after_sat.next_change, At("2026-03-29T06:30:00Z"));

  EXPECT_EQ(Compute(occ, At("2026-03-29T06:29:59Z")).level, 0);
  EXPECT_EQ(Compute(occ, At("2026-03-29T06:30:00Z")).level, 1);
  EXPECT_FALSE(Compute(occ, At("2026-03-29T06:59:59Z")).class_signal.active);
  EXPECT_TRUE(Compute(occ, At("2026-03-29T07:00:00Z")).class_signal.active);
}

TEST(ScheduleSignal, ClassInsideFallBackRepeatedHour) {
  // America/New_York repeats 01:00-02:00 on 2026-11-01; 01:30 is read as the
  // first (EDT, UTC-4) reading: 05:30Z. The window is on instants, so the
  // repeated local hour does not stretch or shrink it.
  auto zone = TimeZone::Find("America/New_York");
  ASSERT_TRUE(zone.ok());
  std::vector<Occurrence> occ = {
      LocalOcc(*zone, SessionKind::kClass, "2026-11-01T01:30:00", hours(1))};
  ASSERT_EQ(occ[0].start, At("2026-11-01T05:30:00Z"));
  ScheduleSignal s = Compute(occ, At("2026-11-01T05:00:00Z"));
  EXPECT_EQ(s.level, 1);
  EXPECT_FALSE(s.class_signal.active);
  EXPECT_TRUE(Compute(occ, At("2026-11-01T05:30:00Z")).class_signal.active);
  EXPECT_EQ(s.class_signal.window_end, At("2026-11-01T06:30:00Z"));
  EXPECT_FALSE(Compute(occ, At("2026-11-01T06:30:00Z")).class_signal.active);
}

TEST(ScheduleSignal, InputOrderDoesNotMatter) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z", "c"),
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "a"),
      Occ(SessionKind::kClass, "2026-11-23T08:45:00Z", "2026-11-23T10:00:00Z", "b")};
  std::vector<Occurrence> sorted = {occ[1], occ[2], occ[0]};
  for (const char* t : {"2026-11-23T07:00:00Z", "2026-11-23T08:50:00Z", "2026-11-23T10:00:00Z",
                        "2026-11-23T11:45:00Z"}) {
    EXPECT_EQ(Compute(occ, At(t)), Compute(sorted, At(t))) << t;
  }
}

// Stepping through a day second by second: the signal changes exactly at the
// announced next_change and nowhere else.
TEST(ScheduleSignal, NextChangeIsExactlyWhereTheSignalChanges) {
  std::vector<Occurrence> occ = {
      Occ(SessionKind::kClass, "2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "a"),
      Occ(SessionKind::kClass, "2026-11-23T09:15:00Z", "2026-11-23T10:00:00Z", "b"),
      Occ(SessionKind::kExam, "2026-11-23T09:40:00Z", "2026-11-23T11:00:00Z", "x"),
      Occ(SessionKind::kClass, "2026-11-23T13:00:00Z", "2026-11-23T13:50:00Z", "d")};
  Instant t = At("2026-11-23T06:00:00Z");
  const Instant stop = At("2026-11-23T15:00:00Z");
  ScheduleSignal current = Compute(occ, t);
  int changes = 0;
  while (t < stop) {
    ScheduleSignal next = Compute(occ, t + Duration(1));
    ScheduleSignal current_without_change = current;
    ScheduleSignal next_without_change = next;
    current_without_change.next_change.reset();
    next_without_change.next_change.reset();
    const bool changed = !(current_without_change == next_without_change);
    ASSERT_EQ(changed, current.next_change == t + Duration(1)) << FormatRfc3339(t);
    if (changed) ++changes;
    // Against a brute-force reading of the definitions.
    for (ScheduleKind k : kScheduleKinds) {
      const SessionKind sk = k == ScheduleKind::kExam ? SessionKind::kExam : SessionKind::kClass;
      bool live = false, near = false;
      for (const Occurrence& o : occ) {
        if (o.kind != sk) continue;
        live = live || (o.start <= t && t < o.end);
        near = near || (o.start - minutes(30) <= t && t < o.end);
      }
      ASSERT_EQ(current.For(k).active, live) << FormatRfc3339(t);
      ASSERT_EQ(current.For(k).live_or_near, near) << FormatRfc3339(t);
    }
    current = next;
    t += Duration(1);
  }
  // 07:30 class near, 08:00 a starts, 09:00 a ends (b near, so the level
  // holds), 09:10 exam near, 09:15 b starts, 09:40 exam starts, 10:00 b
  // ends, 11:00 exam ends, 12:30 d near, 13:00 d starts, 13:50 d ends. b's
  // near point 08:45 falls inside a and changes nothing visible.
  EXPECT_EQ(changes, 11);
}

}  // namespace
}  // namespace prebell
