#include "controller/kube/fake_api_server.h"

#include <algorithm>
#include <deque>

#include "controller/kube/api_error.h"
#include "policies/common/time_text.h"

namespace prebell::kube {
namespace {

using nlohmann::json;

constexpr size_t kHistory = 1000;

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::string Trim(std::string s) {
  auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& Meta(const json& obj) {
  static const json empty = json::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : empty;
}

HttpResponse Error(int code, const std::string& reason, const std::string& message) {
  return StatusResponse(code, reason, message);
}

// Everything but metadata and status: what bumps metadata.generation.
json SpecPart(const json& obj) {
  json o = obj;
  if (o.is_object()) {
    o.erase("metadata");
    o.erase("status");
  }
  return o;
}

// Splits a selector on commas outside parentheses.
std::vector<std::string> Terms(std::string_view sel) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : sel) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!Trim(cur).empty()) out.push_back(Trim(cur));
  return out;
}

StatusOr<bool> MatchesFieldSelector(std::string_view selector, const json& obj) {
  for (const auto& term : Terms(selector)) {
    bool negate = false;
    size_t op = term.find("!=");
    size_t len = 2;
    if (op != std::string::npos) {
      negate = true;
    } else if ((op = term.find("==")) != std::string::npos) {
    } else if ((op = term.find('=')) != std::string::npos) {
      len = 1;
    } else {
      return InvalidArgumentError("field selector term '" + term + "' has no operator");
    }
    std::string path = Trim(term.substr(0, op));
    std::string value = Trim(term.substr(op + len));
    const json* cur = &obj;
    for (const auto& part : Split(path, '.')) {
      if (!cur->is_object() || !cur->contains(part)) {
        cur = nullptr;
        break;
      }
      cur = &(*cur)[part];
    }
    std::string actual;
    if (cur) actual = cur->is_string() ? cur->get<std::string>() : cur->dump();
    if ((actual == value) == negate) return false;
  }
  return true;
}

}  // namespace

StatusOr<bool> MatchesLabelSelector(std::string_view selector, const json& labels) {
  auto label = [&](const std::string& k) -> std::optional<std::string> {
    if (!labels.is_object()) return std::nullopt;
    auto it = labels.find(k);
    if (it == labels.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  for (const auto& term : Terms(selector)) {
    if (term.empty()) continue;
    auto set_op = [&](const std::string& word)
        -> std::optional<std::pair<std::string, std::vector<std::string>>> {
      size_t at = term.find(" " + word + " ");
      if (at == std::string::npos) return std::nullopt;
      std::string key = Trim(term.substr(0, at));
      std::string rest = Trim(term.substr(at + word.size() + 2));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return std::nullopt;
      std::vector<std::string> values;
      for (auto& v : Split(rest.substr(1, rest.size() - 2), ',')) values.push_back(Trim(v));
      return std::make_pair(key, values);
    };
    if (auto in = set_op("in")) {
      auto v = label(in->first);
      if (!v || std::find(in->second.begin(), in->second.end(), *v) == in->second.end())
        return false;
      continue;
    }
    if (auto notin = set_op("notin")) {
      auto v = label(notin->first);
      if (v && std::find(notin->second.begin(), notin->second.end(), *v) != notin->second.end()) {
        return false;
      }
      continue;
    }
    size_t op;
    if ((op = term.find("!=")) != std::string::npos) {
      auto v = label(Trim(term.substr(0, op)));
      if (v && *v == Trim(term.substr(op + 2))) return false;
    } else if ((op = term.find("==")) != std::string::npos) {
      auto v = label(Trim(term.substr(0, op)));
      if (!v || *v != Trim(term.substr(op + 2))) return false;
    } else if ((op = term.find('=')) != std::string::npos) {
      auto v = label(Trim(term.substr(0, op)));
      if (!v || *v != Trim(term.substr(op + 1))) return false;
    } else if (term[0] == '!') {
      if (label(Trim(term.substr(1)))) return false;
    } else if (term.find_first_of(" ()") == std::string::npos) {
      if (!label(term)) return false;
    } else {
      return InvalidArgumentError("label selector term '" + term + "' is not understood");
    }
  }
  return true;
}

struct FakeApiServer::Impl {
  struct Resource {
    ResourceType type;
    bool status_sub = false;
  };
  struct Target {
    const Resource* res = nullptr;
    std::string ns, name, sub;
  };
  struct Event {
    uint64_t rv;
    std::string res_id;
    json old_obj;  // null: created
    json new_obj;  // null: deleted
  };
  struct Watch {
    std::string res_id, ns, labels, fields;
    bool bookmarks = false;
    std::shared_ptr<ScriptedBodyStream> stream;
  };

  std::shared_ptr<const Clock> clock;
  mutable std::mutex mu;
  std::map<std::string, Resource> resources;  // by "group/plural"
  std::map<std::string, json> objects;        // by "group/plural|ns|name"
  uint64_t rv = 1000;
  uint64_t uid = 0;
  uint64_t floor = 1000;  // watches from below this get 410
  std::deque<Event> history;
  std::vector<Watch> watches;
  Hook hook;
  std::vector<HttpRequest> requests;

  static std::string ResId(const ResourceType& t) { return t.group + "/" + t.plural; }
  static std::string ObjKey(const std::string& res_id, const std::string& ns,
                            const std::string& name) {
    return res_id + "|" + ns + "|" + name;
  }

  std::string Now() const {
    return FormatRfc3339(std::chrono::floor<std::chrono::seconds>(clock->WallNow()));
  }

  std::optional<Target> Parse(const std::string& path) const {
    std::vector<std::string> seg;
    for (auto& s : Split(path, '/')) {
      if (!s.empty()) seg.push_back(s);
    }
    std::string group, version;
    size_t i = 0;
    if (seg.size() >= 2 && seg[0] == "api") {
      version = seg[1];
      i = 2;
    } else if (seg.size() >= 3 && seg[0] == "apis") {
      group = seg[1];
      version = seg[2];
      i = 3;
    } else {
      return std::nullopt;
    }
    Target t;
    std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
    if (rest.size() >= 3 && rest[0] == "namespaces") {
      t.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
    if (rest.empty() || rest.size() > 3) return std::nullopt;
    auto it = resources.find(group + "/" + rest[0]);
    if (it == resources.end() || it->second.type.version != version) return std::nullopt;
    t.res = &it->second;
    if (rest.size() >= 2) t.name = rest[1];
    if (rest.size() == 3) t.sub = rest[2];
    if (!t.res->type.namespaced && !t.ns.empty()) return std::nullopt;
    return t;
  }

  bool Matches(const Watch& w, const json& obj) const {
    if (obj.is_null()) return false;
    if (!w.ns.empty() && Str(Meta(obj), "namespace") != w.ns) return false;
    if (!w.labels.empty()) {
      auto labels = Meta(obj).contains("labels") ? Meta(obj)["labels"] : json::object();
      auto m = MatchesLabelSelector(w.labels, labels);
      if (!m.ok() || !*m) return false;
    }
    if (!w.fields.empty()) {
      auto m = MatchesFieldSelector(w.fields, obj);
      if (!m.ok() || !*m) return false;
    }
    return true;
  }

  // The line a watch gets for an event, or "" if none.
  std::string LineFor(const Watch& w, const Event& e) const {
    if (e.res_id != w.res_id) return "";
    bool was = Matches(w, e.old_obj);
    bool is = Matches(w, e.new_obj);
    if (is && !was) return WatchLine("ADDED", e.new_obj);
    if (is && was) return WatchLine("MODIFIED", e.new_obj);
    if (was && !is) {
      json gone = e.new_obj.is_null() ? e.old_obj : e.new_obj;
      gone["metadata"]["resourceVersion"] = std::to_string(e.rv);
      return WatchLine("DELETED", gone);
    }
    return "";
  }

  void Record(const std::string& res_id, json old_obj, json new_obj) {
    Event e{rv, res_id, std::move(old_obj), std::move(new_obj)};
    watches.erase(std::remove_if(watches.begin(), watches.end(),
                                 [](const Watch& w) { return w.stream->cancelled(); }),
                  watches.end());
    for (const auto& w : watches) {
      std::string line = LineFor(w, e);
      if (!line.empty()) w.stream->Push(line);
    }
    history.push_back(std::move(e));
    while (history.size() > kHistory) {
      floor = history.front().rv;
      history.pop_front();
    }
  }

  // Stores `obj` as the new state of `key` (null: delete), with a new version.
  json Commit(const Resource& res, const std::string& key, json old_obj, json obj) {
    ++rv;
    if (obj.is_null()) {
      objects.erase(key);
      json deleted = old_obj;
      Record(ResId(res.type), std::move(old_obj), nullptr);
      deleted["metadata"]["resourceVersion"] = std::to_string(rv);
      return deleted;
    }
    obj["metadata"]["resourceVersion"] = std::to_string(rv);
    if (!obj.contains("apiVersion")) obj["apiVersion"] = res.type.ApiVersion();
    if (!obj.contains("kind")) obj["kind"] = res.type.kind;
    objects[key] = obj;
    Record(ResId(res.type), std::move(old_obj), obj);
    return obj;
  }

  StatusOr<HttpResponse> Create(const Target& t, json obj, bool from_apply = false) {
    if (!obj.is_object()) return Error(400, "BadRequest", "the body is not an object");
    json& meta = obj["metadata"];
    if (!meta.is_object()) meta = json::object();
    std::string name = Str(meta, "name");
    if (name.empty() && !Str(meta, "generateName").empty()) {
      name = Str(meta, "generateName") + std::to_string(++uid);
      meta["name"] = name;
    }
    if (name.empty()) return Error(422, "Invalid", "metadata.name: Required value");
    std::string ns = Str(meta, "namespace");
    if (t.res->type.namespaced) {
      if (!ns.empty() && ns != t.ns) {
        return Error(400, "BadRequest", "the namespace of the object does not match the request");
      }
      meta["namespace"] = t.ns;
    }
    std::string key = ObjKey(ResId(t.res->type), t.ns, name);
    if (objects.count(key)) {
      return Error(409, "AlreadyExists", t.res->type.plural + " \"" + name + "\" already exists");
    }
    meta["uid"] = "uid-" + std::to_string(++uid);
    meta["creationTimestamp"] = Now();
    meta["generation"] = 1;
    meta.erase("resourceVersion");
    meta.erase("deletionTimestamp");
    if (t.res->status_sub && !from_apply) obj.erase("status");
    return JsonResponse(201, Commit(*t.res, key, nullptr, std::move(obj)));
  }

  // The object after a write of `body` to the object or one of its
  // subresources, with server-owned fields kept.
  StatusOr<json> Merge(const Target& t, const json& old_obj, json body) {
    if (!body.is_object()) return InvalidArgumentError("the body is not an object");
    json next;
    if (t.sub == "status") {
      next = old_obj;
      if (body.contains("status")) next["status"] = body["status"];
    } else if (t.sub == "scale") {
      next = old_obj;
      if (body.contains("spec") && body["spec"].contains("replicas")) {
        next["spec"]["replicas"] = body["spec"]["replicas"];
      }
    } else if (t.sub.empty()) {
      next = std::move(body);
      if (t.res->status_sub) {
        if (old_obj.contains("status")) {
          next["status"] = old_obj["status"];
        } else {
          next.erase("status");
        }
      }
    } else {
      return InvalidArgumentError("unknown subresource " + t.sub);
    }
    json& meta = next["metadata"];
    const json& old_meta = Meta(old_obj);
    for (const char* k : {"uid", "creationTimestamp", "namespace", "name", "deletionTimestamp"}) {
      if (old_meta.contains(k)) {
        meta[k] = old_meta[k];
      } else {
        meta.erase(k);
      }
    }
    int64_t generation = old_meta.value("generation", int64_t{1});
    if (SpecPart(next) != SpecPart(old_obj)) ++generation;
    meta["generation"] = generation;
    return next;
  }

  StatusOr<HttpResponse> Write(const Target& t, const std::string& key, const json& old_obj,
                               json next) {
    // The object leaves once it is being deleted and has no finalizers left.
    bool deleting = Meta(next).contains("deletionTimestamp");
    auto fin = Meta(next).find("finalizers");
    bool finalized = fin == Meta(next).end() || !fin->is_array() || fin->empty();
    if (deleting && finalized) return JsonResponse(200, Commit(*t.res, key, old_obj, nullptr));
    json stored = Commit(*t.res, key, old_obj, std::move(next));
    return JsonResponse(200, t.sub == "scale" ? ScaleOf(t, stored) : stored);
  }

  json ScaleOf(const Target& t, const json& obj) const {
    json scale = {{"apiVersion", "autoscaling/v1"},
                  {"kind", "Scale"},
                  {"metadata",
                   {{"name", Str(Meta(obj), "name")},
                    {"namespace", Str(Meta(obj), "namespace")},
                    {"resourceVersion", Str(Meta(obj), "resourceVersion")}}},
                  {"spec", json::object()},
                  {"status", json::object()}};
    if (obj.contains("spec") && obj["spec"].contains("replicas")) {
      scale["spec"]["replicas"] = obj["spec"]["replicas"];
    }
    if (obj.contains("status") && obj["status"].contains("replicas")) {
      scale["status"]["replicas"] = obj["status"]["replicas"];
    }
    (void)t;
    return scale;
  }

  StatusOr<HttpResponse> Handle(const HttpRequest& req) {
    auto t = Parse(req.path);
    if (!t) return Error(404, "NotFound", "the server could not find the requested resource");
    std::map<std::string, std::string> q;
    for (const auto& [k, v] : req.query) q[k] = v;
    const std::string res_id = ResId(t->res->type);
    const std::string what = t->res->type.Name() + " \"" + t->name + "\"";

    if (req.method == HttpMethod::kGet && t->name.empty()) {  // list
      json items = json::array();
      for (const auto& [key, obj] : objects) {
        if (key.rfind(res_id + "|", 0) != 0) continue;
        if (!t->ns.empty() && Str(Meta(obj), "namespace") != t->ns) continue;
        Watch filter{res_id, t->ns, q["labelSelector"], q["fieldSelector"], false, nullptr};
        if (!Matches(filter, obj)) continue;
        items.push_back(obj);
      }
      size_t offset = q.count("continue") ? std::stoul(q["continue"]) : 0;
      size_t limit = q.count("limit") ? std::stoul(q["limit"]) : 0;
      json page = json::array();
      for (size_t i = offset; i < items.size() && (limit == 0 || page.size() < limit); ++i) {
        page.push_back(items[i]);
      }
      json list = {{"apiVersion", t->res->type.ApiVersion()},
                   {"kind", t->res->type.kind + "List"},
                   {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                   {"items", page}};
      if (limit > 0 && offset + page.size() < items.size()) {
        list["metadata"]["continue"] = std::to_string(offset + page.size());
      }
      return JsonResponse(200, list);
    }
    if (t->name.empty()) {
      if (req.method != HttpMethod::kPost) return Error(405, "MethodNotAllowed", "not allowed");
      auto body = json::parse(req.body, nullptr, false);
      return Create(*t, std::move(body));
    }
    std::string key = ObjKey(res_id, t->ns, t->name);
    auto it = objects.find(key);
    if (req.method == HttpMethod::kGet) {
      if (it == objects.end()) return Error(404, "NotFound", what + " not found");
      return JsonResponse(200, t->sub == "scale" ? ScaleOf(*t, it->second) : it->second);
    }
    if (req.method == HttpMethod::kDelete) {
      if (it == objects.end()) return Error(404, "NotFound", what + " not found");
      auto opts = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
      if (opts.is_object() && opts.contains("preconditions")) {
        const json& pre = opts["preconditions"];
        if ((pre.contains("uid") && pre["uid"] != Meta(it->second)["uid"]) ||
            (pre.contains("resourceVersion") &&
             pre["resourceVersion"] != Meta(it->second)["resourceVersion"])) {
          return Error(409, "Conflict", "Precondition failed for " + what);
        }
      }
      json old_obj = it->second;
      auto fin = Meta(old_obj).find("finalizers");
      if (fin != Meta(old_obj).end() && fin->is_array() && !fin->empty()) {
        json next = old_obj;
        if (!Meta(next).contains("deletionTimestamp")) {
          next["metadata"]["deletionTimestamp"] = Now();
          return JsonResponse(200, Commit(*t->res, key, old_obj, std::move(next)));
        }
        return JsonResponse(200, old_obj);
      }
      return JsonResponse(200, Commit(*t->res, key, old_obj, nullptr));
    }
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return Error(400, "BadRequest", "the body is not JSON");
    if (req.method == HttpMethod::kPut) {
      if (it == objects.end()) return Error(404, "NotFound", what + " not found");
      std::string want = Str(Meta(body), "resourceVersion");
      if (!want.empty() && want != Str(Meta(it->second), "resourceVersion")) {
        return Error(409, "Conflict",
                     "Operation cannot be fulfilled on " + what +
                         ": the object has been modified; please apply your changes to the "
                         "latest version and try again");
      }
      if (t->sub == "scale") body = json{{"spec", body.value("spec", json::object())}};
      auto next = Merge(*t, it->second, std::move(body));
      if (!next.ok()) return Error(400, "BadRequest", next.status().message());
      return Write(*t, key, it->second, std::move(next).value());
    }
    if (req.method == HttpMethod::kPatch) {
      bool apply = req.content_type == "application/apply-patch+yaml";
      if (it == objects.end()) {
        if (!apply) return Error(404, "NotFound", what + " not found");
        json obj = body;
        obj["metadata"]["name"] = t->name;
        return Create(*t, std::move(obj), true);
      }
      json base = t->sub == "scale" ? ScaleOf(*t, it->second) : it->second;
      json patched;
      if (req.content_type == "application/json-patch+json") {
        try {
          patched = base.patch(body);
        } catch (const std::exception& e) {
          return Error(422, "Invalid", std::string("the JSON patch failed: ") + e.what());
        }
      } else if (apply || req.content_type == "application/merge-patch+json" ||
                 req.content_type == "application/strategic-merge-patch+json") {
        patched = base;
        patched.merge_patch(body);
      } else {
        return Error(415, "UnsupportedMediaType", "unsupported patch type " + req.content_type);
      }
      std::string want = Str(Meta(patched), "resourceVersion");
      if (!want.empty() && want != Str(Meta(base), "resourceVersion")) {
        return Error(409, "Conflict", "Operation cannot be fulfilled on " + what);
      }
      auto next = Merge(*t, it->second, std::move(patched));
      if (!next.ok()) return Error(400, "BadRequest", next.status().message());
      return Write(*t, key, it->second, std::move(next).value());
    }
    return Error(405, "MethodNotAllowed", "not allowed");
  }
};

namespace {
// The client's end of a fake watch; the server keeps the stream to push into.
class FakeWatchBody final : public BodyStream {
 public:
  explicit FakeWatchBody(std::shared_ptr<ScriptedBodyStream> s) : s_(std::move(s)) {}
  ~FakeWatchBody() override { s_->Cancel(); }
  StatusOr<std::optional<std::string>> Read(std::chrono::milliseconds timeout) override {
    return s_->Read(timeout);
  }
  void Cancel() override { s_->Cancel(); }

 private:
  std::shared_ptr<ScriptedBodyStream> s_;
};
}  // namespace

FakeApiServer::FakeApiServer(std::shared_ptr<const Clock> clock) : impl_(std::make_shared<Impl>()) {
  impl_->clock = clock ? std::move(clock) : SystemClock::Shared();
  AddResource(resources::ConfigMaps());
  AddResource(resources::Events());
  AddResource(resources::Namespaces());
  AddResource(resources::Leases());
  AddResource(resources::Deployments(), true);
  AddResource(resources::StatefulSets(), true);
  AddResource(resources::HorizontalPodAutoscalers(), true);
}

void FakeApiServer::AddResource(const ResourceType& type, bool status_subresource) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->resources[Impl::ResId(type)] = Impl::Resource{type, status_subresource};
}

StatusOr<nlohmann::json> FakeApiServer::Seed(const ResourceType& type, nlohmann::json object) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto res = impl_->resources.find(Impl::ResId(type));
  if (res == impl_->resources.end()) return InvalidArgumentError(type.Name() + " not registered");
  Impl::Target t;
  t.res = &res->second;
  t.ns = Str(Meta(object), "namespace");
  t.name = Str(Meta(object), "name");
  std::string key = Impl::ObjKey(Impl::ResId(type), t.ns, t.name);
  auto it = impl_->objects.find(key);
  if (it == impl_->objects.end()) {
    auto r = impl_->Create(t, std::move(object), /*from_apply=*/true);  // keeps .status
    if (!r.ok()) return r.status();
    auto j = nlohmann::json::parse(r->body);
    if (r->status != 201) return ErrorFromResponse(*r).ToStatus("seed");
    return j;
  }
  nlohmann::json next = object;
  const nlohmann::json& old_meta = Meta(it->second);
  next["metadata"]["uid"] = old_meta["uid"];
  next["metadata"]["creationTimestamp"] = old_meta["creationTimestamp"];
  int64_t generation = old_meta.value("generation", int64_t{1});
  if (SpecPart(next) != SpecPart(it->second)) ++generation;
  next["metadata"]["generation"] = generation;
  return impl_->Commit(*t.res, key, it->second, std::move(next));
}

std::optional<nlohmann::json> FakeApiServer::Object(const ResourceType& type, const std::string& ns,
                                                    const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->objects.find(Impl::ObjKey(Impl::ResId(type), ns, name));
  if (it == impl_->objects.end()) return std::nullopt;
  return it->second;
}

std::string FakeApiServer::resource_version() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return std::to_string(impl_->rv);
}

void FakeApiServer::SetHook(Hook hook) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->hook = std::move(hook);
}

void FakeApiServer::ExpireWatches() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  nlohmann::json gone = {{"kind", "Status"},    {"apiVersion", "v1"},
                         {"status", "Failure"}, {"code", 410},
                         {"reason", "Expired"}, {"message", "too old resource version"}};
  for (auto& w : impl_->watches) {
    w.stream->Push(WatchLine("ERROR", gone));
    w.stream->End();
  }
  impl_->watches.clear();
  impl_->history.clear();
  impl_->floor = impl_->rv;
}

void FakeApiServer::SendBookmarks() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& w : impl_->watches) {
    if (!w.bookmarks || w.stream->cancelled()) continue;
    w.stream->Push(
        WatchLine("BOOKMARK", {{"metadata", {{"resourceVersion", std::to_string(impl_->rv)}}}}));
  }
}

size_t FakeApiServer::open_watches() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (const auto& w : impl_->watches) n += w.stream->cancelled() ? 0 : 1;
  return n;
}

std::vector<HttpRequest> FakeApiServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

std::vector<HttpRequest> FakeApiServer::writes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<HttpRequest> out;
  for (const auto& r : impl_->requests) {
    if (r.method != HttpMethod::kGet) out.push_back(r);
  }
  return out;
}

void FakeApiServer::ClearRequests() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->requests.clear();
}

StatusOr<HttpResponse> FakeApiServer::Send(const HttpRequest& request) {
  Hook hook;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->requests.push_back(request);
    hook = impl_->hook;
  }
  if (hook) {
    if (auto answer = hook(request)) return *answer;
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  try {
    return impl_->Handle(request);
  } catch (const std::exception& e) {
    return Error(400, "BadRequest", std::string("fake API server: ") + e.what());
  }
}

StatusOr<StreamResponse> FakeApiServer::Stream(const HttpRequest& request,
                                               std::chrono::seconds /*idle_timeout*/) {
  Hook hook;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->requests.push_back(request);
    hook = impl_->hook;
  }
  if (hook) {
    if (auto answer = hook(request)) {
      if (!answer->ok()) return answer->status();
      StreamResponse r;
      r.status = (*answer)->status;
      r.headers = (*answer)->headers;
      r.error_body = (*answer)->body;
      return r;
    }
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto t = impl_->Parse(request.path);
  if (!t || !t->name.empty()) {
    StreamResponse r;
    r.status = 404;
    r.error_body = Error(404, "NotFound", "no such collection").body;
    return r;
  }
  std::map<std::string, std::string> q;
  for (const auto& [k, v] : request.query) q[PercentDecode(k)] = v;
  Impl::Watch w{Impl::ResId(t->res->type),
                t->ns,
                q["labelSelector"],
                q["fieldSelector"],
                q["allowWatchBookmarks"] == "true",
                std::make_shared<ScriptedBodyStream>(std::chrono::hours(24))};
  std::string from = q["resourceVersion"];
  if (from.empty() || from == "0") {
    for (const auto& [key, obj] : impl_->objects) {
      if (key.rfind(w.res_id + "|", 0) == 0 && impl_->Matches(w, obj)) {
        w.stream->Push(WatchLine("ADDED", obj));
      }
    }
  } else {
    uint64_t since = 0;
    try {
      since = std::stoull(from);
    } catch (...) {
      StreamResponse r;
      r.status = 400;
      r.error_body = Error(400, "BadRequest", "invalid resourceVersion").body;
      return r;
    }
    if (since < impl_->floor) {
      w.stream->Push(WatchLine("ERROR", {{"kind", "Status"},
                                         {"apiVersion", "v1"},
                                         {"status", "Failure"},
                                         {"code", 410},
                                         {"reason", "Expired"},
                                         {"message", "too old resource version: " + from}}));
      w.stream->End();
      StreamResponse r;
      r.status = 200;
      r.body = std::make_unique<FakeWatchBody>(w.stream);
      return r;
    }
    for (const auto& e : impl_->history) {
      if (e.rv <= since) continue;
      std::string line = impl_->LineFor(w, e);
      if (!line.empty()) w.stream->Push(line);
    }
  }
  StreamResponse r;
  r.status = 200;
  r.headers["content-type"] = "application/json";
  r.body = std::make_unique<FakeWatchBody>(w.stream);
  impl_->watches.push_back(std::move(w));
  return r;
}

}  // namespace prebell::kube
