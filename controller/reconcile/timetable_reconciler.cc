#include "controller/reconcile/timetable_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/kube/config.h"
#include "controller/reconcile/object_json.h"
#include "controller/reconcile/prebell_resources.h"
#include "policies/calendar/ical_calendar.h"
#include "policies/timetable/recurrence_expander.h"
#include "policies/timetable/time_zone.h"
#include "policies/timetable/timetable_manifest.h"

namespace prebell::reconcile {
namespace {

using nlohmann::json;

// "25m", "3h", "2d": coarse on purpose, so that the status (and with it a
// watch event for every client) changes at most once a minute, and far less
// for sessions days away.
std::string StartsIn(Duration d) {
  using std::chrono::hours;
  using std::chrono::minutes;
  if (d < hours(1)) {
    return std::to_string(std::max<int64_t>(1, (d.count() + 59) / 60)) + "m";
  }
  if (d < hours(48)) return std::to_string(d.count() / 3600) + "h";
  return std::to_string(d.count() / 86400) + "d";
}

// When the StartsIn text (or liveness) of the next session next changes.
Duration StatusRefresh(Duration until_start) {
  using std::chrono::hours;
  using std::chrono::minutes;
  if (until_start <= Duration(0)) return minutes(1);
  if (until_start < hours(1)) return std::min<Duration>(minutes(1), until_start);
  if (until_start < hours(48)) return minutes(10);
  return hours(1);
}

}  // namespace

TimetableReconciler::TimetableReconciler(ReconcileContext context, const StoreGroup* timetables,
                                         const StoreGroup* config_maps,
                                         TimetableReconcilerOptions options)
    : ctx_(std::move(context)),
      timetables_(timetables),
      config_maps_(config_maps),
      options_(options) {}

std::vector<std::string> TimetableReconciler::TimetablesImporting(
    const std::string& config_map_key) const {
  std::vector<std::string> out;
  const size_t slash = config_map_key.find('/');
  if (slash == std::string::npos) return out;
  const std::string ns = config_map_key.substr(0, slash);
  const std::string name = config_map_key.substr(slash + 1);
  for (const runtime::ObjectPtr& tt : timetables_->ListNamespace(ns)) {
    const json* calendars = FindPath(*tt, {"spec", "calendars"});
    if (calendars == nullptr || !calendars->is_array()) continue;
    for (const json& c : *calendars) {
      if (StringAt(c, {"configMapRef", "name"}) == name) {
        if (auto key = kube::KeyOf(*tt); key.ok()) out.push_back(*key);
        break;
      }
    }
  }
  return out;
}

runtime::ReconcileResult TimetableReconciler::Reconcile(const std::string& key) {
  auto parsed_key = kube::ParseObjectKey(key);
  if (!parsed_key.ok()) return runtime::ReconcileResult::Terminal(parsed_key.status());
  const std::string& ns = parsed_key->ns;
  const std::string& name = parsed_key->name;

  runtime::ObjectPtr object = timetables_->Get(key);
  if (object == nullptr) {
    if (ctx_.schedules->Remove(ns, name) && on_schedule_changed) on_schedule_changed(ns);
    std::lock_guard<std::mutex> lock(mu_);
    const std::string prefix = key + "|";
    for (auto it = last_good_calendars_.lower_bound(prefix);
         it != last_good_calendars_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      it = last_good_calendars_.erase(it);
    }
    return runtime::ReconcileResult::Ok();
  }

  const Instant now = ctx_.Now();
  const Instant from = now - options_.lookback;
  const Instant to = now + options_.horizon;
  const int64_t generation = GenerationOf(*object);
  std::vector<std::string> problems;
  bool spec_valid = false;
  size_t session_count = 0, calendar_count = 0;

  TimetableManifest manifest = ReadTimetableManifest(ManifestTextOf(*object), key);
  for (const ManifestProblem& p : manifest.problems) {
    // The file is the object itself; the field path is what a person needs.
    problems.push_back(p.field.empty() ? p.message : p.field + ": " + p.message);
  }
  if (manifest.problems.empty() && manifest.timetables.size() == 1) {
    const Timetable& tt = manifest.timetables.front();
    session_count = tt.sessions.size();
    calendar_count = tt.calendars.size();
    auto zone = TimeZone::Find(tt.time_zone);
    auto sessions =
        zone.ok() ? ExpandSessions(tt, from, to) : StatusOr<std::vector<Occurrence>>(zone.status());
    if (!sessions.ok()) {
      problems.push_back("spec.sessions: " + sessions.status().message());
    } else {
      spec_valid = true;
      std::vector<Occurrence> occurrences = std::move(*sessions);
      for (size_t i = 0; i < tt.calendars.size(); ++i) {
        const CalendarSource& src = tt.calendars[i];
        const std::string field = "spec.calendars[" + std::to_string(i) + "]";
        const std::string cache_key = key + "|" + src.config_map + "|" + src.key;
        Status calendar_status;
        std::vector<Occurrence> calendar_occurrences;
        runtime::ObjectPtr cm = config_maps_->Get(ns + "/" + src.config_map);
        std::optional<std::string> text;
        if (cm == nullptr) {
          calendar_status = NotFoundError("ConfigMap " + ns + "/" + src.config_map + " not found");
        } else if (auto data = StringAt(*cm, {"data", src.key})) {
          text = std::move(data);
        } else if (auto binary = StringAt(*cm, {"binaryData", src.key})) {
          auto decoded = kube::DecodeBase64(*binary);
          if (decoded.ok()) {
            text = std::move(*decoded);
          } else {
            calendar_status = decoded.status();
          }
        } else {
          calendar_status = NotFoundError("ConfigMap " + ns + "/" + src.config_map +
                                          " has no key '" + src.key + "'");
        }
        if (text) {
          CalendarImportOptions import;
          import.source_name = ns + "/" + src.config_map + "/" + src.key;
          import.floating_zone = *zone;
          import.kind = src.kind;
          import.course = src.course;
          import.expected_attendance = src.expected_attendance;
          auto calendar = IcalCalendar::Parse(*text, import);
          auto expanded = calendar.ok() ? calendar->Expand(from, to, tt.exclusions)
                                        : StatusOr<std::vector<Occurrence>>(calendar.status());
          if (expanded.ok()) {
            calendar_occurrences = std::move(*expanded);
          } else {
            calendar_status = expanded.status();
          }
        }
        std::lock_guard<std::mutex> lock(mu_);
        if (calendar_status.ok()) {
          last_good_calendars_[cache_key] = calendar_occurrences;
        } else {
          problems.push_back(field + ": " + calendar_status.message());
          auto last = last_good_calendars_.find(cache_key);
          if (last != last_good_calendars_.end()) calendar_occurrences = last->second;
        }
        occurrences.insert(occurrences.end(), calendar_occurrences.begin(),
                           calendar_occurrences.end());
      }
      std::sort(occurrences.begin(), occurrences.end(), OccurrenceBefore);
      auto schedule = std::make_shared<TimetableSchedule>();
      schedule->ns = ns;
      schedule->name = name;
      schedule->labels = tt.labels;
      schedule->time_zone = zone->name();
      schedule->generation = generation;
      schedule->occurrences = std::move(occurrences);
      schedule->expanded_from = from;
      schedule->expanded_to = to;
      ctx_.schedules->Put(std::move(schedule));
      if (on_schedule_changed) on_schedule_changed(ns);
    }
  }

  // What serves now: this expansion, or the last valid one.
  std::shared_ptr<const TimetableSchedule> serving;
  for (const auto& s : ctx_.schedules->InNamespace(ns)) {
    if (s->name == name) serving = s;
  }

  std::vector<Condition> conditions = ReadConditions(*object);
  if (problems.empty()) {
    SetCondition(conditions,
                 MakeCondition("Valid", true, generation, "Valid",
                               std::to_string(session_count) + " sessions, " +
                                   std::to_string(calendar_count) + " calendars"),
                 now);
  } else {
    SetCondition(
        conditions,
        MakeCondition("Valid", false, generation,
                      spec_valid ? "CalendarImportFailed" : "InvalidSpec", JoinProblems(problems)),
        now);
  }
  Condition ready;
  if (serving != nullptr) {
    ready = MakeCondition("Ready", true, generation,
                          problems.empty() ? "Scheduled" : "ServingLastValidSchedule",
                          std::to_string(serving->occurrences.size()) +
                              " occurrences expanded up to " + TimeText(serving->expanded_to));
  } else {
    ready = MakeCondition("Ready", false, generation, "NoValidSchedule",
                          "no valid version of this timetable has been seen yet");
  }
  SetCondition(conditions, ready, now);

  if (!problems.empty()) {
    const Condition* valid = FindCondition(conditions, "Valid");
    spdlog::warn("timetable {} invalid: {}", key, valid->message);
    ctx_.Event(*object, /*warning=*/true, valid->reason, valid->message);
  }

  static const std::vector<Occurrence> kNone;
  const std::vector<Occurrence>& occurrences = serving ? serving->occurrences : kNone;
  json status = BuildStatus(*object, std::move(conditions), occurrences, now);
  const json* current = FindPath(*object, {"status"});
  if ((current == nullptr || *current != status) && ctx_.may_write()) {
    json patch = status;
    // Merge-patch semantics: a key left out keeps its old value.
    if (current != nullptr && current->contains("nextSessionStartsIn") &&
        !status.contains("nextSessionStartsIn")) {
      patch["nextSessionStartsIn"] = nullptr;
    }
    auto written = ctx_.client->Patch(Timetables(), ns, name, kube::PatchType::kMerge,
                                      json{{"status", patch}}, {}, "status");
    if (!written.ok()) {
      if (written.status().code() == StatusCode::kNotFound) return runtime::ReconcileResult::Ok();
      return runtime::ReconcileResult::Retry(written.status().WithContext("status of " + key));
    }
  }

  // Requeue at the next change: a session starting or ending, the coarse
  // "starts in" text, and well before the expansion horizon runs out.
  Duration next = options_.horizon / 4;
  for (const Occurrence& o : occurrences) {
    if (o.end <= now) continue;
    if (o.start > now) next = std::min(next, StatusRefresh(o.start - now));
    next = std::min(next, (o.start > now ? o.start : o.end) - now);
    break;
  }
  next = std::clamp<Duration>(next, std::chrono::seconds(1), std::chrono::hours(1));
  return runtime::ReconcileResult::RequeueAfter(next);
}

json TimetableReconciler::BuildStatus(const json& object, std::vector<Condition> conditions,
                                      const std::vector<Occurrence>& occurrences,
                                      Instant now) const {
  const std::string ns = StringAt(object, {"metadata", "namespace"}).value_or("");
  json sessions = json::array();
  std::optional<std::string> starts_in;
  for (const Occurrence& o : occurrences) {
    if (o.end <= now) continue;
    if (sessions.size() >= options_.status_sessions) break;
    json entry = {{"name", o.session},      {"kind", std::string(SessionKindName(o.kind))},
                  {"course", o.course},     {"start", TimeText(o.start)},
                  {"end", TimeText(o.end)}, {"expectedAttendance", o.expected_attendance}};
    if (auto peak = ctx_.predictions->Lookup(ns, o.timetable, o.session, o.start)) {
      entry["predictedPeak"] = static_cast<int64_t>(std::llround(*peak));
    }
    if (!starts_in) starts_in = o.start <= now ? "live" : StartsIn(o.start - now);
    sessions.push_back(std::move(entry));
  }
  json status = {{"observedGeneration", GenerationOf(object)},
                 {"conditions", ConditionsToJson(conditions)},
                 {"nextSessions", std::move(sessions)}};
  if (starts_in) status["nextSessionStartsIn"] = *starts_in;
  return status;
}

}  // namespace prebell::reconcile
