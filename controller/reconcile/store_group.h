// StoreGroup: the cached objects of one resource type, whether the
// controller watches all namespaces (one informer) or a list of them (one
// informer each, as namespaced RBAC requires). Reconcilers read through it
// and never care which.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/runtime/store.h"

namespace prebell::reconcile {

class StoreGroup {
 public:
  // `ns` empty: the store holds every namespace. Before any reads.
  void Add(std::string ns, std::shared_ptr<const runtime::ObjectStore> store);

  runtime::ObjectPtr Get(std::string_view key) const;
  std::vector<runtime::ObjectPtr> ListNamespace(std::string_view ns) const;
  std::vector<runtime::ObjectPtr> List() const;
  bool synced() const;

 private:
  const runtime::ObjectStore* StoreFor(std::string_view ns) const;

  std::vector<std::pair<std::string, std::shared_ptr<const runtime::ObjectStore>>> stores_;
};

}  // namespace prebell::reconcile
