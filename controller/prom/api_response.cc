#include "controller/prom/api_response.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

namespace prebell::prom {
namespace {

using nlohmann::json;

// Throwing inside the decoder keeps the walk readable; Decode catches it.
struct Malformed {
  std::string what;
};

[[noreturn]] void Fail(std::string what) { throw Malformed{std::move(what)}; }

const json& Field(const json& obj, const char* name, const std::string& where) {
  auto it = obj.find(name);
  if (it == obj.end()) Fail(where + ": missing field \"" + name + "\"");
  return *it;
}

std::string Truncated(std::string_view s, size_t max = 120) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

Sample DecodeSample(const json& pair, const std::string& where) {
  if (!pair.is_array() || pair.size() != 2)
    Fail(where + ": a sample is not a [time, \"value\"] pair");
  const json& t = pair[0];
  const json& v = pair[1];
  if (!t.is_number()) Fail(where + ": sample time is not a number");
  const double ts = t.get<double>();
  if (!std::isfinite(ts) || std::fabs(ts) > 1e11) Fail(where + ": sample time out of range");
  if (!v.is_string()) Fail(where + ": sample value is not a string");
  Sample s;
  s.time = Instant(Duration(static_cast<int64_t>(std::floor(ts))));
  const std::string& text = v.get_ref<const std::string&>();
  if (!ParseSampleValue(text, s.value)) {
    Fail(where + ": sample value '" + Truncated(text) + "' is not a number");
  }
  return s;
}

std::map<std::string, std::string> DecodeLabels(const json& metric, const std::string& where) {
  if (!metric.is_object()) Fail(where + ": \"metric\" is not an object");
  std::map<std::string, std::string> labels;
  for (auto it = metric.begin(); it != metric.end(); ++it) {
    if (!it.value().is_string()) Fail(where + ": label '" + it.key() + "' is not a string");
    labels.emplace(it.key(), it.value().get<std::string>());
  }
  return labels;
}

void RejectHistogram(const json& item, const std::string& where) {
  if (item.contains("histogram") || item.contains("histograms")) {
    Fail(where + ": native histogram samples where float samples were expected");
  }
}

std::vector<Series> DecodeVector(const json& result) {
  if (!result.is_array()) Fail("vector result is not an array");
  std::vector<Series> out;
  out.reserve(result.size());
  for (size_t i = 0; i < result.size(); ++i) {
    const std::string where = "result[" + std::to_string(i) + "]";
    const json& item = result[i];
    if (!item.is_object()) Fail(where + " is not an object");
    RejectHistogram(item, where);
    Series s;
    s.labels = DecodeLabels(Field(item, "metric", where), where);
    s.samples.push_back(DecodeSample(Field(item, "value", where), where + ".value"));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Series> DecodeMatrix(const json& result) {
  if (!result.is_array()) Fail("matrix result is not an array");
  std::vector<Series> out;
  out.reserve(result.size());
  for (size_t i = 0; i < result.size(); ++i) {
    const std::string where = "result[" + std::to_string(i) + "]";
    const json& item = result[i];
    if (!item.is_object()) Fail(where + " is not an object");
    RejectHistogram(item, where);
    Series s;
    s.labels = DecodeLabels(Field(item, "metric", where), where);
    const json& values = Field(item, "values", where);
    if (!values.is_array()) Fail(where + ".values is not an array");
    s.samples.reserve(values.size());
    for (size_t j = 0; j < values.size(); ++j) {
      const std::string at = where + ".values[" + std::to_string(j) + "]";
      Sample sample = DecodeSample(values[j], at);
      if (!s.samples.empty() && sample.time <= s.samples.back().time) {
        Fail(at + ": samples out of order");
      }
      s.samples.push_back(sample);
    }
    out.push_back(std::move(s));
  }
  return out;
}

QueryData DecodeData(const json& root) {
  QueryData out;
  const json& data = Field(root, "data", "answer");
  if (!data.is_object()) Fail("\"data\" is not an object");
  const json& type = Field(data, "resultType", "data");
  if (!type.is_string()) Fail("data.resultType is not a string");
  const std::string& t = type.get_ref<const std::string&>();
  const json& result = Field(data, "result", "data");
  if (t == "vector") {
    out.type = ResultType::kVector;
    out.series = DecodeVector(result);
  } else if (t == "matrix") {
    out.type = ResultType::kMatrix;
    out.series = DecodeMatrix(result);
  } else if (t == "scalar") {
    out.type = ResultType::kScalar;
    Series s;
    s.samples.push_back(DecodeSample(result, "scalar result"));
    out.series.push_back(std::move(s));
  } else if (t == "string") {
    out.type = ResultType::kString;
    if (!result.is_array() || result.size() != 2 || !result[1].is_string()) {
      Fail("string result is not a [time, \"text\"] pair");
    }
  } else {
    Fail("unknown resultType '" + Truncated(t) + "'");
  }
  return out;
}

std::vector<std::string> DecodeWarnings(const json& root) {
  std::vector<std::string> out;
  auto it = root.find("warnings");
  if (it == root.end() || it->is_null()) return out;
  if (!it->is_array()) Fail("\"warnings\" is not an array");
  for (const json& w : *it) {
    if (!w.is_string()) Fail("a warning is not a string");
    out.push_back(w.get<std::string>());
  }
  return out;
}

}  // namespace

std::string_view ResultTypeName(ResultType type) {
  switch (type) {
    case ResultType::kVector:
      return "vector";
    case ResultType::kMatrix:
      return "matrix";
    case ResultType::kScalar:
      return "scalar";
    case ResultType::kString:
      return "string";
  }
  return "unknown";
}

bool ParseSampleValue(std::string_view text, double& out) {
  if (text == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "+Inf" || text == "Inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text.empty()) return false;
  // from_chars also takes "inf"/"nan" spellings Prometheus never writes, and
  // no leading '+'; require a digit or '.' after an optional '-'.
  const size_t first = text[0] == '-' ? 1 : 0;
  if (first >= text.size()) return false;
  const char c = text[first];
  if (!(c >= '0' && c <= '9') && c != '.') return false;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  out = v;
  return true;
}

StatusCode StatusCodeForErrorType(std::string_view error_type, int http_status) {
  if (error_type == "bad_data") return StatusCode::kInvalidArgument;
  if (error_type == "execution") return StatusCode::kFailedPrecondition;
  if (error_type == "timeout") return StatusCode::kDeadlineExceeded;
  if (error_type == "canceled" || error_type == "unavailable") return StatusCode::kUnavailable;
  if (error_type == "internal") return StatusCode::kInternal;
  if (error_type == "not_found") return StatusCode::kNotFound;
  if (http_status == 429 || http_status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kFailedPrecondition;
}

DecodeResult DecodeApiResponse(std::string_view body, int http_status, std::string_view context) {
  DecodeResult out;
  const std::string prefix = std::string(context) + ": ";
  json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    out.status = UnavailableError(prefix + "answer is not JSON (" + std::to_string(body.size()) +
                                  " bytes, starting '" + Truncated(body, 60) + "')");
    return out;
  }
  try {
    if (!root.is_object()) Fail("answer is not a JSON object");
    const json& status = Field(root, "status", "answer");
    if (!status.is_string()) Fail("\"status\" is not a string");
    const std::string& st = status.get_ref<const std::string&>();
    if (st == "error") {
      const json& type = Field(root, "errorType", "error answer");
      const json& error = Field(root, "error", "error answer");
      if (!type.is_string() || !error.is_string()) Fail("errorType/error are not strings");
      const std::string& t = type.get_ref<const std::string&>();
      out.problem = DecodeProblem::kQueryError;
      out.status = Status(StatusCodeForErrorType(t, http_status),
                          prefix + "Prometheus error " + t + ": " +
                              Truncated(error.get_ref<const std::string&>(), 500));
      return out;
    }
    if (st != "success") Fail("\"status\" is '" + Truncated(st) + "'");
    out.data = DecodeData(root);
    out.data.warnings = DecodeWarnings(root);
  } catch (const Malformed& m) {
    out.problem = DecodeProblem::kMalformed;
    out.status = UnavailableError(prefix + "malformed answer: " + m.what);
    out.data = QueryData{};
  } catch (const std::exception& e) {
    out.problem = DecodeProblem::kMalformed;
    out.status = UnavailableError(prefix + "malformed answer: " + e.what());
    out.data = QueryData{};
  }
  return out;
}

}  // namespace prebell::prom
