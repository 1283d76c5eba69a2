#include "controller/kube/client.h"

#include "controller/kube/api_error.h"

namespace prebell::kube {
namespace {

std::string What(const HttpRequest& req) { return req.verb + " " + req.path; }

// Fills in apiVersion/kind, which list responses leave out of their items.
void FillTypeMeta(nlohmann::json& item, const ResourceType& type) {
  if (!item.is_object()) return;
  if (!item.contains("apiVersion")) item["apiVersion"] = type.ApiVersion();
  if (!item.contains("kind")) item["kind"] = type.kind;
}

}  // namespace

WatchStream::WatchStream(std::unique_ptr<BodyStream> body, std::chrono::milliseconds idle_timeout)
    : body_(std::move(body)), idle_timeout_(idle_timeout) {}

void WatchStream::Cancel() { body_->Cancel(); }

StatusOr<std::optional<WatchEvent>> WatchStream::Next() {
  while (pending_.empty()) {
    if (ended_) return std::optional<WatchEvent>();
    auto piece = body_->Read(idle_timeout_);
    if (!piece.ok()) {
      if (piece.status().code() == StatusCode::kDeadlineExceeded) {
        return DeadlineExceededError("watch: nothing received for " +
                                     std::to_string(idle_timeout_.count() / 1000) +
                                     "s; the connection is presumed dead");
      }
      return piece.status();
    }
    if (!piece->has_value()) {
      ended_ = true;
      PREBELL_RETURN_IF_ERROR(decoder_.Finish());
      continue;
    }
    std::vector<WatchEvent> events;
    PREBELL_RETURN_IF_ERROR(decoder_.Feed(**piece, events));
    for (auto& e : events) pending_.push_back(std::move(e));
  }
  WatchEvent ev = std::move(pending_.front());
  pending_.pop_front();
  return std::optional<WatchEvent>(std::move(ev));
}

Client::Client(std::shared_ptr<Transport> transport, ClientOptions options)
    : transport_(std::move(transport)),
      options_([&] {
        if (!options.clock) options.clock = SystemClock::Shared();
        return std::move(options);
      }()),
      limiter_(options_.qps, options_.burst, options_.clock) {}

void Client::Observe(const HttpRequest& req, int http_status, StatusCode code,
                     MonoTime start) const {
  if (!options_.observer) return;
  RequestRecord r;
  r.verb = req.verb;
  r.resource = req.resource;
  r.http_status = http_status;
  r.code = code;
  r.latency = options_.clock->Now() - start;
  options_.observer(r);
}

void Client::Sleep(std::chrono::nanoseconds d) {
  MonoTime deadline = options_.clock->Now() + std::chrono::duration_cast<MonoTime::duration>(d);
  std::unique_lock<std::mutex> lock(sleep_mu_);
  while (options_.clock->Now() < deadline) options_.clock->WaitUntil(sleep_cv_, lock, deadline);
}

StatusOr<nlohmann::json> Client::Do(const HttpRequest& req) {
  for (int attempt = 0;; ++attempt) {
    limiter_.Acquire();
    MonoTime start = options_.clock->Now();
    auto resp = transport_->Send(req);
    if (!resp.ok()) {
      Observe(req, 0, resp.status().code(), start);
      return resp.status().WithContext(What(req));
    }
    if (resp->status >= 200 && resp->status < 300) {
      Observe(req, resp->status, StatusCode::kOk, start);
      if (resp->body.empty()) return nlohmann::json::object();
      auto j = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) {
        return InternalError(What(req) + ": HTTP " + std::to_string(resp->status) +
                             " with a body that is not JSON");
      }
      return j;
    }
    ApiError err = ErrorFromResponse(*resp);
    Status status = err.ToStatus(What(req));
    Observe(req, resp->status, status.code(), start);
    bool server_asked_to_retry = err.retry_after && (resp->status == 429 || resp->status >= 500);
    if (!server_asked_to_retry || attempt >= options_.max_retries) return status;
    Sleep(*err.retry_after);
  }
}

StatusOr<nlohmann::json> Client::Get(const ResourceType& type, std::string_view ns,
                                     std::string_view name, std::string_view subresource) {
  auto req = BuildGet(type, ns, name, subresource);
  if (!req.ok()) return req.status();
  return Do(*req);
}

StatusOr<ObjectList> Client::List(const ResourceType& type, std::string_view ns,
                                  const ListOptions& options) {
  auto req = BuildList(type, ns, options);
  if (!req.ok()) return req.status();
  auto j = Do(*req);
  if (!j.ok()) return j.status();
  ObjectList list;
  auto items = j->find("items");
  if (items == j->end() || !(items->is_array() || items->is_null())) {
    return InternalError(What(*req) + ": the answer has no items list");
  }
  if (items->is_array()) {
    list.items.reserve(items->size());
    for (auto& item : *items) {
      FillTypeMeta(item, type);
      list.items.push_back(std::move(item));
    }
  }
  if (auto meta = j->find("metadata"); meta != j->end() && meta->is_object()) {
    if (auto rv = meta->find("resourceVersion"); rv != meta->end() && rv->is_string()) {
      list.resource_version = rv->get<std::string>();
    }
    if (auto c = meta->find("continue"); c != meta->end() && c->is_string()) {
      list.continue_token = c->get<std::string>();
    }
  }
  return list;
}

StatusOr<ObjectList> Client::ListAll(const ResourceType& type, std::string_view ns,
                                     const ListOptions& options, int64_t page_size) {
  ListOptions page = options;
  page.limit = page_size;
  auto first = List(type, ns, page);
  if (!first.ok()) return first.status();
  ObjectList all = std::move(first).value();
  while (!all.continue_token.empty()) {
    page.continue_token = all.continue_token;
    page.resource_version.clear();  // the token pins the version
    page.match = ResourceVersionMatch::kUnset;
    auto next = List(type, ns, page);
    if (!next.ok()) return next.status();
    for (auto& item : next->items) all.items.push_back(std::move(item));
    all.continue_token = next->continue_token;
    if (!next->resource_version.empty()) all.resource_version = next->resource_version;
  }
  return all;
}

StatusOr<std::unique_ptr<WatchStream>> Client::Watch(const ResourceType& type, std::string_view ns,
                                                     const WatchOptions& options) {
  auto req = BuildWatch(type, ns, options);
  if (!req.ok()) return req.status();
  std::chrono::seconds idle =
      options.timeout_seconds
          ? std::chrono::seconds(*options.timeout_seconds) + options_.watch_idle_slack
          : options_.watch_idle_default;
  limiter_.Acquire();
  MonoTime start = options_.clock->Now();
  auto resp = transport_->Stream(*req, idle);
  if (!resp.ok()) {
    Observe(*req, 0, resp.status().code(), start);
    return resp.status().WithContext(What(*req));
  }
  if (resp->status < 200 || resp->status >= 300 || !resp->body) {
    std::optional<std::string> retry_after;
    if (auto it = resp->headers.find("retry-after"); it != resp->headers.end()) {
      retry_after = it->second;
    }
    Status status =
        ErrorFromResponse(resp->status, resp->error_body, retry_after).ToStatus(What(*req));
    if (status.ok()) status = InternalError(What(*req) + ": a 2xx answer without a body");
    Observe(*req, resp->status, status.code(), start);
    return status;
  }
  Observe(*req, resp->status, StatusCode::kOk, start);
  return std::make_unique<WatchStream>(std::move(resp->body),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(idle));
}

StatusOr<nlohmann::json> Client::Create(const ResourceType& type, std::string_view ns,
                                        const nlohmann::json& object, const WriteOptions& options) {
  auto req = BuildCreate(type, ns, object, options);
  if (!req.ok()) return req.status();
  return Do(*req);
}

StatusOr<nlohmann::json> Client::Update(const ResourceType& type, std::string_view ns,
                                        const nlohmann::json& object, const WriteOptions& options,
                                        std::string_view subresource) {
  auto req = BuildUpdate(type, ns, object, options, subresource);
  if (!req.ok()) return req.status();
  return Do(*req);
}

StatusOr<nlohmann::json> Client::Patch(const ResourceType& type, std::string_view ns,
                                       std::string_view name, PatchType patch_type,
                                       const nlohmann::json& patch, const PatchOptions& options,
                                       std::string_view subresource) {
  auto req = BuildPatch(type, ns, name, patch_type, patch, options, subresource);
  if (!req.ok()) return req.status();
  return Do(*req);
}

StatusOr<nlohmann::json> Client::Apply(const ResourceType& type, std::string_view ns,
                                       const nlohmann::json& object,
                                       const std::string& field_manager, bool force,
                                       std::string_view subresource) {
  std::string name;
  if (object.is_object()) {
    if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
      if (auto n = meta->find("name"); n != meta->end() && n->is_string()) {
        name = n->get<std::string>();
      }
    }
  }
  if (name.empty()) return InvalidArgumentError("apply " + type.Name() + ": no metadata.name");
  PatchOptions options;
  options.field_manager = field_manager;
  options.force = force;
  return Patch(type, ns, name, PatchType::kApply, object, options, subresource);
}

Status Client::Delete(const ResourceType& type, std::string_view ns, std::string_view name,
                      const DeleteOptions& options) {
  auto req = BuildDelete(type, ns, name, options);
  if (!req.ok()) return req.status();
  auto j = Do(*req);
  return j.status();
}

}  // namespace prebell::kube
