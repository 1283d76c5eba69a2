// Watcher: list-then-watch of one resource as an explicit state machine (the
// shape of kube-rs's watcher.rs), one Step() at a time.
//
//   kList ──ok──> kOpenWatch ──ok──> kWatching ──event──> kWatching
//     ^  \__err: backoff   \__err: backoff        |
//     |                                           ├─ server ended the watch ─> kOpenWatch (no wait)
//     |                                           ├─ broken / idle / ERROR ──> kOpenWatch (backoff)
//     └───────── 410 Gone (HTTP or ERROR event) ──┘
//
// - The first list asks for resourceVersion "0" (the API server's watch
//   cache, cheap); after a 410 it lists again at the last resourceVersion
//   seen (NotOlderThan, still served from the cache), and only if that is
//   also gone does it make a consistent read ("", paged).
// - A list yields one kRestarted event with the complete set: the cache is
//   replaced in one step and vanished objects become deletions.
// - Watches start from the list's (then the last seen) resourceVersion with
//   allowWatchBookmarks and a random 5-10 minute timeoutSeconds, so a
//   reconnect resumes instead of replaying and all watchers do not expire at
//   once. A BOOKMARK only moves the resourceVersion. resourceVersions are
//   opaque strings: never compared, only passed back.
// - Reconnects wait with jittered exponential backoff (backoff.h), which
//   resets after a healthy stretch; a watch the server ends cleanly resumes
//   at once (unless it ended within a second with nothing in it).
// - The idle timeout is the Client's (timeoutSeconds plus slack): a silent
//   dead connection is abandoned and resumed.
// Step() does blocking I/O on the caller's thread; Cancel() may be called
// from any thread and makes a blocked Step return promptly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "controller/kube/client.h"
#include "controller/kube/clock.h"
#include "controller/kube/resource.h"
#include "controller/runtime/backoff.h"
#include "policies/common/status.h"

namespace prebell::runtime {

struct WatcherOptions {
  kube::ResourceType type;
  std::string ns;  // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  std::chrono::seconds min_watch_timeout{300};
  std::chrono::seconds max_watch_timeout{600};
  Backoff::Options backoff;
  int64_t page_size = 500;  // for consistent ("") lists
  uint64_t seed = 0;        // 0: from std::random_device
};

struct WatcherEvent {
  enum class Kind { kApplied, kDeleted, kRestarted };
  Kind kind = Kind::kApplied;
  nlohmann::json object;                // kApplied, kDeleted
  std::vector<nlohmann::json> objects;  // kRestarted: the complete set
  std::string resource_version;         // kRestarted: the list's
};

struct WatcherStep {
  std::vector<WatcherEvent> events;
  std::chrono::milliseconds sleep{0};  // wait this long before the next Step
  Status error;                        // what went wrong in this step, for logs
};

class Watcher {
 public:
  enum class State { kList, kOpenWatch, kWatching };

  Watcher(std::shared_ptr<kube::Client> client, WatcherOptions options,
          std::shared_ptr<const kube::Clock> clock);

  WatcherStep Step();
  void Cancel();

  State state() const { return state_; }
  // The resourceVersion a resumed watch would start from.
  const std::string& resource_version() const { return rv_; }
  // The resourceVersion the next list asks for ("0", a version, or "").
  const std::string& list_resource_version() const { return list_rv_; }
  const WatcherOptions& options() const { return options_; }

  // Totals since construction (for metrics and tests).
  struct Counters {
    uint64_t lists = 0;
    uint64_t relists_after_gone = 0;
    uint64_t watches_opened = 0;
    uint64_t watch_failures = 0;
    uint64_t events = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  WatcherStep DoList();
  WatcherStep DoOpenWatch();
  WatcherStep DoWatch();
  WatcherStep Fail(Status error);  // backoff, then reopen the watch
  void GoneRelist();
  void DropStream();

  std::shared_ptr<kube::Client> client_;
  WatcherOptions options_;
  std::shared_ptr<const kube::Clock> clock_;
  Backoff backoff_;
  std::mt19937_64 rng_;

  State state_ = State::kList;
  std::string list_rv_ = "0";
  std::string rv_;
  kube::MonoTime watch_opened_at_{};
  uint64_t watch_events_ = 0;
  Counters counters_;

  std::mutex stream_mu_;  // guards stream_ and cancelled_ against Cancel()
  std::unique_ptr<kube::WatchStream> stream_;
  bool cancelled_ = false;
};

}  // namespace prebell::runtime
