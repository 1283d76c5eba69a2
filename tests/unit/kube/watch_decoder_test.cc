#include "controller/kube/watch_decoder.h"

#include <gtest/gtest.h>

#include "controller/kube/scripted_transport.h"

namespace prebell::kube {
namespace {

std::string ThreeEvents() {
  nlohmann::json cm = {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", "cm"}, {"namespace", "d"}, {"resourceVersion", "5"}}},
                       {"data",
                        {{"calendar.ics", "BEGIN:VCALENDAR\nEND:VCALENDAR"},
                         {"unicode", "caf\xc3\xa9 \xe2\x82\xac"}}}};
  nlohmann::json gone = {{"kind", "Status"},    {"apiVersion", "v1"},
                         {"status", "Failure"}, {"code", 410},
                         {"reason", "Expired"}, {"message", "too old resource version: 5 (9)"}};
  return WatchLine("ADDED", cm) +
         WatchLine("BOOKMARK", {{"kind", "ConfigMap"},
                                {"apiVersion", "v1"},
                                {"metadata", {{"resourceVersion", "8"}}}}) +
         WatchLine("ERROR", gone);
}

void ExpectThreeEvents(const std::vector<WatchEvent>& ev) {
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, WatchEventType::kAdded);
  EXPECT_EQ(ev[0].object["metadata"]["name"], "cm");
  EXPECT_EQ(ev[0].object["data"]["unicode"], "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(ev[1].type, WatchEventType::kBookmark);
  EXPECT_EQ(ev[1].object["metadata"]["resourceVersion"], "8");
  EXPECT_EQ(ev[2].type, WatchEventType::kError);
  EXPECT_TRUE(ev[2].IsGone());
  EXPECT_FALSE(ev[0].IsGone());
}

TEST(WatchDecoder, WholeBody) {
  WatchDecoder d;
  std::vector<WatchEvent> ev;
  ASSERT_TRUE(d.Feed(ThreeEvents(), ev).ok());
  ExpectThreeEvents(ev);
  EXPECT_TRUE(d.Finish().ok());
}

// A piece is not an event: split the body into two pieces at every byte
// boundary, and into pieces of every size, and decode the same events.
TEST(WatchDecoder, SplitAtEveryByteBoundary) {
  const std::string body = ThreeEvents();
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    WatchDecoder d;
    std::vector<WatchEvent> ev;
    ASSERT_TRUE(d.Feed(std::string_view(body).substr(0, cut), ev).ok()) << cut;
    ASSERT_TRUE(d.Feed(std::string_view(body).substr(cut), ev).ok()) << cut;
    ExpectThreeEvents(ev);
    EXPECT_TRUE(d.Finish().ok());
    EXPECT_EQ(d.buffered(), 0u);
  }
  for (size_t step = 1; step <= body.size(); ++step) {
    WatchDecoder d;
    std::vector<WatchEvent> ev;
    for (size_t i = 0; i < body.size(); i += step) {
      ASSERT_TRUE(d.Feed(std::string_view(body).substr(i, step), ev).ok()) << step;
    }
    ExpectThreeEvents(ev);
  }
}

TEST(WatchDecoder, EventsCompleteOnlyAtNewline) {
  const std::string line = WatchLine("DELETED", {{"metadata", {{"name", "x"}}}});
  WatchDecoder d;
  std::vector<WatchEvent> ev;
  ASSERT_TRUE(d.Feed(line.substr(0, line.size() - 1), ev).ok());
  EXPECT_TRUE(ev.empty());
  EXPECT_FALSE(d.Finish().ok());  // ended inside an event
  ASSERT_TRUE(d.Feed("\n", ev).ok());
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, WatchEventType::kDeleted);
}

TEST(WatchDecoder, CrLfAndBlankLines) {
  WatchDecoder d;
  std::vector<WatchEvent> ev;
  std::string line = WatchLine("MODIFIED", {{"metadata", {{"name", "x"}}}});
  line.insert(line.size() - 1, "\r");
  ASSERT_TRUE(d.Feed("\n  \n" + line + "\r\n", ev).ok());
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, WatchEventType::kModified);
}

TEST(WatchDecoder, GarbageIsAnError) {
  WatchDecoder d;
  std::vector<WatchEvent> ev;
  EXPECT_FALSE(d.Feed("<html>oops</html>\n", ev).ok());
  EXPECT_FALSE(WatchDecoder().Feed("{\"type\":\"ADDED\"}\n", ev).ok());  // no object
  EXPECT_FALSE(WatchDecoder().Feed("{\"type\":\"RENAMED\",\"object\":{}}\n", ev).ok());
  EXPECT_FALSE(WatchDecoder().Feed("{\"type\":\"ERROR\",\"object\":{}}\n", ev).ok());
  EXPECT_TRUE(ev.empty());
}

TEST(WatchDecoder, LineLimit) {
  WatchDecoder d(64);
  std::vector<WatchEvent> ev;
  EXPECT_TRUE(d.Feed(std::string(40, 'x'), ev).ok());
  EXPECT_EQ(d.Feed(std::string(40, 'x'), ev).code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace prebell::kube
