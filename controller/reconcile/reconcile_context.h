// ReconcileContext: what both reconcilers share, passed in rather than
// reached for, so that tests can give them a scripted API server and a fake
// clock.
#pragma once

#include <functional>
#include <memory>

#include "controller/exporter/controller_metrics.h"
#include "controller/kube/client.h"
#include "controller/kube/clock.h"
#include "controller/reconcile/prediction_book.h"
#include "controller/reconcile/schedule_book.h"
#include "controller/runtime/event_recorder.h"
#include "policies/common/time_text.h"

namespace prebell::reconcile {

struct ReconcileContext {
  std::shared_ptr<kube::Client> client;
  std::shared_ptr<const kube::Clock> clock;
  std::shared_ptr<runtime::EventRecorder> events;  // may be null: no events
  std::shared_ptr<exporter::ControllerMetrics> metrics;
  std::shared_ptr<ScheduleBook> schedules;
  std::shared_ptr<PredictionBook> predictions;
  // True while this replica may write (it holds the lease, or leader
  // election is off). Checked right before every write: the lease can be
  // lost in the middle of a reconcile.
  std::function<bool()> may_write = [] { return true; };

  Instant Now() const { return std::chrono::time_point_cast<Duration>(clock->WallNow()); }
  // Records an event if allowed and possible; failures only get logged.
  void Event(const nlohmann::json& object, bool warning, std::string_view reason,
             std::string_view note) const;
};

}  // namespace prebell::reconcile
