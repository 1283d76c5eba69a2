#include "controller/kube/api_error.h"

#include <cctype>
#include <charconv>

namespace prebell::kube {

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(lower);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<ApiStatus> ParseApiStatus(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string() || kind->get_ref<const std::string&>() != "Status") {
    return std::nullopt;
  }
  ApiStatus s;
  if (auto it = j.find("code"); it != j.end() && it->is_number_integer()) s.code = it->get<int>();
  if (auto it = j.find("status"); it != j.end() && it->is_string())
    s.status = it->get<std::string>();
  if (auto it = j.find("reason"); it != j.end() && it->is_string())
    s.reason = it->get<std::string>();
  if (auto it = j.find("message"); it != j.end() && it->is_string()) {
    s.message = it->get<std::string>();
  }
  if (auto d = j.find("details"); d != j.end() && d->is_object()) {
    if (auto r = d->find("retryAfterSeconds"); r != d->end() && r->is_number_integer()) {
      s.retry_after_seconds = r->get<int>();
    }
  }
  return s;
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) {
    header.remove_prefix(1);
  }
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) {
    header.remove_suffix(1);
  }
  if (header.empty()) return std::nullopt;
  long long v = 0;
  auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), v);
  if (ec != std::errc() || ptr != header.data() + header.size() || v < 0) return std::nullopt;
  return std::chrono::seconds(std::min<long long>(v, 3600));
}

StatusCode StatusCodeForHttp(int http_status, std::string_view reason) {
  switch (http_status) {
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? StatusCode::kAlreadyExists : StatusCode::kAborted;
    case 410:
      return StatusCode::kFailedPrecondition;
    case 412:
      return StatusCode::kAborted;
    case 429:
      return StatusCode::kResourceExhausted;
    case 504:
      return StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (reason == "Timeout" || reason == "ServerTimeout") return StatusCode::kDeadlineExceeded;
  if (reason == "Expired" || reason == "Gone") return StatusCode::kFailedPrecondition;
  if (http_status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInvalidArgument;
}

ApiError ErrorFromResponse(int http_status, std::string_view body,
                           const std::optional<std::string>& retry_after_header) {
  ApiError e;
  e.http_status = http_status;
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (auto s = ParseApiStatus(j)) {
    e.reason = s->reason;
    e.message = s->message;
    if (s->retry_after_seconds && *s->retry_after_seconds >= 0) {
      e.retry_after = std::chrono::seconds(std::min(*s->retry_after_seconds, 3600));
    }
  } else {
    // Not a Status: keep a bounded, printable prefix of whatever came back.
    std::string text(body.substr(0, 200));
    for (char& c : text) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    e.message = text.empty() ? "(empty body)" : text;
  }
  if (retry_after_header) {
    if (auto r = ParseRetryAfter(*retry_after_header)) e.retry_after = r;
  }
  return e;
}

ApiError ErrorFromResponse(const HttpResponse& response) {
  return ErrorFromResponse(response.status, response.body, response.Header("retry-after"));
}

Status ApiError::ToStatus(std::string_view what) const {
  std::string m(what);
  m += ": HTTP ";
  m += std::to_string(http_status);
  if (!reason.empty()) {
    m += " ";
    m += reason;
  }
  m += ": ";
  m += message;
  if (retry_after) m += " (retry after " + std::to_string(retry_after->count()) + "s)";
  return Status(StatusCodeForHttp(http_status, reason), std::move(m));
}

bool IsResourceExpired(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition;
}
bool IsConflict(const Status& status) { return status.code() == StatusCode::kAborted; }
bool IsNotFound(const Status& status) { return status.code() == StatusCode::kNotFound; }
bool IsAlreadyExists(const Status& status) { return status.code() == StatusCode::kAlreadyExists; }

}  // namespace prebell::kube
