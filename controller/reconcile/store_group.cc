#include "controller/reconcile/store_group.h"

namespace prebell::reconcile {

void StoreGroup::Add(std::string ns, std::shared_ptr<const runtime::ObjectStore> store) {
  stores_.emplace_back(std::move(ns), std::move(store));
}

const runtime::ObjectStore* StoreGroup::StoreFor(std::string_view ns) const {
  for (const auto& [store_ns, store] : stores_) {
    if (store_ns.empty() || store_ns == ns) return store.get();
  }
  return nullptr;
}

runtime::ObjectPtr StoreGroup::Get(std::string_view key) const {
  const size_t slash = key.find('/');
  const std::string_view ns =
      slash == std::string_view::npos ? std::string_view{} : key.substr(0, slash);
  const runtime::ObjectStore* store = StoreFor(ns);
  return store ? store->Get(key) : nullptr;
}

std::vector<runtime::ObjectPtr> StoreGroup::ListNamespace(std::string_view ns) const {
  const runtime::ObjectStore* store = StoreFor(ns);
  return store ? store->ListNamespace(ns) : std::vector<runtime::ObjectPtr>{};
}

std::vector<runtime::ObjectPtr> StoreGroup::List() const {
  std::vector<runtime::ObjectPtr> out;
  for (const auto& entry : stores_) {
    auto items = entry.second->List();
    out.insert(out.end(), items.begin(), items.end());
  }
  return out;
}

bool StoreGroup::synced() const {
  for (const auto& entry : stores_) {
    if (!entry.second->synced()) return false;
  }
  return true;
}

}  // namespace prebell::reconcile
