#pragma once
// RFC 3339 timestamps (audit events, `explain --now`, `logs --since`). Pure: converts values, never
// reads the clock.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace consolegate::core {

using time_point = std::chrono::system_clock::time_point;

// "2026-11-23T04:15:46.123Z" (UTC, milliseconds).
std::string format_rfc3339(time_point t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", 't'/'z' in either case, and a space for 'T'
// (RFC 3339 §5.6 note). Fractions beyond nanoseconds are truncated; a leap second (:60) reads as
// :59. nullopt on anything else, including out-of-range fields (month 13, Feb 30, hour 24) and
// years outside 1970..2200 (which would overflow system_clock).
std::optional<time_point> parse_rfc3339(std::string_view text);

// "30s", "15m", "12h", "7d", "500ms" → duration; nullopt otherwise. Used for `logs --since 1h`.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace consolegate::core
