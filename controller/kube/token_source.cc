#include "controller/kube/token_source.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace prebell::kube {
namespace {

std::string Trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string m = path + ": cannot open: " + std::strerror(err);
    if (err == ENOENT) return NotFoundError(m);
    if (err == EACCES) return PermissionDeniedError(m);
    return UnavailableError(m);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return UnavailableError(path + ": read error");
  return ss.str();
}

std::shared_ptr<TokenSource> TokenSource::Static(std::string token) {
  std::shared_ptr<TokenSource> s(new TokenSource());
  s->token_ = Trim(std::move(token));
  s->read_at_ = MonoTime::max();
  return s;
}

std::shared_ptr<TokenSource> TokenSource::FromFile(std::string path,
                                                   std::shared_ptr<const Clock> clock,
                                                   std::chrono::seconds refresh) {
  std::shared_ptr<TokenSource> s(new TokenSource());
  s->path_ = std::move(path);
  s->clock_ = std::move(clock);
  s->refresh_ = refresh;
  return s;
}

StatusOr<std::string> TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (path_.empty()) return token_;
  MonoTime now = clock_->Now();
  if (read_at_ && now - *read_at_ < refresh_) return token_;
  auto text = ReadFileToString(path_);
  if (!text.ok()) {
    if (!token_.empty()) return token_;  // keep the last good token
    return text.status().WithContext("token file");
  }
  std::string token = Trim(std::move(text).value());
  if (token.empty()) {
    if (!token_.empty()) return token_;
    return InvalidArgumentError("token file " + path_ + " is empty");
  }
  token_ = std::move(token);
  read_at_ = now;
  return token_;
}

void TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!path_.empty()) read_at_.reset();
}

}  // namespace prebell::kube
