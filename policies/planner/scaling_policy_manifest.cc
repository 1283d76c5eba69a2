#include "policies/planner/scaling_policy_manifest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string>

#include "policies/common/yaml_documents.h"

namespace prebell {
namespace {

constexpr std::string_view kApiVersion = "prebell.io/v1alpha1";

// Collects "FILE:LINE: FIELD: PROBLEM" lines.
class Errors {
 public:
  explicit Errors(std::string_view file) : file_(file) {}

  void Add(const YAML::Node& at, std::string_view field, std::string_view problem) {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    AddAtLine(line, field, problem);
  }
  void AddAtLine(int line, std::string_view field, std::string_view problem) {
    std::string m(file_);
    if (line > 0) m += ":" + std::to_string(line);
    m += ": ";
    m += field;
    m += ": ";
    m += problem;
    lines_.push_back(std::move(m));
    line_of_.push_back(line);
  }
  bool empty() const { return lines_.empty(); }
  size_t size() const { return lines_.size(); }
  // One line per problem, in file order.
  Status ToStatus() const {
    std::vector<std::pair<int, std::string>> sorted;
    for (size_t i = 0; i < lines_.size(); ++i) sorted.emplace_back(line_of_[i], lines_[i]);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string all;
    for (const auto& [line, l] : sorted) {
      if (!all.empty()) all += "\n";
      all += l;
    }
    return InvalidArgumentError(all);
  }

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<int> line_of_;
};

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Describe(const YAML::Node& n) {
  if (n.IsScalar()) return Quote(n.Scalar());
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "null";
}

// A scalar string; reports and returns nullopt otherwise.
std::optional<std::string> ReadString(const YAML::Node& n, std::string_view field, Errors& errors) {
  if (!n.IsScalar()) {
    errors.Add(n, field, "expected a string, got " + Describe(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<int64_t> ReadInt(const YAML::Node& n, std::string_view field, Errors& errors) {
  if (!n.IsScalar()) {
    errors.Add(n, field, "expected an integer, got " + Describe(n));
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    errors.Add(n, field, Quote(s) + " is not an integer");
    return std::nullopt;
  }
  return v;
}

std::optional<double> ReadNumber(const YAML::Node& n, std::string_view field, Errors& errors) {
  if (!n.IsScalar()) {
    errors.Add(n, field, "expected a number, got " + Describe(n));
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    errors.Add(n, field, Quote(s) + " is not a finite number");
    return std::nullopt;
  }
  return v;
}

// A duration; "0" and "0s" are accepted where `allow_zero`.
std::optional<Duration> ReadDuration(const YAML::Node& n, std::string_view field, bool allow_zero,
                                     Errors& errors) {
  auto s = ReadString(n, field, errors);
  if (!s) return std::nullopt;
  if (allow_zero && (*s == "0" || *s == "0s")) return Duration{0};
  auto d = ParseDuration(*s);
  if (!d.ok()) {
    errors.Add(n, field, d.status().message());
    return std::nullopt;
  }
  return *d;
}

// "4" or "50%".
std::optional<StepLimit> ReadStepLimit(const YAML::Node& n, std::string_view field,
                                       Errors& errors) {
  if (!n.IsScalar()) {
    errors.Add(n, field, "expected a replica count or a percentage, got " + Describe(n));
    return std::nullopt;
  }
  std::string s = n.Scalar();
  StepLimit limit;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !(v > 0) || v > 1000) {
      errors.Add(n, field, Quote(n.Scalar()) + " is not a percentage in (0%, 1000%]");
      return std::nullopt;
    }
    limit.percent = v;
    return limit;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 1 || v > kMaxReplicasCeiling) {
    errors.Add(n, field,
               Quote(s) + " is not a replica count in [1, " + std::to_string(kMaxReplicasCeiling) +
                   "] or a percentage such as '50%'");
    return std::nullopt;
  }
  limit.replicas = static_cast<int32_t>(v);
  return limit;
}

void CheckKnownKeys(const YAML::Node& map, const std::set<std::string>& known,
                    const std::string& prefix, Errors& errors) {
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (!known.count(key)) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      errors.Add(kv.first, prefix + key, "unknown field (known: " + list + ")");
    }
  }
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

void ParseSelector(const YAML::Node& n, const std::string& field, LabelSelector& out,
                   Errors& errors) {
  if (!n.IsMap()) {
    errors.Add(n, field,
               "expected a mapping with matchLabels/matchExpressions, got " + Describe(n));
    return;
  }
  CheckKnownKeys(n, {"matchLabels", "matchExpressions"}, field + ".", errors);
  if (const YAML::Node ml = n["matchLabels"]; ml) {
    if (!ml.IsMap()) {
      errors.Add(ml, field + ".matchLabels", "expected a mapping, got " + Describe(ml));
    } else {
      for (const auto& kv : ml) {
        const std::string key = kv.first.Scalar();
        if (auto v = ReadString(kv.second, field + ".matchLabels." + key, errors)) {
          out.match_labels[key] = *v;
        }
      }
    }
  }
  if (const YAML::Node me = n["matchExpressions"]; me) {
    if (!me.IsSequence()) {
      errors.Add(me, field + ".matchExpressions", "expected a list, got " + Describe(me));
      return;
    }
    for (size_t i = 0; i < me.size(); ++i) {
      const std::string f = field + ".matchExpressions[" + std::to_string(i) + "]";
      const YAML::Node e = me[i];
      if (!e.IsMap()) {
        errors.Add(e, f, "expected a mapping, got " + Describe(e));
        continue;
      }
      CheckKnownKeys(e, {"key", "operator", "values"}, f + ".", errors);
      LabelRequirement r;
      if (auto k = e["key"] ? ReadString(e["key"], f + ".key", errors) : std::nullopt) r.key = *k;
      if (!e["key"]) errors.Add(e, f + ".key", "required");
      if (!e["operator"]) {
        errors.Add(e, f + ".operator", "required");
      } else if (auto o = ReadString(e["operator"], f + ".operator", errors)) {
        auto op = ParseLabelOperator(*o);
        if (!op.ok()) {
          errors.Add(e["operator"], f + ".operator", op.status().message());
        } else {
          r.op = *op;
        }
      }
      if (const YAML::Node vs = e["values"]; vs) {
        if (!vs.IsSequence()) {
          errors.Add(vs, f + ".values", "expected a list, got " + Describe(vs));
        } else {
          for (size_t j = 0; j < vs.size(); ++j) {
            if (auto v = ReadString(vs[j], f + ".values[" + std::to_string(j) + "]", errors)) {
              r.values.push_back(*v);
            }
          }
        }
      }
      out.match_expressions.push_back(std::move(r));
    }
    if (Status s = ValidateLabelSelector(out); !s.ok()) errors.Add(me, field, s.message());
  }
}

void ParseTarget(const YAML::Node& n, const std::string& field, ScalingTarget& t, Errors& errors) {
  if (!n.IsMap()) {
    errors.Add(n, field, "expected a mapping, got " + Describe(n));
    return;
  }
  CheckKnownKeys(n,
                 {"name", "scaleTargetRef", "connectionsPerReplica", "sessionsPerReplica", "warmup",
                  "minReplicas", "maxReplicas", "headroom", "maxScaleUpStep", "maxScaleDownStep",
                  "stepPeriod", "scaleDownDelay"},
                 field + ".", errors);
  if (!n["name"]) {
    errors.Add(n, field + ".name", "required");
  } else if (auto s = ReadString(n["name"], field + ".name", errors)) {
    if (!IsDnsLabel(*s)) {
      errors.Add(n["name"], field + ".name",
                 Quote(*s) + " is not a DNS label (lower-case letters, digits, '-')");
    }
    t.name = *s;
  }

  if (const YAML::Node ref = n["scaleTargetRef"]; !ref) {
    errors.Add(n, field + ".scaleTargetRef", "required");
  } else if (!ref.IsMap()) {
    errors.Add(ref, field + ".scaleTargetRef", "expected a mapping, got " + Describe(ref));
  } else {
    const std::string rf = field + ".scaleTargetRef";
    CheckKnownKeys(ref, {"apiVersion", "kind", "name"}, rf + ".", errors);
    for (const char* key : {"apiVersion", "kind", "name"}) {
      if (!ref[key]) errors.Add(ref, rf + "." + key, "required");
    }
    if (ref["apiVersion"]) {
      if (auto s = ReadString(ref["apiVersion"], rf + ".apiVersion", errors)) {
        t.scale_target_ref.api_version = *s;
      }
    }
    if (ref["kind"]) {
      if (auto s = ReadString(ref["kind"], rf + ".kind", errors)) {
        if (*s != "Deployment" && *s != "StatefulSet" && *s != "HorizontalPodAutoscaler") {
          errors.Add(ref["kind"], rf + ".kind",
                     Quote(*s) + " is not Deployment, StatefulSet or HorizontalPodAutoscaler");
        }
        t.scale_target_ref.kind = *s;
      }
    }
    if (ref["name"]) {
      if (auto s = ReadString(ref["name"], rf + ".name", errors)) {
        if (s->empty()) errors.Add(ref["name"], rf + ".name", "must not be empty");
        t.scale_target_ref.name = *s;
      }
    }
  }

  const YAML::Node cpr = n["connectionsPerReplica"];
  const YAML::Node spr = n["sessionsPerReplica"];
  if (cpr && spr) {
    errors.Add(spr, field, "give either connectionsPerReplica or sessionsPerReplica, not both");
  } else if (!cpr && !spr) {
    errors.Add(n, field + ".connectionsPerReplica",
               "required (or sessionsPerReplica): what one replica carries");
  } else {
    const bool conn = static_cast<bool>(cpr);
    const std::string f = field + (conn ? ".connectionsPerReplica" : ".sessionsPerReplica");
    if (auto v = ReadNumber(conn ? cpr : spr, f, errors)) {
      if (!(*v > 0) || *v > 1e9) {
        errors.Add(conn ? cpr : spr, f, "must be in (0, 1e9], got " + (conn ? cpr : spr).Scalar());
      }
      t.per_replica = *v;
      t.unit = conn ? CapacityUnit::kConnections : CapacityUnit::kSessions;
    }
  }

  if (n["warmup"]) {
    if (auto d = ReadDuration(n["warmup"], field + ".warmup", /*allow_zero=*/true, errors)) {
      if (*d > std::chrono::hours(1)) {
        errors.Add(n["warmup"], field + ".warmup", "must be at most 1h, got " + FormatDuration(*d));
      }
      t.warmup = *d;
    }
  }
  bool min_ok = true, max_ok = false;
  if (n["minReplicas"]) {
    if (auto v = ReadInt(n["minReplicas"], field + ".minReplicas", errors)) {
      if (*v < 0 || *v > kMaxReplicasCeiling) {
        errors.Add(n["minReplicas"], field + ".minReplicas",
                   "must be in [0, " + std::to_string(kMaxReplicasCeiling) + "], got " +
                       std::to_string(*v));
        min_ok = false;
      } else {
        t.min_replicas = static_cast<int32_t>(*v);
      }
    } else {
      min_ok = false;
    }
  }
  if (!n["maxReplicas"]) {
    errors.Add(n, field + ".maxReplicas", "required: the ceiling prebell never goes above");
  } else if (auto v = ReadInt(n["maxReplicas"], field + ".maxReplicas", errors)) {
    if (*v < 1 || *v > kMaxReplicasCeiling) {
      errors.Add(
          n["maxReplicas"], field + ".maxReplicas",
          "must be in [1, " + std::to_string(kMaxReplicasCeiling) + "], got " + std::to_string(*v));
    } else {
      t.max_replicas = static_cast<int32_t>(*v);
      max_ok = true;
    }
  }
  if (min_ok && max_ok && t.min_replicas > t.max_replicas) {
    errors.Add(n["maxReplicas"], field + ".maxReplicas",
               "must be at least minReplicas (" + std::to_string(t.min_replicas) + "), got " +
                   std::to_string(t.max_replicas));
  }
  if (n["headroom"]) {
    if (auto v = ReadNumber(n["headroom"], field + ".headroom", errors)) {
      if (*v < 0 || *v > 10) {
        errors.Add(
            n["headroom"], field + ".headroom",
            "must be a fraction in [0, 10] (0.2 = 20 % extra), got " + n["headroom"].Scalar());
      }
      t.headroom = *v;
    }
  }
  if (n["maxScaleUpStep"]) {
    if (auto l = ReadStepLimit(n["maxScaleUpStep"], field + ".maxScaleUpStep", errors)) {
      t.max_scale_up_step = *l;
    }
  }
  if (n["maxScaleDownStep"]) {
    if (auto l = ReadStepLimit(n["maxScaleDownStep"], field + ".maxScaleDownStep", errors)) {
      t.max_scale_down_step = *l;
    }
  }
  if (n["stepPeriod"]) {
    if (auto d = ReadDuration(n["stepPeriod"], field + ".stepPeriod", false, errors)) {
      if (*d > std::chrono::hours(1)) {
        errors.Add(n["stepPeriod"], field + ".stepPeriod", "must be at most 1h");
      }
      t.step_period = *d;
    }
  }
  if (n["scaleDownDelay"]) {
    if (auto d = ReadDuration(n["scaleDownDelay"], field + ".scaleDownDelay", true, errors)) {
      if (*d > std::chrono::hours(24)) {
        errors.Add(n["scaleDownDelay"], field + ".scaleDownDelay", "must be at most 24h");
      }
      t.scale_down_delay = *d;
    }
  }
}

void ParseDocument(const YAML::Node& doc, Errors& errors, ScalingPolicy& p) {
  if (const YAML::Node v = doc["apiVersion"]; !v) {
    errors.Add(doc, "apiVersion", "required (" + std::string(kApiVersion) + ")");
  } else if (!v.IsScalar() || v.Scalar() != kApiVersion) {
    errors.Add(v, "apiVersion",
               Describe(v) + " is not supported (expected " + std::string(kApiVersion) + ")");
  }
  const YAML::Node meta = doc["metadata"];
  if (!meta || !meta.IsMap()) {
    errors.Add(meta ? meta : doc, "metadata", "required: a mapping with at least a name");
  } else {
    if (!meta["name"]) {
      errors.Add(meta, "metadata.name", "required");
    } else if (auto s = ReadString(meta["name"], "metadata.name", errors)) {
      if (s->empty()) errors.Add(meta["name"], "metadata.name", "must not be empty");
      p.name = *s;
    }
    if (meta["namespace"]) {
      if (auto s = ReadString(meta["namespace"], "metadata.namespace", errors)) {
        p.namespace_name = *s;
      }
    }
    if (p.namespace_name.empty()) p.namespace_name = "default";
    if (const YAML::Node labels = meta["labels"]; labels) {
      if (!labels.IsMap()) {
        errors.Add(labels, "metadata.labels", "expected a mapping, got " + Describe(labels));
      } else {
        for (const auto& kv : labels) {
          const std::string key = kv.first.Scalar();
          if (auto v = ReadString(kv.second, "metadata.labels." + key, errors)) {
            p.labels[key] = *v;
          }
        }
      }
    }
    if (meta["generation"]) {
      if (auto g = ReadInt(meta["generation"], "metadata.generation", errors)) p.generation = *g;
    }
  }

  const YAML::Node spec = doc["spec"];
  if (!spec || !spec.IsMap()) {
    errors.Add(spec ? spec : doc, "spec", "required: a mapping");
    return;
  }
  CheckKnownKeys(spec, {"timetableSelector", "demand", "targets", "mode"}, "spec.", errors);
  if (spec["timetableSelector"]) {
    ParseSelector(spec["timetableSelector"], "spec.timetableSelector", p.timetable_selector,
                  errors);
  }
  if (const YAML::Node demand = spec["demand"]; demand) {
    if (!demand.IsMap()) {
      errors.Add(demand, "spec.demand", "expected a mapping, got " + Describe(demand));
    } else {
      CheckKnownKeys(demand, {"connectionsQuery"}, "spec.demand.", errors);
      if (demand["connectionsQuery"]) {
        if (auto s =
                ReadString(demand["connectionsQuery"], "spec.demand.connectionsQuery", errors)) {
          p.connections_query = *s;
        }
      }
    }
  }
  if (spec["mode"]) {
    if (auto s = ReadString(spec["mode"], "spec.mode", errors)) {
      if (*s == "Active") {
        p.mode = PolicyMode::kActive;
      } else if (*s == "Shadow") {
        p.mode = PolicyMode::kShadow;
      } else {
        errors.Add(spec["mode"], "spec.mode", Quote(*s) + " is not Active or Shadow");
      }
    }
  }
  const YAML::Node targets = spec["targets"];
  if (!targets) {
    errors.Add(spec, "spec.targets", "required: at least one target");
    return;
  }
  if (!targets.IsSequence() || targets.size() == 0) {
    errors.Add(targets, "spec.targets", "expected a non-empty list, got " + Describe(targets));
    return;
  }
  std::set<std::string> names;
  bool any_connections = false;
  for (size_t i = 0; i < targets.size(); ++i) {
    const std::string f = "spec.targets[" + std::to_string(i) + "]";
    ScalingTarget t;
    ParseTarget(targets[i], f, t, errors);
    if (!t.name.empty() && !names.insert(t.name).second) {
      errors.Add(targets[i]["name"], f + ".name", "duplicate target name " + Quote(t.name));
    }
    any_connections |= t.unit == CapacityUnit::kConnections && t.per_replica > 0;
    p.targets.push_back(std::move(t));
  }
  if (any_connections && p.connections_query.empty()) {
    errors.Add(spec["demand"] ? spec["demand"] : spec, "spec.demand.connectionsQuery",
               "required when a target uses connectionsPerReplica");
  }
}

}  // namespace

StatusOr<std::vector<ScalingPolicy>> ParseScalingPolicyManifest(std::string_view text,
                                                                std::string_view file_name) {
  Errors errors(file_name);
  std::vector<YAML::Node> docs;
  try {
    docs = LoadYamlDocuments(std::string(text));
  } catch (const YAML::Exception& e) {
    errors.AddAtLine(e.mark.line + 1, "(document)", "not valid YAML: " + e.msg);
    return errors.ToStatus();
  }
  std::vector<ScalingPolicy> out;
  try {
    for (const YAML::Node& doc : docs) {
      if (!doc || doc.IsNull()) continue;
      if (!doc.IsMap()) {
        errors.Add(doc, "(document)", "expected a mapping, got " + Describe(doc));
        continue;
      }
      const YAML::Node kind = doc["kind"];
      if (!kind || !kind.IsScalar()) {
        errors.Add(doc, "kind", "required (ScalingPolicy)");
        continue;
      }
      if (kind.Scalar() != "ScalingPolicy") continue;
      ScalingPolicy p;
      const size_t before = errors.size();
      ParseDocument(doc, errors, p);
      if (errors.size() == before) out.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    errors.AddAtLine(e.mark.line + 1, "(document)", e.msg);
  }
  if (!errors.empty()) return errors.ToStatus();
  if (out.empty()) {
    errors.AddAtLine(0, "kind", "no ScalingPolicy document in the file");
    return errors.ToStatus();
  }
  return out;
}

}  // namespace prebell
