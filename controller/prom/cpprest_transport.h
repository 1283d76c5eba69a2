// CpprestTransport: HttpTransport on cpprestsdk (http and https).
//
// Keeps one http_client and replaces it after any transport error (a client
// that failed to read a status line can stay unusable: CONTROLLER-NOTES 11).
// The per-attempt timeout covers the whole exchange: cpprestsdk's own
// timeout restarts on every chunk, so a server dripping one byte a second
// would never trip it; a deadline of our own cancels the request instead.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "controller/prom/http_transport.h"

namespace prebell::prom {

struct CpprestTransportOptions {
  // e.g. "http://prometheus.monitoring:9090" or "https://host/prometheus".
  std::string base_url{};
  // Bodies above this are refused (kResourceExhausted); at least 256 KiB.
  // A block of this size is reserved per request (untouched pages are not
  // resident), and it is all cpprestsdk may buffer of a body.
  size_t max_body_bytes = 32 * 1024 * 1024;
  // When set, read before every request and sent as "Authorization: Bearer".
  std::string bearer_token_file{};
  // PEM file of CAs to trust instead of the system's (https only).
  std::string ca_file{};
  std::string user_agent = "prebell";
};

class CpprestTransport final : public HttpTransport {
 public:
  // kInvalidArgument naming the option when the URL is not http(s) or the CA
  // file cannot be read.
  static StatusOr<std::shared_ptr<CpprestTransport>> Create(CpprestTransportOptions options);
  ~CpprestTransport() override;

  StatusOr<HttpResponse> PostForm(const std::string& path, const std::string& form,
                                  std::chrono::milliseconds timeout) override;

  const CpprestTransportOptions& options() const;

 private:
  struct Impl;
  explicit CpprestTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace prebell::prom
