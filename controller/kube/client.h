// Client: the Kubernetes API for arbitrary resources, as nlohmann::json.
//
// Each call builds its request (request.h), waits for the client-side rate
// limiter, sends it through the Transport, and turns the answer into a value
// or a Status (api_error.h). A 429 or 5xx answer that carries Retry-After is
// retried here after that delay (up to max_retries, as client-go does): the
// server said it did not process the request. Nothing else is retried here:
// callers own their retry policy (the work queue backs off per key, the
// watcher per stream). Every request is reported once to the observer.
// Thread-safe; no exception leaves it.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/kube/clock.h"
#include "controller/kube/rate_limiter.h"
#include "controller/kube/request.h"
#include "controller/kube/request_metrics.h"
#include "controller/kube/resource.h"
#include "controller/kube/transport.h"
#include "controller/kube/watch_decoder.h"
#include "policies/common/status.h"

namespace prebell::kube {

struct ClientOptions {
  double qps = 20;  // <= 0: no client-side limit
  int burst = 30;
  int max_retries = 10;                // for 429/5xx answers with Retry-After
  std::shared_ptr<const Clock> clock;  // default: SystemClock
  RequestObserver observer;            // optional
  // A watch's connection is closed when nothing arrived for its
  // timeoutSeconds plus this (the server should have ended it by then), or
  // for watch_idle_default when it has no timeoutSeconds.
  std::chrono::seconds watch_idle_slack{30};
  std::chrono::seconds watch_idle_default{600};
};

struct ObjectList {
  std::vector<nlohmann::json> items;  // each with apiVersion and kind filled in
  std::string resource_version;       // of the list: start a watch here
  std::string continue_token;         // non-empty: more pages
};

// An open watch. Not thread-safe except Cancel().
class WatchStream {
 public:
  WatchStream(std::unique_ptr<BodyStream> body, std::chrono::milliseconds idle_timeout);

  // The next event; std::nullopt when the server ended the watch cleanly
  // (its timeoutSeconds passed: resume from the last resourceVersion);
  // kDeadlineExceeded when nothing arrived within the idle timeout (the
  // connection is presumed dead); kUnavailable / kInvalidArgument when the
  // stream broke or carried garbage; kAborted after Cancel().
  StatusOr<std::optional<WatchEvent>> Next();
  void Cancel();

 private:
  std::unique_ptr<BodyStream> body_;
  std::chrono::milliseconds idle_timeout_;
  WatchDecoder decoder_;
  std::deque<WatchEvent> pending_;
  bool ended_ = false;
};

class Client {
 public:
  Client(std::shared_ptr<Transport> transport, ClientOptions options = {});

  StatusOr<nlohmann::json> Get(const ResourceType& type, std::string_view ns, std::string_view name,
                               std::string_view subresource = {});
  // One page.
  StatusOr<ObjectList> List(const ResourceType& type, std::string_view ns,
                            const ListOptions& options = {});
  // Every page, following continue tokens with `page_size` (0: one request).
  // A continue token that expires mid-way gives IsResourceExpired.
  StatusOr<ObjectList> ListAll(const ResourceType& type, std::string_view ns,
                               const ListOptions& options, int64_t page_size = 500);
  StatusOr<std::unique_ptr<WatchStream>> Watch(const ResourceType& type, std::string_view ns,
                                               const WatchOptions& options);
  StatusOr<nlohmann::json> Create(const ResourceType& type, std::string_view ns,
                                  const nlohmann::json& object, const WriteOptions& options = {});
  // PUT; the object's metadata.resourceVersion makes it conditional.
  StatusOr<nlohmann::json> Update(const ResourceType& type, std::string_view ns,
                                  const nlohmann::json& object, const WriteOptions& options = {},
                                  std::string_view subresource = {});
  StatusOr<nlohmann::json> Patch(const ResourceType& type, std::string_view ns,
                                 std::string_view name, PatchType patch_type,
                                 const nlohmann::json& patch, const PatchOptions& options = {},
                                 std::string_view subresource = {});
  // Server-side apply of `object` (a partial object with apiVersion, kind,
  // metadata.name): Patch with PatchType::kApply.
  StatusOr<nlohmann::json> Apply(const ResourceType& type, std::string_view ns,
                                 const nlohmann::json& object, const std::string& field_manager,
                                 bool force = false, std::string_view subresource = {});
  // Success includes a deletion that is still in progress (finalizers).
  Status Delete(const ResourceType& type, std::string_view ns, std::string_view name,
                const DeleteOptions& options = {});

  // Sends a prepared request (for what the typed calls above do not cover);
  // the parsed JSON body on 2xx.
  StatusOr<nlohmann::json> Do(const HttpRequest& request);

  const std::shared_ptr<const Clock>& clock() const { return options_.clock; }

 private:
  void Observe(const HttpRequest& req, int http_status, StatusCode code, MonoTime start) const;
  void Sleep(std::chrono::nanoseconds d);

  std::shared_ptr<Transport> transport_;
  ClientOptions options_;
  RateLimiter limiter_;
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
};

}  // namespace prebell::kube
