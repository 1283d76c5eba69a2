// Test support: an HttpTransport that plays back scripted answers and
// records what it was asked.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "controller/prom/http_transport.h"

namespace prebell::prom::testing {

struct RecordedRequest {
  std::string path;
  std::string form;
  std::chrono::milliseconds timeout{0};
};

class ScriptedHttp final : public HttpTransport {
 public:
  using Handler = std::function<StatusOr<HttpResponse>(const RecordedRequest&)>;

  void Push(StatusOr<HttpResponse> r) { script_.push_back(std::move(r)); }
  void PushJson(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    script_.push_back(std::move(r));
  }
  // Answers every request not covered by the script.
  void SetHandler(Handler h) { handler_ = std::move(h); }

  StatusOr<HttpResponse> PostForm(const std::string& path, const std::string& form,
                                  std::chrono::milliseconds timeout) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back({path, form, timeout});
    if (!script_.empty()) {
      StatusOr<HttpResponse> r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    if (handler_) return handler_(requests_.back());
    return InternalError("script ran out");
  }

  const std::vector<RecordedRequest>& requests() const { return requests_; }

 private:
  std::mutex mu_;
  std::deque<StatusOr<HttpResponse>> script_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
};

// The value of `key` in a form body ("" if absent), percent-decoded.
inline std::string FormValue(const std::string& form, const std::string& key) {
  size_t pos = 0;
  while (pos <= form.size()) {
    size_t amp = form.find('&', pos);
    if (amp == std::string::npos) amp = form.size();
    std::string pair = form.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == key) {
      std::string v = pair.substr(eq + 1), out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
          out.push_back(static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(v[i] == '+' ? ' ' : v[i]);
        }
      }
      return out;
    }
    pos = amp + 1;
  }
  return "";
}

}  // namespace prebell::prom::testing
