// `prebell plan`: the upcoming sessions and each target's replica timeline,
// for a person (table) or a program (JSON). DESIGN.md, "Contracts".
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/main/commands.h"
#include "controller/main/metrics_csv.h"
#include "policies/planner/planner.h"
#include "policies/planner/planning_inputs.h"
#include "policies/planner/reason_text.h"

namespace prebell::cli {
namespace {

struct PlanArgs {
  std::vector<std::string> timetables;
  std::string policy;
  std::string now;
  std::string horizon = "7d";
  std::string output = "table";
  std::string metrics;
};

// RFC 3339, or unix seconds (what the metrics CSV and scenario files use).
StatusOr<Instant> ParseTimeArg(const std::string& flag, const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
      text.size() <= 12) {
    return Instant{std::chrono::seconds{std::stoll(text)}};
  }
  auto t = ParseRfc3339(text);
  if (!t.ok()) return InvalidArgumentError(flag + ": " + t.status().message());
  return *t;
}

std::string UnitName(CapacityUnit u) {
  return u == CapacityUnit::kSessions ? "sessions" : "connections";
}

std::string KindName(SessionKind k) { return std::string(SessionKindName(k)); }

nlohmann::json ToJson(const Plan& plan) {
  nlohmann::json j;
  j["policy"] = plan.policy;
  j["mode"] = plan.shadow ? "Shadow" : "Active";
  j["shadow"] = plan.shadow;
  j["now"] = FormatRfc3339(plan.now);
  j["horizonEnd"] = FormatRfc3339(plan.horizon_end);
  j["expectedConnectionsNow"] = std::round(plan.expected_now);
  j["observedConnectionsNow"] =
      plan.observed_now ? nlohmann::json(*plan.observed_now) : nlohmann::json(nullptr);
  j["warnings"] = plan.warnings;
  j["forecast"] = {
      {"samples", plan.forecast.samples},
      {"learnedCourses", plan.forecast.learned_courses},
      {"spikeMargin", std::round(plan.forecast.spike_margin * 1000) / 1000},
      {"baselineMargin", std::round(plan.forecast.baseline_margin)},
      {"lastFit", plan.forecast.last_fit ? nlohmann::json(FormatRfc3339(*plan.forecast.last_fit))
                                         : nlohmann::json(nullptr)}};
  j["sessions"] = nlohmann::json::array();
  for (const UpcomingSession& s : plan.sessions) {
    j["sessions"].push_back({{"timetable", s.occurrence.timetable},
                             {"session", s.occurrence.session},
                             {"kind", KindName(s.occurrence.kind)},
                             {"course", s.occurrence.course},
                             {"start", FormatRfc3339(s.occurrence.start)},
                             {"end", FormatRfc3339(s.occurrence.end)},
                             {"expectedAttendance", s.occurrence.expected_attendance},
                             {"expectedConnections", std::round(s.expected_connections)},
                             {"connectionsPerAttendee", std::round(s.ratio * 1000) / 1000},
                             {"ratioSource", std::string(RatioSourceName(s.ratio_source))}});
  }
  j["targets"] = nlohmann::json::array();
  for (const TargetPlan& t : plan.targets) {
    nlohmann::json tj{
        {"name", t.name},
        {"unit", UnitName(t.unit)},
        {"replicasNow", t.replicas_now},
        {"reasonNow", t.reason_now},
        {"demandNow", std::round(t.demand_now)},
        {"peakDemand", std::round(t.peak_demand)},
        {"peakAt", t.peak_at ? nlohmann::json(FormatRfc3339(*t.peak_at)) : nlohmann::json(nullptr)},
        {"notes", t.notes},
        {"timeline", nlohmann::json::array()}};
    for (const PlannedChange& c : t.timeline) {
      tj["timeline"].push_back({{"at", FormatRfc3339(c.at)},
                                {"replicas", c.replicas},
                                {"why", std::string(ReplicaWhyName(c.why))},
                                {"reason", c.reason}});
    }
    j["targets"].push_back(std::move(tj));
  }
  return j;
}

void PrintTable(const Plan& plan, const PlanningInputs& inputs) {
  const TimeZone& zone = inputs.zone;
  std::printf("Policy %s (%s), now %s, until %s\n", plan.policy.c_str(),
              plan.shadow ? "Shadow: plans only, writes nothing" : "Active",
              FormatRfc3339(plan.now).c_str(), FormatRfc3339(plan.horizon_end).c_str());
  std::printf("Connections expected now: %s", FormatThousands(plan.expected_now).c_str());
  if (plan.observed_now)
    std::printf("; metric now: %s", FormatThousands(*plan.observed_now).c_str());
  std::printf("\n");
  std::printf("Learned from %lld samples: %d courses, spike margin %.0f%%, baseline margin %s\n",
              static_cast<long long>(plan.forecast.samples), plan.forecast.learned_courses,
              plan.forecast.spike_margin * 100,
              FormatThousands(plan.forecast.baseline_margin).c_str());
  for (const std::string& w : plan.warnings) std::printf("warning: %s\n", w.c_str());
  for (const std::string& n : inputs.notes) std::printf("note: %s\n", n.c_str());

  std::printf("\nUpcoming sessions (%zu; local times in %s)\n", plan.sessions.size(),
              zone.name().c_str());
  if (!plan.sessions.empty()) {
    std::printf("  %-16s %-6s %-6s %-16s %-24s %9s %9s  %s\n", "START", "END", "KIND", "COURSE",
                "SESSION", "ENROLLED", "EXPECTED", "CONN/ATTENDEE");
  }
  for (const UpcomingSession& s : plan.sessions) {
    const Occurrence& o = s.occurrence;
    const LocalTime ls = zone.ToLocal(o.start);
    const LocalTime le = zone.ToLocal(o.end);
    const std::string start =
        FormatLocalDate(date::floor<date::days>(ls)) + " " + FormatLocalDateTime(ls).substr(11, 5);
    std::printf("  %-16s %-6s %-6s %-16s %-24s %9s %9s  %.2f (%s)\n", start.c_str(),
                FormatLocalDateTime(le).substr(11, 5).c_str(), KindName(o.kind).c_str(),
                o.course.c_str(), o.session.c_str(),
                FormatThousands(static_cast<double>(o.expected_attendance)).c_str(),
                FormatThousands(s.expected_connections).c_str(), s.ratio,
                std::string(RatioSourceName(s.ratio_source)).c_str());
  }
  for (const TargetPlan& t : plan.targets) {
    std::printf("\nTarget %s (%s): %d replicas now: %s\n", t.name.c_str(), UnitName(t.unit).c_str(),
                t.replicas_now, t.reason_now.c_str());
    if (t.peak_at) {
      std::printf("  peak planned demand %s %s at %s\n", FormatThousands(t.peak_demand).c_str(),
                  UnitName(t.unit).c_str(), FormatRfc3339(*t.peak_at).c_str());
    }
    for (const std::string& n : t.notes) std::printf("  guard rail: %s\n", n.c_str());
    if (t.timeline.empty()) {
      std::printf("  no change planned\n");
      continue;
    }
    std::printf("  %-21s %-9s %8s  %s\n", "AT (UTC)", "LOCAL", "REPLICAS", "REASON");
    for (const PlannedChange& c : t.timeline) {
      std::printf("  %-21s %-9s %8d  %s\n", FormatRfc3339(c.at).c_str(),
                  FormatLocalWeekdayTime(c.at, zone).c_str(), c.replicas, c.reason.c_str());
    }
  }
}

int RunPlan(const PlanArgs& a) {
  Instant now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!a.now.empty()) {
    auto t = ParseTimeArg("--now", a.now);
    if (!t.ok()) {
      std::cerr << "prebell plan: " << t.status().message() << "\n";
      return kExitBadInput;
    }
    now = *t;
  }
  auto horizon = ParseDuration(a.horizon);
  if (!horizon.ok()) {
    std::cerr << "prebell plan: --horizon: " << horizon.status().message() << "\n";
    return kExitBadInput;
  }
  if (a.output != "table" && a.output != "json") {
    std::cerr << "prebell plan: --output: '" << a.output << "' is not table or json\n";
    return kExitBadInput;
  }
  std::vector<InputText> files;
  for (const std::string& path : a.timetables) {
    auto text = ReadTextFile(path);
    if (!text.ok()) {
      std::cerr << "prebell plan: " << text.status().message() << "\n";
      return kExitBadInput;
    }
    files.push_back({path, std::move(*text)});
  }
  auto policy_text = ReadTextFile(a.policy);
  if (!policy_text.ok()) {
    std::cerr << "prebell plan: " << policy_text.status().message() << "\n";
    return kExitBadInput;
  }
  SanitizedSamples samples;
  if (!a.metrics.empty()) {
    auto s = ReadConnectionsCsv(a.metrics);
    if (!s.ok()) {
      std::cerr << "prebell plan: " << s.status().message() << "\n";
      return kExitBadInput;
    }
    samples = std::move(*s);
  }
  // Expand the timetables over the history the metrics cover (to learn) and
  // the horizon (to plan).
  Instant from = now - std::chrono::days(7);
  if (!samples.samples.empty()) from = std::min(from, samples.samples.front().time);
  const Instant to = now + *horizon + std::chrono::days(1);
  auto inputs = BuildPlanningInputs(files, {a.policy, std::move(*policy_text)}, from, to);
  if (!inputs.ok()) {
    std::cerr << "prebell plan: " << inputs.status().message() << "\n";
    return inputs.status().code() == StatusCode::kInvalidArgument ? kExitBadInput
                                                                  : kExitRuntimeFailure;
  }
  auto planner = Planner::Create(inputs->policy, inputs->occurrences, inputs->zone);
  if (!planner.ok()) {
    std::cerr << "prebell plan: " << a.policy << ": " << planner.status().message() << "\n";
    return kExitBadInput;
  }
  planner->Observe(SamplesUpTo(samples.samples, now));
  Plan plan = planner->MakePlan(now, *horizon);
  if (samples.report.dropped() > 0) {
    plan.warnings.push_back(a.metrics + ": " + samples.report.Summary());
  }
  if (a.output == "json") {
    nlohmann::json j = ToJson(plan);
    j["notes"] = inputs->notes;
    j["timeZone"] = inputs->zone.name();
    std::cout << j.dump(2) << "\n";
  } else {
    PrintTable(plan, *inputs);
  }
  return kExitOk;
}

}  // namespace

void AddPlanCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Show the upcoming sessions and each target's replica timeline, with reasons");
  cmd->add_option("--timetable", args->timetables, "Timetable manifest (YAML), repeatable")
      ->required();
  cmd->add_option("--policy", args->policy, "ScalingPolicy manifest (YAML)")->required();
  cmd->add_option("--now", args->now, "Plan as of this time (RFC 3339; default: the clock)");
  cmd->add_option("--horizon", args->horizon, "How far ahead to plan (e.g. 7d, 12h)")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "table or json")->capture_default_str();
  cmd->add_option("--metrics", args->metrics,
                  "Connections history CSV (timestamp,connections) to learn from; only "
                  "samples at or before --now are used");
  cmd->callback([args, &exit_code] { exit_code = RunPlan(*args); });
}

}  // namespace prebell::cli
