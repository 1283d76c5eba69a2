// `prebell run`: the controller.
//
// Wires the world to the reconcilers and decides nothing: informers fill the
// caches, changes become keys on two work queues, worker pools reconcile
// them, the leader elector gates every write, the schedule publisher keeps
// the schedule signal on /metrics, and SIGTERM drains in-flight work and
// releases the lease before the process exits.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "controller/exporter/controller_metrics.h"
#include "controller/exporter/health_checks.h"
#include "controller/exporter/metrics_server.h"
#include "controller/kube/client.h"
#include "controller/kube/config.h"
#include "controller/kube/rest_transport.h"
#include "controller/logging/json_log_formatter.h"
#include "controller/main/commands.h"
#include "controller/prom/cpprest_transport.h"
#include "controller/prom/prometheus_client.h"
#include "controller/reconcile/prebell_resources.h"
#include "controller/reconcile/scaling_policy_reconciler.h"
#include "controller/reconcile/schedule_publisher.h"
#include "controller/reconcile/timetable_reconciler.h"
#include "controller/runtime/event_recorder.h"
#include "controller/runtime/informer.h"
#include "controller/runtime/leader_elector.h"
#include "controller/runtime/work_queue.h"
#include "controller/runtime/worker_pool.h"

namespace prebell::cli {
namespace {

struct RunOptions {
  std::string kubeconfig;
  std::string context;
  std::string metrics_address = ":8080";
  bool leader_elect = true;
  std::string lease_name = "prebell";
  std::string lease_namespace;
  std::string namespaces;
  std::string prometheus_url;
  std::string log_format = "json";
  std::string identity;
  int workers = 2;
  std::string lead_time = "30m";
  std::string replan_interval = "15s";
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// ":8080" -> "0.0.0.0:8080" (civetweb's form); "host:port" stays.
std::string ListenSpec(const std::string& address) {
  if (!address.empty() && address.front() == ':') return "0.0.0.0" + address;
  return address;
}

std::string DefaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "prebell");
  std::random_device rd;
  return std::string(host) + "_" + std::to_string(rd() % 100000);
}

int BadInput(const std::string& message) {
  spdlog::error(nlohmann::json{{"msg", "bad input"}, {"error", message}}.dump());
  return kExitBadInput;
}

int RunController(const RunOptions& opts) {
  logging::SetUpLogging(opts.log_format == "json");
  if (opts.log_format != "json" && opts.log_format != "text") {
    return BadInput("--log-format: '" + opts.log_format + "' is not json or text");
  }
  if (opts.workers < 1 || opts.workers > 64) return BadInput("--workers: must be 1..64");
  auto lead_time = ParseDuration(opts.lead_time);
  if (!lead_time.ok()) return BadInput("--lead-time: " + lead_time.status().message());
  auto replan = ParseDuration(opts.replan_interval);
  if (!replan.ok()) return BadInput("--replan-interval: " + replan.status().message());

  auto config = kube::LoadDefaultConfig(opts.kubeconfig, {.context = opts.context});
  if (!config.ok()) return BadInput(config.status().message());
  const std::string lease_namespace =
      opts.lease_namespace.empty() ? config->default_namespace : opts.lease_namespace;
  const std::string identity = opts.identity.empty() ? DefaultIdentity() : opts.identity;

  // Signals go to the main thread only (sigwait below): block them before
  // any thread exists so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto metrics = std::make_shared<exporter::ControllerMetrics>(exporter::BuildInfo{"0.1.0", ""});
  auto checks = std::make_shared<exporter::HealthChecks>();
  auto server = exporter::MetricsServer::Start({.listen = ListenSpec(opts.metrics_address)},
                                               metrics->registry(), checks);
  if (!server.ok()) {
    spdlog::error("cannot serve metrics: {}", server.status().ToString());
    return server.status().code() == StatusCode::kInvalidArgument ? kExitBadInput
                                                                  : kExitRuntimeFailure;
  }

  auto clock = std::make_shared<kube::SystemClock>();
  auto transport = kube::RestTransport::Create(*config, {.clock = clock});
  if (!transport.ok()) return BadInput(transport.status().message());
  auto client = std::make_shared<kube::Client>(
      *transport,
      kube::ClientOptions{.clock = clock, .observer = [metrics](const kube::RequestRecord& r) {
                            std::optional<double> latency;
                            if (r.verb != "watch") {
                              latency = std::chrono::duration<double>(r.latency).count();
                            }
                            metrics->ObserveKubeRequest(r.verb, r.resource, r.http_status, latency);
                          }});

  std::shared_ptr<prom::PrometheusClient> prometheus;
  if (!opts.prometheus_url.empty()) {
    prom::CpprestTransportOptions prom_options;
    prom_options.base_url = opts.prometheus_url;
    auto prom_transport = prom::CpprestTransport::Create(prom_options);
    if (!prom_transport.ok())
      return BadInput("--prometheus-url: " + prom_transport.status().message());
    prometheus = std::make_shared<prom::PrometheusClient>(*prom_transport, prom::ClientOptions{},
                                                          metrics->PromObserver());
  }

  // Informers, one per resource and watched namespace.
  std::vector<std::string> namespaces = SplitList(opts.namespaces);
  if (namespaces.empty()) namespaces.push_back("");
  std::vector<std::unique_ptr<runtime::Informer>> informers;
  auto watch = [&](const kube::ResourceType& type, reconcile::StoreGroup& group) {
    std::vector<runtime::Informer*> created;
    for (const std::string& ns : namespaces) {
      runtime::WatcherOptions w;
      w.type = type;
      w.ns = ns;
      informers.push_back(std::make_unique<runtime::Informer>(client, w, clock));
      group.Add(ns, informers.back()->store());
      created.push_back(informers.back().get());
    }
    return created;
  };
  reconcile::StoreGroup timetables, policies, config_maps, hpas, deployments, stateful_sets;
  auto tt_informers = watch(reconcile::Timetables(), timetables);
  auto sp_informers = watch(reconcile::ScalingPolicies(), policies);
  auto cm_informers = watch(kube::resources::ConfigMaps(), config_maps);
  auto hpa_informers = watch(kube::resources::HorizontalPodAutoscalers(), hpas);
  auto deploy_informers = watch(kube::resources::Deployments(), deployments);
  auto sts_informers = watch(kube::resources::StatefulSets(), stateful_sets);

  auto schedules = std::make_shared<reconcile::ScheduleBook>();
  auto predictions = std::make_shared<reconcile::PredictionBook>();
  auto events = std::make_shared<runtime::EventRecorder>(
      client, runtime::EventRecorderOptions{.component = "prebell", .instance = identity}, clock);

  std::unique_ptr<runtime::LeaderElector> elector;
  std::atomic<bool> leading{!opts.leader_elect};
  reconcile::ReconcileContext ctx{
      .client = client,
      .clock = clock,
      .events = events,
      .metrics = metrics,
      .schedules = schedules,
      .predictions = predictions,
      .may_write = [&] { return elector ? elector->IsLeader() : leading.load(); }};

  auto tt_queue = std::make_shared<runtime::WorkQueue>(clock);
  auto sp_queue = std::make_shared<runtime::WorkQueue>(clock);
  reconcile::TimetableReconciler tt_reconciler(ctx, &timetables, &config_maps);
  reconcile::ScalingPolicyReconcilerOptions sp_options;
  sp_options.replan_interval = *replan;
  reconcile::ScalingPolicyReconciler sp_reconciler(ctx, &policies, &hpas, &deployments,
                                                   &stateful_sets, prometheus, sp_options);
  reconcile::SchedulePublisherOptions publisher_options;
  publisher_options.signal.lead_time = *lead_time;
  reconcile::SchedulePublisher publisher(schedules, metrics, clock, publisher_options);
  tt_reconciler.on_schedule_changed = [&](const std::string& ns) {
    for (const std::string& key : sp_reconciler.PoliciesIn(ns)) sp_queue->Add(key);
    publisher.Poke();
  };

  auto only_changes = [](runtime::ChangeHandler h) {
    return runtime::Filtered(runtime::SpecOrMetadataChanged, std::move(h));
  };
  for (auto* i : tt_informers) i->AddHandler(only_changes(runtime::EnqueueOwnKey(tt_queue)));
  for (auto* i : cm_informers) {
    i->AddHandler(runtime::EnqueueMappedKeys(tt_queue, [&](const nlohmann::json& cm) {
      auto key = kube::KeyOf(cm);
      return key.ok() ? tt_reconciler.TimetablesImporting(*key) : std::vector<std::string>{};
    }));
  }
  for (auto* i : sp_informers) i->AddHandler(only_changes(runtime::EnqueueOwnKey(sp_queue)));
  auto to_policies = [&](const nlohmann::json& object) {
    std::vector<std::string> keys = reconcile::ScalingPolicyReconciler::OwnerKeys(object);
    for (std::string& k : sp_reconciler.PoliciesTargeting(object)) keys.push_back(std::move(k));
    return keys;
  };
  for (auto* group : {&hpa_informers, &deploy_informers, &sts_informers}) {
    for (auto* i : *group)
      i->AddHandler(only_changes(runtime::EnqueueMappedKeys(sp_queue, to_policies)));
  }

  auto observe = [&](exporter::ReconcileController which, const char* kind) {
    return [&metrics, which, kind](const std::string& key, const runtime::ReconcileResult& result,
                                   std::chrono::nanoseconds duration) {
      metrics->ObserveReconcile(which, std::chrono::duration<double>(duration).count(),
                                result.ok());
      if (!result.ok()) {
        spdlog::warn(
            nlohmann::json{{"msg", "reconcile failed"},
                           {"kind", kind},
                           {"object", key},
                           {"terminal", result.kind() == runtime::ReconcileResult::Kind::kTerminal},
                           {"error", result.error().ToString()}}
                .dump());
      }
    };
  };
  runtime::WorkerPool tt_pool(
      tt_queue, [&](const std::string& key) { return tt_reconciler.Reconcile(key); },
      observe(exporter::ReconcileController::kTimetable, "Timetable"));
  runtime::WorkerPool sp_pool(
      sp_queue, [&](const std::string& key) { return sp_reconciler.Reconcile(key); },
      observe(exporter::ReconcileController::kScalingPolicy, "ScalingPolicy"));

  auto requeue_everything = [&] {
    for (const runtime::ObjectPtr& o : timetables.List()) {
      if (auto k = kube::KeyOf(*o); k.ok()) tt_queue->Add(*k);
    }
    for (const runtime::ObjectPtr& o : policies.List()) {
      if (auto k = kube::KeyOf(*o); k.ok()) sp_queue->Add(*k);
    }
  };

  if (opts.leader_elect) {
    runtime::LeaderElectionConfig le;
    le.lease_namespace = lease_namespace;
    le.lease_name = opts.lease_name;
    le.identity = identity;
    le.on_started_leading = [&] {
      spdlog::info(nlohmann::json{{"msg", "started leading"}, {"identity", identity}}.dump());
      metrics->SetLeader(true);
      requeue_everything();  // status and writes are the leader's
    };
    le.on_stopped_leading = [&] {
      spdlog::warn(nlohmann::json{{"msg", "stopped leading"}, {"identity", identity}}.dump());
      metrics->SetLeader(false);
    };
    auto created = runtime::LeaderElector::Create(client, le, clock);
    if (!created.ok()) return BadInput("leader election: " + created.status().message());
    elector = std::move(*created);
  } else {
    metrics->SetLeader(true);
  }

  checks->Add(exporter::HealthChecks::Probe::kLiveness, "ping", [] { return OkStatus(); });
  checks->Add(exporter::HealthChecks::Probe::kReadiness, "informers-synced", [&] {
    for (const auto& i : informers) {
      if (!i->HasSynced()) return UnavailableError("caches not synced yet");
    }
    return OkStatus();
  });

  spdlog::info(nlohmann::json{{"msg", "starting"},
                              {"identity", identity},
                              {"apiserver", config->server},
                              {"namespaces", opts.namespaces.empty() ? "all" : opts.namespaces},
                              {"prometheus", opts.prometheus_url},
                              {"metrics", ListenSpec(opts.metrics_address)},
                              {"leaderElection", opts.leader_elect}}
                   .dump());
  for (auto& i : informers) i->Start();

  // Wait for the caches (or a signal): reconciling from a half-filled cache
  // would, e.g., see a policy's HPA as missing.
  int signal_number = 0;
  timespec poll{0, 200'000'000};
  bool synced = false;
  while (!synced) {
    synced = true;
    for (const auto& i : informers) synced = synced && i->HasSynced();
    if (synced) break;
    signal_number = sigtimedwait(&signals, nullptr, &poll);
    if (signal_number > 0) break;
  }
  if (synced) {
    spdlog::info(R"({"msg":"caches synced"})");
    publisher.Start();
    requeue_everything();
    tt_pool.Start(opts.workers);
    sp_pool.Start(opts.workers);
    if (elector) elector->Start();
    while (signal_number <= 0)
      signal_number = sigwait(&signals, &signal_number) == 0 ? signal_number : -1;
  }

  spdlog::info(nlohmann::json{{"msg", "shutting down"}, {"signal", signal_number}}.dump());
  checks->SetShuttingDown();
  // Drain: finish in-flight reconciles, then give the lease up at once so a
  // standby takes over without waiting for it to expire.
  tt_queue->ShutDownWithDrain();
  sp_queue->ShutDownWithDrain();
  tt_pool.Stop();
  sp_pool.Stop();
  if (elector) elector->Stop();
  publisher.Stop();
  for (auto& i : informers) i->Stop();
  spdlog::info(R"({"msg":"stopped"})");
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run the controller against a Kubernetes cluster");
  cmd->add_option("--kubeconfig", opts->kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  cmd->add_option("--context", opts->context, "kubeconfig context (default: current-context)");
  cmd->add_option("--metrics-address", opts->metrics_address,
                  "host:port for /metrics, /healthz and /readyz")
      ->capture_default_str();
  cmd->add_option("--leader-elect", opts->leader_elect,
                  "elect a leader on a coordination.k8s.io Lease; only the leader writes")
      ->capture_default_str();
  cmd->add_option("--lease-name", opts->lease_name, "the Lease's name")->capture_default_str();
  cmd->add_option("--lease-namespace", opts->lease_namespace,
                  "the Lease's namespace (default: the kubeconfig's or the pod's namespace)");
  cmd->add_option("--namespaces", opts->namespaces,
                  "comma-separated namespaces to watch (default: all)");
  cmd->add_option("--prometheus-url", opts->prometheus_url,
                  "Prometheus HTTP API base URL (default: plan from the timetable alone)");
  cmd->add_option("--log-format", opts->log_format, "json or text")->capture_default_str();
  cmd->add_option("--identity", opts->identity, "leader-election identity (default: host name)");
  cmd->add_option("--workers", opts->workers, "reconcile workers per resource kind")
      ->capture_default_str();
  cmd->add_option("--lead-time", opts->lead_time,
                  "how long before a session the schedule signal counts it as near")
      ->capture_default_str();
  cmd->add_option("--replan-interval", opts->replan_interval,
                  "how often each policy is replanned with live metrics")
      ->capture_default_str();
  cmd->callback([opts, &exit_code] { exit_code = RunController(*opts); });
}

}  // namespace prebell::cli
