// EventRecorder: core/v1 Events about objects ("kubectl describe" shows
// them), with the de-duplication client-go's recorder does.
//
// - reason must be PascalCase ([A-Z][A-Za-z0-9]*) and at most 128
//   characters, or Record returns kInvalidArgument (a programming error);
//   the note is cut to 1024 bytes (at a UTF-8 boundary).
// - A repeat of the same (object, type, reason, note) within the window
//   (10 min) patches the existing Event's count and lastTimestamp instead of
//   creating another one.
// - When one (object, type, reason) produces many different notes (10 or
//   more within the window), they are folded into one Event whose note is
//   "(combined from similar events): <latest note>", counted like a repeat.
// - The cache of recent events is bounded (LRU).
// Record() does the API call on the calling thread. Thread-safe.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controller/kube/client.h"
#include "controller/kube/clock.h"
#include "policies/common/status.h"

namespace prebell::runtime {

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;

  // From an object's apiVersion, kind and metadata.
  static ObjectReference FromObject(const nlohmann::json& object);
};

enum class EventType { kNormal, kWarning };

struct EventRecorderOptions {
  std::string component = "prebell";  // source.component / reportingComponent
  std::string instance;               // reportingInstance (e.g. the pod name)
  std::chrono::seconds window{600};
  int aggregate_threshold = 10;
  size_t max_cached = 4096;
};

Status ValidateEventReason(std::string_view reason);
// `note` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view note, size_t max_bytes);

class EventRecorder {
 public:
  EventRecorder(std::shared_ptr<kube::Client> client, EventRecorderOptions options,
                std::shared_ptr<const kube::Clock> clock);

  Status Record(const ObjectReference& object, EventType type, std::string_view reason,
                std::string_view note);

 private:
  struct Seen {
    std::string event_name;
    std::string event_ns;
    int64_t count = 0;
    kube::MonoTime last{};
    std::string first_timestamp;
  };
  struct Similar {
    std::unordered_map<std::string, kube::MonoTime> notes;  // distinct notes in the window
  };

  Status Create(const std::string& cache_key, const ObjectReference& object, EventType type,
                std::string_view reason, const std::string& note, kube::MonoTime now);
  void Touch(const std::string& key);  // LRU, under mu_

  std::shared_ptr<kube::Client> client_;
  EventRecorderOptions options_;
  std::shared_ptr<const kube::Clock> clock_;

  std::mutex mu_;
  std::unordered_map<std::string, Seen> seen_;
  std::unordered_map<std::string, Similar> similar_;
  std::list<std::string> lru_;  // most recent at the front
  std::unordered_map<std::string, std::list<std::string>::iterator> lru_pos_;
  uint64_t sequence_ = 0;
};

}  // namespace prebell::runtime
