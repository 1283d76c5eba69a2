#include "controller/runtime/event_recorder.h"

#include <cstdio>

#include "controller/kube/api_error.h"
#include "policies/common/time_text.h"

namespace prebell::runtime {
namespace {

constexpr std::string_view kCombined = "(combined from similar events): ";

std::string Field(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Timestamp(kube::WallTime t) {
  return FormatRfc3339(std::chrono::floor<std::chrono::seconds>(t));
}

std::string ObjectKeyOf(const ObjectReference& o) {
  return o.kind + "|" + o.ns + "|" + o.name + "|" + o.uid;
}

}  // namespace

ObjectReference ObjectReference::FromObject(const nlohmann::json& object) {
  ObjectReference r;
  r.api_version = Field(object, "apiVersion");
  r.kind = Field(object, "kind");
  if (object.is_object()) {
    if (auto meta = object.find("metadata"); meta != object.end()) {
      r.ns = Field(*meta, "namespace");
      r.name = Field(*meta, "name");
      r.uid = Field(*meta, "uid");
      r.resource_version = Field(*meta, "resourceVersion");
    }
  }
  return r;
}

Status ValidateEventReason(std::string_view reason) {
  if (reason.empty()) return InvalidArgumentError("event reason is empty");
  if (reason.size() > 128) {
    return InvalidArgumentError("event reason '" + std::string(reason.substr(0, 40)) +
                                "...' is longer than 128 characters");
  }
  if (!(reason[0] >= 'A' && reason[0] <= 'Z')) {
    return InvalidArgumentError("event reason '" + std::string(reason) +
                                "' is not PascalCase (must start with an upper-case letter)");
  }
  for (char c : reason) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) {
      return InvalidArgumentError("event reason '" + std::string(reason) +
                                  "' is not PascalCase (letters and digits only)");
    }
  }
  return OkStatus();
}

std::string TruncateUtf8(std::string_view note, size_t max_bytes) {
  if (note.size() <= max_bytes) return std::string(note);
  size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a sequence.
  while (cut > 0 && (static_cast<unsigned char>(note[cut]) & 0xC0) == 0x80) --cut;
  return std::string(note.substr(0, cut));
}

EventRecorder::EventRecorder(std::shared_ptr<kube::Client> client, EventRecorderOptions options,
                             std::shared_ptr<const kube::Clock> clock)
    : client_(std::move(client)), options_(std::move(options)), clock_(std::move(clock)) {}

void EventRecorder::Touch(const std::string& key) {
  auto it = lru_pos_.find(key);
  if (it != lru_pos_.end()) lru_.erase(it->second);
  lru_.push_front(key);
  lru_pos_[key] = lru_.begin();
  while (lru_.size() > options_.max_cached) {
    const std::string& victim = lru_.back();
    seen_.erase(victim);
    lru_pos_.erase(victim);
    lru_.pop_back();
  }
}

Status EventRecorder::Record(const ObjectReference& object, EventType type, std::string_view reason,
                             std::string_view note_in) {
  PREBELL_RETURN_IF_ERROR(ValidateEventReason(reason));
  if (object.name.empty() || object.kind.empty()) {
    return InvalidArgumentError("event about an object without kind or name");
  }
  std::string note = TruncateUtf8(note_in, 1024);
  const std::string type_name = type == EventType::kWarning ? "Warning" : "Normal";
  const kube::MonoTime now = clock_->Now();
  const std::string similar_key = ObjectKeyOf(object) + "|" + type_name + "|" + std::string(reason);

  std::string cache_key;
  std::string event_name;
  std::string event_ns;
  int64_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Similar& sim = similar_[similar_key];
    for (auto it = sim.notes.begin(); it != sim.notes.end();) {
      it = now - it->second >= options_.window ? sim.notes.erase(it) : std::next(it);
    }
    sim.notes[note] = now;
    if (static_cast<int>(sim.notes.size()) >= options_.aggregate_threshold) {
      note = TruncateUtf8(std::string(kCombined) + note, 1024);
      cache_key = similar_key + "|(combined)";
    } else {
      cache_key = similar_key + "|" + note;
    }
    if (similar_.size() > options_.max_cached) {
      for (auto it = similar_.begin(); it != similar_.end();) {
        bool stale = true;
        for (const auto& [n, t] : it->second.notes) {
          if (now - t < options_.window) stale = false;
        }
        it = stale ? similar_.erase(it) : std::next(it);
      }
      if (similar_.size() > options_.max_cached) similar_.clear();
    }
    auto seen = seen_.find(cache_key);
    if (seen != seen_.end() && now - seen->second.last < options_.window) {
      count = ++seen->second.count;
      seen->second.last = now;
      event_name = seen->second.event_name;
      event_ns = seen->second.event_ns;
      Touch(cache_key);
    }
  }

  if (!event_name.empty()) {
    nlohmann::json patch = {
        {"count", count}, {"lastTimestamp", Timestamp(clock_->WallNow())}, {"message", note}};
    auto res = client_->Patch(kube::resources::Events(), event_ns, event_name,
                              kube::PatchType::kMerge, patch);
    if (res.ok()) return OkStatus();
    if (!kube::IsNotFound(res.status())) return res.status();
    // The Event expired (the API server keeps them for an hour): start anew.
  }
  return Create(cache_key, object, type, reason, note, now);
}

Status EventRecorder::Create(const std::string& cache_key, const ObjectReference& object,
                             EventType type, std::string_view reason, const std::string& note,
                             kube::MonoTime now) {
  const kube::WallTime wall = clock_->WallNow();
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = ++sequence_;
  }
  char suffix[32];
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch());
  std::snprintf(suffix, sizeof suffix, ".%llx",
                static_cast<unsigned long long>(nanos.count()) + seq);
  std::string name = object.name.substr(0, 200) + suffix;
  std::string ns = object.ns.empty() ? "default" : object.ns;

  nlohmann::json involved = {{"kind", object.kind}, {"name", object.name}};
  if (!object.api_version.empty()) involved["apiVersion"] = object.api_version;
  if (!object.ns.empty()) involved["namespace"] = object.ns;
  if (!object.uid.empty()) involved["uid"] = object.uid;
  if (!object.resource_version.empty()) involved["resourceVersion"] = object.resource_version;

  nlohmann::json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject", involved},
      {"reason", std::string(reason)},
      {"message", note},
      {"type", type == EventType::kWarning ? "Warning" : "Normal"},
      {"source", {{"component", options_.component}}},
      {"reportingComponent", options_.component},
      {"firstTimestamp", Timestamp(wall)},
      {"lastTimestamp", Timestamp(wall)},
      {"count", 1},
  };
  if (!options_.instance.empty()) event["reportingInstance"] = options_.instance;
  auto res = client_->Create(kube::resources::Events(), ns, event);
  if (!res.ok()) return res.status();

  std::lock_guard<std::mutex> lock(mu_);
  Seen& s = seen_[cache_key];
  s.event_name = name;
  s.event_ns = ns;
  s.count = 1;
  s.last = now;
  s.first_timestamp = Timestamp(wall);
  Touch(cache_key);
  return OkStatus();
}

}  // namespace prebell::runtime
