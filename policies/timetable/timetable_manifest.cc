#include "policies/timetable/timetable_manifest.h"

#include <date/date.h>

#include <algorithm>
#include <exception>
#include <map>

#include "policies/common/yaml_documents.h"
#include "policies/timetable/manifest_fields.h"
#include "policies/timetable/rrule.h"
#include "policies/timetable/session_expansion.h"
#include "policies/timetable/time_zone.h"

namespace prebell {
namespace {

constexpr std::string_view kApiVersion = "prebell.io/v1alpha1";
// Limits from the CRD, so that a file `prebell validate` accepts also passes
// the API server.
constexpr size_t kMaxSessions = 2000;
constexpr size_t kMaxCalendars = 32;
constexpr size_t kMaxExclusions = 366;
constexpr int kEarliestYear = 1900;
constexpr int kLatestYear = 2500;

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// RFC 1123 label: what Kubernetes requires of a namespace.
bool IsDnsLabel(std::string_view s) {
  return !s.empty() && s.size() <= 63 && IsLowerAlnum(s.front()) && IsLowerAlnum(s.back()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// RFC 1123 subdomain: what Kubernetes requires of most object names.
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  for (;;) {
    const size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.size() > 63 || !IsLowerAlnum(label.front()) ||
        !IsLowerAlnum(label.back()) || !std::all_of(label.begin(), label.end(), [](char c) {
          return IsLowerAlnum(c) || c == '-';
        })) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// A label value or the name part of a label key: at most 63 characters,
// alphanumerics with '-', '_', '.' inside.
bool IsLabelName(std::string_view s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  return s.size() <= 63 && IsAlnum(s.front()) && IsAlnum(s.back()) &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool IsLabelKey(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return IsLabelName(key, false);
  return IsDnsSubdomain(key.substr(0, slash)) && IsLabelName(key.substr(slash + 1), false);
}

// The CRD's pattern for spec.timeZone: ^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,3}$.
bool IsIanaShaped(std::string_view s) {
  auto part_char = [](char c) { return IsAlnum(c) || c == '_' || c == '+' || c == '-'; };
  if (s.empty() || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return false;
  int slashes = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '/') {
      if (++slashes > 3 || i + 1 == s.size() || s[i + 1] == '/') return false;
    } else if (!part_char(s[i])) {
      return false;
    }
  }
  return true;
}

// Reads a list field whose items are mappings; calls `item` for each.
template <typename Fn>
void ForEachItem(ManifestObject& parent, std::string_view key, size_t max_items,
                 ManifestProblems* problems, Fn&& item) {
  const YAML::Node list = parent.Child(key, Presence::kOptional);
  if (!list.IsDefined() || list.IsNull()) return;
  const std::string path = parent.PathOf(key);
  if (!list.IsSequence()) {
    problems->Add(parent.MarkOf(key), path, "must be a list, not " + DescribeNode(list));
    return;
  }
  if (list.size() > max_items) {
    problems->Add(parent.MarkOf(key), path,
                  "has " + std::to_string(list.size()) + " items, more than the " +
                      std::to_string(max_items) +
                      " a Timetable may hold (split it into several "
                      "Timetables)");
  }
  size_t i = 0;
  for (auto it = list.begin(); it != list.end() && i < max_items; ++it, ++i) {
    if (problems->exhausted()) return;
    const YAML::Mark mark = it->Mark().is_null() ? parent.MarkOf(key) : it->Mark();
    ManifestObject obj(*it, path + "[" + std::to_string(i) + "]", mark, problems);
    item(obj, i);
  }
}

// Reads one Timetable document (or List item) into `out`; problems go to
// `problems`. `prefix` is the field path of the object ("" or "items[2]").
class TimetableReader {
 public:
  TimetableReader(ManifestProblems* problems) : problems_(problems) {}

  // False when the object had problems.
  bool Read(ManifestObject& root, Timetable* out) {
    const size_t before = problems_->problems().size();
    root.String("apiVersion", Presence::kRequired);
    root.String("kind", Presence::kRequired);
    root.Allow("status");
    ReadMetadata(root, out);
    ReadSpec(root, out);
    root.ReportUnknownFields("apiVersion, kind, metadata, spec, status");
    return problems_->problems().size() == before;
  }

 private:
  void ReadMetadata(ManifestObject& root, Timetable* out) {
    const YAML::Node node = root.Child("metadata", Presence::kRequired);
    if (!node.IsDefined() || node.IsNull()) return;
    ManifestObject md(node, root.PathOf("metadata"), root.MarkOf("metadata"), problems_);
    if (std::optional<std::string> name = md.String("name", Presence::kRequired, 253)) {
      if (!IsDnsSubdomain(*name)) {
        problems_->Add(md.MarkOf("name"), md.PathOf("name"),
                       Quote(*name) +
                           " is not a valid Kubernetes name (lower-case letters, "
                           "digits, '-' and '.', starting and ending with a letter "
                           "or digit)");
      }
      out->name = *name;
    }
    if (std::optional<std::string> ns = md.String("namespace", Presence::kOptional, 63)) {
      if (!IsDnsLabel(*ns)) {
        problems_->Add(md.MarkOf("namespace"), md.PathOf("namespace"),
                       Quote(*ns) +
                           " is not a valid namespace (lower-case letters, digits "
                           "and '-', at most 63)");
      }
      out->namespace_name = *ns;
    }
    if (std::optional<int64_t> g = md.Integer("generation", Presence::kOptional, 0, INT64_MAX)) {
      out->generation = *g;
    }
    ReadStringMap(md, "labels", true, &out->labels);
    std::map<std::string, std::string> annotations;
    ReadStringMap(md, "annotations", false, &annotations);
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "managedFields",
                          "finalizers", "ownerReferences", "generateName", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "selfLink"}) {
      md.Allow(k);
    }
    md.ReportUnknownFields("name, namespace, labels, annotations and the other ObjectMeta fields");
  }

  void ReadStringMap(ManifestObject& parent, std::string_view key, bool labels,
                     std::map<std::string, std::string>* out) {
    const YAML::Node node = parent.Child(key, Presence::kOptional);
    if (!node.IsDefined() || node.IsNull()) return;
    const std::string path = parent.PathOf(key);
    if (!node.IsMap()) {
      problems_->Add(parent.MarkOf(key), path, "must be a mapping, not " + DescribeNode(node));
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!problems_->Visit(it->first.Mark())) return;
      if (!it->first.IsScalar()) {
        problems_->Add(it->first.Mark(), path, "keys must be strings");
        continue;
      }
      const std::string k = it->first.Scalar();
      const std::string item_path = path + "." + k;
      const YAML::Mark mark = it->second.Mark().is_null() ? it->first.Mark() : it->second.Mark();
      std::optional<std::string> v = it->second.IsNull()
                                         ? std::optional<std::string>("")
                                         : ScalarString(it->second, item_path, mark, problems_);
      if (!v) continue;
      if (labels && !IsLabelKey(k)) {
        problems_->Add(it->first.Mark(), item_path,
                       "is not a valid label key (an optional DNS prefix and '/', then at most "
                       "63 letters, digits, '-', '_' or '.')");
      } else if (labels && !IsLabelName(*v, true)) {
        problems_->Add(mark, item_path,
                       Quote(*v) +
                           " is not a valid label value (at most 63 letters, digits, "
                           "'-', '_' or '.', starting and ending with a letter or digit)");
      }
      if (!out->emplace(k, *v).second) {
        problems_->Add(it->first.Mark(), item_path, "the key is given more than once");
      }
    }
  }

  void ReadSpec(ManifestObject& root, Timetable* out) {
    const YAML::Node node = root.Child("spec", Presence::kRequired);
    if (!node.IsDefined() || node.IsNull()) return;
    ManifestObject spec(node, root.PathOf("spec"), root.MarkOf("spec"), problems_);
    zone_ = TimeZone::Utc();
    if (std::optional<std::string> tz = spec.String("timeZone", Presence::kRequired, 64)) {
      StatusOr<TimeZone> zone = TimeZone::Find(*tz);
      if (!IsIanaShaped(*tz)) {
        // TimeZone also knows Windows names (for calendars), but the CRD
        // admits only IANA-shaped names: say which one to write.
        const std::string iana = IanaNameForWindowsZone(*tz);
        problems_->Add(spec.MarkOf("timeZone"), spec.PathOf("timeZone"),
                       Quote(*tz) + " is not an IANA time-zone name" +
                           (iana.empty() ? std::string(" such as Europe/London")
                                         : "; it is a Windows name: write " + Quote(iana)));
      } else if (zone.ok()) {
        zone_ = *zone;
        out->time_zone = zone->name();
      } else {
        problems_->Add(spec.MarkOf("timeZone"), spec.PathOf("timeZone"), zone.status().message());
      }
    }
    std::map<std::string, int> session_lines;
    ForEachItem(spec, "sessions", kMaxSessions, problems_, [&](ManifestObject& item, size_t) {
      std::optional<std::string> name;
      std::optional<Session> s = ReadSession(item, &name);
      if (name) {
        auto [it, inserted] = session_lines.emplace(*name, item.mark().line + 1);
        if (!inserted) {
          problems_->Add(item.MarkOf("name"), item.PathOf("name"),
                         "duplicate session name " + Quote(*name) + " (first at line " +
                             std::to_string(it->second) + ")");
          s.reset();
        }
      }
      if (s) out->sessions.push_back(std::move(*s));
    });
    ForEachItem(spec, "calendars", kMaxCalendars, problems_, [&](ManifestObject& item, size_t) {
      if (std::optional<CalendarSource> c = ReadCalendar(item)) out->calendars.push_back(*c);
    });
    ForEachItem(spec, "exclusions", kMaxExclusions, problems_, [&](ManifestObject& item, size_t) {
      if (std::optional<Exclusion> e = ReadExclusion(item)) out->exclusions.push_back(*e);
    });
    spec.ReportUnknownFields("timeZone, sessions, calendars, exclusions");
  }

  std::optional<SessionKind> ReadKind(ManifestObject& item) {
    std::optional<std::string> text = item.String("kind", Presence::kOptional);
    if (!text) return SessionKind::kClass;  // the CRD's default
    StatusOr<SessionKind> kind = ParseSessionKind(*text);
    if (!kind.ok()) {
      problems_->Add(item.MarkOf("kind"), item.PathOf("kind"), kind.status().message());
      return std::nullopt;
    }
    return *kind;
  }

  // `name` is set whenever the session has a readable name, so that
  // duplicates are found among sessions with other problems too.
  std::optional<Session> ReadSession(ManifestObject& item, std::optional<std::string>* name) {
    if (!item.valid()) return std::nullopt;
    const size_t before = problems_->problems().size();
    Session s;
    *name = item.String("name", Presence::kRequired, 128);
    if (*name && (*name)->empty()) {
      problems_->Add(item.MarkOf("name"), item.PathOf("name"), "must not be empty");
    }
    if (*name) s.name = **name;
    std::optional<SessionKind> kind = ReadKind(item);
    if (kind) s.kind = *kind;
    if (std::optional<std::string> course = item.String("course", Presence::kOptional, 128)) {
      s.course = *course;
    }
    if (std::optional<std::string> start = item.String("start", Presence::kRequired)) {
      ReadStart(item, *start, &s.start);
    }
    if (std::optional<std::string> d = item.String("duration", Presence::kRequired, 32)) {
      StatusOr<Duration> duration = ParseDuration(*d);
      if (duration.ok()) {
        s.duration = *duration;
      } else {
        problems_->Add(item.MarkOf("duration"), item.PathOf("duration"),
                       duration.status().message());
      }
    }
    if (std::optional<int64_t> a =
            item.Integer("expectedAttendance", Presence::kOptional, 0, kMaxExpectedAttendance)) {
      s.expected_attendance = *a;
    }
    std::optional<std::string> rule_text = item.String("recurrence", Presence::kOptional);
    item.ReportUnknownFields("name, kind, course, start, duration, recurrence, expectedAttendance");
    const bool fields_ok = problems_->problems().size() == before;
    if (rule_text) {
      s.recurrence = *rule_text;
      StatusOr<Rrule> rule = ParseRrule(*rule_text);
      if (!rule.ok()) {
        problems_->Add(item.MarkOf("recurrence"), item.PathOf("recurrence"),
                       rule.status().message());
      } else if (fields_ok) {
        // Only a session that is otherwise sound can be expanded.
        Status st = CheckSessionRecurrence(s, *rule, zone_, {}, &patterns_, &probe_budget_);
        if (!st.ok()) {
          problems_->Add(item.MarkOf("recurrence"), item.PathOf("recurrence"), st.message());
        }
      }
    }
    if (problems_->problems().size() != before) return std::nullopt;
    return s;
  }

  void ReadStart(ManifestObject& item, const std::string& text, LocalTime* out) {
    StatusOr<LocalTime> t = ParseLocalDateTime(text);
    if (!t.ok()) {
      const bool has_offset = text.size() > 19 && (text.back() == 'Z' || text.back() == 'z' ||
                                                   text.find_first_of("+-", 19) != text.npos);
      problems_->Add(item.MarkOf("start"), item.PathOf("start"),
                     has_offset ? Quote(text) +
                                      " has a UTC offset or 'Z': start is a local "
                                      "time without one (YYYY-MM-DDTHH:MM:SS, e.g. "
                                      "2026-09-28T09:00:00), read in spec.timeZone"
                                : t.status().message());
      return;
    }
    const int year = static_cast<int>(date::year_month_day{date::floor<date::days>(*t)}.year());
    if (year < kEarliestYear || year > kLatestYear) {
      problems_->Add(item.MarkOf("start"), item.PathOf("start"),
                     "the year " + std::to_string(year) + " is outside " +
                         std::to_string(kEarliestYear) + ".." + std::to_string(kLatestYear));
      return;
    }
    *out = *t;
  }

  std::optional<CalendarSource> ReadCalendar(ManifestObject& item) {
    if (!item.valid()) return std::nullopt;
    const size_t before = problems_->problems().size();
    CalendarSource c;
    const YAML::Node ref = item.Child("configMapRef", Presence::kRequired);
    if (ref.IsDefined() && !ref.IsNull()) {
      ManifestObject r(ref, item.PathOf("configMapRef"), item.MarkOf("configMapRef"), problems_);
      if (std::optional<std::string> name = r.String("name", Presence::kRequired, 253)) {
        if (!IsDnsSubdomain(*name)) {
          problems_->Add(r.MarkOf("name"), r.PathOf("name"),
                         Quote(*name) + " is not a valid ConfigMap name");
        }
        c.config_map = *name;
      }
      if (std::optional<std::string> key = r.String("key", Presence::kRequired, 253)) {
        const bool ok = !key->empty() && std::all_of(key->begin(), key->end(), [](char ch) {
          return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.';
        });
        if (!ok) {
          problems_->Add(r.MarkOf("key"), r.PathOf("key"),
                         Quote(*key) + " is not a ConfigMap key (letters, digits, '-', '_', '.')");
        }
        c.key = *key;
      }
      r.ReportUnknownFields("name, key");
    }
    if (std::optional<SessionKind> kind = ReadKind(item)) c.kind = *kind;
    if (std::optional<std::string> course = item.String("course", Presence::kOptional, 128)) {
      c.course = *course;
    }
    if (std::optional<int64_t> a =
            item.Integer("expectedAttendance", Presence::kOptional, 0, kMaxExpectedAttendance)) {
      c.expected_attendance = *a;
    }
    item.ReportUnknownFields("configMapRef, kind, course, expectedAttendance");
    if (problems_->problems().size() != before) return std::nullopt;
    return c;
  }

  std::optional<LocalDay> ReadDate(ManifestObject& item, std::string_view key) {
    std::optional<std::string> text = item.String(key, Presence::kRequired);
    if (!text) return std::nullopt;
    StatusOr<LocalDay> day = ParseLocalDate(*text);
    if (!day.ok()) {
      problems_->Add(item.MarkOf(key), item.PathOf(key), day.status().message());
      return std::nullopt;
    }
    return *day;
  }

  std::optional<Exclusion> ReadExclusion(ManifestObject& item) {
    if (!item.valid()) return std::nullopt;
    const size_t before = problems_->problems().size();
    Exclusion e;
    std::optional<LocalDay> from = ReadDate(item, "from");
    std::optional<LocalDay> until = ReadDate(item, "until");
    if (std::optional<std::string> reason = item.String("reason", Presence::kOptional, 256)) {
      e.reason = *reason;
    }
    item.ReportUnknownFields("from, until, reason");
    if (from && until && *until < *from) {
      problems_->Add(item.MarkOf("until"), item.PathOf("until"),
                     FormatLocalDate(*until) + " is before from " + FormatLocalDate(*from) +
                         " (both days are included: use the same date for a single day)");
    }
    if (problems_->problems().size() != before || !from || !until) return std::nullopt;
    e.from = *from;
    e.until = *until;
    return e;
  }

  ManifestProblems* problems_;
  TimeZone zone_ = TimeZone::Utc();
  PeriodicPatternCache patterns_;
  // libical candidates the first-occurrence searches of one document may take.
  int64_t probe_budget_ = 500'000;
};

// A short description of a document for messages: "kind ConfigMap,
// apiVersion v1, name foo".
std::string Describe(const YAML::Node& doc) {
  auto scalar = [&](const char* key) -> std::string {
    const YAML::Node& cdoc = doc;
    const YAML::Node v = cdoc[key];
    return v.IsDefined() && v.IsScalar() ? v.Scalar() : std::string();
  };
  std::string out;
  const std::string kind = scalar("kind"), api = scalar("apiVersion");
  out += kind.empty() ? "no kind" : "kind " + Quote(kind);
  out += api.empty() ? ", no apiVersion" : ", apiVersion " + Quote(api);
  const YAML::Node& cdoc = doc;
  const YAML::Node md = cdoc["metadata"];
  if (md.IsDefined() && md.IsMap()) {
    const YAML::Node name = md["name"];
    if (name.IsDefined() && name.IsScalar()) out += ", name " + Quote(name.Scalar());
  }
  return out;
}

class ManifestReader {
 public:
  ManifestReader(std::string_view file, TimetableManifest* out)
      : problems_(std::string(file)), out_(out) {}

  void ReadDocument(const YAML::Node& doc, const std::string& where, const std::string& path,
                    bool in_list) {
    if (problems_.exhausted()) return;
    if (!doc.IsDefined() || doc.IsNull()) return;  // an empty document
    const YAML::Mark mark = doc.Mark();
    if (!doc.IsMap()) {
      problems_.Add(mark, path,
                    where + " is " + DescribeNode(doc) +
                        ", not a Kubernetes object (a mapping with apiVersion and kind)");
      return;
    }
    const YAML::Node& cdoc = doc;
    const YAML::Node kind_node = cdoc["kind"];
    const YAML::Node api_node = cdoc["apiVersion"];
    const std::string kind =
        kind_node.IsDefined() && kind_node.IsScalar() ? kind_node.Scalar() : "";
    const std::string api = api_node.IsDefined() && api_node.IsScalar() ? api_node.Scalar() : "";
    if (kind == "Timetable" && api == kApiVersion) {
      ManifestObject root(doc, path, mark, &problems_);
      Timetable t;
      if (TimetableReader(&problems_).Read(root, &t)) {
        const std::string id = t.namespace_name + "/" + t.name;
        if (auto [it, inserted] = names_.emplace(id, mark.line + 1); !inserted) {
          problems_.Add(
              mark, path.empty() ? "metadata.name" : path + ".metadata.name",
              "another Timetable named " + Quote(t.name) +
                  (t.namespace_name.empty() ? "" : " in namespace " + Quote(t.namespace_name)) +
                  " is at line " + std::to_string(it->second));
          return;
        }
        out_->timetables.push_back(std::move(t));
      }
      return;
    }
    if (kind == "Timetable") {
      problems_.Add(api_node.IsDefined() ? api_node.Mark() : mark,
                    path.empty() ? "apiVersion" : path + ".apiVersion",
                    where + ": apiVersion " + Quote(api) +
                        " is not supported for a Timetable "
                        "(expected prebell.io/v1alpha1)");
      return;
    }
    if (kind == "ScalingPolicy" && api.rfind("prebell.io/", 0) == 0) {
      out_->skipped.push_back(kind + " " + Describe(doc));
      return;
    }
    if (!in_list && (kind == "List" || kind == "TimetableList")) {
      const YAML::Node items = cdoc["items"];
      if (!items.IsDefined() || items.IsNull()) return;
      if (!items.IsSequence()) {
        problems_.Add(items.Mark(), "items", "must be a list, not " + DescribeNode(items));
        return;
      }
      size_t i = 0;
      for (auto it = items.begin(); it != items.end(); ++it, ++i) {
        ReadDocument(*it, where + " item " + std::to_string(i + 1),
                     "items[" + std::to_string(i) + "]", true);
      }
      return;
    }
    problems_.Add(mark, path,
                  where + " (" + Describe(doc) +
                      ") is not a prebell resource: expected kind Timetable (or ScalingPolicy, "
                      "which is skipped) with apiVersion prebell.io/v1alpha1");
  }

  void Read(std::string_view text) {
    std::vector<YAML::Node> docs;
    try {
      docs = LoadYamlDocuments(std::string(text));
    } catch (const YAML::ParserException& e) {
      problems_.Add(e.mark, "", "not valid YAML: " + e.msg);
      return;
    } catch (const YAML::Exception& e) {
      problems_.Add(e.mark, "", "not valid YAML: " + e.msg);
      return;
    } catch (const std::exception& e) {
      problems_.AddAtLine(0, "", std::string("the file could not be read as YAML: ") + e.what());
      return;
    }
    for (size_t i = 0; i < docs.size(); ++i) {
      try {
        ReadDocument(docs[i], "document " + std::to_string(i + 1), "", false);
      } catch (const std::exception& e) {
        // yaml-cpp's accessors can still throw on odd nodes (invalid keys);
        // it is bad input, not a crash.
        problems_.Add(docs[i].Mark(), "",
                      "document " + std::to_string(i + 1) + " could not be read: " + e.what());
      }
    }
  }

  std::vector<ManifestProblem> TakeProblems() { return problems_.Take(); }

 private:
  ManifestProblems problems_;
  TimetableManifest* out_;
  std::map<std::string, int> names_;
};

}  // namespace

TimetableManifest ReadTimetableManifest(std::string_view text, std::string_view file_name) {
  TimetableManifest out;
  ManifestReader reader(file_name, &out);
  reader.Read(text);
  out.problems = reader.TakeProblems();
  // Problems come in reading order, which is file order except for the
  // duplicate-name checks; keep them stable by line.
  std::stable_sort(
      out.problems.begin(), out.problems.end(),
      [](const ManifestProblem& a, const ManifestProblem& b) { return a.line < b.line; });
  return out;
}

StatusOr<std::vector<Timetable>> ParseTimetableManifest(std::string_view text,
                                                        std::string_view file_name) {
  TimetableManifest m = ReadTimetableManifest(text, file_name);
  if (!m.ok()) return InvalidArgumentError(FormatManifestProblems(m.problems));
  if (m.timetables.empty()) {
    return InvalidArgumentError(std::string(file_name) +
                                ": no Timetable in the file (a document with apiVersion "
                                "prebell.io/v1alpha1 and kind Timetable)");
  }
  return std::move(m.timetables);
}

}  // namespace prebell
