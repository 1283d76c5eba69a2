// API errors: what the Kubernetes API server said, as a prebell::Status.
//
// The API server answers errors with a metav1.Status object ({"kind":
// "Status", "code": 409, "reason": "Conflict", "message": ...}). The mapping
// to status codes follows the API conventions on what a client may do:
//   404 NotFound             -> kNotFound           (gone: stop, or create)
//   409 AlreadyExists        -> kAlreadyExists
//   409 Conflict, 412        -> kAborted            (re-read and retry)
//   410 Gone / Expired       -> kFailedPrecondition (relist: see IsResourceExpired;
//                                                    the kube layer uses this code
//                                                    for nothing else)
//   429 TooManyRequests      -> kResourceExhausted  (retry after Retry-After)
//   500, 502, 503            -> kUnavailable        (retry with backoff)
//   504, reason Timeout      -> kDeadlineExceeded   (retry with backoff)
//   400, 422 Invalid, other  -> kInvalidArgument    (do not retry)
//   401                      -> kUnauthenticated, 403 -> kPermissionDenied
// Messages name the request and carry the server's message verbatim.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "controller/kube/transport.h"
#include "policies/common/status.h"

namespace prebell::kube {

// A decoded metav1.Status.
struct ApiStatus {
  int code = 0;                            // HTTP status code it stands for
  std::string status;                      // "Success" or "Failure"
  std::string reason;                      // "NotFound", "Conflict", "Expired", ...
  std::string message;                     // for a person
  std::optional<int> retry_after_seconds;  // details.retryAfterSeconds
};

// The Status object in `j`, if `j` is one (kind "Status").
std::optional<ApiStatus> ParseApiStatus(const nlohmann::json& j);

struct ApiError {
  int http_status = 0;
  std::string reason;
  std::string message;
  // From the Retry-After header or details.retryAfterSeconds.
  std::optional<std::chrono::seconds> retry_after;

  // `what` names the request: "patch deployments.apps 'web' in 'default'".
  Status ToStatus(std::string_view what) const;
};

// Decodes an error response (status >= 300). A body that is not a Status
// object (a proxy's HTML page) still gives a usable error.
ApiError ErrorFromResponse(int http_status, std::string_view body,
                           const std::optional<std::string>& retry_after_header);
ApiError ErrorFromResponse(const HttpResponse& response);

// The code for an HTTP status and an API reason (see the table above).
StatusCode StatusCodeForHttp(int http_status, std::string_view reason);

// "Retry-After: 3" -> 3 s. Only delta-seconds (what the API server sends);
// anything else is ignored (nullopt). Capped at one hour.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view header);

// True for the code this layer gives 410 Gone / Expired: the resourceVersion
// or continue token is too old; list again.
bool IsResourceExpired(const Status& status);
// 409 Conflict (optimistic concurrency): re-read the object and retry.
bool IsConflict(const Status& status);
bool IsNotFound(const Status& status);
bool IsAlreadyExists(const Status& status);

}  // namespace prebell::kube
