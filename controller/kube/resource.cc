#include "controller/kube/resource.h"

namespace prebell::kube {

std::string ResourceType::ApiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::Name() const { return group.empty() ? plural : plural + "." + group; }

namespace resources {
const ResourceType& ConfigMaps() {
  static const ResourceType t{"", "v1", "configmaps", "ConfigMap", true};
  return t;
}
const ResourceType& Events() {
  static const ResourceType t{"", "v1", "events", "Event", true};
  return t;
}
const ResourceType& Namespaces() {
  static const ResourceType t{"", "v1", "namespaces", "Namespace", false};
  return t;
}
const ResourceType& Leases() {
  static const ResourceType t{"coordination.k8s.io", "v1", "leases", "Lease", true};
  return t;
}
const ResourceType& Deployments() {
  static const ResourceType t{"apps", "v1", "deployments", "Deployment", true};
  return t;
}
const ResourceType& StatefulSets() {
  static const ResourceType t{"apps", "v1", "statefulsets", "StatefulSet", true};
  return t;
}
const ResourceType& HorizontalPodAutoscalers() {
  static const ResourceType t{"autoscaling", "v2", "horizontalpodautoscalers",
                              "HorizontalPodAutoscaler", true};
  return t;
}
}  // namespace resources

bool IsValidPathSegment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  for (char c : segment) {
    if (c == '/' || c == '%' || c == '?' || c == '#' || static_cast<unsigned char>(c) <= 0x20 ||
        c == 0x7f) {
      return false;
    }
  }
  return true;
}

StatusOr<std::string> ResourcePath(const ResourceType& type, std::string_view ns,
                                   std::string_view name, std::string_view subresource) {
  if (!IsValidPathSegment(type.version) || !IsValidPathSegment(type.plural) ||
      (!type.group.empty() && !IsValidPathSegment(type.group))) {
    return InvalidArgumentError("resource type '" + type.Name() + "/" + type.version +
                                "' is not a valid API resource");
  }
  if (!type.namespaced && !ns.empty()) {
    return InvalidArgumentError(type.Name() + " is cluster-scoped but namespace '" +
                                std::string(ns) + "' was given");
  }
  if (!ns.empty() && !IsValidPathSegment(ns)) {
    return InvalidArgumentError("namespace '" + std::string(ns) + "' is not a valid path segment");
  }
  if (!name.empty() && !IsValidPathSegment(name)) {
    return InvalidArgumentError(type.Name() + " name '" + std::string(name) +
                                "' is not a valid path segment");
  }
  if (!subresource.empty()) {
    if (name.empty()) {
      return InvalidArgumentError("subresource '" + std::string(subresource) + "' of " +
                                  type.Name() + " needs an object name");
    }
    if (!IsValidPathSegment(subresource)) {
      return InvalidArgumentError("subresource '" + std::string(subresource) +
                                  "' is not a valid path segment");
    }
  }
  if (type.namespaced && ns.empty() && !name.empty()) {
    return InvalidArgumentError(type.Name() + " '" + std::string(name) +
                                "' is namespaced: a namespace is required");
  }
  std::string path =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  if (!ns.empty()) {
    path += "/namespaces/";
    path += ns;
  }
  path += "/";
  path += type.plural;
  if (!name.empty()) {
    path += "/";
    path += name;
  }
  if (!subresource.empty()) {
    path += "/";
    path += subresource;
  }
  return path;
}

std::string ObjectKey::ToString() const { return ns.empty() ? name : ns + "/" + name; }

StatusOr<ObjectKey> ParseObjectKey(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) {
    if (key.empty()) return InvalidArgumentError("object key is empty");
    return ObjectKey{"", std::string(key)};
  }
  std::string_view ns = key.substr(0, slash);
  std::string_view name = key.substr(slash + 1);
  if (ns.empty() || name.empty() || name.find('/') != std::string_view::npos) {
    return InvalidArgumentError("object key '" + std::string(key) +
                                "' is not of the form namespace/name");
  }
  return ObjectKey{std::string(ns), std::string(name)};
}

StatusOr<std::string> KeyOf(const nlohmann::json& object) {
  if (!object.is_object()) return InvalidArgumentError("object is not a JSON object");
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return InvalidArgumentError("object has no metadata");
  }
  auto name = meta->find("name");
  if (name == meta->end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return InvalidArgumentError("object has no metadata.name");
  }
  std::string key;
  auto ns = meta->find("namespace");
  if (ns != meta->end() && ns->is_string() && !ns->get_ref<const std::string&>().empty()) {
    key = ns->get<std::string>() + "/";
  }
  key += name->get<std::string>();
  return key;
}

std::string ResourceVersionOf(const nlohmann::json& object) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto rv = meta->find("resourceVersion");
  if (rv == meta->end() || !rv->is_string()) return "";
  return rv->get<std::string>();
}

}  // namespace prebell::kube
