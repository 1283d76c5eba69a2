#include "controller/prom/prometheus_client.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

namespace prebell::prom {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string Seconds(Instant t) { return std::to_string(t.time_since_epoch().count()); }

std::string Snippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (body.size() > 200) out += "...";
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

std::string FormatLabels(const std::map<std::string, std::string>& labels) {
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ", ";
    out += k + "=\"" + v + "\"";
  }
  return out + "}";
}

StatusCode CodeForHttpStatus(int status) {
  if (status == 401) return StatusCode::kUnauthenticated;
  if (status == 403) return StatusCode::kPermissionDenied;
  if (status == 404) return StatusCode::kNotFound;
  if (status == 429 || status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kFailedPrecondition;
}

bool RetryableHttpStatus(int status) { return status == 429 || status >= 500; }

}  // namespace

std::string_view ApiLabel(Api api) { return api == Api::kQueryRange ? "query_range" : "query"; }

std::string_view RequestResultLabel(RequestResult result) {
  switch (result) {
    case RequestResult::kSuccess:
      return "success";
    case RequestResult::kEmpty:
      return "empty";
    case RequestResult::kQueryError:
      return "query_error";
    case RequestResult::kHttpError:
      return "http_error";
    case RequestResult::kMalformed:
      return "malformed";
    case RequestResult::kNetworkError:
      return "network_error";
  }
  return "malformed";
}

std::string DescribeQuery(std::string_view promql) {
  std::string q(promql.substr(0, 200));
  if (promql.size() > 200) q += "...";
  return "query '" + q + "'";
}

PrometheusClient::PrometheusClient(std::shared_ptr<HttpTransport> transport, ClientOptions options,
                                   RequestObserver observer, Sleeper sleeper)
    : transport_(std::move(transport)),
      options_(options),
      observer_(std::move(observer)),
      sleeper_(std::move(sleeper)),
      rng_(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()) {
  // Defensive: ValidateOptions is where bad options are reported.
  options_.max_attempts = std::max(1, options_.max_attempts);
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

Status PrometheusClient::ValidateOptions(const ClientOptions& o) {
  if (o.timeout < std::chrono::milliseconds(100)) {
    return InvalidArgumentError("prometheus timeout must be at least 100ms, got " +
                                std::to_string(o.timeout.count()) + "ms");
  }
  if (o.max_attempts < 1 || o.max_attempts > 10) {
    return InvalidArgumentError("prometheus max attempts must be in 1..10, got " +
                                std::to_string(o.max_attempts));
  }
  if (o.initial_backoff.count() < 0 || o.max_backoff < o.initial_backoff) {
    return InvalidArgumentError("prometheus backoff: need 0 <= initial <= max");
  }
  return OkStatus();
}

void PrometheusClient::Report(Api api, RequestResult result, SteadyClock::time_point started) {
  if (!observer_) return;
  observer_(RequestReport{api, result, SteadyClock::now() - started});
}

std::chrono::milliseconds PrometheusClient::BackoffDelay(int retry,
                                                         std::optional<std::chrono::seconds> hint) {
  using std::chrono::milliseconds;
  double nominal = static_cast<double>(options_.initial_backoff.count());
  for (int i = 1; i < retry && nominal < options_.max_backoff.count(); ++i) nominal *= 2;
  nominal = std::min(nominal, static_cast<double>(options_.max_backoff.count()));
  double factor;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    factor = std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
  }
  milliseconds d(static_cast<int64_t>(nominal * factor));
  if (hint) d = std::max<milliseconds>(d, *hint);
  return std::min(d, options_.max_backoff);
}

StatusOr<QueryData> PrometheusClient::Run(Api api, const std::string& context,
                                          const std::string& form, const Check& check) {
  const std::string path = api == Api::kQueryRange ? "api/v1/query_range" : "api/v1/query";
  // Prometheus gets a little less time than we wait, so that a slow query
  // ends in its own timeout error rather than in our hang-up.
  const auto server_timeout = options_.timeout * 9 / 10;
  const std::string body = form + "&timeout=" + std::to_string(server_timeout.count()) + "ms";
  Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    const auto started = SteadyClock::now();
    std::optional<std::chrono::seconds> hint;
    StatusOr<HttpResponse> sent = transport_->PostForm(path, body, options_.timeout);
    if (!sent.ok()) {
      if (sent.status().code() == StatusCode::kResourceExhausted) {
        Report(api, RequestResult::kMalformed, started);
        return sent.status().WithContext(context);
      }
      Report(api, RequestResult::kNetworkError, started);
      last = sent.status().WithContext(context);
    } else {
      const HttpResponse& resp = *sent;
      DecodeResult decoded = DecodeApiResponse(resp.body, resp.status, context);
      if (resp.status >= 200 && resp.status < 300) {
        if (!decoded.ok()) {
          Report(api,
                 decoded.problem == DecodeProblem::kQueryError ? RequestResult::kQueryError
                                                               : RequestResult::kMalformed,
                 started);
          return decoded.status;
        }
        QueryData& data = decoded.data;
        if (!data.warnings.empty() && options_.warnings_are_errors) {
          Report(api, RequestResult::kQueryError, started);
          std::string all;
          for (const std::string& w : data.warnings) all += (all.empty() ? "" : "; ") + w;
          return FailedPreconditionError(
              context + ": Prometheus warned (data may be partial): " + Snippet(all));
        }
        const bool type_ok = api == Api::kQueryRange ? data.type == ResultType::kMatrix
                                                     : (data.type == ResultType::kVector ||
                                                        data.type == ResultType::kScalar);
        if (!type_ok) {
          Report(api, RequestResult::kMalformed, started);
          return FailedPreconditionError(
              context + ": answer is a " + std::string(ResultTypeName(data.type)) +
              (api == Api::kQueryRange ? ", expected a matrix" : ", expected a vector or scalar"));
        }
        if (check) {
          Status s = check(data);
          if (!s.ok()) {
            Report(api, RequestResult::kMalformed, started);
            return s;
          }
        }
        Report(api, data.series.empty() ? RequestResult::kEmpty : RequestResult::kSuccess, started);
        return std::move(data);
      }
      if (!decoded.ok() && decoded.problem == DecodeProblem::kQueryError) {
        Report(api, RequestResult::kQueryError, started);
        last = decoded.status;
      } else {
        Report(api, RequestResult::kHttpError, started);
        last = Status(CodeForHttpStatus(resp.status),
                      context + ": HTTP " + std::to_string(resp.status) +
                          (resp.body.empty() ? "" : ": " + Snippet(resp.body)));
      }
      if (!RetryableHttpStatus(resp.status)) return last;
      hint = resp.retry_after;
    }
    if (attempt < options_.max_attempts) sleeper_(BackoffDelay(attempt, hint));
  }
  if (options_.max_attempts > 1) {
    return Status(last.code(), last.message() + " (gave up after " +
                                   std::to_string(options_.max_attempts) + " attempts)");
  }
  return last;
}

StatusOr<QueryData> PrometheusClient::Query(std::string_view promql, std::optional<Instant> at) {
  std::string form = "query=" + FormEncode(promql);
  if (at) form += "&time=" + Seconds(*at);
  return Run(Api::kQuery, DescribeQuery(promql), form, {});
}

StatusOr<QueryData> PrometheusClient::QueryRange(std::string_view promql, Instant start,
                                                 Instant end, Duration step) {
  const std::string context = DescribeQuery(promql);
  if (step <= Duration::zero()) {
    return InvalidArgumentError(context + ": range step must be positive");
  }
  if (end < start) {
    return InvalidArgumentError(context + ": range ends at " + FormatRfc3339(end) +
                                ", before its start " + FormatRfc3339(start));
  }
  const int64_t points = (end - start) / step + 1;
  if (points > kMaxPointsPerSeries) {
    return InvalidArgumentError(context + ": range of " + std::to_string(points) +
                                " points per series is over Prometheus's limit of " +
                                std::to_string(kMaxPointsPerSeries));
  }
  const std::string form = "query=" + FormEncode(promql) + "&start=" + Seconds(start) +
                           "&end=" + Seconds(end) + "&step=" + std::to_string(step.count());
  return Run(Api::kQueryRange, context, form, {});
}

StatusOr<std::optional<Reading>> PrometheusClient::QueryValue(std::string_view promql,
                                                              std::optional<Instant> at,
                                                              const ValueExpectation& expect) {
  const std::string context = DescribeQuery(promql);
  if (expect.max_age && expect.now == Instant{}) {
    return InvalidArgumentError(context + ": a maximum sample age needs the current time");
  }
  std::string form = "query=" + FormEncode(promql);
  if (at) form += "&time=" + Seconds(*at);
  Reading reading;
  Check check = [&](const QueryData& data) -> Status {
    if (data.series.empty()) return OkStatus();  // counted as empty; decided below
    if (data.series.size() > 1 && expect.series == ValueExpectation::Series::kExactlyOne) {
      std::string which;
      for (size_t i = 0; i < data.series.size() && i < 3; ++i) {
        which += (i ? ", " : "") + FormatLabels(data.series[i].labels);
      }
      if (data.series.size() > 3) which += ", ...";
      return FailedPreconditionError(
          context + ": answer has " + std::to_string(data.series.size()) +
          " series where one was expected (" + which + "); aggregate it, e.g. sum(...)");
    }
    double sum = 0;
    for (const Series& s : data.series) {
      const Sample& sample = s.samples.front();
      if (!std::isfinite(sample.value)) {
        return UnavailableError(context + ": value " + FormatValue(sample.value) + " of series " +
                                FormatLabels(s.labels) + " is not a finite number");
      }
      sum += sample.value;
    }
    reading.time = data.series.front().samples.front().time;
    reading.value = sum;
    reading.series = static_cast<int>(data.series.size());
    if (expect.max_age && expect.now - reading.time > *expect.max_age) {
      return UnavailableError(context + ": sample at " + FormatRfc3339(reading.time) + " is " +
                              FormatDuration(expect.now - reading.time) + " old (limit " +
                              FormatDuration(*expect.max_age) + ")");
    }
    return OkStatus();
  };
  StatusOr<QueryData> data = Run(Api::kQuery, context, form, check);
  if (!data.ok()) return data.status();
  if (data->series.empty()) {
    if (expect.allow_empty) return std::optional<Reading>();
    return NotFoundError(context + ": answer has no series (is the metric exported and scraped?)");
  }
  return std::optional<Reading>(reading);
}

}  // namespace prebell::prom
