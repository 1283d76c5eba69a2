// Building Kubernetes API requests: pure functions from intent to HttpRequest.
//
// Nothing here does I/O (the shape of kube-rs's request.rs): paths, query
// parameters, bodies and content types are decided here and unit-tested; a
// Transport (transport.h) only moves the bytes. The builders validate what
// the API server would otherwise reject with a less helpful message (a
// merge patch that is not an object, an apply without a field manager, a
// resourceVersionMatch without a resourceVersion).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/kube/resource.h"
#include "policies/common/status.h"

namespace prebell::kube {

enum class HttpMethod { kGet, kPost, kPut, kPatch, kDelete };
std::string_view HttpMethodName(HttpMethod method);  // "GET", ...

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string path;                                        // not encoded: "/api/v1/..."
  std::vector<std::pair<std::string, std::string>> query;  // not encoded, in order
  std::string body;                                        // empty: no body
  std::string content_type;                                // set iff body is set
  // What the request is, for logs and request metrics: "get", "list",
  // "watch", "create", "update", "patch", "delete"; and the resource
  // ("configmaps", "deployments.apps/scale").
  std::string verb;
  std::string resource;

  // The path with the percent-encoded query string: "/api/v1/pods?watch=true".
  std::string PathAndQuery() const;
};

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view text);

enum class ResourceVersionMatch { kUnset, kNotOlderThan, kExact };

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  // "" = a consistent read from etcd; "0" = any version (served from the
  // API server's watch cache); anything else is interpreted per `match`.
  std::string resource_version;
  ResourceVersionMatch match = ResourceVersionMatch::kUnset;
  int64_t limit = 0;  // 0 = no paging
  std::string continue_token;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // "" = start at the most recent version
  bool allow_bookmarks = true;
  std::optional<int> timeout_seconds;  // the server ends the watch after this
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in types only)
  kApply,           // application/apply-patch+yaml (server-side apply)
};
std::string_view PatchContentType(PatchType type);

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply only: take over conflicting fields
  bool dry_run = false;
};

struct WriteOptions {  // create and update
  std::string field_manager;
  bool dry_run = false;
};

struct DeleteOptions {
  std::optional<std::string> propagation_policy;  // "Foreground", "Background", "Orphan"
  std::optional<int64_t> grace_period_seconds;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  bool dry_run = false;
};

StatusOr<HttpRequest> BuildGet(const ResourceType& type, std::string_view ns, std::string_view name,
                               std::string_view subresource = {});
StatusOr<HttpRequest> BuildList(const ResourceType& type, std::string_view ns,
                                const ListOptions& options);
StatusOr<HttpRequest> BuildWatch(const ResourceType& type, std::string_view ns,
                                 const WatchOptions& options);
// POST to the collection; the object's metadata.namespace, if set, must match
// `ns`.
StatusOr<HttpRequest> BuildCreate(const ResourceType& type, std::string_view ns,
                                  const nlohmann::json& object, const WriteOptions& options);
// PUT of the whole object at metadata.name (optimistic concurrency through
// its metadata.resourceVersion: a stale one gets 409 Conflict).
StatusOr<HttpRequest> BuildUpdate(const ResourceType& type, std::string_view ns,
                                  const nlohmann::json& object, const WriteOptions& options,
                                  std::string_view subresource = {});
StatusOr<HttpRequest> BuildPatch(const ResourceType& type, std::string_view ns,
                                 std::string_view name, PatchType patch_type,
                                 const nlohmann::json& patch, const PatchOptions& options,
                                 std::string_view subresource = {});
StatusOr<HttpRequest> BuildDelete(const ResourceType& type, std::string_view ns,
                                  std::string_view name, const DeleteOptions& options);

}  // namespace prebell::kube
