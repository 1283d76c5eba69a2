#include "policies/calendar/ical_splitter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace prebell {
namespace {

using ::testing::ElementsAre;

TEST(IcalSplitterTest, CutsTopLevelEventsOutOfTheCalendar) {
  const std::string text =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
      "BEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n"
      "BEGIN:VEVENT\r\nUID:a\r\nDESCRIPTION:folded\r\n  END:VEVENT is text here\r\n"
      "BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n"
      "BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n"
      "begin:vevent\r\nUID:b\r\nend:vevent\r\n"
      "END:VCALENDAR\r\n";
  const IcalSplit split = SplitIcalText(text);
  ASSERT_TRUE(split.ok);
  EXPECT_EQ(split.rest,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n"
            "BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
  EXPECT_THAT(split.events,
              ElementsAre("BEGIN:VEVENT\r\nUID:a\r\nDESCRIPTION:folded\r\n  END:VEVENT is text "
                          "here\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n",
                          "begin:vevent\r\nUID:b\r\nend:vevent\r\n"));
}

TEST(IcalSplitterTest, SeveralCalendarsAndBareLineFeeds) {
  const IcalSplit split = SplitIcalText(
      "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nEND:VEVENT\nEND:VCALENDAR\n\n"
      "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:b\nEND:VEVENT\nEND:VCALENDAR");
  ASSERT_TRUE(split.ok);
  EXPECT_EQ(split.rest, "BEGIN:VCALENDAR\nEND:VCALENDAR\n\nBEGIN:VCALENDAR\nEND:VCALENDAR");
  EXPECT_EQ(split.events.size(), 2u);
}

TEST(IcalSplitterTest, LeavesAmbiguousStructureToLibical) {
  for (const char* text : {
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nEND:VCALENDAR\n",          // unclosed event
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\nEND:VCALENDAR\n",      // wrong END
           "BEGIN:VCALENDAR\nEND:VCALENDAR\nUID:stray\n",                    // outside
           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nEND:VEVENT\n",             // unclosed calendar
           "BEGIN:VCALENDAR\nBEGIN:VEV\n ENT\nEND:VEVENT\nEND:VCALENDAR\n",  // folded BEGIN
       }) {
    EXPECT_FALSE(SplitIcalText(text).ok) << text;
  }
  // A VEVENT that is not directly inside a VCALENDAR stays where it is.
  const IcalSplit bare = SplitIcalText("BEGIN:VEVENT\nUID:a\nEND:VEVENT\n");
  EXPECT_TRUE(bare.events.empty());
  EXPECT_EQ(bare.rest, "BEGIN:VEVENT\nUID:a\nEND:VEVENT\n");
  const IcalSplit nested = SplitIcalText(
      "BEGIN:VCALENDAR\nBEGIN:X-GROUP\nBEGIN:VEVENT\nUID:a\nEND:VEVENT\nEND:X-GROUP\nEND:"
      "VCALENDAR\n");
  ASSERT_TRUE(nested.ok);
  EXPECT_TRUE(nested.events.empty());
}

}  // namespace
}  // namespace prebell
