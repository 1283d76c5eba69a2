// TimetableReconciler: a Timetable object -> its expanded schedule and its
// status.
//
// Reads the Timetable and the ConfigMaps its calendars import from the
// cache, validates and expands them (policies/timetable, policies/calendar),
// publishes the occurrences in the ScheduleBook, and writes status (Valid
// and Ready conditions, the next sessions with their predicted peak) when it
// changed. Bad input loses nothing: a spec that does not validate keeps the
// last valid schedule serving, and a calendar that stops parsing keeps its
// last good occurrences, while the Valid condition and a Warning event say
// what is wrong. It requeues itself for the next moment its status changes
// and before the expansion horizon runs out.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/reconcile/reconcile_context.h"
#include "controller/reconcile/store_group.h"
#include "controller/runtime/reconcile_result.h"
#include "policies/actuation/condition.h"
#include "policies/timetable/occurrence.h"

namespace prebell::reconcile {

struct TimetableReconcilerOptions {
  Duration horizon = std::chrono::days(14);  // expanded ahead of now
  Duration lookback = std::chrono::days(1);  // and behind (sessions in progress)
  size_t status_sessions = 10;               // status.nextSessions entries
};

class TimetableReconciler {
 public:
  TimetableReconciler(ReconcileContext context, const StoreGroup* timetables,
                      const StoreGroup* config_maps, TimetableReconcilerOptions options = {});

  runtime::ReconcileResult Reconcile(const std::string& key);

  // Called with the namespace whenever its schedule changed (to wake the
  // policies and the schedule signal).
  std::function<void(const std::string& ns)> on_schedule_changed;

  // The Timetable keys ("ns/name") that import `config_map_key`
  // ("ns/name"), for mapping ConfigMap changes to Timetables.
  std::vector<std::string> TimetablesImporting(const std::string& config_map_key) const;

 private:
  nlohmann::json BuildStatus(const nlohmann::json& object, std::vector<Condition> conditions,
                             const std::vector<Occurrence>& occurrences, Instant now) const;

  ReconcileContext ctx_;
  const StoreGroup* timetables_;
  const StoreGroup* config_maps_;
  TimetableReconcilerOptions options_;

  mutable std::mutex mu_;
  // "ns/timetable|configmap|key" -> the calendar's last good occurrences.
  std::map<std::string, std::vector<Occurrence>> last_good_calendars_;
};

}  // namespace prebell::reconcile
