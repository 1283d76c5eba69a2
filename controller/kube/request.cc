#include "controller/kube/request.h"

namespace prebell::kube {
namespace {

// Serialises without throwing: invalid UTF-8 in a string becomes U+FFFD.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ResourceLabel(const ResourceType& type, std::string_view subresource) {
  std::string r = type.Name();
  if (!subresource.empty()) {
    r += "/";
    r += subresource;
  }
  return r;
}

void AddSelectors(HttpRequest& req, const std::string& labels, const std::string& fields) {
  if (!labels.empty()) req.query.emplace_back("labelSelector", labels);
  if (!fields.empty()) req.query.emplace_back("fieldSelector", fields);
}

void AddWriteOptions(HttpRequest& req, const std::string& field_manager, bool dry_run) {
  if (!field_manager.empty()) req.query.emplace_back("fieldManager", field_manager);
  if (dry_run) req.query.emplace_back("dryRun", "All");
}

// The metadata.namespace of `object` must agree with the request's `ns`.
Status CheckNamespace(const ResourceType& type, std::string_view ns, const nlohmann::json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return OkStatus();
  auto obj_ns = meta->find("namespace");
  if (obj_ns == meta->end()) return OkStatus();
  if (!obj_ns->is_string()) return InvalidArgumentError("metadata.namespace is not a string");
  const auto& value = obj_ns->get_ref<const std::string&>();
  if (!type.namespaced && !value.empty()) {
    return InvalidArgumentError(type.Name() + " is cluster-scoped but metadata.namespace is '" +
                                value + "'");
  }
  if (type.namespaced && !value.empty() && value != ns) {
    return InvalidArgumentError("metadata.namespace '" + value +
                                "' does not match the request namespace '" + std::string(ns) + "'");
  }
  return OkStatus();
}

StatusOr<std::string> NameOf(const nlohmann::json& object) {
  if (!object.is_object()) return InvalidArgumentError("object is not a JSON object");
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) {
    return InvalidArgumentError("object has no metadata");
  }
  auto name = meta->find("name");
  if (name == meta->end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return InvalidArgumentError("object has no metadata.name");
  }
  return name->get<std::string>();
}

}  // namespace

std::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string HttpRequest::PathAndQuery() const {
  std::string out = path;
  char sep = '?';
  for (const auto& [k, v] : query) {
    out += sep;
    out += PercentEncode(k);
    out += '=';
    out += PercentEncode(v);
    sep = '&';
  }
  return out;
}

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

StatusOr<HttpRequest> BuildGet(const ResourceType& type, std::string_view ns, std::string_view name,
                               std::string_view subresource) {
  if (name.empty()) return InvalidArgumentError("get " + type.Name() + ": no object name");
  auto path = ResourcePath(type, ns, name, subresource);
  if (!path.ok()) return path.status();
  HttpRequest req;
  req.method = HttpMethod::kGet;
  req.path = std::move(path).value();
  req.verb = "get";
  req.resource = ResourceLabel(type, subresource);
  return req;
}

StatusOr<HttpRequest> BuildList(const ResourceType& type, std::string_view ns,
                                const ListOptions& options) {
  auto path = ResourcePath(type, ns);
  if (!path.ok()) return path.status();
  if (options.match != ResourceVersionMatch::kUnset && options.resource_version.empty()) {
    return InvalidArgumentError("list " + type.Name() +
                                ": resourceVersionMatch needs a resourceVersion");
  }
  if (options.match == ResourceVersionMatch::kExact && options.resource_version == "0") {
    return InvalidArgumentError("list " + type.Name() +
                                ": resourceVersionMatch=Exact with resourceVersion=0");
  }
  if (options.limit < 0) return InvalidArgumentError("list " + type.Name() + ": negative limit");
  if (!options.continue_token.empty() && !options.resource_version.empty()) {
    return InvalidArgumentError("list " + type.Name() +
                                ": continue and resourceVersion are exclusive");
  }
  HttpRequest req;
  req.method = HttpMethod::kGet;
  req.path = std::move(path).value();
  req.verb = "list";
  req.resource = ResourceLabel(type, {});
  AddSelectors(req, options.label_selector, options.field_selector);
  if (!options.resource_version.empty()) {
    req.query.emplace_back("resourceVersion", options.resource_version);
  }
  if (options.match == ResourceVersionMatch::kNotOlderThan) {
    req.query.emplace_back("resourceVersionMatch", "NotOlderThan");
  } else if (options.match == ResourceVersionMatch::kExact) {
    req.query.emplace_back("resourceVersionMatch", "Exact");
  }
  if (options.limit > 0) req.query.emplace_back("limit", std::to_string(options.limit));
  if (!options.continue_token.empty()) req.query.emplace_back("continue", options.continue_token);
  return req;
}

StatusOr<HttpRequest> BuildWatch(const ResourceType& type, std::string_view ns,
                                 const WatchOptions& options) {
  auto path = ResourcePath(type, ns);
  if (!path.ok()) return path.status();
  if (options.timeout_seconds && *options.timeout_seconds <= 0) {
    return InvalidArgumentError("watch " + type.Name() + ": timeoutSeconds must be positive");
  }
  HttpRequest req;
  req.method = HttpMethod::kGet;
  req.path = std::move(path).value();
  req.verb = "watch";
  req.resource = ResourceLabel(type, {});
  req.query.emplace_back("watch", "true");
  AddSelectors(req, options.label_selector, options.field_selector);
  if (!options.resource_version.empty()) {
    req.query.emplace_back("resourceVersion", options.resource_version);
  }
  if (options.allow_bookmarks) req.query.emplace_back("allowWatchBookmarks", "true");
  if (options.timeout_seconds) {
    req.query.emplace_back("timeoutSeconds", std::to_string(*options.timeout_seconds));
  }
  return req;
}

StatusOr<HttpRequest> BuildCreate(const ResourceType& type, std::string_view ns,
                                  const nlohmann::json& object, const WriteOptions& options) {
  if (!object.is_object()) {
    return InvalidArgumentError("create " + type.Name() + ": object is not a JSON object");
  }
  if (type.namespaced && ns.empty()) {
    return InvalidArgumentError("create " + type.Name() + ": a namespace is required");
  }
  PREBELL_RETURN_IF_ERROR(CheckNamespace(type, ns, object).WithContext("create " + type.Name()));
  auto path = ResourcePath(type, ns);
  if (!path.ok()) return path.status();
  HttpRequest req;
  req.method = HttpMethod::kPost;
  req.path = std::move(path).value();
  req.verb = "create";
  req.resource = ResourceLabel(type, {});
  req.body = Dump(object);
  req.content_type = "application/json";
  AddWriteOptions(req, options.field_manager, options.dry_run);
  return req;
}

StatusOr<HttpRequest> BuildUpdate(const ResourceType& type, std::string_view ns,
                                  const nlohmann::json& object, const WriteOptions& options,
                                  std::string_view subresource) {
  auto name = NameOf(object);
  if (!name.ok()) return name.status().WithContext("update " + type.Name());
  PREBELL_RETURN_IF_ERROR(CheckNamespace(type, ns, object).WithContext("update " + type.Name()));
  auto path = ResourcePath(type, ns, *name, subresource);
  if (!path.ok()) return path.status();
  HttpRequest req;
  req.method = HttpMethod::kPut;
  req.path = std::move(path).value();
  req.verb = "update";
  req.resource = ResourceLabel(type, subresource);
  req.body = Dump(object);
  req.content_type = "application/json";
  AddWriteOptions(req, options.field_manager, options.dry_run);
  return req;
}

StatusOr<HttpRequest> BuildPatch(const ResourceType& type, std::string_view ns,
                                 std::string_view name, PatchType patch_type,
                                 const nlohmann::json& patch, const PatchOptions& options,
                                 std::string_view subresource) {
  const std::string what = "patch " + type.Name() + " '" + std::string(name) + "'";
  if (name.empty()) return InvalidArgumentError("patch " + type.Name() + ": no object name");
  switch (patch_type) {
    case PatchType::kMerge:
    case PatchType::kStrategicMerge:
      if (!patch.is_object())
        return InvalidArgumentError(what + ": a merge patch is a JSON object");
      break;
    case PatchType::kJson:
      if (!patch.is_array()) {
        return InvalidArgumentError(what + ": a JSON patch is an array of operations");
      }
      break;
    case PatchType::kApply: {
      if (!patch.is_object()) return InvalidArgumentError(what + ": an apply patch is an object");
      if (options.field_manager.empty()) {
        return InvalidArgumentError(what + ": server-side apply needs a field manager");
      }
      auto api_version = patch.find("apiVersion");
      auto kind = patch.find("kind");
      if (api_version == patch.end() || !api_version->is_string() || kind == patch.end() ||
          !kind->is_string()) {
        return InvalidArgumentError(what + ": an apply patch needs apiVersion and kind");
      }
      break;
    }
  }
  if (options.force && patch_type != PatchType::kApply) {
    return InvalidArgumentError(what + ": force applies to server-side apply only");
  }
  auto path = ResourcePath(type, ns, name, subresource);
  if (!path.ok()) return path.status();
  HttpRequest req;
  req.method = HttpMethod::kPatch;
  req.path = std::move(path).value();
  req.verb = "patch";
  req.resource = ResourceLabel(type, subresource);
  req.body = Dump(patch);  // JSON is YAML, so this serves apply too
  req.content_type = std::string(PatchContentType(patch_type));
  AddWriteOptions(req, options.field_manager, options.dry_run);
  if (options.force) req.query.emplace_back("force", "true");
  return req;
}

StatusOr<HttpRequest> BuildDelete(const ResourceType& type, std::string_view ns,
                                  std::string_view name, const DeleteOptions& options) {
  if (name.empty()) return InvalidArgumentError("delete " + type.Name() + ": no object name");
  auto path = ResourcePath(type, ns, name);
  if (!path.ok()) return path.status();
  if (options.propagation_policy && *options.propagation_policy != "Foreground" &&
      *options.propagation_policy != "Background" && *options.propagation_policy != "Orphan") {
    return InvalidArgumentError("delete " + type.Name() + ": propagationPolicy '" +
                                *options.propagation_policy +
                                "' is not Foreground, Background or Orphan");
  }
  HttpRequest req;
  req.method = HttpMethod::kDelete;
  req.path = std::move(path).value();
  req.verb = "delete";
  req.resource = ResourceLabel(type, {});
  nlohmann::json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (options.propagation_policy) body["propagationPolicy"] = *options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (options.precondition_uid) body["preconditions"]["uid"] = *options.precondition_uid;
  if (options.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *options.precondition_resource_version;
  }
  if (options.dry_run) body["dryRun"] = nlohmann::json::array({"All"});
  req.body = Dump(body);
  req.content_type = "application/json";
  return req;
}

}  // namespace prebell::kube
