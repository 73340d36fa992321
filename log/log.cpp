#include "consolegate/log/log.hpp"

#include <unistd.h>

#include <cstdio>

namespace consolegate::log {
namespace {

std::atomic<level> current{level::info};

std::string_view name(level l) {
    switch (l) {
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warn: return "warn";
        case level::error: return "error";
    }
    return "info";
}

// RFC 3339 in UTC with milliseconds, the audit records' format (core::format_rfc3339), written
// here so the facade depends on the standard library alone.
std::string timestamp(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                  long(hms.minutes().count()), long(hms.seconds().count()),
                  long(hms.subseconds().count()));
    return buf;
}

// logfmt value: bare when it is simple, otherwise quoted with \" \\ and control characters
// escaped, so one event is always one line whatever a hostile client sent.
void append_value(std::string& out, std::string_view v) {
    bool bare = !v.empty();
    for (unsigned char c : v) {
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
            bare = false;
            break;
        }
    }
    if (bare) {
        out += v;
        return;
    }
    out += '"';
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

}  // namespace

std::optional<level> level_from_string(std::string_view s) {
    for (auto l : {level::debug, level::info, level::warn, level::error}) {
        if (name(l) == s) return l;
    }
    return std::nullopt;
}

void set_level(level l) {
    current.store(l, std::memory_order_relaxed);
}
bool enabled(level l) {
    return l >= current.load(std::memory_order_relaxed);
}

std::string format_line(level l, std::string_view component, std::string_view message,
                        std::initializer_list<field> fields) {
    std::string line;
    line.reserve(128);
    line += "level=";
    line += name(l);
    line += " component=";
    append_value(line, component);
    line += " msg=";
    append_value(line, message);
    for (auto& f : fields) {
        line += ' ';
        line += f.key;
        line += '=';
        append_value(line, f.value);
    }
    return line;
}

void write(level l, std::string_view component, std::string_view message,
           std::initializer_list<field> fields) {
    if (!enabled(l)) return;
    std::string line = "ts=" + timestamp(std::chrono::system_clock::now()) + " " +
                       format_line(l, component, message, fields) + "\n";
    // One write(2) per line: lines from different threads never interleave.
    auto n = ::write(STDERR_FILENO, line.data(), line.size());
    (void)n;  // nowhere left to report a failed write to stderr
}

std::optional<std::uint64_t> rate_limit::allow(std::chrono::steady_clock::time_point now) {
    auto t = now.time_since_epoch().count();
    auto next = next_.load(std::memory_order_relaxed);
    if (t < next ||
        !next_.compare_exchange_strong(
            next, t + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval_)
                          .count())) {
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    return suppressed_.exchange(0, std::memory_order_relaxed);
}

}  // namespace consolegate::log
