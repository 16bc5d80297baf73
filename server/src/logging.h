// One-line structured logs on stderr:
//   ts=2026-11-29T11:09:01.123Z level=info event=request route=/healthz ...
// Values with spaces, quotes or '=' are quoted. Callers never pass secrets
// (passwords, tokens, Authorization headers, bodies). Thread-safe.
#ifndef CASESYNC_SERVER_LOGGING_H_
#define CASESYNC_SERVER_LOGGING_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace casesync::server {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// nullopt for anything but debug|info|warn|error.
std::optional<LogLevel> LogLevelFromName(std::string_view name);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

using LogField = std::pair<std::string_view, std::string>;
void Log(LogLevel level, std::string_view event,
         std::initializer_list<LogField> fields = {});

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_LOGGING_H_
