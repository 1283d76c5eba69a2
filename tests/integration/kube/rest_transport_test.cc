// RestTransport against real local HTTP(S) servers (cpprestsdk's listener on
// 127.0.0.1): what the API server cannot show us from the outside. Bodies go
// with Content-Length (never chunked), the bearer token is re-read from its
// file after a 401, TLS verifies the server against the configured CA only
// (and its name) and presents the client certificate, a watch body arrives
// intact however the server splits it, idle timeouts and cancellation work.
#include "controller/kube/rest_transport.h"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "controller/kube/client.h"
#include "controller/kube/scripted_transport.h"
#include "controller/kube/token_source.h"

namespace prebell::kube {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

struct Seen {
  std::string method, path, content_length, transfer_encoding, content_type, authorization, body;
};

// A listener that records requests and answers through `handler`.
class Server {
 public:
  using Handler = std::function<void(web::http::http_request, const Seen&)>;

  Server(const std::string& scheme, Handler handler, http_listener_config config = {}, int port = 0)
      : port_(port != 0 ? port : FreePort()),
        listener_(scheme + "://127.0.0.1:" + std::to_string(port_), config),
        handler_(std::move(handler)) {
    listener_.support([this](web::http::http_request req) {
      Seen s;
      s.method = req.method();
      s.path = req.relative_uri().to_string();
      auto h = req.headers();
      if (h.has("Content-Length")) s.content_length = h["Content-Length"];
      if (h.has("Transfer-Encoding")) s.transfer_encoding = h["Transfer-Encoding"];
      if (h.has("Content-Type")) s.content_type = h["Content-Type"];
      if (h.has("Authorization")) s.authorization = h["Authorization"];
      try {
        s.body = req.extract_utf8string(true).get();
      } catch (...) {
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(s);
      }
      handler_(req, s);
    });
    listener_.open().wait();
  }
  ~Server() {
    try {
      listener_.close().wait();
    } catch (...) {
    }
  }
  int port() const { return port_; }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  int port_;
  http_listener listener_;
  Handler handler_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

void ReplyJson(web::http::http_request& req, int status, const std::string& body) {
  web::http::http_response r(static_cast<web::http::status_code>(status));
  r.set_body(body, "application/json");
  req.reply(r).wait();
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("prebell-rt-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string Read(const std::string& name) const { return *ReadFileToString(*this / name); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(RestTransport, PatchHasContentLengthAndTheExactContentType) {
  Server server("http", [](web::http::http_request req, const Seen&) {
    ReplyJson(req, 200, R"({"kind":"ConfigMap","metadata":{"name":"cm"}})");
  });
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(server.port());
  auto t = RestTransport::Create(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Client client(*t);
  std::string big(200000, 'x');  // larger than one chunk of the client's buffer
  auto r = client.Patch(resources::ConfigMaps(), "d", "cm", PatchType::kMerge,
                        {{"data", {{"big", big}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto apply =
      client.Apply(resources::ConfigMaps(), "d",
                   {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cm"}}}},
                   "prebell", true);
  ASSERT_TRUE(apply.ok()) << apply.status().ToString();
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "PATCH");
  EXPECT_EQ(seen[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(seen[0].transfer_encoding, "");
  EXPECT_EQ(seen[0].content_length, std::to_string(seen[0].body.size()));
  EXPECT_GT(seen[0].body.size(), 200000u);
  EXPECT_EQ(seen[1].content_type, "application/apply-patch+yaml");
  EXPECT_EQ(seen[1].path, "/api/v1/namespaces/d/configmaps/cm?fieldManager=prebell&force=true");
  EXPECT_EQ(seen[1].content_length, std::to_string(seen[1].body.size()));
}

TEST(RestTransport, BearerTokenReReadAfter401) {
  std::atomic<int> calls{0};
  Server server("http", [&](web::http::http_request req, const Seen& s) {
    ++calls;
    if (s.authorization != "Bearer second") {
      ReplyJson(req, 401, R"({"kind":"Status","code":401,"reason":"Unauthorized","message":"no"})");
    } else {
      ReplyJson(req, 200, R"({"kind":"Namespace","metadata":{"name":"default"}})");
    }
  });
  TempDir dir;
  std::ofstream(dir / "token") << "first\n";
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(server.port());
  cfg.token_file = dir / "token";
  auto t = RestTransport::Create(cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Client client(*t);
  auto denied = client.Get(resources::Namespaces(), "", "default");
  EXPECT_EQ(denied.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(calls.load(), 2);                  // re-read after the 401 and retried once: same token
  std::ofstream(dir / "token") << "second\n";  // the kubelet rotated it
  auto ok = client.Get(resources::Namespaces(), "", "default");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto seen = server.seen();
  EXPECT_EQ(seen.back().authorization, "Bearer second");
  EXPECT_EQ(seen[0].authorization, "Bearer first");
}

TEST(RestTransport, ConnectionRefusedIsUnavailableAndTheClientRecovers) {
  int port = FreePort();
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(port);
  auto t = RestTransport::Create(cfg);
  ASSERT_TRUE(t.ok());
  Client client(*t);
  auto refused = client.Get(resources::Namespaces(), "", "x");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
  // The server comes up: the same transport (with a fresh http_client after
  // the error) reaches it.
  Server server(
      "http", [](web::http::http_request req, const Seen&) { ReplyJson(req, 200, "{}"); }, {},
      port);
  auto ok = client.Get(resources::Namespaces(), "", "x");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

// Certificates made with the openssl command line for one test run.
class Pki {
 public:
  Pki() {
    std::string d = dir_ / "";
    std::string script =
        "set -e; cd '" + d +
        "'\n"
        "gen() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key "
        "-out $1.csr -subj \"/CN=$2\" 2>/dev/null; }\n"
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
        "-out ca.crt -subj /CN=prebell-test-ca -days 1 2>/dev/null\n"
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key "
        "-out other.crt -subj /CN=other-ca -days 1 2>/dev/null\n"
        "gen server 127.0.0.1; printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext\n"
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out "
        "server.crt -days 1 -extfile san.ext 2>/dev/null\n"
        "gen wrongname example.com; printf 'subjectAltName=DNS:example.com\\n' > wn.ext\n"
        "openssl x509 -req -in wrongname.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out "
        "wrongname.crt -days 1 -extfile wn.ext 2>/dev/null\n"
        "gen client prebell\n"
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out "
        "client.crt -days 1 2>/dev/null\n";
    ok_ = std::system(("bash -c " + Quote(script)).c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return dir_ / name; }
  std::string pem(const std::string& name) const { return dir_.Read(name); }

 private:
  static std::string Quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }
  TempDir dir_;
  bool ok_ = false;
};

http_listener_config TlsServerConfig(const Pki& pki, const std::string& name, bool require_client) {
  http_listener_config c;
  std::string crt = pki.path(name + ".crt"), key = pki.path(name + ".key"), ca = pki.path("ca.crt");
  c.set_ssl_context_callback([crt, key, ca, require_client](boost::asio::ssl::context& ctx) {
    ctx.use_certificate_chain_file(crt);
    ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
    if (require_client) {
      ctx.load_verify_file(ca);
      ctx.set_verify_mode(boost::asio::ssl::verify_peer |
                          boost::asio::ssl::verify_fail_if_no_peer_cert);
    }
  });
  return c;
}

TEST(RestTransport, TlsWithClusterCaAndClientCertificate) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << "openssl failed";
  Server server(
      "https",
      [](web::http::http_request req, const Seen&) {
        ReplyJson(req, 200, R"({"kind":"Namespace","metadata":{"name":"default"}})");
      },
      TlsServerConfig(pki, "server", true));
  ClusterConfig cfg;
  cfg.server = "https://127.0.0.1:" + std::to_string(server.port());
  cfg.ca_pem = pki.pem("ca.crt");
  cfg.client_cert_pem = pki.pem("client.crt");
  cfg.client_key_pem = pki.pem("client.key");
  {
    auto t = RestTransport::Create(cfg);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    auto r = Client(*t).Get(resources::Namespaces(), "", "default");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  {  // no client certificate: the server refuses the handshake
    ClusterConfig c = cfg;
    c.client_cert_pem.clear();
    c.client_key_pem.clear();
    auto r = Client(*RestTransport::Create(c)).Get(resources::Namespaces(), "", "default");
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  }
  {  // another CA: the server is not trusted
    ClusterConfig c = cfg;
    c.ca_pem = pki.pem("other.crt");
    auto r = Client(*RestTransport::Create(c)).Get(resources::Namespaces(), "", "default");
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  }
  {  // a key that does not belong to the certificate is refused up front
    ClusterConfig c = cfg;
    c.client_key_pem = pki.pem("other.key");
    auto t = RestTransport::Create(c);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("does not match"), std::string::npos);
    c = cfg;
    c.ca_pem = "-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n";
    EXPECT_EQ(RestTransport::Create(c).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(RestTransport, TlsChecksTheHostName) {
  Pki pki;
  ASSERT_TRUE(pki.ok());
  Server server(
      "https", [](web::http::http_request req, const Seen&) { ReplyJson(req, 200, "{}"); },
      TlsServerConfig(pki, "wrongname", false));
  ClusterConfig cfg;
  cfg.server = "https://127.0.0.1:" + std::to_string(server.port());
  cfg.ca_pem = pki.pem("ca.crt");
  auto r = Client(*RestTransport::Create(cfg)).Get(resources::Namespaces(), "", "default");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  // tls-server-name makes the name in the certificate the one to check.
  cfg.tls_server_name = "example.com";
  auto ok = Client(*RestTransport::Create(cfg)).Get(resources::Namespaces(), "", "default");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(RestTransport, WatchBodyArrivesIntactWhateverTheSplit) {
  // The server writes three events in 3-byte pieces with pauses, chunked.
  std::string events =
      WatchLine("ADDED", {{"metadata", {{"name", "a"}, {"resourceVersion", "2"}}},
                          {"data", {{"k", std::string(5000, 'y')}}}}) +
      WatchLine("BOOKMARK", {{"metadata", {{"resourceVersion", "3"}}}}) +
      WatchLine("DELETED", {{"metadata", {{"name", "a"}, {"resourceVersion", "4"}}}});
  std::vector<std::thread> writers;
  Server server("http", [&](web::http::http_request req, const Seen&) {
    concurrency::streams::producer_consumer_buffer<uint8_t> buf;
    web::http::http_response r(200);
    r.set_body(buf.create_istream(), "application/json");
    req.reply(r);
    writers.emplace_back([buf, events]() mutable {
      for (size_t i = 0; i < events.size(); i += 3) {
        std::string piece = events.substr(i, 3);
        buf.putn_nocopy(reinterpret_cast<const uint8_t*>(piece.data()), piece.size()).wait();
        buf.sync().wait();
        if (i % 300 == 0) std::this_thread::sleep_for(milliseconds(1));
      }
      buf.close(std::ios_base::out).wait();
    });
  });
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(server.port());
  Client client(*RestTransport::Create(cfg));
  WatchOptions o;
  o.timeout_seconds = 60;
  auto w = client.Watch(resources::ConfigMaps(), "d", o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::vector<WatchEventType> types;
  for (;;) {
    auto ev = (*w)->Next();
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    if (!ev->has_value()) break;
    types.push_back((*ev)->type);
    if ((*ev)->type == WatchEventType::kAdded) {
      EXPECT_EQ((*ev)->object["data"]["k"].get<std::string>().size(), 5000u);
    }
  }
  EXPECT_EQ(types, (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kBookmark,
                                                WatchEventType::kDeleted}));
  for (auto& t : writers) t.join();
}

TEST(RestTransport, WatchIdleTimeoutAndCancel) {
  concurrency::streams::producer_consumer_buffer<uint8_t> held;
  Server server("http", [&](web::http::http_request req, const Seen&) {
    web::http::http_response r(200);
    r.set_body(held.create_istream(), "application/json");
    req.reply(r);  // headers, then silence
  });
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(server.port());
  auto t = RestTransport::Create(cfg);
  ASSERT_TRUE(t.ok());
  HttpRequest req = *BuildWatch(resources::ConfigMaps(), "d", {});
  auto resp = (*t)->Stream(req, seconds(30));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  ASSERT_EQ(resp->status, 200);
  auto idle = resp->body->Read(milliseconds(200));
  EXPECT_EQ(idle.status().code(), StatusCode::kDeadlineExceeded);
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(100));
    resp->body->Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto cancelled = resp->body->Read(seconds(10));
  canceller.join();
  EXPECT_EQ(cancelled.status().code(), StatusCode::kAborted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
  held.close(std::ios_base::out).wait();
}

}  // namespace
}  // namespace prebell::kube
