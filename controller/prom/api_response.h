// Decoding what the Prometheus HTTP API answers (/api/v1/query and
// /api/v1/query_range), strictly.
//
// The envelope is {"status": "success"|"error", "data": {...},
// "errorType": ..., "error": ..., "warnings": [...]}. Decode accepts exactly
// the documented shapes and refuses everything else with a message that
// names the query and what was wrong: garbage or truncated JSON, a missing
// or mistyped field, a value that is not a number in Prometheus's text form
// ("1.5", "NaN", "+Inf", "-Inf"), a native-histogram sample where a float
// was expected, samples of a series out of order, an unexpected resultType.
// Unknown extra fields are ignored (newer Prometheus versions add some, e.g.
// "infos"). NaN and infinities are decoded as such; whether they are
// acceptable is the caller's business (see PrometheusClient::QueryValue).
//
// No exception leaves this module: the JSON library's exceptions are caught
// here and become a malformed-answer error.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "policies/common/status.h"
#include "policies/common/time_text.h"

namespace prebell::prom {

struct Sample {
  // Evaluation timestamp; Prometheus reports milliseconds, the fraction of a
  // second is dropped (the client always asks for whole-second instants).
  Instant time{};
  double value = 0;
};

struct Series {
  std::map<std::string, std::string> labels{};
  std::vector<Sample> samples{};  // strictly increasing time
};

enum class ResultType { kVector, kMatrix, kScalar, kString };
std::string_view ResultTypeName(ResultType type);

struct QueryData {
  ResultType type = ResultType::kVector;
  // vector: one sample per series; matrix: one or more; scalar: one series
  // without labels holding one sample. Never populated for kString.
  std::vector<Series> series{};
  std::vector<std::string> warnings;
};

// What kind of problem a failed decode is; drives both the request counter
// and the Status code.
enum class DecodeProblem {
  kMalformed,   // not a valid Prometheus answer
  kQueryError,  // a valid error answer: Prometheus refused or failed the query
};

// Either the data (status ok) or why not. A malformed answer gets
// kUnavailable (the server gave nothing usable; the caller's input was not
// at fault); an error answer gets StatusCodeForErrorType.
struct DecodeResult {
  bool ok() const { return status.ok(); }
  QueryData data;
  Status status;
  DecodeProblem problem = DecodeProblem::kMalformed;  // meaningful when !ok()
};

// Decodes a response body. `context` names the query in messages, e.g.
// "query 'sum(up)'". `http_status` is used only to pick the Status code of
// an error answer whose errorType is unknown.
DecodeResult DecodeApiResponse(std::string_view body, int http_status, std::string_view context);

// Prometheus's text form of a sample value: a decimal or exponent number,
// "NaN", "+Inf", "-Inf" (also "Inf"). False for anything else, including
// surrounding spaces.
bool ParseSampleValue(std::string_view text, double& out);

// The Status code for a Prometheus errorType ("bad_data", "execution",
// "timeout", "canceled", "internal", "unavailable", "not_found").
StatusCode StatusCodeForErrorType(std::string_view error_type, int http_status);

}  // namespace prebell::prom
