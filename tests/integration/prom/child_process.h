// Test support: a child process in its own process group, with its output
// in a log file, stopped (SIGTERM, then SIGKILL) when the object goes away.
// Plus a free loopback port and a temporary directory.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace prebell::testing {

class ChildProcess {
 public:
  // Empty pointer (and `error` set) when the program cannot be started.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             const std::string& log_path, std::string& error) {
    if (argv.empty() || argv[0].empty()) {
      error = "no program given";
      return nullptr;
    }
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) {
      error = "cannot open log " + log_path;
      return nullptr;
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(log);
      error = "fork failed";
      return nullptr;
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);
    ::close(log);
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, log_path));
  }

  ~ChildProcess() { Stop(); }

  bool Running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }

  void Stop() {
    if (exited_) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100 && Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (Running()) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exited_ = true;
    }
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
};

// A port nothing listens on right now (the kernel's pick; another process
// could take it before we use it, which is unlikely enough on loopback).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

inline std::string MakeTempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  const char* dir = ::mkdtemp(buf.data());
  return dir ? std::string(dir) : std::string();
}

// Runs `argv` with `input` on stdin; returns its exit status and output.
inline int RunWithInput(const std::vector<std::string>& argv, const std::string& input,
                        const std::string& dir, std::string& output) {
  const std::string in_path = dir + "/stdin.txt";
  const std::string out_path = dir + "/stdout.txt";
  { std::ofstream(in_path, std::ios::binary) << input; }
  std::string cmd;
  for (const std::string& a : argv) cmd += "'" + a + "' ";
  cmd += "< '" + in_path + "' > '" + out_path + "' 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream out(out_path);
  std::stringstream ss;
  ss << out.rdbuf();
  output = ss.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace prebell::testing
