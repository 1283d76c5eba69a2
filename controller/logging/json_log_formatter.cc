#include "controller/logging/json_log_formatter.h"

#include <date/date.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace prebell::logging {

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using nlohmann::json;
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  json line = json::object();
  line["ts"] =
      date::format("%FT%TZ", std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time));
  line["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size());
  json parsed = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    for (auto& [key, value] : parsed.items()) line[key] = value;
  } else {
    line["msg"] = std::string(payload);
  }
  // Invalid UTF-8 in a message must not make the log line unwritable.
  const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void SetUpLogging(bool json) {
  auto logger = std::make_shared<spdlog::logger>("prebell",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (json) {
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace prebell::logging
