#include "controller/runtime/event_recorder.h"

#include <gtest/gtest.h>

#include "controller/kube/scripted_transport.h"

namespace prebell::runtime {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest()
      : transport_(std::make_shared<kube::ScriptedTransport>()),
        clock_(std::make_shared<kube::FakeClock>()) {
    kube::ClientOptions o;
    o.clock = clock_;
    o.qps = 0;
    auto client = std::make_shared<kube::Client>(transport_, o);
    EventRecorderOptions eo;
    eo.instance = "prebell-0";
    recorder_ = std::make_unique<EventRecorder>(client, eo, clock_);
    transport_->OnSend([this](const kube::HttpRequest& r) -> StatusOr<kube::HttpResponse> {
      if (patch_not_found_ && r.method == kube::HttpMethod::kPatch) {
        return kube::StatusResponse(404, "NotFound", "events not found");
      }
      return kube::JsonResponse(201, nlohmann::json::parse(r.body));
    });
    timetable_ = ObjectReference::FromObject({{"apiVersion", "prebell.io/v1alpha1"},
                                              {"kind", "Timetable"},
                                              {"metadata",
                                               {{"name", "physics"},
                                                {"namespace", "school"},
                                                {"uid", "u-1"},
                                                {"resourceVersion", "9"}}}});
  }

  std::vector<kube::HttpRequest> Requests(kube::HttpMethod m) {
    std::vector<kube::HttpRequest> out;
    for (auto& r : transport_->requests()) {
      if (r.method == m) out.push_back(r);
    }
    return out;
  }

  std::shared_ptr<kube::ScriptedTransport> transport_;
  std::shared_ptr<kube::FakeClock> clock_;
  std::unique_ptr<EventRecorder> recorder_;
  ObjectReference timetable_;
  bool patch_not_found_ = false;
};

TEST_F(EventRecorderTest, CreatesACoreV1Event) {
  ASSERT_TRUE(recorder_
                  ->Record(timetable_, EventType::kWarning, "InvalidSession",
                           "sessions[2].duration: '90x' is not a duration")
                  .ok());
  auto posts = Requests(kube::HttpMethod::kPost);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, "/api/v1/namespaces/school/events");
  auto ev = nlohmann::json::parse(posts[0].body);
  EXPECT_EQ(ev["type"], "Warning");
  EXPECT_EQ(ev["reason"], "InvalidSession");
  EXPECT_EQ(ev["involvedObject"]["kind"], "Timetable");
  EXPECT_EQ(ev["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(ev["involvedObject"]["namespace"], "school");
  EXPECT_EQ(ev["involvedObject"]["apiVersion"], "prebell.io/v1alpha1");
  EXPECT_EQ(ev["count"], 1);
  EXPECT_EQ(ev["firstTimestamp"], "2026-01-05T08:00:00Z");
  EXPECT_EQ(ev["source"]["component"], "prebell");
  EXPECT_EQ(ev["reportingInstance"], "prebell-0");
  EXPECT_EQ(ev["metadata"]["namespace"], "school");
  EXPECT_EQ(ev["metadata"]["name"].get<std::string>().rfind("physics.", 0), 0u);
}

TEST_F(EventRecorderTest, RepeatsPatchTheCount) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        recorder_->Record(timetable_, EventType::kNormal, "Planned", "next class 08:00").ok());
    clock_->Advance(seconds(30));
  }
  EXPECT_EQ(Requests(kube::HttpMethod::kPost).size(), 1u);
  auto patches = Requests(kube::HttpMethod::kPatch);
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[1].content_type, "application/merge-patch+json");
  auto p = nlohmann::json::parse(patches[1].body);
  EXPECT_EQ(p["count"], 3);
  EXPECT_EQ(p["lastTimestamp"], "2026-01-05T08:01:00Z");
  std::string name =
      nlohmann::json::parse(Requests(kube::HttpMethod::kPost)[0].body)["metadata"]["name"];
  EXPECT_EQ(patches[0].path, "/api/v1/namespaces/school/events/" + name);
}

TEST_F(EventRecorderTest, AfterTheWindowANewEvent) {
  ASSERT_TRUE(recorder_->Record(timetable_, EventType::kNormal, "Planned", "x").ok());
  clock_->Advance(minutes(11));
  ASSERT_TRUE(recorder_->Record(timetable_, EventType::kNormal, "Planned", "x").ok());
  EXPECT_EQ(Requests(kube::HttpMethod::kPost).size(), 2u);
}

TEST_F(EventRecorderTest, AnExpiredEventIsCreatedAgain) {
  ASSERT_TRUE(recorder_->Record(timetable_, EventType::kNormal, "Planned", "x").ok());
  patch_not_found_ = true;
  ASSERT_TRUE(recorder_->Record(timetable_, EventType::kNormal, "Planned", "x").ok());
  EXPECT_EQ(Requests(kube::HttpMethod::kPost).size(), 2u);
}

TEST_F(EventRecorderTest, ManySimilarNotesAreCombined) {
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(recorder_
                    ->Record(timetable_, EventType::kWarning, "MetricsMissing",
                             "no samples for query " + std::to_string(i))
                    .ok());
  }
  // Nine distinct events, then one combined event counted up.
  EXPECT_EQ(Requests(kube::HttpMethod::kPost).size(), 10u);
  auto last_post = nlohmann::json::parse(Requests(kube::HttpMethod::kPost).back().body);
  EXPECT_EQ(last_post["message"], "(combined from similar events): no samples for query 9");
  auto patches = Requests(kube::HttpMethod::kPatch);
  ASSERT_EQ(patches.size(), 5u);
  EXPECT_EQ(nlohmann::json::parse(patches.back().body)["count"], 6);
}

TEST_F(EventRecorderTest, ReasonAndNoteLimits) {
  EXPECT_TRUE(ValidateEventReason("ScaledUp").ok());
  EXPECT_FALSE(ValidateEventReason("scaledUp").ok());
  EXPECT_FALSE(ValidateEventReason("Scaled up").ok());
  EXPECT_FALSE(ValidateEventReason("Scaled_Up").ok());
  EXPECT_FALSE(ValidateEventReason("").ok());
  EXPECT_TRUE(ValidateEventReason("A" + std::string(127, 'b')).ok());
  EXPECT_FALSE(ValidateEventReason("A" + std::string(128, 'b')).ok());
  EXPECT_EQ(recorder_->Record(timetable_, EventType::kNormal, "bad reason", "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(transport_->requests().empty());

  std::string euro = "\xe2\x82\xac";  // 3 bytes
  std::string note;
  for (int i = 0; i < 400; ++i) note += euro;  // 1200 bytes
  std::string cut = TruncateUtf8(note, 1024);
  EXPECT_EQ(cut.size(), 1023u);  // 341 whole characters
  ASSERT_TRUE(recorder_->Record(timetable_, EventType::kNormal, "Long", note).ok());
  auto ev = nlohmann::json::parse(Requests(kube::HttpMethod::kPost).back().body);
  EXPECT_EQ(ev["message"].get<std::string>().size(), 1023u);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGoToDefault) {
  ObjectReference ns{"v1", "Namespace", "", "school", "u-2", ""};
  ASSERT_TRUE(recorder_->Record(ns, EventType::kNormal, "Seen", "x").ok());
  EXPECT_EQ(Requests(kube::HttpMethod::kPost)[0].path, "/api/v1/namespaces/default/events");
}

}  // namespace
}  // namespace prebell::runtime
