// Reading a YAML manifest field by field, collecting every problem
// (ManifestProblem, with the line from yaml-cpp's Mark).
//
// ManifestObject reads one YAML mapping the way the Kubernetes API server
// reads a structural schema: every key must be known (a misspelt
// `recurence` is reported, not ignored), a key may appear once, a string
// field must not hold a plain YAML number, boolean or null (the API server
// would reject `course: 101` as "must be of type string"), an integer field
// must hold a plain integer. Nothing here throws; yaml-cpp exceptions are
// caught by the caller that loads the text (timetable_manifest.cc).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "policies/timetable/manifest_problem.h"

namespace prebell {

class ManifestProblems {
 public:
  explicit ManifestProblems(std::string file) : file_(std::move(file)) {}

  void Add(const YAML::Mark& mark, std::string field, std::string message);
  void AddAtLine(int line, std::string field, std::string message);

  // Guards against alias bombs: every node the reader visits is counted,
  // and past the limit reading stops with one problem.
  bool Visit(const YAML::Mark& mark);
  bool exhausted() const { return exhausted_; }

  const std::string& file() const { return file_; }
  const std::vector<ManifestProblem>& problems() const { return problems_; }
  std::vector<ManifestProblem> Take() { return std::move(problems_); }

  static constexpr int64_t kMaxVisitedNodes = 500'000;

 private:
  std::string file_;
  std::vector<ManifestProblem> problems_;
  int64_t visited_ = 0;
  bool exhausted_ = false;
};

enum class Presence { kOptional, kRequired };

// How a plain (unquoted) YAML scalar resolves in the YAML 1.1 rules that the
// Kubernetes tooling (go-yaml) applies.
enum class PlainScalarType { kString, kInteger, kFloat, kBoolean, kNull };
PlainScalarType ResolvePlainScalar(std::string_view text);

class ManifestObject {
 public:
  // Reports a problem (and reads nothing) when `node` is not a mapping.
  // `path` is the field path of the mapping itself ("" for the document).
  ManifestObject(const YAML::Node& node, std::string path, const YAML::Mark& where,
                 ManifestProblems* problems);

  bool valid() const { return valid_; }
  const YAML::Mark& mark() const { return mark_; }
  std::string PathOf(std::string_view key) const;

  // A string field; nullopt when absent (a problem if required) or bad.
  // `max_length` 0: no limit.
  std::optional<std::string> String(std::string_view key, Presence presence, size_t max_length = 0);
  // An integer field in [min, max].
  std::optional<int64_t> Integer(std::string_view key, Presence presence, int64_t min, int64_t max);
  // A mapping or sequence field: the node (undefined when absent; a problem
  // if required), and where to report problems about it.
  YAML::Node Child(std::string_view key, Presence presence);
  YAML::Mark MarkOf(std::string_view key) const;
  // A known key whose value is not read (status, annotations).
  void Allow(std::string_view key);

  // Reports every key not asked for as an unknown field. Call once, last.
  void ReportUnknownFields(std::string_view known_hint);

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
    YAML::Mark key_mark;
  };
  const Entry* Find(std::string_view key);
  // The mark for a problem with `e`'s value (the key's line when the value
  // is empty and yaml-cpp has no useful mark for it).
  static YAML::Mark ValueMark(const Entry& e);

  std::string path_;
  YAML::Mark mark_;
  ManifestProblems* problems_;
  bool valid_ = false;
  std::vector<Entry> entries_;
  std::set<std::string, std::less<>> asked_;
};

// "a string", "the number 101", ... for messages about a node's type.
std::string DescribeNode(const YAML::Node& node);

// Reads `node` (a scalar) as a string as ManifestObject::String does.
std::optional<std::string> ScalarString(const YAML::Node& node, const std::string& path,
                                        const YAML::Mark& where, ManifestProblems* problems,
                                        size_t max_length = 0);

}  // namespace prebell
