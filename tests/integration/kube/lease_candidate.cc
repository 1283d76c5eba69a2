// A leader-election candidate process for the two-process test: runs a
// LeaderElector against the cluster in $KUBECONFIG and prints "LEADING <id>"
// / "STOPPED <id>" as its state changes. SIGTERM stops it cleanly (releasing
// the lease); SIGKILL is the crash the other candidate must survive.
//
//   kube_lease_candidate NAMESPACE LEASE IDENTITY
#include <csignal>
#include <cstdio>
#include <thread>

#include "controller/kube/config.h"
#include "controller/kube/rest_transport.h"
#include "controller/runtime/leader_elector.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  using namespace prebell;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s NAMESPACE LEASE IDENTITY\n", argv[0]);
    return 2;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  auto cfg = kube::LoadDefaultConfig("", {});
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().ToString().c_str());
    return 1;
  }
  auto transport = kube::RestTransport::Create(*cfg);
  if (!transport.ok()) {
    std::fprintf(stderr, "%s\n", transport.status().ToString().c_str());
    return 1;
  }
  auto client = std::make_shared<kube::Client>(*transport);
  runtime::LeaderElectionConfig le;
  le.lease_namespace = argv[1];
  le.lease_name = argv[2];
  le.identity = argv[3];
  std::string id = argv[3];
  le.on_started_leading = [id] {
    std::printf("LEADING %s\n", id.c_str());
    std::fflush(stdout);
  };
  le.on_stopped_leading = [id] {
    std::printf("STOPPED %s\n", id.c_str());
    std::fflush(stdout);
  };
  auto elector = runtime::LeaderElector::Create(client, le, kube::SystemClock::Shared());
  if (!elector.ok()) {
    std::fprintf(stderr, "%s\n", elector.status().ToString().c_str());
    return 1;
  }
  std::printf("STARTED %s\n", id.c_str());
  std::fflush(stdout);
  (*elector)->Start();
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*elector)->Stop();
  std::printf("EXITED %s\n", id.c_str());
  std::fflush(stdout);
  return 0;
}
