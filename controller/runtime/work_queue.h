// WorkQueue: the keys ("namespace/name") that need reconciling.
//
// The client-go workqueue contract:
// - A key is queued at most once however often it is added (de-duplication).
// - A key is never handed to two workers at once: a key added while a worker
//   processes it is queued again when that worker calls Done, so the change
//   that came in during processing is not lost.
// - AddAfter queues a key later (requeue-after: the next moment its plan
//   changes); the earliest pending time wins when a key is delayed twice.
// - AddRateLimited queues it after the key's own exponential backoff
//   (ItemBackoff: 5 ms doubling to 1000 s); Forget resets that on success.
// - ShutDown stops handing out keys (waiting and delayed keys are dropped:
//   a restarted controller relists and sees everything again);
//   ShutDownWithDrain also waits until every key in processing is Done.
// Time comes from the injected Clock. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "controller/kube/clock.h"
#include "controller/runtime/backoff.h"

namespace prebell::runtime {

class WorkQueue {
 public:
  explicit WorkQueue(std::shared_ptr<const kube::Clock> clock,
                     ItemBackoff::Options backoff = ItemBackoff::Options{});

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::nanoseconds delay);
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is ready and returns it (the caller must call
  // Done(key) when finished); std::nullopt once the queue is shut down.
  std::optional<std::string> Get();
  // Like Get, but gives up at `deadline` on the queue's clock.
  std::optional<std::string> GetUntil(kube::MonoTime deadline);
  void Done(const std::string& key);

  void ShutDown();
  void ShutDownWithDrain();
  bool shutting_down() const;

  // Keys ready to be handed out, and keys waiting for their time.
  size_t Len() const;
  size_t Delayed() const;
  size_t Processing() const;

 private:
  void AddLocked(const std::string& key);
  // Moves delayed keys whose time has come into the queue; returns the
  // earliest remaining time.
  std::optional<kube::MonoTime> PromoteLocked(kube::MonoTime now);

  std::shared_ptr<const kube::Clock> clock_;
  ItemBackoff backoff_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;       // queued or to be requeued on Done
  std::unordered_set<std::string> processing_;  // handed out, not Done
  std::multimap<kube::MonoTime, std::string> delayed_;
  std::unordered_map<std::string, kube::MonoTime> delayed_at_;
  bool shutting_down_ = false;
};

}  // namespace prebell::runtime
