// ScriptedTransport: a Transport for unit tests, answering from handlers the
// test supplies and recording every request it was given.
//
// Tests of anything built on kube::Client (watchers, the leader elector, the
// event recorder, reconcilers) script the API server's answers with it and
// assert on the requests. ScriptedBodyStream plays a watch body: the test
// pushes pieces (any split of the bytes), timeouts, errors and the end. A
// Read on an empty script waits at most `max_block` of real time and then
// reports a timeout, so a test whose script ran out fails instead of hanging.
// Thread-safe. Part of the prebell_kube_testing library (not linked into the
// controller).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "controller/kube/transport.h"

namespace prebell::kube {

class ScriptedBodyStream final : public BodyStream {
 public:
  explicit ScriptedBodyStream(
      std::chrono::milliseconds max_block = std::chrono::milliseconds(5000));

  void Push(std::string piece);
  // Each piece of `text`, split every `step` bytes.
  void PushSplit(const std::string& text, size_t step);
  void PushTimeout();        // the next Read reports kDeadlineExceeded
  void End();                // a clean end after what was pushed
  void Fail(Status status);  // an error after what was pushed

  StatusOr<std::optional<std::string>> Read(std::chrono::milliseconds timeout) override;
  void Cancel() override;

  bool cancelled() const;

 private:
  struct Timeout {};
  struct EndMark {};
  using Item = std::variant<std::string, Timeout, EndMark, Status>;

  std::chrono::milliseconds max_block_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  bool cancelled_ = false;
};

class ScriptedTransport final : public Transport {
 public:
  using SendHandler = std::function<StatusOr<HttpResponse>(const HttpRequest&)>;
  // Returns the response; for a 2xx the handler sets `body` (usually a
  // ScriptedBodyStream it keeps a pointer to).
  using StreamHandler = std::function<StatusOr<StreamResponse>(const HttpRequest&)>;

  void OnSend(SendHandler handler);
  void OnStream(StreamHandler handler);

  StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  StatusOr<StreamResponse> Stream(const HttpRequest& request,
                                  std::chrono::seconds idle_timeout) override;

  // Every request so far (sends and streams, in order).
  std::vector<HttpRequest> requests() const;
  std::vector<std::chrono::seconds> stream_idle_timeouts() const;
  void ClearRequests();

 private:
  mutable std::mutex mu_;
  SendHandler send_;
  StreamHandler stream_;
  std::vector<HttpRequest> requests_;
  std::vector<std::chrono::seconds> idle_timeouts_;
};

// A response with a JSON body.
HttpResponse JsonResponse(int status, const nlohmann::json& body);
// An error response with a metav1.Status body, as the API server sends.
HttpResponse StatusResponse(int code, const std::string& reason, const std::string& message);
// A 2xx StreamResponse over `body` (ownership moves into the response; keep
// the raw pointer to script it).
StreamResponse StreamOf(std::unique_ptr<ScriptedBodyStream> body);
// A watch event line: {"type": type, "object": object} + "\n".
std::string WatchLine(const std::string& type, const nlohmann::json& object);

}  // namespace prebell::kube
