#include "controller/runtime/informer.h"

#include <spdlog/spdlog.h>

#include <set>

namespace prebell::runtime {

Informer::Informer(std::shared_ptr<kube::Client> client, WatcherOptions options,
                   std::shared_ptr<const kube::Clock> clock)
    : clock_(clock),
      store_(std::make_shared<ObjectStore>()),
      watcher_(std::move(client), options, clock),
      name_(options.type.Name() + (options.ns.empty() ? "" : " in " + options.ns)) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandler(ChangeHandler handler) { handlers_.push_back(std::move(handler)); }

void Informer::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Informer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  watcher_.Cancel();
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(std::chrono::nanoseconds timeout) {
  kube::MonoTime deadline =
      clock_->Now() + std::chrono::duration_cast<kube::MonoTime::duration>(timeout);
  std::unique_lock<std::mutex> lock(mu_);
  while (!store_->synced() && !stop_ && clock_->Now() < deadline) {
    clock_->WaitUntil(cv_, lock, deadline);
  }
  return store_->synced();
}

Watcher::Counters Informer::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void Informer::Dispatch(WatcherStep& step) {
  for (auto& ev : step.events) {
    std::vector<Change> changes;
    switch (ev.kind) {
      case WatcherEvent::Kind::kApplied:
        if (auto c = store_->Apply(std::move(ev.object))) changes.push_back(std::move(*c));
        break;
      case WatcherEvent::Kind::kDeleted:
        if (auto c = store_->Remove(ev.object)) changes.push_back(std::move(*c));
        break;
      case WatcherEvent::Kind::kRestarted:
        changes = store_->Replace(std::move(ev.objects), ev.resource_version);
        break;
    }
    for (const auto& c : changes) {
      for (const auto& h : handlers_) {
        try {
          h(c);
        } catch (const std::exception& e) {
          spdlog::error("informer {}: handler for '{}' threw: {}", name_, c.key, e.what());
        } catch (...) {
          spdlog::error("informer {}: handler for '{}' threw", name_, c.key);
        }
      }
    }
  }
  // Bookmarks move the version without changing an object.
  if (store_->synced() && !watcher_.resource_version().empty() &&
      watcher_.resource_version() != store_->resource_version()) {
    store_->SetResourceVersion(watcher_.resource_version());
  }
  std::lock_guard<std::mutex> lock(mu_);
  counters_ = watcher_.counters();
  cv_.notify_all();  // WaitForSync
}

WatcherStep Informer::RunStep() {
  WatcherStep step = watcher_.Step();
  if (!step.error.ok() && step.error.code() != StatusCode::kAborted) {
    spdlog::warn("informer {}: {} (next attempt in {} ms)", name_, step.error.ToString(),
                 step.sleep.count());
  }
  Dispatch(step);
  return step;
}

void Informer::Loop() {
  while (!stop_) {
    WatcherStep step = RunStep();
    if (step.sleep.count() > 0) {
      kube::MonoTime deadline =
          clock_->Now() + std::chrono::duration_cast<kube::MonoTime::duration>(step.sleep);
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_ && clock_->Now() < deadline) clock_->WaitUntil(cv_, lock, deadline);
    }
  }
}

ChangeHandler EnqueueOwnKey(std::shared_ptr<WorkQueue> queue) {
  return [queue = std::move(queue)](const Change& c) { queue->Add(c.key); };
}

ChangeHandler EnqueueMappedKeys(std::shared_ptr<WorkQueue> queue, KeyMapper map) {
  return [queue = std::move(queue), map = std::move(map)](const Change& c) {
    std::set<std::string> keys;
    if (c.old_object) {
      for (auto& k : map(*c.old_object)) keys.insert(std::move(k));
    }
    if (c.new_object) {
      for (auto& k : map(*c.new_object)) keys.insert(std::move(k));
    }
    for (const auto& k : keys) queue->Add(k);
  };
}

ChangeHandler Filtered(std::function<bool(const Change&)> predicate, ChangeHandler handler) {
  return [predicate = std::move(predicate), handler = std::move(handler)](const Change& c) {
    if (predicate(c)) handler(c);
  };
}

bool SpecOrMetadataChanged(const Change& change) {
  if (!change.old_object || !change.new_object) return true;
  auto field = [](const nlohmann::json& o, const char* name) -> nlohmann::json {
    auto meta = o.find("metadata");
    if (meta == o.end() || !meta->is_object()) return nullptr;
    auto f = meta->find(name);
    return f == meta->end() ? nlohmann::json(nullptr) : *f;
  };
  for (const char* name : {"generation", "labels", "annotations", "deletionTimestamp"}) {
    if (field(*change.old_object, name) != field(*change.new_object, name)) return true;
  }
  // Objects without a generation (ConfigMaps): any change to their content.
  if (field(*change.new_object, "generation").is_null()) {
    for (const char* top : {"data", "binaryData", "spec"}) {
      auto a = change.old_object->find(top);
      auto b = change.new_object->find(top);
      bool ha = a != change.old_object->end();
      bool hb = b != change.new_object->end();
      if (ha != hb || (ha && *a != *b)) return true;
    }
  }
  return false;
}

}  // namespace prebell::runtime
