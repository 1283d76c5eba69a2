// ObjectStore: the informer's cache of one resource, keyed "namespace/name".
//
// Readers (reconcilers, on any thread) get shared pointers to immutable
// objects: a reader keeps a consistent object even while the informer
// replaces it. Writers are the informer only. Replace() swaps the whole
// content in one step (after a relist) and reports what changed, including
// objects that vanished while the watch was down: their deletions must
// reach the handlers too. Thread-safe (a reader/writer lock).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prebell::runtime {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// One change to the store; old_object is null for an addition, new_object
// null for a deletion.
struct Change {
  std::string key;
  ObjectPtr old_object;
  ObjectPtr new_object;
};

class ObjectStore {
 public:
  ObjectPtr Get(std::string_view key) const;
  std::vector<ObjectPtr> List() const;
  // Objects in one namespace (all, for ns == "").
  std::vector<ObjectPtr> ListNamespace(std::string_view ns) const;
  std::vector<std::string> Keys() const;
  size_t size() const;
  // The first full list has been applied.
  bool synced() const;
  // The resourceVersion the cache reflects (the last event, bookmark or list
  // seen).
  std::string resource_version() const;

  // Writers (the informer). Objects without metadata.name are ignored.
  std::optional<Change> Apply(nlohmann::json object);
  std::optional<Change> Remove(const nlohmann::json& object);
  std::vector<Change> Replace(std::vector<nlohmann::json> objects, std::string resource_version);
  void SetResourceVersion(std::string resource_version);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, ObjectPtr, std::less<>> objects_;
  bool synced_ = false;
  std::string resource_version_;
};

}  // namespace prebell::runtime
