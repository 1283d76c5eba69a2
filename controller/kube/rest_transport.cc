#include "controller/kube/rest_transport.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "controller/kube/token_source.h"

namespace prebell::kube {
namespace {

using web::http::client::http_client;
using web::http::client::http_client_config;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no details";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

StatusOr<std::vector<X509Ptr>> ParseCertificates(const std::string& pem, const std::string& what) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return InternalError(what + ": out of memory");
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  ERR_clear_error();  // the read that ends the loop leaves "no start line" behind
  if (certs.empty()) return InvalidArgumentError(what + ": no PEM certificate in it");
  return certs;
}

Status CheckClientCredentials(const std::string& cert_pem, const std::string& key_pem) {
  auto certs = ParseCertificates(cert_pem, "client-certificate");
  if (!certs.ok()) return certs.status();
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return InvalidArgumentError("client-key: not a PEM private key (" + OpenSslError() + ")");
  if (X509_check_private_key((*certs)[0].get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("client-key does not match client-certificate");
  }
  return OkStatus();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::map<std::string, std::string> HeadersOf(const web::http::http_response& r) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : r.headers()) out[Lower(k)] = v;
  return out;
}

// The state a watch body shares with the continuations that read it: they
// may outlive the BodyStream, so they hold it by shared_ptr and only ever
// push into it (no blocking inside a continuation).
struct StreamState {
  std::shared_ptr<http_client> client;  // kept alive for the stream's life
  pplx::cancellation_token_source cts;
  web::http::http_response response;
  concurrency::streams::istream body;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> pieces;
  bool ended = false;
  Status end_status;  // ok: clean end

  void Push(std::string piece) {
    std::lock_guard<std::mutex> lock(mu);
    if (ended) return;
    pieces.push_back(std::move(piece));
    cv.notify_all();
  }
  void End(Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (ended) return;
    ended = true;
    end_status = std::move(s);
    cv.notify_all();
  }
  bool Ended() {
    std::lock_guard<std::mutex> lock(mu);
    return ended;
  }
};

void ReadNextLine(const std::shared_ptr<StreamState>& st) {
  if (st->Ended()) return;
  auto buf = std::make_shared<concurrency::streams::container_buffer<std::string>>();
  pplx::task<size_t> task;
  try {
    task = st->body.read_line(*buf);
  } catch (const std::exception& e) {
    st->End(UnavailableError(std::string("watch body: ") + e.what()));
    return;
  }
  task.then([st, buf](pplx::task<size_t> t) {
    size_t n = 0;
    bool eof = false;
    try {
      n = t.get();
      eof = st->body.streambuf().is_eof();
    } catch (const std::exception& e) {
      st->End(UnavailableError(std::string("watch connection broke: ") + e.what()));
      return;
    } catch (...) {
      st->End(UnavailableError("watch connection broke"));
      return;
    }
    std::string line = std::move(buf->collection());
    if (n == 0 && line.empty() && eof) {
      st->End(OkStatus());
      return;
    }
    line.push_back('\n');
    st->Push(std::move(line));
    if (eof) {
      st->End(OkStatus());
      return;
    }
    ReadNextLine(st);
  });
}

class RestBodyStream final : public BodyStream {
 public:
  explicit RestBodyStream(std::shared_ptr<StreamState> st) : st_(std::move(st)) {}
  ~RestBodyStream() override { Cancel(); }

  StatusOr<std::optional<std::string>> Read(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(st_->mu);
    st_->cv.wait_for(lock, timeout, [&] { return !st_->pieces.empty() || st_->ended; });
    if (!st_->pieces.empty()) {
      std::string piece = std::move(st_->pieces.front());
      st_->pieces.pop_front();
      return std::optional<std::string>(std::move(piece));
    }
    if (st_->ended) {
      if (st_->end_status.ok()) return std::optional<std::string>();
      return st_->end_status;
    }
    return DeadlineExceededError("no data within " + std::to_string(timeout.count()) + " ms");
  }

  void Cancel() override {
    st_->End(AbortedError("watch cancelled"));
    try {
      st_->cts.cancel();
    } catch (...) {
    }
  }

 private:
  std::shared_ptr<StreamState> st_;
};

}  // namespace

struct RestTransport::Impl {
  ClusterConfig config;
  RestTransportOptions options;
  std::shared_ptr<TokenSource> tokens;  // null: no bearer token
  pplx::cancellation_token_source shutdown;
  std::atomic<bool> shut_down{false};

  std::mutex mu;
  std::shared_ptr<http_client> client;  // for plain requests

  http_client_config MakeConfig(std::chrono::seconds timeout) const {
    http_client_config cfg;
    cfg.set_timeout(timeout);
    cfg.set_validate_certificates(!config.insecure_skip_tls_verify);
    std::string ca = config.ca_pem;
    std::string cert = config.client_cert_pem;
    std::string key = config.client_key_pem;
    cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      SSL_CTX* native = ctx.native_handle();
      SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
      if (!ca.empty()) {
        // Trust the cluster CA only: replace the store that already holds the
        // system roots.
        X509_STORE* store = X509_STORE_new();
        std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(ca.data(), static_cast<int>(ca.size())));
        while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
          X509_STORE_add_cert(store, x);
          X509_free(x);
        }
        ERR_clear_error();
        SSL_CTX_set_cert_store(native, store);
      }
      if (!cert.empty()) {
        boost::system::error_code ec;
        ctx.use_certificate_chain(boost::asio::buffer(cert), ec);
        ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem, ec);
      }
    });
    return cfg;
  }

  std::shared_ptr<http_client> NewClient(std::chrono::seconds timeout) const {
    return std::make_shared<http_client>(web::uri(config.server), MakeConfig(timeout));
  }

  std::shared_ptr<http_client> PlainClient() {
    std::lock_guard<std::mutex> lock(mu);
    return client;
  }

  // Replaces the shared client after a transport error, unless another
  // thread already did.
  void ReplaceClient(const std::shared_ptr<http_client>& broken) {
    std::lock_guard<std::mutex> lock(mu);
    if (client != broken) return;
    try {
      client = NewClient(options.request_timeout);
    } catch (...) {
      // Keep the old one; the URL was validated at Create, so this is not expected.
    }
  }

  StatusOr<web::http::http_request> Build(const HttpRequest& req) {
    web::http::http_request r(std::string(HttpMethodName(req.method)));
    r.set_request_uri(web::uri(req.PathAndQuery()));
    r.headers().add("Accept", "application/json");
    r.headers().add("User-Agent", options.user_agent);
    if (!config.tls_server_name.empty()) r.headers().add("Host", config.tls_server_name);
    if (tokens) {
      auto token = tokens->Token();
      if (!token.ok()) return token.status();
      r.headers().add("Authorization", "Bearer " + *token);
    }
    if (!req.body.empty() || req.method == HttpMethod::kPatch) {
      // The std::string overload sets Content-Length: no chunked encoding.
      r.set_body(req.body, req.content_type);
    }
    return r;
  }
};

RestTransport::RestTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RestTransport::~RestTransport() { Shutdown(); }

StatusOr<std::shared_ptr<RestTransport>> RestTransport::Create(const ClusterConfig& config,
                                                               RestTransportOptions options) {
  const std::string where = config.source.empty() ? "cluster config" : config.source;
  if (!options.clock) options.clock = SystemClock::Shared();
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return InvalidArgumentError(where + ": server '" + config.server + "' is not an https:// URL");
  }
  if (!web::uri::validate(config.server)) {
    return InvalidArgumentError(where + ": server '" + config.server + "' is not a valid URL");
  }
  if (!config.ca_pem.empty()) {
    auto certs = ParseCertificates(config.ca_pem, where + ": certificate-authority");
    if (!certs.ok()) return certs.status();
  }
  if (!config.client_cert_pem.empty() || !config.client_key_pem.empty()) {
    Status s = CheckClientCredentials(config.client_cert_pem, config.client_key_pem);
    if (!s.ok()) return s.WithContext(where);
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = options;
  if (!config.token_file.empty()) {
    impl->tokens = TokenSource::FromFile(config.token_file, options.clock, options.token_refresh);
    auto first = impl->tokens->Token();
    if (!first.ok()) return first.status().WithContext(where);
  } else if (!config.token.empty()) {
    impl->tokens = TokenSource::Static(config.token);
  }
  try {
    impl->client = impl->NewClient(options.request_timeout);
  } catch (const std::exception& e) {
    return InvalidArgumentError(where + ": cannot use server '" + config.server + "': " + e.what());
  }
  return std::shared_ptr<RestTransport>(new RestTransport(std::move(impl)));
}

void RestTransport::Shutdown() {
  if (impl_->shut_down.exchange(true)) return;
  try {
    impl_->shutdown.cancel();
  } catch (...) {
  }
}

StatusOr<HttpResponse> RestTransport::Send(const HttpRequest& request) {
  const std::string what = std::string(HttpMethodName(request.method)) + " " + request.path;
  bool retried_401 = false;
  bool retried_transport = false;
  for (;;) {
    if (impl_->shut_down) return UnavailableError("transport is shut down");
    std::shared_ptr<http_client> client = impl_->PlainClient();
    HttpResponse out;
    std::string error;
    try {
      auto req = impl_->Build(request);
      if (!req.ok()) return req.status();
      web::http::http_response resp = client->request(*req, impl_->shutdown.get_token()).get();
      out.status = resp.status_code();
      out.headers = HeadersOf(resp);
      out.body = resp.extract_utf8string(true).get();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "transport error";
    } catch (...) {
      error = "unknown transport error";
    }
    if (!error.empty()) {
      impl_->ReplaceClient(client);
      if (impl_->shut_down) return UnavailableError("transport is shut down");
      if (error.find("timed out") != std::string::npos ||
          error.find("Timed out") != std::string::npos) {
        return DeadlineExceededError(what + ": " + error);
      }
      // A pooled keep-alive connection the server closed (it restarted)
      // fails on the first write; the request never reached the server, so
      // it is safe to send it again on a fresh connection, whatever the verb.
      // A GET is safe to repeat after any transport error.
      bool unsent = error.find("Failed to write request") != std::string::npos;
      if (!retried_transport && (unsent || request.method == HttpMethod::kGet)) {
        retried_transport = true;
        continue;
      }
      return UnavailableError(what + ": " + error);
    }
    if (out.status == 401 && !retried_401 && impl_->tokens && impl_->tokens->Rotates()) {
      retried_401 = true;
      impl_->tokens->Invalidate();  // the token may have rotated: re-read and retry once
      continue;
    }
    return out;
  }
}

StatusOr<StreamResponse> RestTransport::Stream(const HttpRequest& request,
                                               std::chrono::seconds idle_timeout) {
  const std::string what = std::string(HttpMethodName(request.method)) + " " + request.path;
  for (int attempt = 0;; ++attempt) {
    if (impl_->shut_down) return UnavailableError("transport is shut down");
    auto st = std::make_shared<StreamState>();
    StreamResponse out;
    try {
      auto token = impl_->shutdown.get_token();
      st->cts = pplx::cancellation_token_source::create_linked_source(token);
      st->client = impl_->NewClient(idle_timeout);
      auto req = impl_->Build(request);
      if (!req.ok()) return req.status();
      st->response = st->client->request(*req, st->cts.get_token()).get();
      out.status = st->response.status_code();
      out.headers = HeadersOf(st->response);
      if (out.status < 200 || out.status >= 300) {
        out.error_body = st->response.extract_utf8string(true).get();
      } else {
        st->body = st->response.body();
      }
    } catch (const std::exception& e) {
      if (impl_->shut_down) return UnavailableError("transport is shut down");
      std::string m = e.what();
      if (m.find("timed out") != std::string::npos || m.find("Timed out") != std::string::npos) {
        return DeadlineExceededError(what + ": " + m);
      }
      return UnavailableError(what + ": " + m);
    } catch (...) {
      return UnavailableError(what + ": unknown transport error");
    }
    if (out.status == 401 && attempt == 0 && impl_->tokens && impl_->tokens->Rotates()) {
      impl_->tokens->Invalidate();
      continue;
    }
    if (out.status >= 200 && out.status < 300) {
      ReadNextLine(st);
      out.body = std::make_unique<RestBodyStream>(st);
    }
    return out;
  }
}

}  // namespace prebell::kube
