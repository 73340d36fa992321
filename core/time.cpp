#include "consolegate/core/time.hpp"

#include <cstdio>

namespace consolegate::core {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        char c = s[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::string format_rfc3339(time_point t) {
    using namespace std::chrono;
    auto ms = floor<milliseconds>(t);
    auto day = floor<days>(ms);
    year_month_day ymd{day};
    hh_mm_ss hms{ms - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                  long(hms.minutes().count()), long(hms.seconds().count()),
                  long(hms.subseconds().count()));
    return buf;
}

std::optional<time_point> parse_rfc3339(std::string_view s) {
    using namespace std::chrono;
    int y, mo, d, h, mi, sec;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
    // Years outside 1970..2200 are nobody's sign-in, and keeping them out keeps every instant
    // (plus any duration added to it) inside system_clock's nanosecond range (±292 years).
    // RFC 3339 allows second 60 (a leap second); system_clock has none, so it is clamped to 59.
    if (!ymd.ok() || y < 1970 || y > 2200 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (sec == 60) sec = 59;
    std::size_t pos = 19;
    nanoseconds frac{0};
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        long long v = 0;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 9) {  // digits past nanoseconds are dropped
                v = v * 10 + (s[pos] - '0');
                ++n;
            }
            ++pos;
        }
        if (pos == start) return std::nullopt;
        while (n < 9) {
            v *= 10;
            ++n;
        }
        frac = nanoseconds{v};
    }
    if (pos >= s.size()) return std::nullopt;
    minutes offset{0};
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om;
        if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset = hours{oh} + minutes{om};
        if (s[pos] == '-') offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + frac - offset;
    return time_point{duration_cast<system_clock::duration>(t.time_since_epoch())};
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
    using namespace std::chrono;
    std::size_t i = 0;
    long long v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (v > 1'000'000'000LL) return std::nullopt;  // no overflow for any unit below
        v = v * 10 + (s[i] - '0');
        ++i;
    }
    if (i == 0) return std::nullopt;
    auto unit = s.substr(i);
    if (unit == "ms") return milliseconds{v};
    if (unit == "s") return seconds{v};
    if (unit == "m") return minutes{v};
    if (unit == "h") return hours{v};
    if (unit == "d") return days{v};
    return std::nullopt;
}

}  // namespace consolegate::core
