#include "policies/timetable/manifest_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace prebell {
namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kFloatTag = "tag:yaml.org,2002:float";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";
constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";

bool IsPlain(const YAML::Node& n) { return n.Tag() == "?" || n.Tag().empty(); }
bool IsQuotedOrStr(const YAML::Node& n) { return n.Tag() == "!" || n.Tag() == kStrTag; }

// The type a scalar has for a YAML 1.1 reader, after its tag.
PlainScalarType ScalarType(const YAML::Node& n) {
  if (IsQuotedOrStr(n)) return PlainScalarType::kString;
  if (IsPlain(n)) return ResolvePlainScalar(n.Scalar());
  if (n.Tag() == kIntTag) return PlainScalarType::kInteger;
  if (n.Tag() == kFloatTag) return PlainScalarType::kFloat;
  if (n.Tag() == kBoolTag) return PlainScalarType::kBoolean;
  if (n.Tag() == kNullTag) return PlainScalarType::kNull;
  return PlainScalarType::kString;  // unknown tags are reported by the caller
}

bool KnownTag(const YAML::Node& n) {
  return IsPlain(n) || IsQuotedOrStr(n) || n.Tag() == kIntTag || n.Tag() == kFloatTag ||
         n.Tag() == kBoolTag || n.Tag() == kNullTag;
}

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool DigitsOr(std::string_view s, std::string_view extra) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
  });
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

std::string Truncated(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 57)) + "...";
}

}  // namespace

void ManifestProblems::Add(const YAML::Mark& mark, std::string field, std::string message) {
  AddAtLine(mark.is_null() ? 0 : mark.line + 1, std::move(field), std::move(message));
}

void ManifestProblems::AddAtLine(int line, std::string field, std::string message) {
  problems_.push_back(ManifestProblem{file_, line, std::move(field), std::move(message)});
}

bool ManifestProblems::Visit(const YAML::Mark& mark) {
  if (exhausted_) return false;
  if (++visited_ <= kMaxVisitedNodes) return true;
  exhausted_ = true;
  Add(mark, "",
      "the file has more than " + std::to_string(kMaxVisitedNodes) +
          " YAML nodes (counting every use of an alias); reading stopped here");
  return false;
}

PlainScalarType ResolvePlainScalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return PlainScalarType::kNull;
  }
  static constexpr std::string_view kBooleans[] = {
      "y",    "Y",    "yes",   "Yes",   "YES",   "n",  "N",  "no", "No",  "NO",  "true",
      "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  if (std::find(std::begin(kBooleans), std::end(kBooleans), s) != std::end(kBooleans)) {
    return PlainScalarType::kBoolean;
  }
  std::string_view body = s;
  if (body.front() == '+' || body.front() == '-') body.remove_prefix(1);
  if (body.empty()) return PlainScalarType::kString;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') &&
      std::all_of(body.begin() + 2, body.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return PlainScalarType::kInteger;
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'o') &&
      DigitsOr(body.substr(2), "_")) {
    return PlainScalarType::kInteger;
  }
  if (body[0] >= '0' && body[0] <= '9' && DigitsOr(body, "_")) return PlainScalarType::kInteger;
  if (body == ".inf" || body == ".Inf" || body == ".INF" || s == ".nan" || s == ".NaN" ||
      s == ".NAN") {
    return PlainScalarType::kFloat;
  }
  // [0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? or \.[0-9]+(...)
  size_t i = 0;
  const size_t int_start = i;
  while (i < body.size() && ((body[i] >= '0' && body[i] <= '9') || body[i] == '_')) ++i;
  const bool int_part = i > int_start;
  bool frac_part = false;
  if (i < body.size() && body[i] == '.') {
    ++i;
    const size_t f = i;
    while (i < body.size() && ((body[i] >= '0' && body[i] <= '9') || body[i] == '_')) ++i;
    frac_part = i > f;
    if (!int_part && !frac_part) return PlainScalarType::kString;
    if (int_part && !frac_part) frac_part = true;  // "1." is a float
  } else if (!int_part) {
    return PlainScalarType::kString;
  }
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    if (!Digits(body.substr(i))) return PlainScalarType::kString;
    return PlainScalarType::kFloat;
  }
  if (i != body.size()) return PlainScalarType::kString;
  return frac_part ? PlainScalarType::kFloat : PlainScalarType::kInteger;
}

std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null (an empty value)";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  const std::string text = Truncated(node.Scalar());
  switch (ScalarType(node)) {
    case PlainScalarType::kString:
      return "the string " + Quote(text);
    case PlainScalarType::kInteger:
    case PlainScalarType::kFloat:
      return "the number " + text;
    case PlainScalarType::kBoolean:
      return "the boolean " + text;
    case PlainScalarType::kNull:
      return "null (" + text + ")";
  }
  return "the scalar " + Quote(text);
}

std::optional<std::string> ScalarString(const YAML::Node& node, const std::string& path,
                                        const YAML::Mark& where, ManifestProblems* problems,
                                        size_t max_length) {
  if (!node.IsScalar()) {
    problems->Add(where, path, "must be a string, not " + DescribeNode(node));
    return std::nullopt;
  }
  if (!KnownTag(node)) {
    problems->Add(where, path, "unsupported YAML tag " + Quote(node.Tag()));
    return std::nullopt;
  }
  const PlainScalarType type = ScalarType(node);
  if (type != PlainScalarType::kString) {
    problems->Add(where, path,
                  "must be a string, not " + DescribeNode(node) +
                      " (quote it: " + Quote(Truncated(node.Scalar())) + ")");
    return std::nullopt;
  }
  if (max_length != 0 && node.Scalar().size() > max_length) {
    problems->Add(where, path, "is longer than " + std::to_string(max_length) + " characters");
    return std::nullopt;
  }
  return node.Scalar();
}

ManifestObject::ManifestObject(const YAML::Node& node, std::string path, const YAML::Mark& where,
                               ManifestProblems* problems)
    : path_(std::move(path)), mark_(where), problems_(problems) {
  if (!problems_->Visit(where)) return;
  if (!node.IsMap()) {
    problems_->Add(where, path_, "must be a mapping of fields, not " + DescribeNode(node));
    return;
  }
  if (!node.Mark().is_null()) mark_ = node.Mark();
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!problems_->Visit(it->first.Mark())) {
      valid_ = false;
      return;
    }
    if (!it->first.IsScalar()) {
      problems_->Add(it->first.Mark(), path_,
                     "a field name must be a string, not " + DescribeNode(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    const bool duplicate =
        std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
    if (duplicate) {
      problems_->Add(it->first.Mark(), PathOf(key), "the field is given more than once");
      asked_.insert(key);
      continue;
    }
    entries_.push_back(Entry{key, it->second, it->first.Mark()});
  }
}

std::string ManifestObject::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const ManifestObject::Entry* ManifestObject::Find(std::string_view key) {
  asked_.insert(std::string(key));
  for (const Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

YAML::Mark ManifestObject::ValueMark(const Entry& e) {
  if (!e.value.IsDefined() || e.value.IsNull() || e.value.Mark().is_null()) return e.key_mark;
  return e.value.Mark();
}

YAML::Mark ManifestObject::MarkOf(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return ValueMark(e);
  }
  return mark_;
}

std::optional<std::string> ManifestObject::String(std::string_view key, Presence presence,
                                                  size_t max_length) {
  if (!valid_) return std::nullopt;
  const Entry* e = Find(key);
  if (e == nullptr || e->value.IsNull()) {
    if (presence == Presence::kRequired) {
      problems_->Add(e ? e->key_mark : mark_, PathOf(key),
                     e ? "required field is empty" : "required field is missing");
    }
    return std::nullopt;
  }
  return ScalarString(e->value, PathOf(key), ValueMark(*e), problems_, max_length);
}

std::optional<int64_t> ManifestObject::Integer(std::string_view key, Presence presence, int64_t min,
                                               int64_t max) {
  if (!valid_) return std::nullopt;
  const Entry* e = Find(key);
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (e == nullptr || e->value.IsNull()) {
    if (presence == Presence::kRequired) {
      problems_->Add(e ? e->key_mark : mark_, PathOf(key),
                     e ? "required field is empty" : "required field is missing");
    }
    return std::nullopt;
  }
  const YAML::Node& v = e->value;
  const std::string path = PathOf(key);
  if (!v.IsScalar() || !KnownTag(v)) {
    problems_->Add(ValueMark(*e), path, "must be an integer, not " + DescribeNode(v));
    return std::nullopt;
  }
  const PlainScalarType type = ScalarType(v);
  if (type == PlainScalarType::kString) {
    problems_->Add(ValueMark(*e), path,
                   "must be an integer, not " + DescribeNode(v) +
                       (Digits(v.Scalar()) ? " (remove the quotes)" : ""));
    return std::nullopt;
  }
  if (type != PlainScalarType::kInteger) {
    problems_->Add(ValueMark(*e), path,
                   "must be an integer in " + range + ", not " + DescribeNode(v));
    return std::nullopt;
  }
  std::string_view text = v.Scalar();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    problems_->Add(ValueMark(*e), path, Truncated(v.Scalar()) + " is out of range (" + range + ")");
    return std::nullopt;
  }
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    problems_->Add(ValueMark(*e), path,
                   "write the integer " + Quote(Truncated(v.Scalar())) + " in plain decimal");
    return std::nullopt;
  }
  if (value < min || value > max) {
    problems_->Add(ValueMark(*e), path,
                   std::to_string(value) + " is out of range (expected " + range + ")");
    return std::nullopt;
  }
  return value;
}

YAML::Node ManifestObject::Child(std::string_view key, Presence presence) {
  if (!valid_) return YAML::Node();
  const Entry* e = Find(key);
  if (e == nullptr || e->value.IsNull()) {
    if (presence == Presence::kRequired) {
      problems_->Add(e ? e->key_mark : mark_, PathOf(key),
                     e ? "required field is empty" : "required field is missing");
    }
    return YAML::Node();
  }
  return e->value;
}

void ManifestObject::Allow(std::string_view key) { asked_.insert(std::string(key)); }

void ManifestObject::ReportUnknownFields(std::string_view known_hint) {
  if (!valid_) return;
  for (const Entry& e : entries_) {
    if (asked_.count(e.key) != 0) continue;
    std::string message = "unknown field";
    std::string best;
    size_t best_distance = 3;  // suggest only close spellings
    for (const std::string& k : asked_) {
      const size_t d = EditDistance(e.key, k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    if (!best.empty()) message += " (did you mean " + Quote(best) + "?)";
    if (!known_hint.empty()) message += "; known fields: " + std::string(known_hint);
    problems_->Add(e.key_mark, PathOf(e.key), message);
  }
}

}  // namespace prebell
