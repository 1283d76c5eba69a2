#include "controller/runtime/leader_elector.h"

#include <date/date.h>
#include <spdlog/spdlog.h>

#include "controller/kube/api_error.h"
#include "policies/common/time_text.h"

namespace prebell::runtime {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string StringField(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t IntField(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return 0;
  auto it = j.find(name);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

nlohmann::json SpecOf(const nlohmann::json& lease) {
  if (!lease.is_object()) return nlohmann::json::object();
  auto it = lease.find("spec");
  return it != lease.end() && it->is_object() ? *it : nlohmann::json::object();
}

}  // namespace

std::string FormatMicroTime(kube::WallTime t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::floor<microseconds>(t));
}

StatusOr<kube::WallTime> ParseMicroTime(std::string_view text) {
  auto seconds = ParseRfc3339(text);
  if (!seconds.ok()) return InvalidArgumentError("'" + std::string(text) + "' is not a MicroTime");
  // ParseRfc3339 drops the fraction; add back up to six digits of it.
  int64_t micros = 0;
  auto dot = text.find('.');
  if (dot != std::string_view::npos) {
    int digits = 0;
    for (size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (digits < 6) {
        micros = micros * 10 + (text[i] - '0');
        ++digits;
      }
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  return kube::WallTime(
      duration_cast<kube::WallTime::duration>(seconds->time_since_epoch() + microseconds(micros)));
}

Status ValidateLeaderElectionConfig(const LeaderElectionConfig& c) {
  if (c.lease_name.empty() || c.lease_namespace.empty()) {
    return InvalidArgumentError("leader election: lease name and namespace are required");
  }
  if (c.identity.empty()) return InvalidArgumentError("leader election: identity is required");
  if (c.retry_period.count() <= 0) {
    return InvalidArgumentError("leader election: retry period must be positive");
  }
  if (c.lease_duration <= c.renew_deadline) {
    return InvalidArgumentError("leader election: lease duration (" +
                                std::to_string(c.lease_duration.count()) +
                                " ms) must exceed the renew deadline (" +
                                std::to_string(c.renew_deadline.count()) + " ms)");
  }
  if (static_cast<double>(c.renew_deadline.count()) <= 1.2 * c.retry_period.count()) {
    return InvalidArgumentError("leader election: renew deadline (" +
                                std::to_string(c.renew_deadline.count()) +
                                " ms) must exceed 1.2 x the retry period (" +
                                std::to_string(c.retry_period.count()) + " ms)");
  }
  if (c.lease_duration < std::chrono::seconds(1)) {
    return InvalidArgumentError("leader election: lease duration must be at least 1 s");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(
    std::shared_ptr<kube::Client> client, LeaderElectionConfig config,
    std::shared_ptr<const kube::Clock> clock, uint64_t seed) {
  PREBELL_RETURN_IF_ERROR(ValidateLeaderElectionConfig(config));
  if (seed == 0) {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  return std::unique_ptr<LeaderElector>(
      new LeaderElector(std::move(client), std::move(config), std::move(clock), seed));
}

LeaderElector::LeaderElector(std::shared_ptr<kube::Client> client, LeaderElectionConfig config,
                             std::shared_ptr<const kube::Clock> clock, uint64_t seed)
    : client_(std::move(client)),
      config_(std::move(config)),
      clock_(std::move(clock)),
      rng_(seed) {}

LeaderElector::~LeaderElector() { Stop(); }

bool LeaderElector::IsLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_renew_ && clock_->Now() - *last_renew_ < config_.renew_deadline;
}

std::string LeaderElector::CurrentLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

// Under mu_. Records when the lease record was last seen to change.
void LeaderElector::ObserveRecord(const nlohmann::json& spec, kube::MonoTime now) {
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_at_ = now;
  }
  std::string holder = StringField(spec, "holderIdentity");
  if (holder != leader_) {
    leader_ = holder;
    if (!holder.empty()) pending_leader_ = holder;
  }
}

void LeaderElector::NotifyNewLeader() {
  std::optional<std::string> leader;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader.swap(pending_leader_);
  }
  if (leader && config_.on_new_leader) {
    try {
      config_.on_new_leader(*leader);
    } catch (...) {
    }
  }
}

bool LeaderElector::TryAcquireOrRenewOnce() {
  const kube::MonoTime now = clock_->Now();
  const std::string wall = FormatMicroTime(clock_->WallNow());
  const int64_t lease_seconds =
      (config_.lease_duration.count() + 999) / 1000;  // whole seconds, rounded up

  nlohmann::json cached;
  bool held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cached = lease_;
    held = last_renew_.has_value() &&
           StringField(SpecOf(lease_), "holderIdentity") == config_.identity;
  }

  // Fast path for the holder: update the cached lease (its resourceVersion
  // makes the write conditional) without reading it first.
  if (held && cached.is_object()) {
    nlohmann::json next = cached;
    next["spec"]["renewTime"] = wall;
    next["spec"]["holderIdentity"] = config_.identity;
    next["spec"]["leaseDurationSeconds"] = lease_seconds;
    auto res = client_->Update(kube::resources::Leases(), config_.lease_namespace, next);
    if (res.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      lease_ = *res;
      ObserveRecord(SpecOf(lease_), now);
      last_renew_ = now;
      return true;
    }
    // A conflict or an error: read the lease and decide below.
  }

  auto got = client_->Get(kube::resources::Leases(), config_.lease_namespace, config_.lease_name);
  if (!got.ok()) {
    if (!kube::IsNotFound(got.status())) {
      spdlog::warn("leader election: reading lease {}/{}: {}", config_.lease_namespace,
                   config_.lease_name, got.status().ToString());
      return false;
    }
    nlohmann::json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
        {"spec",
         {{"holderIdentity", config_.identity},
          {"leaseDurationSeconds", lease_seconds},
          {"acquireTime", wall},
          {"renewTime", wall},
          {"leaseTransitions", 0}}}};
    auto created = client_->Create(kube::resources::Leases(), config_.lease_namespace, lease);
    if (!created.ok()) {
      if (!kube::IsAlreadyExists(created.status())) {
        spdlog::warn("leader election: creating lease: {}", created.status().ToString());
      }
      return false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    lease_ = *created;
    ObserveRecord(SpecOf(lease_), now);
    last_renew_ = now;
    return true;
  }

  nlohmann::json spec = SpecOf(*got);
  std::string holder = StringField(spec, "holderIdentity");
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease_ = *got;
    ObserveRecord(spec, now);
    if (!holder.empty() && holder != config_.identity) {
      int64_t record_seconds = IntField(spec, "leaseDurationSeconds");
      auto duration =
          record_seconds > 0
              ? std::chrono::duration_cast<milliseconds>(std::chrono::seconds(record_seconds))
              : config_.lease_duration;
      last_renew_.reset();                              // someone else holds it: we are not leading
      if (now < observed_at_ + duration) return false;  // not expired yet
    }
  }

  nlohmann::json next = *got;
  nlohmann::json& s = next["spec"];
  if (holder != config_.identity) {
    s["acquireTime"] = wall;
    s["leaseTransitions"] = IntField(spec, "leaseTransitions") + 1;
  }
  s["holderIdentity"] = config_.identity;
  s["renewTime"] = wall;
  s["leaseDurationSeconds"] = lease_seconds;
  auto res = client_->Update(kube::resources::Leases(), config_.lease_namespace, next);
  if (!res.ok()) {
    if (!kube::IsConflict(res.status())) {
      spdlog::warn("leader election: updating lease: {}", res.status().ToString());
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  lease_ = *res;
  ObserveRecord(SpecOf(lease_), now);
  last_renew_ = now;
  return true;
}

bool LeaderElector::TryAcquireOrRenew() {
  bool held = false;
  try {
    held = TryAcquireOrRenewOnce();
  } catch (const std::exception& e) {
    // Only a malformed Lease from the server (a spec that is not an object)
    // can make the JSON accessors throw; treat it as a failed attempt.
    spdlog::warn("leader election: unusable lease {}/{}: {}", config_.lease_namespace,
                 config_.lease_name, e.what());
  }
  NotifyNewLeader();
  return held;
}

bool LeaderElector::Release() {
  nlohmann::json cached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cached = lease_;
    if (!cached.is_object() || StringField(SpecOf(cached), "holderIdentity") != config_.identity) {
      last_renew_.reset();
      return true;
    }
    last_renew_.reset();  // stop writing before giving the lease away
  }
  const std::string wall = FormatMicroTime(clock_->WallNow());
  nlohmann::json next = cached;
  next["spec"]["holderIdentity"] = "";
  next["spec"]["leaseDurationSeconds"] = 1;
  next["spec"]["acquireTime"] = wall;
  next["spec"]["renewTime"] = wall;
  auto res = client_->Update(kube::resources::Leases(), config_.lease_namespace, next);
  if (!res.ok()) {
    spdlog::warn("leader election: releasing lease: {}", res.status().ToString());
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    lease_ = *res;
    ObserveRecord(SpecOf(lease_), clock_->Now());
  }
  NotifyNewLeader();
  return true;
}

void LeaderElector::SetLeading(bool leading) {
  std::function<void()> cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (leading_ == leading) return;
    leading_ = leading;
    cb = leading ? config_.on_started_leading : config_.on_stopped_leading;
  }
  spdlog::info("leader election: {} {} lease {}/{}", config_.identity,
               leading ? "acquired" : "lost", config_.lease_namespace, config_.lease_name);
  if (cb) {
    try {
      cb();
    } catch (...) {
    }
  }
}

bool LeaderElector::SleepUntil(kube::MonoTime deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_ && clock_->Now() < deadline) clock_->WaitUntil(cv_, lock, deadline);
  return !stop_;
}

void LeaderElector::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void LeaderElector::Loop() {
  std::uniform_real_distribution<double> jitter(0.0, 1.2);
  auto stopped = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  };
  while (!stopped()) {
    // Acquire.
    while (!stopped() && !TryAcquireOrRenew()) {
      auto wait = config_.retry_period +
                  std::chrono::duration_cast<milliseconds>(config_.retry_period * jitter(rng_));
      SleepUntil(clock_->Now() + wait);
    }
    if (stopped()) break;
    SetLeading(true);
    // Renew until the deadline is missed, someone else holds it, or Stop().
    for (;;) {
      if (!SleepUntil(clock_->Now() + config_.retry_period)) break;
      if (TryAcquireOrRenew()) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (!last_renew_ || clock_->Now() - *last_renew_ >= config_.renew_deadline) {
        last_renew_.reset();
        break;
      }
    }
    if (stopped()) {
      SetLeading(false);  // stop the work first, then hand the lease over
      Release();
      break;
    }
    SetLeading(false);
  }
}

}  // namespace prebell::runtime
