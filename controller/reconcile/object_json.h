// Reading and writing the JSON of Kubernetes objects, for the reconcilers.
//
// The Timetable and ScalingPolicy parsers in policies/ read YAML manifests;
// JSON is YAML, so an object from the API server goes through the very same
// validation as a file given to `prebell validate` (one parser, one set of
// rules). ManifestTextOf keeps only what a manifest may carry, so that
// server-filled fields (uid, managedFields, status) never count as problems.
// Nothing here throws: a field of the wrong type reads as absent.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/actuation/condition.h"
#include "policies/common/time_text.h"

namespace prebell::reconcile {

// apiVersion, kind, metadata.{name, namespace, labels, generation} and spec,
// as JSON text.
std::string ManifestTextOf(const nlohmann::json& object);

// object["a"]["b"]... or nullptr when any step is missing or not an object.
const nlohmann::json* FindPath(const nlohmann::json& object,
                               std::initializer_list<std::string_view> path);
std::optional<std::string> StringAt(const nlohmann::json& object,
                                    std::initializer_list<std::string_view> path);
std::optional<int64_t> IntAt(const nlohmann::json& object,
                             std::initializer_list<std::string_view> path);
std::optional<std::string> Annotation(const nlohmann::json& object, std::string_view name);
int64_t GenerationOf(const nlohmann::json& object);
bool IsBeingDeleted(const nlohmann::json& object);

// A condition to SetCondition (its transition time is SetCondition's).
Condition MakeCondition(std::string type, bool is_true, int64_t observed_generation,
                        std::string reason, std::string message);

// status.conditions[] <-> Condition. Unparseable entries are skipped.
std::vector<Condition> ReadConditions(const nlohmann::json& object);
nlohmann::json ConditionsToJson(const std::vector<Condition>& conditions);

// An Instant as RFC 3339, the way the API server writes metav1.Time.
std::string TimeText(Instant t);

// Joins problems into one message of at most `max_bytes` ("...and N more").
std::string JoinProblems(const std::vector<std::string>& problems, size_t max_bytes = 1024);

}  // namespace prebell::reconcile
