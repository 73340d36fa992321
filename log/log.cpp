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

// logfmt value: bare when it is simple, otherwise quoted with \" \\ escaped and the bytes of
// every character that does not show as itself (char_at) written \xNN, so one event is always
// one line, read as written, whatever a hostile client sent.
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
    for (std::size_t i = 0; i < v.size();) {
        auto ch = char_at(v, i);
        if (v[i] == '"' || v[i] == '\\') {
            out += '\\';
            out += v[i];
        } else if (!ch.shows_itself) {
            static constexpr char hex[] = "0123456789abcdef";
            for (std::size_t k = 0; k < ch.length; ++k) {
                auto c = static_cast<unsigned char>(v[i + k]);
                out += "\\x";
                out += hex[c >> 4];
                out += hex[c & 15];
            }
        } else {
            out.append(v.substr(i, ch.length));
        }
        i += ch.length;
    }
    out += '"';
}

}  // namespace

shown_char char_at(std::string_view s, std::size_t i) noexcept {
    auto lead = static_cast<unsigned char>(s[i]);
    std::size_t n = lead < 0x80           ? 1
                    : (lead >> 5) == 0x6  ? 2
                    : (lead >> 4) == 0xe  ? 3
                    : (lead >> 3) == 0x1e ? 4
                                          : 0;
    if (n == 0 || i + n > s.size()) return {1, false};
    char32_t c = n == 1 ? lead : n == 2 ? lead & 0x1f : n == 3 ? lead & 0x0f : lead & 0x07;
    for (std::size_t k = 1; k < n; ++k) {
        auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xc0) != 0x80) return {1, false};
        c = (c << 6) | (b & 0x3f);
    }
    bool acts = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x61c ||
                (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
                (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
    return {n, !acts};
}

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
