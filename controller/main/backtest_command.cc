// `prebell backtest`: replay the planner over a recorded trace and write
// `timestamp,target,replicas` (DESIGN.md, "Contracts"); with --compare, score
// it against the oracle, Kubernetes HPA and KEDA cron + HPA on the same trace
// (DESIGN.md, "Scoring a plan") and print one table.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "controller/main/commands.h"
#include "controller/main/metrics_csv.h"
#include "policies/planner/backtest.h"
#include "policies/planner/planning_inputs.h"
#include "policies/planner/reason_text.h"
#include "policies/planner/scenario.h"
#include "policies/planner/scoring.h"

namespace prebell::cli {
namespace {

struct BacktestArgs {
  std::vector<std::string> timetables;
  std::string policy;
  std::string metrics;
  std::string from, to;
  std::string step = "15s";
  std::string output;
  bool compare = false;
  std::string scenario;
  std::string target;
};

StatusOr<Instant> ParseTimeArg(const std::string& flag, const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
      text.size() <= 12) {
    return Instant{std::chrono::seconds{std::stoll(text)}};
  }
  auto t = ParseRfc3339(text);
  if (!t.ok()) return InvalidArgumentError(flag + ": " + t.status().message());
  return *t;
}

int Fail(const Status& s) {
  std::cerr << "prebell backtest: " << s.message() << "\n";
  return s.code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitRuntimeFailure;
}

std::string Row(const char* name, const Score& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-17s %12.4f %18lld %14lld %12s %11.3f", name,
                s.shortfall_percent, static_cast<long long>(s.minutes_short_foretold),
                static_cast<long long>(s.minutes_short), FormatThousands(s.worst_gap).c_str(),
                s.cost_vs_oracle);
  return buf;
}

int RunBacktestCommand(const BacktestArgs& a) {
  auto step = ParseDuration(a.step);
  if (!step.ok()) return Fail(InvalidArgumentError("--step: " + step.status().message()));

  Scenario scenario;
  if (!a.scenario.empty()) {
    auto text = ReadTextFile(a.scenario);
    if (!text.ok()) return Fail(text.status());
    auto s = ParseScenarioJson(*text, a.scenario);
    if (!s.ok()) return Fail(s.status());
    scenario = std::move(*s);
  }
  Instant from{}, to{};
  if (!a.from.empty()) {
    auto t = ParseTimeArg("--from", a.from);
    if (!t.ok()) return Fail(t.status());
    from = *t;
  } else if (scenario.eval_from) {
    from = *scenario.eval_from;
  } else {
    return Fail(InvalidArgumentError("--from: required (or a --scenario with eval_from)"));
  }
  if (!a.to.empty()) {
    auto t = ParseTimeArg("--to", a.to);
    if (!t.ok()) return Fail(t.status());
    to = *t;
  } else if (scenario.eval_to) {
    to = *scenario.eval_to;
  } else {
    return Fail(InvalidArgumentError("--to: required (or a --scenario with eval_to)"));
  }
  if (!(from < to)) {
    return Fail(InvalidArgumentError("--from/--to: the window [" + FormatRfc3339(from) + ", " +
                                     FormatRfc3339(to) + ") is empty"));
  }

  std::vector<InputText> files;
  for (const std::string& path : a.timetables) {
    auto text = ReadTextFile(path);
    if (!text.ok()) return Fail(text.status());
    files.push_back({path, std::move(*text)});
  }
  auto policy_text = ReadTextFile(a.policy);
  if (!policy_text.ok()) return Fail(policy_text.status());
  auto samples = ReadConnectionsCsv(a.metrics);
  if (!samples.ok()) return Fail(samples.status());
  if (samples->report.dropped() > 0) {
    std::cerr << "prebell backtest: " << a.metrics << ": " << samples->report.Summary() << "\n";
  }

  Instant expand_from = from - std::chrono::days(1);
  if (!samples->samples.empty()) expand_from = std::min(expand_from, samples->samples.front().time);
  const Instant expand_to = to + std::chrono::days(1);
  auto inputs =
      BuildPlanningInputs(files, {a.policy, std::move(*policy_text)}, expand_from, expand_to);
  if (!inputs.ok()) return Fail(inputs.status());

  BacktestOptions options{from, to, *step, {}};
  auto result =
      RunBacktest(inputs->policy, inputs->occurrences, inputs->zone, samples->samples, options);
  if (!result.ok()) return Fail(result.status());

  // The CSV: to --output, else to stdout unless only the comparison is wanted.
  if (!a.output.empty() || !a.compare) {
    std::string csv = "timestamp,target,replicas\n";
    csv.reserve(result->times.size() * result->targets.size() * 24);
    for (size_t i = 0; i < result->times.size(); ++i) {
      const std::string ts = std::to_string(result->times[i].time_since_epoch().count());
      for (size_t t = 0; t < result->targets.size(); ++t) {
        csv += ts;
        csv += ',';
        csv += result->targets[t];
        csv += ',';
        csv += std::to_string(result->replicas[t][i]);
        csv += '\n';
      }
    }
    if (a.output.empty()) {
      std::cout << csv;
    } else {
      std::ofstream out(a.output, std::ios::binary);
      out << csv;
      out.close();
      if (!out) return Fail(UnavailableError(a.output + ": cannot write the output CSV"));
    }
  }
  if (!a.compare) return kExitOk;

  // Which target to score: --target, the scenario's, or the first one
  // measured in connections.
  std::string name = !a.target.empty() ? a.target : scenario.target;
  size_t ti = inputs->policy.targets.size();
  for (size_t i = 0; i < inputs->policy.targets.size(); ++i) {
    const ScalingTarget& t = inputs->policy.targets[i];
    if (name.empty() ? t.unit == CapacityUnit::kConnections : t.name == name) {
      ti = i;
      break;
    }
  }
  if (ti == inputs->policy.targets.size()) {
    return Fail(InvalidArgumentError(
        name.empty() ? a.policy + ": spec.targets: no connectionsPerReplica target to score"
                     : "--target: no target named '" + name + "' in " + a.policy));
  }
  const ScalingTarget& target = inputs->policy.targets[ti];
  if (target.unit != CapacityUnit::kConnections) {
    return Fail(InvalidArgumentError("--target: '" + target.name +
                                     "' is sized by sessionsPerReplica; only connections targets "
                                     "can be scored against the connections metric"));
  }
  const ScoringModel model{target.per_replica, target.warmup, target.min_replicas,
                           target.max_replicas, *step};
  const std::vector<TimeWindow> unforetold = scenario.UnforetoldWindows();
  const std::span<const MetricSample> demand = samples->samples;

  const ReplicaSeries oracle = OracleSeries(demand, model, from, to);
  const ReplicaSeries prebell{result->times, result->replicas[ti]};
  const ReplicaSeries hpa = HpaSeries(demand, model, from, to);
  auto cron = HandWrittenCronWindows(inputs->timetables, expand_from, expand_to);
  if (!cron.ok()) return Fail(cron.status());
  const ReplicaSeries keda = HpaSeries(demand, model, from, to, *cron);

  Score so = ScoreSeries(demand, oracle, model, from, to, unforetold);
  Score sp = ScoreSeries(demand, prebell, model, from, to, unforetold);
  Score sh = ScoreSeries(demand, hpa, model, from, to, unforetold);
  Score sk = ScoreSeries(demand, keda, model, from, to, unforetold);
  for (Score* s : {&so, &sp, &sh, &sk}) {
    s->cost_vs_oracle =
        so.cost_replica_seconds > 0 ? s->cost_replica_seconds / so.cost_replica_seconds : 0;
  }
  std::printf(
      "Target %s, [%s, %s), step %s, warm-up %s, %s connections per replica, "
      "replicas %d..%d; %zu unforetold window(s)\n",
      target.name.c_str(), FormatRfc3339(from).c_str(), FormatRfc3339(to).c_str(),
      FormatDuration(*step).c_str(), FormatDuration(target.warmup).c_str(),
      FormatThousands(target.per_replica).c_str(), target.min_replicas, target.max_replicas,
      unforetold.size());
  std::printf("%-17s %12s %18s %14s %12s %11s\n", "planner", "shortfall %", "min short foretold",
              "min short all", "worst gap", "cost/oracle");
  std::printf("%s\n%s\n%s\n%s\n", Row("oracle", so).c_str(), Row("prebell", sp).c_str(),
              Row("HPA", sh).c_str(), Row("KEDA cron + HPA", sk).c_str());
  return kExitOk;
}

}  // namespace

void AddBacktestCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BacktestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "backtest", "Replay the planner over a recorded trace; write timestamp,target,replicas");
  cmd->add_option("--timetable", args->timetables, "Timetable manifest (YAML), repeatable")
      ->required();
  cmd->add_option("--policy", args->policy, "ScalingPolicy manifest (YAML)")->required();
  cmd->add_option("--metrics", args->metrics, "Connections CSV (timestamp,connections)")
      ->required();
  cmd->add_option("--from", args->from, "Start of the replay (RFC 3339 or unix seconds)");
  cmd->add_option("--to", args->to, "End of the replay, exclusive");
  cmd->add_option("--step", args->step, "Decision interval")->capture_default_str();
  cmd->add_option("--output", args->output, "Write the CSV here (default: stdout)");
  cmd->add_flag("--compare", args->compare,
                "Also score prebell, the oracle, HPA and KEDA cron + HPA and print a table");
  cmd->add_option("--scenario", args->scenario,
                  "scenario.json: unforetold loads (and eval_from/eval_to if --from/--to are "
                  "not given)");
  cmd->add_option("--target", args->target,
                  "Target to score (default: the scenario's, or the "
                  "first connections target)");
  cmd->callback([args, &exit_code] { exit_code = RunBacktestCommand(*args); });
}

}  // namespace prebell::cli
