// Test helper: scripts an API server's list and watch answers in order.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/kube/client.h"
#include "controller/kube/scripted_transport.h"

namespace prebell::runtime::testing {

inline nlohmann::json Cm(const std::string& name, const std::string& rv,
                         const std::string& ns = "d") {
  return {{"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", rv}}},
          {"data", {{"v", rv}}}};
}

inline kube::HttpResponse ListOf(const std::string& rv, const std::vector<nlohmann::json>& items) {
  nlohmann::json body = {{"kind", "ConfigMapList"},
                         {"apiVersion", "v1"},
                         {"metadata", {{"resourceVersion", rv}}},
                         {"items", items}};
  return kube::JsonResponse(200, body);
}

inline std::map<std::string, std::string> QueryOf(const kube::HttpRequest& r) {
  std::map<std::string, std::string> q;
  for (const auto& [k, v] : r.query) q[k] = v;
  return q;
}

class WatchScript {
 public:
  using Send = std::function<StatusOr<kube::HttpResponse>(const kube::HttpRequest&)>;

  explicit WatchScript(std::shared_ptr<kube::ScriptedTransport> t) : t_(std::move(t)) {
    t_->OnSend([this](const kube::HttpRequest& r) -> StatusOr<kube::HttpResponse> {
      Send s;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (sends_.empty()) return UnavailableError("script: no answer left for " + r.path);
        s = std::move(sends_.front());
        sends_.pop_front();
      }
      return s(r);
    });
    t_->OnStream([this](const kube::HttpRequest& r) -> StatusOr<kube::StreamResponse> {
      std::lock_guard<std::mutex> lock(mu_);
      if (streams_.empty()) return UnavailableError("script: no stream left for " + r.path);
      auto s = std::move(streams_.front());
      streams_.pop_front();
      return s(r);
    });
  }

  void List(kube::HttpResponse resp) {
    std::lock_guard<std::mutex> lock(mu_);
    sends_.push_back([resp](const kube::HttpRequest&) { return resp; });
  }
  // A watch that delivers `body` (split into `step`-byte pieces), then ends
  // cleanly or fails. Returns the stream to script further.
  kube::ScriptedBodyStream* Watch(const std::string& body, size_t step = 7) {
    auto stream = std::make_unique<kube::ScriptedBodyStream>(std::chrono::milliseconds(2000));
    auto* raw = stream.get();
    raw->PushSplit(body, step);
    auto holder = std::make_shared<std::unique_ptr<kube::ScriptedBodyStream>>(std::move(stream));
    std::lock_guard<std::mutex> lock(mu_);
    streams_.push_back([holder](const kube::HttpRequest&) -> StatusOr<kube::StreamResponse> {
      return kube::StreamOf(std::move(*holder));
    });
    return raw;
  }
  void WatchError(int code, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu_);
    streams_.push_back([code, reason](const kube::HttpRequest&) -> StatusOr<kube::StreamResponse> {
      kube::StreamResponse r;
      r.status = code;
      r.error_body = kube::StatusResponse(code, reason, "scripted " + reason).body;
      return r;
    });
  }

 private:
  std::shared_ptr<kube::ScriptedTransport> t_;
  std::mutex mu_;
  std::deque<Send> sends_;
  std::deque<std::function<StatusOr<kube::StreamResponse>(const kube::HttpRequest&)>> streams_;
};

}  // namespace prebell::runtime::testing
