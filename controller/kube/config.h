// ClusterConfig: where the API server is and how to authenticate to it.
//
// Loaded from a kubeconfig file (the current context, or a named one) or
// from inside a pod (the service-account token, CA and namespace mounted
// under /var/run/secrets/kubernetes.io/serviceaccount). Certificates and keys
// are read into memory at load time so that a bad file is reported at start
// with the file and field named; the token file is NOT read once: the
// transport re-reads it as it rotates (token_source.h).
//
// Refused: insecure-skip-tls-verify (unless explicitly allowed), exec
// credential plugins, auth-provider and basic-auth users, proxy-url: prebell
// would otherwise silently run with weaker or different auth than the
// operator configured.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "policies/common/status.h"

namespace prebell::kube {

struct ClusterConfig {
  std::string server;           // "https://127.0.0.1:6443" (no trailing slash)
  std::string ca_pem;           // empty: the system's trusted roots
  std::string client_cert_pem;  // client-certificate auth (with client_key_pem)
  std::string client_key_pem;
  std::string token;            // a static bearer token
  std::string token_file;       // a bearer token re-read as it rotates (wins over token)
  std::string tls_server_name;  // verify the server's certificate for this name
  bool insecure_skip_tls_verify = false;
  std::string default_namespace = "default";
  std::string source;  // where this came from, for messages: "kubeconfig /x (context y)"
};

using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
// The process environment.
std::optional<std::string> ProcessEnv(const char* name);

struct KubeconfigOptions {
  std::string context;  // empty: current-context
  bool allow_insecure = false;
};

// One kubeconfig file, or several separated by ':' (as in $KUBECONFIG,
// merged as kubectl does: the first file to name a cluster, user or context
// wins, and the first current-context set wins). Relative file references
// resolve against the directory of the file that holds them.
StatusOr<ClusterConfig> LoadKubeconfig(const std::string& paths, const KubeconfigOptions& options);

struct InClusterPaths {
  std::string token = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// From KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and the mounted
// service-account files.
StatusOr<ClusterConfig> LoadInClusterConfig(const InClusterPaths& paths = {},
                                            const EnvLookup& env = ProcessEnv);

// What kubectl and controller-runtime do: an explicit kubeconfig path if
// given, else $KUBECONFIG, else in-cluster if KUBERNETES_SERVICE_HOST is set,
// else ~/.kube/config.
StatusOr<ClusterConfig> LoadDefaultConfig(const std::string& explicit_kubeconfig,
                                          const KubeconfigOptions& options,
                                          const EnvLookup& env = ProcessEnv);

// RFC 4648 base64 (whitespace ignored); kInvalidArgument on anything else.
StatusOr<std::string> DecodeBase64(std::string_view text);

}  // namespace prebell::kube
