// JsonLogFormatter: spdlog records as one JSON object per line, for log
// collectors: {"ts": RFC 3339 with milliseconds, "level", "msg", ...}.
//
// A message that is itself a JSON object (the reconcilers log every write
// as {"msg", "policy", "object", "reason", ...}) is merged field by field
// instead of being quoted, so the object and the reason of a write are
// fields a log query can select on. Any other text is escaped properly,
// whatever bytes it holds.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace prebell::logging {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Installs JSON (json=true) or human-readable text logging on stderr as
// spdlog's default logger.
void SetUpLogging(bool json);

}  // namespace prebell::logging
