#include "controller/runtime/store.h"

#include <mutex>

#include "controller/kube/resource.h"

namespace prebell::runtime {

ObjectPtr ObjectStore::Get(std::string_view key) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectStore::List() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [k, v] : objects_) out.push_back(v);
  return out;
}

std::vector<ObjectPtr> ObjectStore::ListNamespace(std::string_view ns) const {
  if (ns.empty()) return List();
  std::string prefix(ns);
  prefix += '/';
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<ObjectPtr> out;
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> ObjectStore::Keys() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [k, v] : objects_) out.push_back(k);
  return out;
}

size_t ObjectStore::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return objects_.size();
}

bool ObjectStore::synced() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return synced_;
}

std::string ObjectStore::resource_version() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return resource_version_;
}

std::optional<Change> ObjectStore::Apply(nlohmann::json object) {
  auto key = kube::KeyOf(object);
  if (!key.ok()) return std::nullopt;
  std::string rv = kube::ResourceVersionOf(object);
  auto ptr = std::make_shared<const nlohmann::json>(std::move(object));
  std::unique_lock<std::shared_mutex> lock(mu_);
  Change c;
  c.key = *key;
  c.new_object = ptr;
  auto it = objects_.find(*key);
  if (it != objects_.end()) {
    c.old_object = it->second;
    it->second = ptr;
  } else {
    objects_.emplace(*key, ptr);
  }
  if (!rv.empty()) resource_version_ = rv;
  return c;
}

std::optional<Change> ObjectStore::Remove(const nlohmann::json& object) {
  auto key = kube::KeyOf(object);
  if (!key.ok()) return std::nullopt;
  std::string rv = kube::ResourceVersionOf(object);
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (!rv.empty()) resource_version_ = rv;
  auto it = objects_.find(*key);
  Change c;
  c.key = *key;
  if (it == objects_.end()) {
    // Deleted before we saw it: still worth telling handlers (the key may be
    // referenced elsewhere), with the final state the server sent.
    c.old_object = std::make_shared<const nlohmann::json>(object);
    return c;
  }
  c.old_object = it->second;
  objects_.erase(it);
  return c;
}

std::vector<Change> ObjectStore::Replace(std::vector<nlohmann::json> objects,
                                         std::string resource_version) {
  std::map<std::string, ObjectPtr, std::less<>> fresh;
  for (auto& o : objects) {
    auto key = kube::KeyOf(o);
    if (!key.ok()) continue;
    fresh[*key] = std::make_shared<const nlohmann::json>(std::move(o));
  }
  std::vector<Change> changes;
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const auto& [key, obj] : fresh) {
    auto it = objects_.find(key);
    Change c{key, it == objects_.end() ? nullptr : it->second, obj};
    // An unchanged resourceVersion means an unchanged object: no change to
    // report (a relist after a 410 mostly finds nothing new).
    if (c.old_object && kube::ResourceVersionOf(*c.old_object) == kube::ResourceVersionOf(*obj) &&
        !kube::ResourceVersionOf(*obj).empty()) {
      continue;
    }
    changes.push_back(std::move(c));
  }
  for (const auto& [key, obj] : objects_) {
    if (!fresh.count(key)) changes.push_back(Change{key, obj, nullptr});
  }
  objects_ = std::move(fresh);
  synced_ = true;
  resource_version_ = std::move(resource_version);
  return changes;
}

void ObjectStore::SetResourceVersion(std::string resource_version) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  resource_version_ = std::move(resource_version);
}

}  // namespace prebell::runtime
