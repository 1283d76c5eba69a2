#include "controller/prom/cpprest_transport.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

namespace prebell::prom {
namespace {

using Clock = std::chrono::steady_clock;
using web::http::client::http_client;
using web::http::client::http_client_config;

constexpr size_t kReadChunk = 64 * 1024;
// How long to wait for a cancelled request to wind down before giving up on
// it (its continuation only touches shared state, so abandoning it is safe).
constexpr std::chrono::seconds kCancelGrace{5};

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

// Signals when a task finished, without ever blocking inside a pplx
// continuation (CONTROLLER-NOTES 11).
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

template <typename T>
bool WaitUntil(const pplx::task<T>& task, Clock::time_point deadline) {
  auto c = std::make_shared<Completion>();
  task.then([c](pplx::task<T> done) {
    // Observe the outcome here (the task is complete, so this does not
    // block): pplx raises SIGTRAP for a failed or cancelled task whose
    // exception nobody looked at, and after a timeout nobody else will.
    try {
      done.wait();
    } catch (...) {
    }
    std::lock_guard<std::mutex> lock(c->mu);
    c->done = true;
    c->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(c->mu);
  return c->cv.wait_until(lock, deadline, [&] { return c->done; });
}

// Bytes the download has put into the block (0 if the buffer is closed).
size_t Written(const concurrency::streams::rawptr_buffer<uint8_t>& sink) {
  const auto pos = sink.getpos(std::ios_base::out);
  return pos < 0 ? 0 : static_cast<size_t>(pos);
}

// Whether a failed download was stopped by the block being full: the
// block's own error, or a failure within a read of its end (cpprestsdk
// reads in pieces of about kReadChunk, sometimes more).
bool StoppedByCap(const std::string& error, size_t written, size_t cap) {
  return error.find("past the end of the buffer") != std::string::npos ||
         written + kReadChunk > cap;
}

std::string ReadFile(const std::string& path, Status& status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    status = UnavailableError("cannot read '" + path + "'");
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string FormEncode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

struct CpprestTransport::Impl {
  CpprestTransportOptions options;
  std::string ca_pem;
  std::mutex mu;
  std::shared_ptr<http_client> client;

  std::shared_ptr<http_client> NewClient() const {
    http_client_config cfg;
    // Our own deadline bounds each exchange; cpprestsdk's per-chunk timeout
    // only needs to be no shorter than any deadline we use.
    cfg.set_timeout(std::chrono::seconds(600));
    cfg.set_validate_certificates(true);
    cfg.set_chunksize(kReadChunk);
    if (!ca_pem.empty()) {
      std::string ca = ca_pem;
      cfg.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) {
        X509_STORE* store = X509_STORE_new();
        std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(ca.data(), static_cast<int>(ca.size())));
        while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
          X509_STORE_add_cert(store, x);
          X509_free(x);
        }
        ERR_clear_error();
        SSL_CTX_set_cert_store(ctx.native_handle(), store);
      });
    }
    return std::make_shared<http_client>(web::uri(options.base_url), cfg);
  }

  std::shared_ptr<http_client> Client() {
    std::lock_guard<std::mutex> lock(mu);
    return client;
  }

  void Replace(const std::shared_ptr<http_client>& broken) {
    std::lock_guard<std::mutex> lock(mu);
    if (client != broken) return;
    try {
      client = NewClient();
    } catch (...) {
      // Keep the old one: the URL was validated in Create.
    }
  }
};

CpprestTransport::CpprestTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CpprestTransport::~CpprestTransport() = default;

const CpprestTransportOptions& CpprestTransport::options() const { return impl_->options; }

StatusOr<std::shared_ptr<CpprestTransport>> CpprestTransport::Create(
    CpprestTransportOptions options) {
  const std::string& url = options.base_url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return InvalidArgumentError("prometheus url '" + url + "': not an http:// or https:// URL");
  }
  if (!web::uri::validate(url)) {
    return InvalidArgumentError("prometheus url '" + url + "': not a valid URL");
  }
  if (options.max_body_bytes < 4 * kReadChunk) {
    return InvalidArgumentError("prometheus max body size must be at least " +
                                std::to_string(4 * kReadChunk) + " bytes, got " +
                                std::to_string(options.max_body_bytes));
  }
  auto impl = std::make_unique<Impl>();
  if (!options.ca_file.empty()) {
    Status s;
    impl->ca_pem = ReadFile(options.ca_file, s);
    if (!s.ok()) return InvalidArgumentError("prometheus ca file: " + s.message());
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(impl->ca_pem.data(), static_cast<int>(impl->ca_pem.size())));
    X509* first = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (first == nullptr) {
      return InvalidArgumentError("prometheus ca file '" + options.ca_file +
                                  "': no PEM certificate in it");
    }
    X509_free(first);
  }
  impl->options = std::move(options);
  try {
    impl->client = impl->NewClient();
  } catch (const std::exception& e) {
    return InvalidArgumentError("prometheus url '" + impl->options.base_url + "': " + e.what());
  }
  return std::shared_ptr<CpprestTransport>(new CpprestTransport(std::move(impl)));
}

StatusOr<HttpResponse> CpprestTransport::PostForm(const std::string& path, const std::string& form,
                                                  std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string what = "POST " + path;
  const std::string timed_out =
      what + ": no complete answer within " + std::to_string(timeout.count()) + " ms";
  std::shared_ptr<http_client> client = impl_->Client();
  pplx::cancellation_token_source cts;
  auto cancel = [&] {
    try {
      cts.cancel();
    } catch (...) {
    }
    impl_->Replace(client);
  };

  web::http::http_request req(web::http::methods::POST);
  std::string token;
  if (!impl_->options.bearer_token_file.empty()) {
    Status s;
    token = Trim(ReadFile(impl_->options.bearer_token_file, s));
    if (!s.ok()) return s.WithContext(what + ": bearer token file");
  }
  try {
    req.set_request_uri(web::uri(path));
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", impl_->options.user_agent);
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
    req.set_body(form, "application/x-www-form-urlencoded");
  } catch (const std::exception& e) {
    return InvalidArgumentError(what + ": " + e.what());
  }

  HttpResponse out;
  const size_t cap = impl_->options.max_body_bytes;
  // Not value-initialised: untouched pages of a large block cost nothing.
  // Shared with the download, which may still write after we gave up.
  std::shared_ptr<uint8_t[]> storage(new uint8_t[cap + 1]);
  concurrency::streams::rawptr_buffer<uint8_t> sink(storage.get(), cap + 1, std::ios::out);
  try {
    req.set_response_stream(concurrency::streams::ostream(sink));
    pplx::task<web::http::http_response> sent = client->request(req, cts.get_token());
    // The block must outlive the download, which may go on for a moment
    // after we stop waiting for it.
    sent.then([storage](pplx::task<web::http::http_response> t) {
      try {
        t.get().content_ready().then([storage](pplx::task<web::http::http_response> body) {
          try {
            body.wait();
          } catch (...) {
          }
        });
      } catch (...) {
      }
    });
    if (!WaitUntil(sent, deadline)) {
      cancel();
      WaitUntil(sent, Clock::now() + kCancelGrace);
      return DeadlineExceededError(timed_out);
    }
    web::http::http_response resp = sent.get();
    out.status = resp.status_code();
    out.content_type = resp.headers().content_type();
    utility::string_t value;
    if (resp.headers().match(web::http::header_names::retry_after, value)) {
      value = Trim(value);
      if (!value.empty() && value.size() < 9 &&
          value.find_first_not_of("0123456789") == std::string::npos) {
        out.retry_after = std::chrono::seconds(std::stoll(value));
      }
    }
    if (resp.headers().match(web::http::header_names::content_length, value)) {
      value = Trim(value);
      if (value.find_first_not_of("0123456789") == std::string::npos &&
          (value.size() > 18 || std::stoull(value) > cap)) {
        cancel();
        return ResourceExhaustedError(what + ": answer of " + value + " bytes is over the cap of " +
                                      std::to_string(cap) + " bytes");
      }
    }
    // cpprestsdk reads the body ahead of any consumer into the response
    // stream; a fixed block of cap + 1 bytes as that stream bounds memory:
    // a write past it fails the download (see StoppedByCap).
    auto ready = resp.content_ready();
    const bool in_time = WaitUntil(ready, deadline);
    if (!in_time) {
      cancel();
      WaitUntil(ready, Clock::now() + kCancelGrace);
    }
    const size_t written = Written(sink);
    if (written > cap || (!in_time && written >= cap)) {
      cancel();
      return ResourceExhaustedError(what + ": answer is over the cap of " + std::to_string(cap) +
                                    " bytes");
    }
    if (!in_time) return DeadlineExceededError(timed_out);
    ready.get();  // throws if the download failed
    out.body.assign(reinterpret_cast<const char*>(storage.get()), written);
  } catch (const std::exception& e) {
    impl_->Replace(client);
    const std::string m = e.what();
    if (StoppedByCap(m, Written(sink), cap)) {
      cancel();
      return ResourceExhaustedError(what + ": answer is over the cap of " + std::to_string(cap) +
                                    " bytes");
    }
    if (Lower(m).find("timed out") != std::string::npos)
      return DeadlineExceededError(what + ": " + m);
    return UnavailableError(what + ": " + m);
  } catch (...) {
    impl_->Replace(client);
    return UnavailableError(what + ": unknown transport error");
  }
  return out;
}

}  // namespace prebell::prom
