#include "controller/kube/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "controller/kube/api_error.h"
#include "controller/kube/scripted_transport.h"

namespace prebell::kube {
namespace {

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    transport_ = std::make_shared<ScriptedTransport>();
    clock_ = std::make_shared<FakeClock>();
    ClientOptions o;
    o.clock = clock_;
    o.qps = 0;
    o.observer = counters_.Observer();
    client_ = std::make_shared<Client>(transport_, o);
  }

  std::shared_ptr<ScriptedTransport> transport_;
  std::shared_ptr<FakeClock> clock_;
  RequestCounters counters_;
  std::shared_ptr<Client> client_;
};

TEST_F(ClientTest, GetReturnsTheObject) {
  transport_->OnSend([](const HttpRequest& r) {
    EXPECT_EQ(r.path, "/api/v1/namespaces/d/configmaps/cm");
    return JsonResponse(200, {{"kind", "ConfigMap"}, {"metadata", {{"name", "cm"}}}});
  });
  auto got = client_->Get(resources::ConfigMaps(), "d", "cm");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["metadata"]["name"], "cm");
  EXPECT_EQ(counters_.Snapshot().at({"get", "configmaps", "200"}), 1u);
}

TEST_F(ClientTest, ErrorsBecomeStatuses) {
  transport_->OnSend([](const HttpRequest&) {
    return StatusResponse(404, "NotFound", "configmaps \"cm\" not found");
  });
  auto got = client_->Get(resources::ConfigMaps(), "d", "cm");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(IsNotFound(got.status()));
  EXPECT_EQ(got.status().message(),
            "get /api/v1/namespaces/d/configmaps/cm: HTTP 404 NotFound: configmaps \"cm\" not "
            "found");
  EXPECT_EQ(transport_->requests().size(), 1u);  // not retried
}

TEST_F(ClientTest, TransportErrorsAreUnavailable) {
  transport_->OnSend([](const HttpRequest&) -> StatusOr<HttpResponse> {
    return UnavailableError("connection refused");
  });
  auto got = client_->Get(resources::ConfigMaps(), "d", "cm");
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(counters_.Snapshot().at({"get", "configmaps", "error"}), 1u);
}

TEST_F(ClientTest, RetriesWhenTheServerSaysRetryAfter) {
  int calls = 0;
  transport_->OnSend([&](const HttpRequest&) {
    if (++calls < 3) {
      HttpResponse r = StatusResponse(429, "TooManyRequests", "slow down");
      r.headers["retry-after"] = "1";
      return r;
    }
    return JsonResponse(201, {{"metadata", {{"name", "cm"}}}});
  });
  std::atomic<bool> done{false};
  std::thread advancer([&] {
    while (!done) {
      clock_->Advance(std::chrono::milliseconds(100));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto created = client_->Create(
      resources::ConfigMaps(), "d",
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cm"}}}});
  done = true;
  advancer.join();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(counters_.Snapshot().at({"create", "configmaps", "429"}), 2u);
}

TEST_F(ClientTest, GivesUpAfterMaxRetriesAndDoesNotRetryWithoutRetryAfter) {
  ClientOptions o;
  o.clock = clock_;
  o.qps = 0;
  o.max_retries = 2;
  Client c(transport_, o);
  int calls = 0;
  transport_->OnSend([&](const HttpRequest&) {
    ++calls;
    HttpResponse r = StatusResponse(503, "ServiceUnavailable", "busy");
    r.headers["retry-after"] = "0";
    return r;
  });
  auto got = c.Get(resources::ConfigMaps(), "d", "cm");
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 3);  // the first try and two retries

  calls = 0;
  transport_->OnSend([&](const HttpRequest&) {
    ++calls;
    return StatusResponse(500, "InternalError", "boom");
  });
  EXPECT_EQ(c.Get(resources::ConfigMaps(), "d", "cm").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);
}

TEST_F(ClientTest, ListFillsTypeMetaAndListAllPages) {
  transport_->OnSend([](const HttpRequest& r) {
    bool second = false;
    for (const auto& [k, v] : r.query) {
      if (k == "continue") second = (v == "page2");
      if (k == "resourceVersion") {
        EXPECT_FALSE(second);
      }
    }
    nlohmann::json body = {{"kind", "ConfigMapList"},
                           {"metadata", {{"resourceVersion", second ? "101" : "100"}}}};
    if (second) {
      body["items"] = {{{"metadata", {{"name", "c"}, {"namespace", "d"}}}}};
    } else {
      body["metadata"]["continue"] = "page2";
      body["items"] = {{{"metadata", {{"name", "a"}, {"namespace", "d"}}}},
                       {{"metadata", {{"name", "b"}, {"namespace", "d"}}}}};
    }
    return JsonResponse(200, body);
  });
  ListOptions o;
  o.resource_version = "";
  auto all = client_->ListAll(resources::ConfigMaps(), "d", o, 2);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->items[0]["kind"], "ConfigMap");
  EXPECT_EQ(all->items[0]["apiVersion"], "v1");
  EXPECT_EQ(all->items[2]["metadata"]["name"], "c");
  EXPECT_EQ(all->resource_version, "101");
  EXPECT_TRUE(all->continue_token.empty());
  auto reqs = transport_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].PathAndQuery(), "/api/v1/namespaces/d/configmaps?limit=2");
  EXPECT_EQ(reqs[1].PathAndQuery(), "/api/v1/namespaces/d/configmaps?limit=2&continue=page2");
}

TEST_F(ClientTest, ListWithoutItemsIsAnError) {
  transport_->OnSend([](const HttpRequest&) { return JsonResponse(200, {{"kind", "X"}}); });
  EXPECT_EQ(client_->List(resources::ConfigMaps(), "d").status().code(), StatusCode::kInternal);
  transport_->OnSend([](const HttpRequest&) {
    HttpResponse r;
    r.status = 200;
    r.body = "not json";
    return r;
  });
  EXPECT_EQ(client_->List(resources::ConfigMaps(), "d").status().code(), StatusCode::kInternal);
}

TEST_F(ClientTest, WatchStreamsEventsWithAnIdleTimeoutAboveTimeoutSeconds) {
  ScriptedBodyStream* body = nullptr;
  transport_->OnStream([&](const HttpRequest& r) -> StatusOr<StreamResponse> {
    EXPECT_EQ(r.verb, "watch");
    auto b = std::make_unique<ScriptedBodyStream>();
    body = b.get();
    std::string events =
        WatchLine("ADDED", {{"metadata", {{"name", "a"}, {"resourceVersion", "7"}}}}) +
        WatchLine("DELETED", {{"metadata", {{"name", "a"}, {"resourceVersion", "8"}}}});
    b->PushSplit(events, 5);
    b->End();
    return StreamOf(std::move(b));
  });
  WatchOptions o;
  o.resource_version = "6";
  o.timeout_seconds = 300;
  auto w = client_->Watch(resources::ConfigMaps(), "d", o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(transport_->stream_idle_timeouts().at(0), std::chrono::seconds(330));
  auto e1 = (*w)->Next();
  ASSERT_TRUE(e1.ok() && e1->has_value());
  EXPECT_EQ((*e1)->type, WatchEventType::kAdded);
  auto e2 = (*w)->Next();
  ASSERT_TRUE(e2.ok() && e2->has_value());
  EXPECT_EQ((*e2)->type, WatchEventType::kDeleted);
  auto end = (*w)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  (*w)->Cancel();
  EXPECT_TRUE(body->cancelled());
  EXPECT_EQ(counters_.Snapshot().at({"watch", "configmaps", "200"}), 1u);
}

TEST_F(ClientTest, WatchGoneAtOpenIsResourceExpired) {
  transport_->OnStream([](const HttpRequest&) -> StatusOr<StreamResponse> {
    StreamResponse r;
    r.status = 410;
    r.error_body = StatusResponse(410, "Expired", "too old resource version: 1 (50)").body;
    return r;
  });
  auto w = client_->Watch(resources::ConfigMaps(), "d", {});
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(IsResourceExpired(w.status()));
}

TEST_F(ClientTest, WatchIdleTimeoutAndBrokenStream) {
  transport_->OnStream([](const HttpRequest&) -> StatusOr<StreamResponse> {
    auto b = std::make_unique<ScriptedBodyStream>();
    b->Push("{\"type\":\"ADD");  // half an event, then silence
    b->PushTimeout();
    b->Fail(UnavailableError("connection reset"));
    return StreamOf(std::move(b));
  });
  auto w = client_->Watch(resources::ConfigMaps(), "d", {});
  ASSERT_TRUE(w.ok());
  auto idle = (*w)->Next();
  EXPECT_EQ(idle.status().code(), StatusCode::kDeadlineExceeded);
  auto broken = (*w)->Next();
  EXPECT_EQ(broken.status().code(), StatusCode::kUnavailable);
}

TEST_F(ClientTest, ApplyAndDelete) {
  transport_->OnSend([](const HttpRequest& r) {
    if (r.method == HttpMethod::kDelete) {
      return JsonResponse(200, {{"kind", "Status"}, {"status", "Success"}});
    }
    EXPECT_EQ(r.content_type, "application/apply-patch+yaml");
    return JsonResponse(200, nlohmann::json::parse(r.body));
  });
  nlohmann::json obj = {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cm"}}}};
  auto applied = client_->Apply(resources::ConfigMaps(), "d", obj, "prebell", true);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(transport_->requests().back().PathAndQuery(),
            "/api/v1/namespaces/d/configmaps/cm?fieldManager=prebell&force=true");
  EXPECT_TRUE(client_->Delete(resources::ConfigMaps(), "d", "cm").ok());
  EXPECT_FALSE(client_->Apply(resources::ConfigMaps(), "d", nlohmann::json::object(), "m").ok());
}

TEST_F(ClientTest, RateLimitsRequests) {
  ClientOptions o;
  o.clock = clock_;
  o.qps = 1;
  o.burst = 1;
  Client c(transport_, o);
  transport_->OnSend(
      [](const HttpRequest&) { return JsonResponse(200, nlohmann::json::object()); });
  ASSERT_TRUE(c.Get(resources::ConfigMaps(), "d", "a").ok());
  std::atomic<bool> done{false};
  std::thread t([&] {
    (void)c.Get(resources::ConfigMaps(), "d", "b");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(done);  // waiting for a token
  EXPECT_EQ(transport_->requests().size(), 1u);
  clock_->Advance(std::chrono::seconds(1));
  t.join();
  EXPECT_EQ(transport_->requests().size(), 2u);
}

}  // namespace
}  // namespace prebell::kube
