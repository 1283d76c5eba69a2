#include "policies/calendar/ical_text_index.h"

#include <gtest/gtest.h>

namespace prebell {
namespace {

constexpr char kText[] =
    "BEGIN:VCALENDAR\r\n"                           // 1
    "VERSION:2.0\r\n"                               // 2
    "BEGIN:VEVENT\r\n"                              // 3
    "UID:a\r\n"                                     // 4
    "DESCRIPTION:a long\r\n"                        // 5
    "  description\r\n"                             // 6 (folded)
    "DTSTART:20260105T090000\r\n"                   // 7
    "BEGIN:VALARM\r\n"                              // 8
    "TRIGGER:-PT5M\r\n"                             // 9
    "END:VALARM\r\n"                                // 10
    "END:VEVENT\r\n"                                // 11
    "\r\n"                                          // 12
    "BEGIN:VEVENT\n"                                // 13 (bare LF)
    "UID:b\n"                                       // 14
    "dtstart;tzid=Europe/London:20260105T090000\n"  // 15
    "END:VEVENT\n"                                  // 16
    "END:VCALENDAR\n";                              // 17

TEST(IcalTextIndexTest, FindsComponentsAndPropertiesWithTheirLines) {
  IcalTextIndex index(kText);
  EXPECT_EQ(index.ComponentLine("VCALENDAR", 0), 1);
  EXPECT_EQ(index.ComponentLine("VEVENT", 0), 3);
  EXPECT_EQ(index.ComponentLine("vevent", 1), 13);
  EXPECT_EQ(index.ComponentLine("VEVENT", 2), 0);
  EXPECT_EQ(index.ComponentLine("VALARM", 0), 8);

  const auto* dtstart = index.FindProperty("VEVENT", 1, "DTSTART");
  ASSERT_NE(dtstart, nullptr);
  EXPECT_EQ(dtstart->number, 15);
  EXPECT_EQ(dtstart->text, "dtstart;tzid=Europe/London:20260105T090000");

  const auto* description = index.FindProperty("VEVENT", 0, "DESCRIPTION");
  ASSERT_NE(description, nullptr);
  EXPECT_EQ(description->number, 5);
  EXPECT_EQ(description->text, "DESCRIPTION:a long description");

  // Nested components are inside their parent.
  EXPECT_EQ(index.FindProperty("VEVENT", 0, "TRIGGER")->number, 9);
  EXPECT_EQ(index.FindProperty("VEVENT", 1, "TRIGGER"), nullptr);
  EXPECT_EQ(index.FindText("VEVENT", 1, "UID:b")->number, 14);
}

TEST(IcalTextIndexTest, SurvivesBrokenNesting) {
  IcalTextIndex index("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nEND:VCALENDAR\nEND:VEVENT\n");
  EXPECT_EQ(index.ComponentLine("VEVENT", 0), 2);
  EXPECT_EQ(index.FindProperty("VEVENT", 0, "UID")->number, 3);
  IcalTextIndex empty("");
  EXPECT_EQ(empty.ComponentLine("VEVENT", 0), 0);
}

}  // namespace
}  // namespace prebell
