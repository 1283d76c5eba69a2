// TokenSource: the bearer token for each request, re-read as it rotates.
//
// Projected service-account tokens are rewritten by the kubelet about every
// hour (and expire); a client that reads its token once stops working. A
// file-backed source re-reads the file when its copy is older than the
// refresh period (one minute by default) and whenever Invalidate() is called
// (the transport does so after a 401). If a re-read fails the previous token
// is kept: the file is rewritten atomically, so a failed read is transient.
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "controller/kube/clock.h"
#include "policies/common/status.h"

namespace prebell::kube {

class TokenSource {
 public:
  static std::shared_ptr<TokenSource> Static(std::string token);
  static std::shared_ptr<TokenSource> FromFile(
      std::string path, std::shared_ptr<const Clock> clock,
      std::chrono::seconds refresh = std::chrono::seconds(60));

  // The current token (surrounding whitespace removed).
  StatusOr<std::string> Token();
  // Forces a re-read on the next Token().
  void Invalidate();
  // True if Invalidate() can produce a different token (a file source).
  bool Rotates() const { return !path_.empty(); }

 private:
  TokenSource() = default;

  std::string path_;  // empty for a static token
  std::shared_ptr<const Clock> clock_;
  std::chrono::seconds refresh_{60};

  std::mutex mu_;
  std::string token_;
  std::optional<MonoTime> read_at_;  // unset: read on next use
};

// Reads a whole file; kNotFound / kPermissionDenied / kInvalidArgument name
// the file.
StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace prebell::kube
