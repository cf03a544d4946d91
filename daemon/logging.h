// Daemon logs (spdlog, on stderr so systemd's journal and docker collect them): human-readable
// text by default, JSON lines when configured. Lines about a feed carry its URL, lines about an
// article its id too, as fields a log pipeline can filter on. Never pass secrets.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace raqib::daemon {

// Configures the process-wide logger. `level`: trace|debug|info|warn|error; `format`:
// text|json. Safe to call again (SIGHUP). Returns false on an unknown level or format.
bool SetupLogging(const std::string& level, const std::string& format);

// The structured context of a log line; empty fields are left out.
struct LogFields {
  std::string_view feed;     // feed URL
  std::string_view article;  // article id
};

// Logs `message` with its fields. Thread-safe.
void Log(spdlog::level::level_enum level, std::string_view message, const LogFields& fields = {});

// Renders one line the way SetupLogging(…, format) would, without timestamp (for tests).
std::string FormatLogLine(bool json, spdlog::level::level_enum level, std::string_view message,
                          const LogFields& fields);

}  // namespace raqib::daemon
