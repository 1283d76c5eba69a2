#include "controller/runtime/work_queue.h"

namespace prebell::runtime {

WorkQueue::WorkQueue(std::shared_ptr<const kube::Clock> clock, ItemBackoff::Options backoff)
    : clock_(std::move(clock)), backoff_(backoff) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_) return;
  if (!dirty_.insert(key).second) return;  // already queued (or due again after Done)
  if (processing_.count(key)) return;      // Done() will queue it
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  if (delay.count() <= 0) {
    AddLocked(key);
    return;
  }
  kube::MonoTime at = clock_->Now() + std::chrono::duration_cast<kube::MonoTime::duration>(delay);
  auto it = delayed_at_.find(key);
  if (it != delayed_at_.end()) {
    if (it->second <= at) return;  // an earlier time is already pending
    auto range = delayed_.equal_range(it->second);
    for (auto d = range.first; d != range.second; ++d) {
      if (d->second == key) {
        delayed_.erase(d);
        break;
      }
    }
  }
  delayed_.emplace(at, key);
  delayed_at_[key] = at;
  cv_.notify_all();  // a waiting Get may need an earlier wake-up
}

void WorkQueue::AddRateLimited(const std::string& key) { AddAfter(key, backoff_.When(key)); }

void WorkQueue::Forget(const std::string& key) { backoff_.Forget(key); }

int WorkQueue::NumRequeues(const std::string& key) const { return backoff_.Failures(key); }

std::optional<kube::MonoTime> WorkQueue::PromoteLocked(kube::MonoTime now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    delayed_at_.erase(key);
    AddLocked(key);
  }
  if (delayed_.empty()) return std::nullopt;
  return delayed_.begin()->first;
}

std::optional<std::string> WorkQueue::Get() { return GetUntil(kube::MonoTime::max()); }

std::optional<std::string> WorkQueue::GetUntil(kube::MonoTime deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (shutting_down_) return std::nullopt;
    kube::MonoTime now = clock_->Now();
    auto next_delayed = PromoteLocked(now);
    if (!queue_.empty()) break;
    if (now >= deadline) return std::nullopt;
    kube::MonoTime wake = deadline;
    if (next_delayed && *next_delayed < wake) wake = *next_delayed;
    clock_->WaitUntil(cv_, lock, wake);
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutting_down_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
  if (processing_.empty()) cv_.notify_all();  // ShutDownWithDrain may be waiting
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  queue_.clear();
  dirty_.clear();
  delayed_.clear();
  delayed_at_.clear();
  cv_.notify_all();
}

void WorkQueue::ShutDownWithDrain() {
  std::unique_lock<std::mutex> lock(mu_);
  shutting_down_ = true;
  queue_.clear();
  dirty_.clear();
  delayed_.clear();
  delayed_at_.clear();
  cv_.notify_all();
  // Real time: draining waits for workers, not for the (possibly fake) clock.
  cv_.wait(lock, [&] { return processing_.empty(); });
}

bool WorkQueue::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t WorkQueue::Delayed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delayed_.size();
}

size_t WorkQueue::Processing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return processing_.size();
}

}  // namespace prebell::runtime
