// Informer: a Watcher on its own thread keeping an ObjectStore current and
// telling handlers about each change.
//
// Handlers run on the informer's thread, in event order, after the store
// has been updated (so a reconcile woken by a handler reads at least that
// state). They must be quick and must not block: the usual handler enqueues
// keys (EnqueueOwnKey, EnqueueMappedKeys). A relist reports the difference
// from the previous cache: additions, changed objects, and deletions of
// objects that vanished while the watch was down.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/kube/client.h"
#include "controller/kube/clock.h"
#include "controller/runtime/store.h"
#include "controller/runtime/watcher.h"
#include "controller/runtime/work_queue.h"

namespace prebell::runtime {

using ChangeHandler = std::function<void(const Change&)>;

class Informer {
 public:
  Informer(std::shared_ptr<kube::Client> client, WatcherOptions options,
           std::shared_ptr<const kube::Clock> clock);
  ~Informer();

  std::shared_ptr<const ObjectStore> store() const { return store_; }
  // Before Start().
  void AddHandler(ChangeHandler handler);

  void Start();
  // Cancels the watch and joins the thread. Idempotent.
  void Stop();

  bool HasSynced() const { return store_->synced(); }
  // Waits (on the clock) until the first list is in, `timeout` passes, or
  // the informer stops.
  bool WaitForSync(std::chrono::nanoseconds timeout);

  // One watcher step applied to the store and handlers, on the calling
  // thread (for tests; do not mix with Start()).
  WatcherStep RunStep();

  Watcher::Counters counters() const;

 private:
  void Dispatch(WatcherStep& step);
  void Loop();

  std::shared_ptr<const kube::Clock> clock_;
  std::shared_ptr<ObjectStore> store_;
  Watcher watcher_;
  std::vector<ChangeHandler> handlers_;
  std::string name_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Watcher::Counters counters_;
};

// A handler that enqueues the changed object's own key.
ChangeHandler EnqueueOwnKey(std::shared_ptr<WorkQueue> queue);

// A handler that enqueues the keys `map` returns for the changed object (for
// an update: for both the old and the new version, so that a reference that
// moved is seen from both ends). E.g. a ConfigMap change -> the Timetables
// that import it; an HPA change -> the ScalingPolicy that targets it.
using KeyMapper = std::function<std::vector<std::string>(const nlohmann::json& object)>;
ChangeHandler EnqueueMappedKeys(std::shared_ptr<WorkQueue> queue, KeyMapper map);

// Passes on only changes for which `predicate` holds.
ChangeHandler Filtered(std::function<bool(const Change&)> predicate, ChangeHandler handler);
// A predicate: additions, deletions, and updates that changed
// metadata.generation, labels or annotations (not status-only updates: a
// controller that writes status must not wake itself up).
bool SpecOrMetadataChanged(const Change& change);

}  // namespace prebell::runtime
