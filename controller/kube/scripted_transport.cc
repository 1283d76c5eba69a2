#include "controller/kube/scripted_transport.h"

namespace prebell::kube {

ScriptedBodyStream::ScriptedBodyStream(std::chrono::milliseconds max_block)
    : max_block_(max_block) {}

void ScriptedBodyStream::Push(std::string piece) {
  std::lock_guard<std::mutex> lock(mu_);
  items_.emplace_back(std::move(piece));
  cv_.notify_all();
}

void ScriptedBodyStream::PushSplit(const std::string& text, size_t step) {
  if (step == 0) step = 1;
  for (size_t i = 0; i < text.size(); i += step) Push(text.substr(i, step));
}

void ScriptedBodyStream::PushTimeout() {
  std::lock_guard<std::mutex> lock(mu_);
  items_.emplace_back(Timeout{});
  cv_.notify_all();
}

void ScriptedBodyStream::End() {
  std::lock_guard<std::mutex> lock(mu_);
  items_.emplace_back(EndMark{});
  cv_.notify_all();
}

void ScriptedBodyStream::Fail(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  items_.emplace_back(std::move(status));
  cv_.notify_all();
}

void ScriptedBodyStream::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  cv_.notify_all();
}

bool ScriptedBodyStream::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

StatusOr<std::optional<std::string>> ScriptedBodyStream::Read(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::min(timeout, max_block_), [&] { return cancelled_ || !items_.empty(); });
  if (cancelled_) return AbortedError("watch cancelled");
  if (items_.empty()) return DeadlineExceededError("scripted stream: nothing scripted");
  Item item = std::move(items_.front());
  if (std::holds_alternative<EndMark>(item)) return std::optional<std::string>();  // stays ended
  items_.pop_front();
  if (auto* s = std::get_if<std::string>(&item)) return std::optional<std::string>(std::move(*s));
  if (std::holds_alternative<Timeout>(item)) return DeadlineExceededError("scripted timeout");
  return std::get<Status>(std::move(item));
}

void ScriptedTransport::OnSend(SendHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  send_ = std::move(handler);
}

void ScriptedTransport::OnStream(StreamHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  stream_ = std::move(handler);
}

StatusOr<HttpResponse> ScriptedTransport::Send(const HttpRequest& request) {
  SendHandler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    handler = send_;
  }
  if (!handler) return UnavailableError("scripted transport: no send handler");
  return handler(request);
}

StatusOr<StreamResponse> ScriptedTransport::Stream(const HttpRequest& request,
                                                   std::chrono::seconds idle_timeout) {
  StreamHandler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    idle_timeouts_.push_back(idle_timeout);
    handler = stream_;
  }
  if (!handler) return UnavailableError("scripted transport: no stream handler");
  return handler(request);
}

std::vector<HttpRequest> ScriptedTransport::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<std::chrono::seconds> ScriptedTransport::stream_idle_timeouts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_timeouts_;
}

void ScriptedTransport::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
  idle_timeouts_.clear();
}

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

HttpResponse StatusResponse(int code, const std::string& reason, const std::string& message) {
  return JsonResponse(code, {{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"status", "Failure"},
                             {"code", code},
                             {"reason", reason},
                             {"message", message}});
}

StreamResponse StreamOf(std::unique_ptr<ScriptedBodyStream> body) {
  StreamResponse r;
  r.status = 200;
  r.headers["content-type"] = "application/json";
  r.body = std::move(body);
  return r;
}

std::string WatchLine(const std::string& type, const nlohmann::json& object) {
  return nlohmann::json{{"type", type}, {"object", object}}.dump() + "\n";
}

}  // namespace prebell::kube
