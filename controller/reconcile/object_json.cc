#include "controller/reconcile/object_json.h"

namespace prebell::reconcile {

using nlohmann::json;

std::string ManifestTextOf(const json& object) {
  json out = json::object();
  for (const char* field : {"apiVersion", "kind", "spec"}) {
    if (object.contains(field)) out[field] = object[field];
  }
  json md = json::object();
  if (const json* m = FindPath(object, {"metadata"})) {
    for (const char* field : {"name", "namespace", "labels", "generation"}) {
      if (m->contains(field)) md[field] = (*m)[field];
    }
  }
  out["metadata"] = std::move(md);
  return out.dump();
}

const json* FindPath(const json& object, std::initializer_list<std::string_view> path) {
  const json* at = &object;
  for (std::string_view step : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(step);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::optional<std::string> StringAt(const json& object,
                                    std::initializer_list<std::string_view> path) {
  const json* v = FindPath(object, path);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<int64_t> IntAt(const json& object, std::initializer_list<std::string_view> path) {
  const json* v = FindPath(object, path);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  return v->get<int64_t>();
}

std::optional<std::string> Annotation(const json& object, std::string_view name) {
  const json* annotations = FindPath(object, {"metadata", "annotations"});
  if (annotations == nullptr || !annotations->is_object()) return std::nullopt;
  auto it = annotations->find(name);
  if (it == annotations->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

int64_t GenerationOf(const json& object) {
  return IntAt(object, {"metadata", "generation"}).value_or(0);
}

bool IsBeingDeleted(const json& object) {
  return FindPath(object, {"metadata", "deletionTimestamp"}) != nullptr;
}

Condition MakeCondition(std::string type, bool is_true, int64_t observed_generation,
                        std::string reason, std::string message) {
  Condition c;
  c.type = std::move(type);
  c.status = is_true ? ConditionStatus::kTrue : ConditionStatus::kFalse;
  c.observed_generation = observed_generation;
  c.reason = std::move(reason);
  c.message = std::move(message);
  return c;
}

std::vector<Condition> ReadConditions(const json& object) {
  std::vector<Condition> out;
  const json* list = FindPath(object, {"status", "conditions"});
  if (list == nullptr || !list->is_array()) return out;
  for (const json& item : *list) {
    Condition c;
    auto type = StringAt(item, {"type"});
    auto status = StringAt(item, {"status"});
    if (!type || !status) continue;
    c.type = *type;
    c.status = *status == "True"    ? ConditionStatus::kTrue
               : *status == "False" ? ConditionStatus::kFalse
                                    : ConditionStatus::kUnknown;
    c.observed_generation = IntAt(item, {"observedGeneration"}).value_or(0);
    c.reason = StringAt(item, {"reason"}).value_or("");
    c.message = StringAt(item, {"message"}).value_or("");
    if (auto t = StringAt(item, {"lastTransitionTime"})) {
      if (auto parsed = ParseRfc3339(*t); parsed.ok()) c.last_transition_time = *parsed;
    }
    out.push_back(std::move(c));
  }
  return out;
}

json ConditionsToJson(const std::vector<Condition>& conditions) {
  json out = json::array();
  for (const Condition& c : conditions) {
    out.push_back({{"type", c.type},
                   {"status", std::string(ConditionStatusName(c.status))},
                   {"observedGeneration", c.observed_generation},
                   {"lastTransitionTime", TimeText(c.last_transition_time)},
                   // The API requires a non-empty reason.
                   {"reason", c.reason.empty() ? "Unknown" : c.reason},
                   {"message", c.message}});
  }
  return out;
}

std::string TimeText(Instant t) { return FormatRfc3339(t); }

std::string JoinProblems(const std::vector<std::string>& problems, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < problems.size(); ++i) {
    std::string next = (i == 0 ? "" : "; ") + problems[i];
    if (out.size() + next.size() > max_bytes) {
      out += "; ...and " + std::to_string(problems.size() - i) + " more";
      break;
    }
    out += next;
  }
  return out;
}

}  // namespace prebell::reconcile
