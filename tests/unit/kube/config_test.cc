#include "controller/kube/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace prebell::kube {
namespace {

namespace fs = std::filesystem;

const char kCaPem[] = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const char kCertPem[] = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
const char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("prebell-config-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }

  fs::path dir_;
};

TEST(DecodeBase64, Rfc4648) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(*DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("aGVsbG8*").ok());
  EXPECT_FALSE(DecodeBase64("aGVsbG8=x").ok());
  EXPECT_FALSE(DecodeBase64("a").ok());
  EXPECT_EQ(*DecodeBase64(Base64(kKeyPem)), kKeyPem);
}

TEST_F(ConfigTest, CurrentContextWithInlineData) {
  std::string path = Write("kubeconfig", R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: )" + Base64(kCaPem) +
                                             R"(
users:
- name: admin
  user:
    client-certificate-data: )" + Base64(kCertPem) +
                                             R"(
    client-key-data: )" + Base64(kKeyPem) + R"(
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: team-a}
)");
  auto cfg = LoadKubeconfig(path, {});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, kCaPem);
  EXPECT_EQ(cfg->client_cert_pem, kCertPem);
  EXPECT_EQ(cfg->client_key_pem, kKeyPem);
  EXPECT_EQ(cfg->default_namespace, "team-a");
  EXPECT_TRUE(cfg->token.empty());
  EXPECT_NE(cfg->source.find("context dev"), std::string::npos);
}

TEST_F(ConfigTest, FilesRelativeToKubeconfigAndNamedContext) {
  Write("certs/ca.crt", kCaPem);
  Write("certs/token", "  s3cret\n");
  std::string path = Write("conf/../kubeconfig", R"(current-context: a
clusters:
- name: c
  cluster: {server: "https://k8s.example:443", certificate-authority: certs/ca.crt}
users:
- name: t
  user: {token: static-token}
- name: f
  user: {tokenFile: certs/token}
contexts:
- {name: a, context: {cluster: c, user: t}}
- {name: b, context: {cluster: c, user: f}}
)");
  auto a = LoadKubeconfig(path, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->token, "static-token");
  EXPECT_EQ(a->ca_pem, kCaPem);
  EXPECT_EQ(a->default_namespace, "default");
  KubeconfigOptions o;
  o.context = "b";
  auto b = LoadKubeconfig(path, o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->token_file, (dir_ / "certs/token").string());
  EXPECT_TRUE(b->token.empty());
}

TEST_F(ConfigTest, RefusesInsecureUnlessAllowed) {
  std::string path = Write("kc", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)");
  auto refused = LoadKubeconfig(path, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("insecure-skip-tls-verify"), std::string::npos);
  EXPECT_NE(refused.status().message().find(path), std::string::npos);
  KubeconfigOptions allow;
  allow.allow_insecure = true;
  auto allowed = LoadKubeconfig(path, allow);
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(allowed->insecure_skip_tls_verify);
}

TEST_F(ConfigTest, ErrorsNameFileAndField) {
  auto expect_error = [&](const std::string& yaml, const std::string& fragment) {
    std::string path = Write("bad", yaml);
    auto cfg = LoadKubeconfig(path, {});
    ASSERT_FALSE(cfg.ok()) << yaml;
    EXPECT_NE(cfg.status().message().find(fragment), std::string::npos) << cfg.status().message();
  };
  expect_error("current-context: nope\ncontexts: []\n", "context 'nope' is not defined");
  expect_error("clusters: []\n", "no current-context");
  expect_error(R"(current-context: x
clusters: [{name: c, cluster: {server: "ftp://h"}}]
contexts: [{name: x, context: {cluster: c}}]
)",
               "clusters[0] ('c').cluster.server");
  expect_error(R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {exec: {command: aws}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)",
               "users[0] ('u').user.exec: not supported");
  expect_error(R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h", certificate-authority: /no/such/ca.crt}}]
contexts: [{name: x, context: {cluster: c}}]
)",
               "/no/such/ca.crt");
  expect_error(R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h", certificate-authority-data: "@@@"}}]
contexts: [{name: x, context: {cluster: c}}]
)",
               "certificate-authority-data: base64");
  expect_error(R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {client-certificate-data: )" +
                   Base64(kCertPem) + R"(}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)",
               "must be given together");
  expect_error("current-context: [oops\n", "not YAML");
  expect_error(R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h", certificate-authority-data: )" +
                   Base64("not pem") + R"(}}]
contexts: [{name: x, context: {cluster: c}}]
)",
               "not PEM data");
}

TEST_F(ConfigTest, MergesSeveralFilesFirstWins) {
  std::string a = Write("a", R"(current-context: one
clusters: [{name: c, cluster: {server: "https://first:1"}}]
users: [{name: u, user: {token: first}}]
contexts: [{name: one, context: {cluster: c, user: u}}]
)");
  std::string b = Write("b", R"(current-context: two
clusters: [{name: c, cluster: {server: "https://second:2"}}, {name: d, cluster: {server: "https://d:3"}}]
users: [{name: u, user: {token: second}}]
contexts: [{name: two, context: {cluster: d, user: u}}]
)");
  auto cfg = LoadKubeconfig(a + ":" + b, {});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->server, "https://first:1");
  KubeconfigOptions two;
  two.context = "two";
  auto cfg2 = LoadKubeconfig(a + ":" + b, two);
  ASSERT_TRUE(cfg2.ok());
  EXPECT_EQ(cfg2->server, "https://d:3");
  EXPECT_EQ(cfg2->token, "first");  // user 'u' from the first file
}

TEST_F(ConfigTest, InCluster) {
  InClusterPaths paths;
  paths.token = Write("sa/token", "eyJhbGciOi.token\n");
  paths.ca = Write("sa/ca.crt", kCaPem);
  paths.namespace_file = Write("sa/namespace", "prebell-system\n");
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  auto lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto cfg = LoadInClusterConfig(paths, lookup);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->token_file, paths.token);
  EXPECT_EQ(cfg->ca_pem, kCaPem);
  EXPECT_EQ(cfg->default_namespace, "prebell-system");

  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  EXPECT_EQ(LoadInClusterConfig(paths, lookup)->server, "https://[fd00::1]:443");

  env.erase("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(LoadInClusterConfig(paths, lookup).status().code(), StatusCode::kFailedPrecondition);

  env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
  InClusterPaths missing = paths;
  missing.token = (dir_ / "sa/absent").string();
  auto no_token = LoadInClusterConfig(missing, lookup);
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.status().message().find("sa/absent"), std::string::npos);
}

TEST_F(ConfigTest, DefaultOrder) {
  std::string kc = Write("kc", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://from-env:1"}}]
contexts: [{name: x, context: {cluster: c}}]
)");
  std::map<std::string, std::string> env = {{"KUBECONFIG", kc}};
  auto lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(LoadDefaultConfig("", {}, lookup)->server, "https://from-env:1");
  env.clear();
  env["HOME"] = (dir_ / "nohome").string();
  EXPECT_EQ(LoadDefaultConfig("", {}, lookup).status().code(), StatusCode::kFailedPrecondition);
  Write("home/.kube/config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://from-home:1"}}]
contexts: [{name: x, context: {cluster: c}}]
)");
  env["HOME"] = (dir_ / "home").string();
  EXPECT_EQ(LoadDefaultConfig("", {}, lookup)->server, "https://from-home:1");
}

}  // namespace
}  // namespace prebell::kube
