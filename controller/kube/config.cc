#include "controller/kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <vector>

#include "controller/kube/token_source.h"

namespace prebell::kube {
namespace {

namespace fs = std::filesystem;

// A named entry of one of the kubeconfig lists, with the file that held it.
struct Entry {
  YAML::Node body;
  std::string file;
  size_t index = 0;
};

struct Merged {
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  std::string current_context_file;
};

std::string Where(const Entry& e, std::string_view list, std::string_view name) {
  return e.file + ": " + std::string(list) + "[" + std::to_string(e.index) + "] ('" +
         std::string(name) + "')";
}

// A scalar child as a string, or nullopt if absent/null.
StatusOr<std::optional<std::string>> Scalar(const YAML::Node& node, const char* key,
                                            const std::string& where) {
  YAML::Node child = node[key];
  if (!child || child.IsNull()) return std::optional<std::string>();
  if (!child.IsScalar()) return InvalidArgumentError(where + "." + key + ": not a string");
  return std::optional<std::string>(child.Scalar());
}

StatusOr<bool> Bool(const YAML::Node& node, const char* key, const std::string& where) {
  auto s = Scalar(node, key, where);
  if (!s.ok()) return s.status();
  if (!s->has_value()) return false;
  const std::string& v = **s;
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  return InvalidArgumentError(where + "." + key + ": '" + v + "' is not true or false");
}

std::string Resolve(const std::string& ref, const std::string& file) {
  if (ref.empty() || fs::path(ref).is_absolute()) return ref;
  return (fs::path(file).parent_path() / ref).lexically_normal().string();
}

Status AddList(const YAML::Node& root, const char* list, const char* body_key,
               const std::string& file, std::map<std::string, Entry>& into) {
  YAML::Node items = root[list];
  if (!items || items.IsNull()) return OkStatus();
  if (!items.IsSequence()) return InvalidArgumentError(file + ": " + list + ": not a list");
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = file + ": " + list + "[" + std::to_string(i) + "]";
    YAML::Node item = items[i];
    if (!item.IsMap()) return InvalidArgumentError(where + ": not a mapping");
    auto name = Scalar(item, "name", where);
    if (!name.ok()) return name.status();
    if (!name->has_value() || (*name)->empty()) return InvalidArgumentError(where + ": no name");
    YAML::Node body = item[body_key];
    if (!body || !body.IsMap()) {
      return InvalidArgumentError(where + ": no '" + body_key + "' mapping");
    }
    into.try_emplace(**name, Entry{body, file, i});  // first file wins
  }
  return OkStatus();
}

Status MergeFile(const std::string& file, Merged& m) {
  auto text = ReadFileToString(file);
  if (!text.ok()) return text.status().WithContext("kubeconfig");
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(file + ": not YAML: " + e.what());
  }
  if (root.IsNull()) return OkStatus();  // an empty file contributes nothing
  if (!root.IsMap()) return InvalidArgumentError(file + ": not a kubeconfig mapping");
  PREBELL_RETURN_IF_ERROR(AddList(root, "clusters", "cluster", file, m.clusters));
  PREBELL_RETURN_IF_ERROR(AddList(root, "users", "user", file, m.users));
  PREBELL_RETURN_IF_ERROR(AddList(root, "contexts", "context", file, m.contexts));
  auto current = Scalar(root, "current-context", file);
  if (!current.ok()) return current.status();
  if (m.current_context.empty() && current->has_value() && !(*current)->empty()) {
    m.current_context = **current;
    m.current_context_file = file;
  }
  return OkStatus();
}

// Inline "-data" (base64) wins over a file reference, as in client-go.
StatusOr<std::string> DataOrFile(const Entry& e, const std::string& where, const char* file_key,
                                 const char* data_key) {
  auto data = Scalar(e.body, data_key, where);
  if (!data.ok()) return data.status();
  if (data->has_value() && !(*data)->empty()) {
    auto decoded = DecodeBase64(**data);
    if (!decoded.ok()) return decoded.status().WithContext(where + "." + data_key);
    return std::move(decoded).value();
  }
  auto ref = Scalar(e.body, file_key, where);
  if (!ref.ok()) return ref.status();
  if (!ref->has_value() || (*ref)->empty()) return std::string();
  std::string path = Resolve(**ref, e.file);
  auto content = ReadFileToString(path);
  if (!content.ok()) return content.status().WithContext(where + "." + file_key);
  return std::move(content).value();
}

Status CheckPem(const std::string& pem, const std::string& what) {
  if (!pem.empty() && pem.find("-----BEGIN ") == std::string::npos) {
    return InvalidArgumentError(what + ": not PEM data (no '-----BEGIN' line)");
  }
  return OkStatus();
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

Status CheckServer(const std::string& server, const std::string& where) {
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0) {
    return InvalidArgumentError(where + ".server: '" + server +
                                "' is not an https:// (or http://) URL");
  }
  return OkStatus();
}

std::vector<std::string> SplitPaths(const std::string& paths) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= paths.size()) {
    size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    if (end > start) out.push_back(paths.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> ProcessEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

StatusOr<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  size_t padding = 0;
  size_t symbols = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (padding > 0) return InvalidArgumentError("base64: data after '=' padding");
    int v = value(c);
    if (v < 0) return InvalidArgumentError(std::string("base64: invalid character '") + c + "'");
    ++symbols;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (padding > 2 || (padding > 0 && symbols % 4 != 0) || symbols % 4 == 1) {
    return InvalidArgumentError("base64: bad length or padding");
  }
  return out;
}

namespace {
StatusOr<ClusterConfig> LoadKubeconfigImpl(const std::string& paths,
                                           const KubeconfigOptions& options) {
  std::vector<std::string> files = SplitPaths(paths);
  if (files.empty()) return InvalidArgumentError("kubeconfig: no file given");
  Merged m;
  for (const auto& f : files) PREBELL_RETURN_IF_ERROR(MergeFile(f, m));

  std::string context_name = options.context.empty() ? m.current_context : options.context;
  if (context_name.empty()) {
    return InvalidArgumentError(paths + ": no current-context set and no context given");
  }
  auto ctx_it = m.contexts.find(context_name);
  if (ctx_it == m.contexts.end()) {
    return InvalidArgumentError(paths + ": context '" + context_name + "' is not defined");
  }
  const Entry& ctx = ctx_it->second;
  std::string ctx_where = Where(ctx, "contexts", context_name) + ".context";
  auto cluster_name = Scalar(ctx.body, "cluster", ctx_where);
  if (!cluster_name.ok()) return cluster_name.status();
  auto user_name = Scalar(ctx.body, "user", ctx_where);
  if (!user_name.ok()) return user_name.status();
  auto ns = Scalar(ctx.body, "namespace", ctx_where);
  if (!ns.ok()) return ns.status();
  if (!cluster_name->has_value() || (*cluster_name)->empty()) {
    return InvalidArgumentError(ctx_where + ".cluster: missing");
  }

  ClusterConfig cfg;
  cfg.source = "kubeconfig " + paths + " (context " + context_name + ")";
  if (ns->has_value() && !(*ns)->empty()) cfg.default_namespace = **ns;

  auto cl_it = m.clusters.find(**cluster_name);
  if (cl_it == m.clusters.end()) {
    return InvalidArgumentError(ctx_where + ".cluster: cluster '" + **cluster_name +
                                "' is not defined");
  }
  const Entry& cl = cl_it->second;
  std::string cl_where = Where(cl, "clusters", **cluster_name) + ".cluster";
  auto server = Scalar(cl.body, "server", cl_where);
  if (!server.ok()) return server.status();
  if (!server->has_value() || (*server)->empty()) {
    return InvalidArgumentError(cl_where + ".server: missing");
  }
  cfg.server = TrimSlash(**server);
  PREBELL_RETURN_IF_ERROR(CheckServer(cfg.server, cl_where));
  auto ca = DataOrFile(cl, cl_where, "certificate-authority", "certificate-authority-data");
  if (!ca.ok()) return ca.status();
  cfg.ca_pem = std::move(ca).value();
  PREBELL_RETURN_IF_ERROR(CheckPem(cfg.ca_pem, cl_where + ".certificate-authority"));
  auto insecure = Bool(cl.body, "insecure-skip-tls-verify", cl_where);
  if (!insecure.ok()) return insecure.status();
  if (*insecure && !options.allow_insecure) {
    return InvalidArgumentError(cl_where +
                                ".insecure-skip-tls-verify: refused (the server's certificate "
                                "would not be verified); set a certificate-authority instead");
  }
  cfg.insecure_skip_tls_verify = *insecure;
  auto sni = Scalar(cl.body, "tls-server-name", cl_where);
  if (!sni.ok()) return sni.status();
  if (sni->has_value()) cfg.tls_server_name = **sni;
  auto proxy = Scalar(cl.body, "proxy-url", cl_where);
  if (!proxy.ok()) return proxy.status();
  if (proxy->has_value() && !(*proxy)->empty()) {
    return InvalidArgumentError(cl_where + ".proxy-url: proxies are not supported");
  }

  if (user_name->has_value() && !(*user_name)->empty()) {
    auto us_it = m.users.find(**user_name);
    if (us_it == m.users.end()) {
      return InvalidArgumentError(ctx_where + ".user: user '" + **user_name + "' is not defined");
    }
    const Entry& us = us_it->second;
    std::string us_where = Where(us, "users", **user_name) + ".user";
    for (const char* unsupported : {"exec", "auth-provider", "username", "password"}) {
      if (us.body[unsupported]) {
        return InvalidArgumentError(us_where + "." + unsupported +
                                    ": not supported (use a client certificate or a token)");
      }
    }
    auto cert = DataOrFile(us, us_where, "client-certificate", "client-certificate-data");
    if (!cert.ok()) return cert.status();
    auto key = DataOrFile(us, us_where, "client-key", "client-key-data");
    if (!key.ok()) return key.status();
    cfg.client_cert_pem = std::move(cert).value();
    cfg.client_key_pem = std::move(key).value();
    PREBELL_RETURN_IF_ERROR(CheckPem(cfg.client_cert_pem, us_where + ".client-certificate"));
    PREBELL_RETURN_IF_ERROR(CheckPem(cfg.client_key_pem, us_where + ".client-key"));
    if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty()) {
      return InvalidArgumentError(us_where +
                                  ": client-certificate and client-key must be given together");
    }
    auto token = Scalar(us.body, "token", us_where);
    if (!token.ok()) return token.status();
    if (token->has_value()) cfg.token = **token;
    auto token_file = Scalar(us.body, "tokenFile", us_where);
    if (!token_file.ok()) return token_file.status();
    if (token_file->has_value() && !(*token_file)->empty()) {
      cfg.token_file = Resolve(**token_file, us.file);
      auto probe = ReadFileToString(cfg.token_file);
      if (!probe.ok()) return probe.status().WithContext(us_where + ".tokenFile");
    }
  }
  return cfg;
}
}  // namespace

StatusOr<ClusterConfig> LoadKubeconfig(const std::string& paths, const KubeconfigOptions& options) {
  // yaml-cpp reports some malformed documents by throwing from accessors.
  try {
    return LoadKubeconfigImpl(paths, options);
  } catch (const std::exception& e) {
    return InvalidArgumentError(paths + ": malformed kubeconfig: " + e.what());
  }
}

StatusOr<ClusterConfig> LoadInClusterConfig(const InClusterPaths& paths, const EnvLookup& env) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return FailedPreconditionError(
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
        "(not running in a pod?)");
  }
  ClusterConfig cfg;
  std::string h = *host;
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";  // IPv6
  cfg.server = "https://" + h + ":" + *port;
  cfg.source = "in-cluster (" + paths.token + ")";
  auto token = ReadFileToString(paths.token);
  if (!token.ok()) return token.status().WithContext("in-cluster config: service-account token");
  cfg.token_file = paths.token;
  auto ca = ReadFileToString(paths.ca);
  if (!ca.ok()) return ca.status().WithContext("in-cluster config: cluster CA");
  cfg.ca_pem = std::move(ca).value();
  PREBELL_RETURN_IF_ERROR(CheckPem(cfg.ca_pem, paths.ca));
  auto ns = ReadFileToString(paths.namespace_file);
  if (ns.ok()) {
    std::string v = *ns;
    auto last = v.find_last_not_of(" \t\r\n");
    v = last == std::string::npos ? "" : v.substr(0, last + 1);
    if (!v.empty()) cfg.default_namespace = v;
  }
  return cfg;
}

StatusOr<ClusterConfig> LoadDefaultConfig(const std::string& explicit_kubeconfig,
                                          const KubeconfigOptions& options, const EnvLookup& env) {
  if (!explicit_kubeconfig.empty()) return LoadKubeconfig(explicit_kubeconfig, options);
  if (auto kc = env("KUBECONFIG"); kc && !kc->empty()) return LoadKubeconfig(*kc, options);
  if (auto host = env("KUBERNETES_SERVICE_HOST"); host && !host->empty()) {
    return LoadInClusterConfig(InClusterPaths{}, env);
  }
  if (auto home = env("HOME"); home && !home->empty()) {
    std::string path = *home + "/.kube/config";
    std::error_code ec;
    if (fs::exists(path, ec)) return LoadKubeconfig(path, options);
  }
  return FailedPreconditionError(
      "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, run in a pod, or create "
      "~/.kube/config");
}

}  // namespace prebell::kube
