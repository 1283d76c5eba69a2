// ResourceType and object keys: which REST collection an object lives in.
//
// A ResourceType names an API resource the way the API server's discovery
// does (group, version, plural, kind, namespaced). ResourcePath builds the
// request path for it without I/O; it refuses names that cannot be a path
// segment (empty where required, "." or "..", or containing '/' or '%'), so
// no caller-controlled text can change which URL is requested.
//
// An object's key is "namespace/name" for namespaced objects and "name" for
// cluster-scoped ones (the client-go convention), used by caches and queues.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "policies/common/status.h"

namespace prebell::kube {

struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "configmaps"
  std::string kind;     // "ConfigMap"
  bool namespaced = true;

  // "v1" for the core group, "apps/v1" otherwise.
  std::string ApiVersion() const;
  // "configmaps" or "deployments.apps": for messages and metrics.
  std::string Name() const;
};

// Resources prebell reads or writes, as they are in every cluster.
namespace resources {
const ResourceType& ConfigMaps();
const ResourceType& Events();
const ResourceType& Namespaces();
const ResourceType& Leases();  // coordination.k8s.io/v1
const ResourceType& Deployments();
const ResourceType& StatefulSets();
const ResourceType& HorizontalPodAutoscalers();  // autoscaling/v2
}  // namespace resources

// The path of a collection (name empty), an object, or an object's
// subresource ("status", "scale"). For a namespaced type an empty `ns` means
// all namespaces (valid only for collections); a cluster-scoped type must get
// an empty `ns`.
//   core:  /api/v1/namespaces/{ns}/configmaps/{name}
//   group: /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale
StatusOr<std::string> ResourcePath(const ResourceType& type, std::string_view ns,
                                   std::string_view name = {}, std::string_view subresource = {});

// True if `segment` may appear as one path segment of a request path.
bool IsValidPathSegment(std::string_view segment);

struct ObjectKey {
  std::string ns;  // empty for cluster-scoped objects
  std::string name;

  std::string ToString() const;  // "ns/name" or "name"
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

// "ns/name" -> {ns, name}; "name" -> {"", name}. More than one '/' or an
// empty part is an error.
StatusOr<ObjectKey> ParseObjectKey(std::string_view key);

// The key of an object from its metadata; kInvalidArgument if it has no
// metadata.name.
StatusOr<std::string> KeyOf(const nlohmann::json& object);

// metadata.resourceVersion, or "" if absent.
std::string ResourceVersionOf(const nlohmann::json& object);

}  // namespace prebell::kube
