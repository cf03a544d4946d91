#include "daemon/logging.h"

#include <fmt/chrono.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

namespace raqib::daemon {
namespace {

// Read on every Log() from any thread, written by SetupLogging.
std::atomic<bool> g_json{false};

void QuoteIfNeeded(std::string& out, std::string_view value) {
  if (value.find_first_of(" \t\"") == std::string_view::npos) {
    out += value;
    return;
  }
  out += nlohmann::json(std::string(value))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool SetupLogging(const std::string& level, const std::string& format) {
  const auto parsed = spdlog::level::from_str(level);
  if ((parsed == spdlog::level::off && level != "off") || (format != "text" && format != "json"))
    return false;
  g_json = format == "json";
  auto logger = spdlog::get("raqib");
  if (!logger) {
    logger = spdlog::stderr_logger_mt("raqib");
    spdlog::set_default_logger(logger);
  }
  // JSON lines are built whole in Log(): spdlog only adds the newline.
  logger->set_pattern(g_json ? "%v" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  return true;
}

std::string FormatLogLine(bool json, spdlog::level::level_enum level, std::string_view message,
                          const LogFields& fields) {
  if (json) {
    nlohmann::ordered_json line;
    line["level"] = spdlog::level::to_string_view(level).data();
    line["msg"] = std::string(message);
    if (!fields.feed.empty()) line["feed"] = std::string(fields.feed);
    if (!fields.article.empty()) line["article"] = std::string(fields.article);
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out(message);
  if (!fields.feed.empty()) out += " feed=", QuoteIfNeeded(out, fields.feed);
  if (!fields.article.empty()) out += " article=", QuoteIfNeeded(out, fields.article);
  return out;
}

void Log(spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  std::string line = FormatLogLine(g_json, level, message, fields);
  if (g_json) {
    // Timestamp first, like journald exports: easy to sort and grep.
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    line.insert(1, fmt::format("\"ts\":\"{:%Y-%m-%dT%H:%M:%S}Z\",", now));
  }
  logger->log(level, "{}", line);
}

}  // namespace raqib::daemon
