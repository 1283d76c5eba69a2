// ReconcileResult: what a reconcile of one key asks of the work queue.
//
// - Ok(): done; the key's backoff is forgotten. Nothing is queued until the
//   next change (level-based: the cache is the input, not the event).
// - RequeueAfter(d): done for now, look again after d (a warm-up starting,
//   a session ending); the backoff is forgotten.
// - Retry(error): failed in a way that may pass (a conflict, the API server
//   unavailable): requeued after the key's exponential backoff.
// - Terminal(error): failed in a way that retrying cannot fix (an invalid
//   spec): logged and reported, not requeued until the object changes.
#pragma once

#include <chrono>
#include <optional>
#include <utility>

#include "policies/common/status.h"

namespace prebell::runtime {

class ReconcileResult {
 public:
  enum class Kind { kOk, kRequeueAfter, kRetry, kTerminal };

  static ReconcileResult Ok() { return ReconcileResult(Kind::kOk, {}, OkStatus()); }
  static ReconcileResult RequeueAfter(std::chrono::nanoseconds d) {
    return ReconcileResult(Kind::kRequeueAfter, d, OkStatus());
  }
  static ReconcileResult Retry(Status error) {
    return ReconcileResult(Kind::kRetry, {}, std::move(error));
  }
  static ReconcileResult Terminal(Status error) {
    return ReconcileResult(Kind::kTerminal, {}, std::move(error));
  }
  // ok -> Ok(); kInvalidArgument -> Terminal; any other error -> Retry (a
  // 403 may be fixed by an RBAC change, a 404 by the object appearing).
  static ReconcileResult FromStatus(const Status& status) {
    if (status.ok()) return Ok();
    if (status.code() == StatusCode::kInvalidArgument) return Terminal(status);
    return Retry(status);
  }

  Kind kind() const { return kind_; }
  bool ok() const { return kind_ == Kind::kOk || kind_ == Kind::kRequeueAfter; }
  std::chrono::nanoseconds requeue_after() const { return requeue_after_; }
  const Status& error() const { return error_; }

 private:
  ReconcileResult(Kind kind, std::chrono::nanoseconds requeue_after, Status error)
      : kind_(kind), requeue_after_(requeue_after), error_(std::move(error)) {}

  Kind kind_;
  std::chrono::nanoseconds requeue_after_{0};
  Status error_;
};

}  // namespace prebell::runtime
