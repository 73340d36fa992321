#pragma once
// The one logging facade (STYLE.md §12): level, component, a constant message, key=value fields,
// written as one logfmt line to stderr (journald and container runtimes add their own metadata).
//   log::write(log::level::warn, "dns", "upstream timeout", {{"upstream", "192.0.2.53:53"}});
// Never log bodies, cookies, Authorization headers, query strings or key material.
// Thread-safe: each line is written with one write(2).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace consolegate::log {

enum class level : std::uint8_t { debug, info, warn, error };

std::optional<level> level_from_string(std::string_view s);  // debug|info|warn|error
void set_level(level l);
bool enabled(level l);

struct field {
    std::string_view key;
    std::string value;
};

void write(level l, std::string_view component, std::string_view message,
           std::initializer_list<field> fields = {});

// The line write() would emit, without the timestamp (for tests).
std::string format_line(level l, std::string_view component, std::string_view message,
                        std::initializer_list<field> fields);

// The UTF-8 character at s[i] (i < s.size()) as a terminal would take it: its length in bytes,
// and whether it shows as itself. C0 and C1 controls, DEL, and the characters that move or hide
// text (bidirectional overrides, embeddings, isolates and marks, zero-width characters, line and
// paragraph separators, U+FEFF) do not; a byte that begins no whole UTF-8 sequence is one
// character of length 1 that does not. Log values and the record's terminal listings escape or
// replace what does not show as itself, so a hostile name can neither break a line nor move,
// recolour or reverse what follows it.
struct shown_char {
    std::size_t length;
    bool shows_itself;
};
shown_char char_at(std::string_view s, std::size_t i) noexcept;

// Lets a repeated warning through at most once per interval and counts what it suppressed;
// the next line that gets through carries `suppressed=N`. One static instance per call site.
class rate_limit {
  public:
    explicit rate_limit(std::chrono::milliseconds interval) : interval_(interval) {}
    // Returns the number suppressed since the last allowed line, or nullopt to stay quiet.
    std::optional<std::uint64_t> allow(std::chrono::steady_clock::time_point now);

  private:
    std::chrono::milliseconds interval_;
    std::atomic<std::int64_t> next_{0};
    std::atomic<std::uint64_t> suppressed_{0};
};

}  // namespace consolegate::log
