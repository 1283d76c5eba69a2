// Test helpers for integration tests against the real kube-apiserver of the
// control-plane fixture (tests/controlplane/README.md): reads the fixture's
// environment, builds clients with each kind of credentials, runs child
// processes.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "controller/kube/client.h"
#include "controller/kube/config.h"
#include "controller/kube/rest_transport.h"
#include "controller/kube/token_source.h"

extern char** environ;

namespace prebell::kube::testing {

inline std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The fixture's variables; a test fails (not skips) when they are missing:
// it must never pass silently without a control plane.
struct TestCluster {
  std::string kubeconfig, server, ca_file, token_file, cert_file, key_file, dir;

  static TestCluster FromEnv() {
    TestCluster c{Env("KUBECONFIG"),
                  Env("PREBELL_TEST_APISERVER"),
                  Env("PREBELL_TEST_CA"),
                  Env("PREBELL_TEST_ADMIN_TOKEN_FILE"),
                  Env("PREBELL_TEST_CLIENT_CERT"),
                  Env("PREBELL_TEST_CLIENT_KEY"),
                  Env("PREBELL_TEST_CONTROLPLANE_DIR")};
    return c;
  }
  bool ok() const { return !kubeconfig.empty() && !server.empty() && !ca_file.empty(); }
};

#define PREBELL_REQUIRE_CLUSTER(cluster)                                               \
  ASSERT_TRUE((cluster).ok())                                                          \
      << "the control-plane fixture's environment is missing (KUBECONFIG, "            \
         "PREBELL_TEST_APISERVER, PREBELL_TEST_CA): run through ctest, which sources " \
         "its env file"

inline std::shared_ptr<Client> ClientFor(const ClusterConfig& cfg, RequestObserver observer = {}) {
  auto t = RestTransport::Create(cfg);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return nullptr;
  ClientOptions o;
  o.observer = std::move(observer);
  return std::make_shared<Client>(*t, o);
}

inline std::shared_ptr<Client> AdminClient(RequestObserver observer = {}) {
  auto cfg = LoadKubeconfig(TestCluster::FromEnv().kubeconfig, {});
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return nullptr;
  return ClientFor(*cfg, std::move(observer));
}

inline std::string RandomSuffix() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 6; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789"[rd() % 36];
  return s;
}

// Creates a namespace for one test suite and deletes it afterwards.
inline std::string CreateNamespace(Client& c, const std::string& prefix) {
  std::string ns = prefix + "-" + RandomSuffix();
  auto r = c.Create(resources::Namespaces(), "",
                    {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return ns;
}

inline nlohmann::json ConfigMap(const std::string& name, nlohmann::json data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", std::move(data)}};
}

// Compacts etcd's history up to `revision` through its JSON gateway, so that
// watches and lists from older resourceVersions get 410 Gone. (The API
// server's resourceVersion is etcd's revision: a test may know that, the
// controller must not.)
inline Status CompactEtcd(const std::string& revision) {
  ClusterConfig cfg;
  cfg.server = Env("PREBELL_TEST_ETCD");
  if (cfg.server.empty()) return FailedPreconditionError("PREBELL_TEST_ETCD is not set");
  auto t = RestTransport::Create(cfg);
  if (!t.ok()) return t.status();
  HttpRequest r;
  r.method = HttpMethod::kPost;
  r.path = "/v3/kv/compaction";
  r.body = nlohmann::json{{"revision", revision}, {"physical", true}}.dump();
  r.content_type = "application/json";
  auto resp = (*t)->Send(r);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) {
    return InternalError("etcd compaction: HTTP " + std::to_string(resp->status) + ": " +
                         resp->body);
  }
  return OkStatus();
}

// Polls `pred` every 50 ms for up to `timeout` (real time).
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// A child process whose stdout is read line by line.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    Kill(SIGKILL);
    if (fd_ >= 0) close(fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }

  // The next line, or nullopt after `timeout` or at EOF.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[512];
      ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  // Reads lines until one contains `text`.
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto line = ReadLine(left);
      if (!line) return false;
      lines_.push_back(*line);
      if (line->find(text) != std::string::npos) return true;
    }
    return false;
  }
  const std::vector<std::string>& lines() const { return lines_; }

  void Kill(int sig) {
    if (pid_ > 0) {
      kill(pid_, sig);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_status_ = status;
      pid_ = -1;
    }
  }
  int exit_status() const { return exit_status_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  int exit_status_ = -1;
  std::string buf_;
  std::vector<std::string> lines_;
};

}  // namespace prebell::kube::testing
