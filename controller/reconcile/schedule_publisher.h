// SchedulePublisher: the schedule signal of every namespace, kept current on
// /metrics (every replica, leader or not: the alert rules must never go
// without it).
//
// From the ScheduleBook it computes, per namespace, the signal
// (policies/severity/schedule_signal.h) and the upcoming sessions, and sets
// them on the ControllerMetrics. It runs at least every `interval`, at the
// instant the signal next changes, and whenever Poke() says a namespace's
// schedule changed. Namespaces whose last Timetable went away lose their
// series.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "controller/exporter/controller_metrics.h"
#include "controller/kube/clock.h"
#include "controller/reconcile/schedule_book.h"
#include "policies/severity/schedule_signal.h"

namespace prebell::reconcile {

struct SchedulePublisherOptions {
  Duration interval = std::chrono::seconds(15);
  ScheduleSignalOptions signal;
  Duration upcoming_horizon = std::chrono::days(7);
};

class SchedulePublisher {
 public:
  SchedulePublisher(std::shared_ptr<const ScheduleBook> book,
                    std::shared_ptr<exporter::ControllerMetrics> metrics,
                    std::shared_ptr<const kube::Clock> clock,
                    SchedulePublisherOptions options = {});
  ~SchedulePublisher();

  // Computes and sets every namespace's signal for `now`; returns the
  // earliest instant at which any of them changes next.
  std::optional<Instant> PublishAll(Instant now);

  void Start();
  void Stop();
  // A namespace's schedule changed: publish soon.
  void Poke();

 private:
  void Loop();

  std::shared_ptr<const ScheduleBook> book_;
  std::shared_ptr<exporter::ControllerMetrics> metrics_;
  std::shared_ptr<const kube::Clock> clock_;
  SchedulePublisherOptions options_;

  std::set<std::string> published_;  // namespaces with series (PublishAll only)
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace prebell::reconcile
