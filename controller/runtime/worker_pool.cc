#include "controller/runtime/worker_pool.h"

#include <exception>

namespace prebell::runtime {

WorkerPool::WorkerPool(std::shared_ptr<WorkQueue> queue, ReconcileFn reconcile, Observer observer)
    : queue_(std::move(queue)), reconcile_(std::move(reconcile)), observer_(std::move(observer)) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start(int workers) {
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([this] {
      while (ProcessNext()) {
      }
    });
  }
}

void WorkerPool::Stop() {
  queue_->ShutDownWithDrain();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool WorkerPool::ProcessNext() {
  auto key = queue_->Get();
  if (!key) return false;
  Process(*key);
  return true;
}

bool WorkerPool::ProcessNextUntil(kube::MonoTime deadline) {
  auto key = queue_->GetUntil(deadline);
  if (!key) return false;
  Process(*key);
  return true;
}

void WorkerPool::Process(const std::string& key) {
  // Real time, for the observer: how long the reconcile took.
  auto start = std::chrono::steady_clock::now();
  ReconcileResult result = ReconcileResult::Ok();
  try {
    result = reconcile_(key);
  } catch (const std::exception& e) {
    result = ReconcileResult::Retry(InternalError("reconcile of '" + key + "' threw: " + e.what()));
  } catch (...) {
    result = ReconcileResult::Retry(InternalError("reconcile of '" + key + "' threw"));
  }
  switch (result.kind()) {
    case ReconcileResult::Kind::kOk:
      queue_->Forget(key);
      break;
    case ReconcileResult::Kind::kRequeueAfter:
      queue_->Forget(key);
      queue_->AddAfter(key, result.requeue_after());
      break;
    case ReconcileResult::Kind::kRetry:
      queue_->AddRateLimited(key);
      break;
    case ReconcileResult::Kind::kTerminal:
      queue_->Forget(key);
      break;
  }
  queue_->Done(key);
  if (observer_) {
    try {
      observer_(key, result, std::chrono::steady_clock::now() - start);
    } catch (...) {
    }
  }
}

}  // namespace prebell::runtime
