// LeaderElector: one active controller among replicas, through a
// coordination.k8s.io/v1 Lease (client-go's leaderelection, LeaseLock).
//
// - Timings: lease 15 s, renew deadline 10 s, retry 2 s by default;
//   Validate() requires lease > renew deadline > 1.2 x retry period.
// - Expiry is judged by the local monotonic clock: the time since this
//   elector last saw the lease record change. renewTime is never compared
//   with our own clock (clocks of two machines disagree).
// - The holder renews every retry period; if it cannot renew within the
//   renew deadline it stops leading. IsLeader() turns false as soon as the
//   last successful renewal is older than the renew deadline, even if the
//   renewing thread is stuck in a request, so writes stop the moment the
//   lease may have been lost. The lock is not a fence: two leaders can
//   overlap briefly, so writes must be idempotent.
// - Stop() releases the lease (holderIdentity cleared) when leading, so a
//   standby takes over at its next retry instead of after the lease expires.
// - Lease times are MicroTime: "2006-01-02T15:04:05.000000Z".
// TryAcquireOrRenew() is one step, for tests with a FakeClock and a
// ScriptedTransport; Start()/Stop() run the loop on a thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "controller/kube/client.h"
#include "controller/kube/clock.h"
#include "policies/common/status.h"

namespace prebell::runtime {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per process: pod name + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  // Called on the elector's thread; they must not block for long.
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& leader)> on_new_leader;  // any change of holder
};

Status ValidateLeaderElectionConfig(const LeaderElectionConfig& config);

// Formats/parses metav1.MicroTime.
std::string FormatMicroTime(kube::WallTime t);
StatusOr<kube::WallTime> ParseMicroTime(std::string_view text);

class LeaderElector {
 public:
  static StatusOr<std::unique_ptr<LeaderElector>> Create(std::shared_ptr<kube::Client> client,
                                                         LeaderElectionConfig config,
                                                         std::shared_ptr<const kube::Clock> clock,
                                                         uint64_t seed = 0);
  ~LeaderElector();

  // One attempt to take or renew the lease; true if we hold it afterwards.
  bool TryAcquireOrRenew();
  // Gives the lease up if we hold it; true if released (or not held).
  bool Release();

  // Runs on a thread: try to acquire every retry period (jittered); once
  // leading, renew every retry period until the renew deadline is missed,
  // then stop leading and go back to acquiring. Stop() ends the loop and
  // releases the lease.
  void Start();
  void Stop();

  bool IsLeader() const;
  std::string CurrentLeader() const;
  const LeaderElectionConfig& config() const { return config_; }

 private:
  LeaderElector(std::shared_ptr<kube::Client> client, LeaderElectionConfig config,
                std::shared_ptr<const kube::Clock> clock, uint64_t seed);

  void Loop();
  void SetLeading(bool leading);
  // Sleeps (on the clock) until `deadline` or Stop(); false if stopped.
  bool SleepUntil(kube::MonoTime deadline);
  bool TryAcquireOrRenewOnce();
  void ObserveRecord(const nlohmann::json& spec, kube::MonoTime now);  // under mu_
  void NotifyNewLeader();  // calls on_new_leader outside mu_

  std::shared_ptr<kube::Client> client_;
  LeaderElectionConfig config_;
  std::shared_ptr<const kube::Clock> clock_;
  std::mt19937_64 rng_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  nlohmann::json lease_;                      // the last Lease object read or written
  nlohmann::json observed_spec_;              // the record as last seen
  kube::MonoTime observed_at_{};              // when it last changed (local monotonic)
  std::optional<kube::MonoTime> last_renew_;  // our last successful write as holder
  bool leading_ = false;
  std::string leader_;
  std::optional<std::string> pending_leader_;  // to report to on_new_leader

  std::thread thread_;
  bool stop_ = false;
};

}  // namespace prebell::runtime
