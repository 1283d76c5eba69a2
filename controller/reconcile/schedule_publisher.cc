#include "controller/reconcile/schedule_publisher.h"

#include <spdlog/spdlog.h>

#include "policies/severity/upcoming_sessions.h"

namespace prebell::reconcile {

SchedulePublisher::SchedulePublisher(std::shared_ptr<const ScheduleBook> book,
                                     std::shared_ptr<exporter::ControllerMetrics> metrics,
                                     std::shared_ptr<const kube::Clock> clock,
                                     SchedulePublisherOptions options)
    : book_(std::move(book)),
      metrics_(std::move(metrics)),
      clock_(std::move(clock)),
      options_(options) {}

SchedulePublisher::~SchedulePublisher() { Stop(); }

std::optional<Instant> SchedulePublisher::PublishAll(Instant now) {
  std::optional<Instant> next;
  std::set<std::string> seen;
  for (const std::string& ns : book_->Namespaces()) {
    std::vector<Occurrence> occurrences;
    for (const auto& schedule : book_->InNamespace(ns)) {
      occurrences.insert(occurrences.end(), schedule->occurrences.begin(),
                         schedule->occurrences.end());
    }
    std::sort(occurrences.begin(), occurrences.end(), OccurrenceBefore);
    auto signal = ComputeScheduleSignal(occurrences, now, options_.signal);
    if (!signal.ok()) {
      // Cannot happen for expanded occurrences; keep the old series (they go
      // stale, and the stale-signal alert pages) rather than invent one.
      spdlog::error("schedule signal of namespace {}: {}", ns, signal.status().ToString());
      seen.insert(ns);
      continue;
    }
    auto upcoming = ComputeUpcomingSessions(occurrences, now, options_.upcoming_horizon);
    metrics_->SetScheduleSignal(ns, *signal, now);
    if (upcoming.ok()) {
      metrics_->SetUpcomingSessions(ns, *upcoming, now);
      if (upcoming->next_change && (!next || *upcoming->next_change < *next)) {
        next = upcoming->next_change;
      }
    }
    if (signal->next_change && (!next || *signal->next_change < *next)) next = signal->next_change;
    seen.insert(ns);
  }
  for (const std::string& ns : published_) {
    if (!seen.count(ns)) metrics_->ForgetNamespace(ns);
  }
  published_ = std::move(seen);
  return next;
}

void SchedulePublisher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SchedulePublisher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SchedulePublisher::Poke() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void SchedulePublisher::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    poked_ = false;
    lock.unlock();
    const Instant now = std::chrono::time_point_cast<Duration>(clock_->WallNow());
    std::optional<Instant> next = PublishAll(now);
    Duration wait = options_.interval;
    if (next && *next > now) wait = std::min<Duration>(wait, *next - now);
    lock.lock();
    const auto deadline = clock_->Now() + std::max<Duration>(wait, std::chrono::seconds(1));
    while (!stop_ && !poked_ && clock_->Now() < deadline) {
      clock_->WaitUntil(cv_, lock, deadline);
    }
  }
}

}  // namespace prebell::reconcile
