// WorkerPool: N threads taking keys from a WorkQueue and reconciling them.
//
// Applies the ReconcileResult to the queue (forget / requeue-after / retry
// with backoff / drop), so reconcilers only decide. The queue guarantees one
// key is never reconciled on two threads at once. A reconcile function that
// throws is a bug; the pool catches it (no exception crosses into runtime/)
// and treats it as a retryable kInternal error. Stop() drains: the queue
// stops handing out keys, in-flight reconciles finish, threads are joined.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/runtime/reconcile_result.h"
#include "controller/runtime/work_queue.h"

namespace prebell::runtime {

class WorkerPool {
 public:
  using ReconcileFn = std::function<ReconcileResult(const std::string& key)>;
  // Called after each reconcile (for metrics and logs).
  using Observer = std::function<void(const std::string& key, const ReconcileResult& result,
                                      std::chrono::nanoseconds duration)>;

  WorkerPool(std::shared_ptr<WorkQueue> queue, ReconcileFn reconcile, Observer observer = {});
  ~WorkerPool();

  void Start(int workers);
  void Stop();

  // Takes one key and reconciles it on the calling thread; false when the
  // queue is shut down (for tests and single-threaded use).
  bool ProcessNext();
  // As ProcessNext, but gives up at `deadline` (queue clock) with false.
  bool ProcessNextUntil(kube::MonoTime deadline);

 private:
  void Process(const std::string& key);

  std::shared_ptr<WorkQueue> queue_;
  ReconcileFn reconcile_;
  Observer observer_;
  std::vector<std::thread> threads_;
};

}  // namespace prebell::runtime
