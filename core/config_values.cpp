#include "config_values.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace consolegate::core {

std::string endpoint::str() const {
    std::string host = address.str();
    if (!address.is_v4()) host = "[" + host + "]";
    return host + ":" + std::to_string(port);
}

}  // namespace consolegate::core

namespace consolegate::core::config_detail {
namespace {

bool parse_u64(std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string quoted(std::string_view s) {
    // Untrusted text goes into diagnostics: keep it short and printable.
    std::string r = "\"";
    for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        r += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (s.size() > 80) r += "...";
    return r + "\"";
}

std::string parse_duration(std::string_view s, duration& out) {
    const std::string hint =
        "expected a duration like \"500ms\", \"30s\", \"5m\", \"12h\" or \"7d\"";
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    std::uint64_t n = 0;
    if (digits == 0 || !parse_u64(s.substr(0, digits), n)) return hint + ", got " + quoted(s);
    std::string_view unit = s.substr(digits);
    std::uint64_t ms_per = 0;
    if (unit == "ms")
        ms_per = 1;
    else if (unit == "s")
        ms_per = 1000;
    else if (unit == "m")
        ms_per = 60'000;
    else if (unit == "h")
        ms_per = 3'600'000;
    else if (unit == "d")
        ms_per = 86'400'000;
    else if (unit.empty())
        return hint + " (a unit is required), got " + quoted(s);
    else
        return hint + "; unknown unit " + quoted(unit);
    constexpr std::uint64_t max_ms = 100ULL * 365 * 86'400'000;
    if (n > max_ms / ms_per) return "duration " + quoted(s) + " is too long (at most 100 years)";
    out = duration(static_cast<duration::rep>(n * ms_per));
    return {};
}

std::string parse_size(std::string_view s, std::uint64_t& out) {
    const std::string hint =
        "expected a size like \"64KiB\", \"1MiB\", \"2GiB\" or a number of bytes";
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    std::uint64_t n = 0;
    if (digits == 0 || !parse_u64(s.substr(0, digits), n)) return hint + ", got " + quoted(s);
    std::string_view unit = s.substr(digits);
    std::uint64_t mult = 0;
    if (unit.empty() || unit == "B")
        mult = 1;
    else if (unit == "KiB")
        mult = 1ULL << 10;
    else if (unit == "MiB")
        mult = 1ULL << 20;
    else if (unit == "GiB")
        mult = 1ULL << 30;
    else if (unit == "KB" || unit == "kB" || unit == "MB" || unit == "GB" || unit == "K" ||
             unit == "M" || unit == "G")
        return "ambiguous size unit " + quoted(unit) + ": write KiB, MiB or GiB (powers of 1024)";
    else
        return hint + "; unknown unit " + quoted(unit);
    if (n > std::numeric_limits<std::uint64_t>::max() / mult)
        return "size " + quoted(s) + " is too large";
    out = n * mult;
    return {};
}

std::string parse_endpoint(std::string_view s, std::uint16_t default_port, endpoint& out) {
    const std::string hint =
        default_port != 0 ? "expected an IP address with an optional port (\"192.0.2.1\", "
                            "\"192.0.2.1:53\", \"[2001:db8::1]:53\")"
                          : "expected an IP address and a port (\"127.0.0.1:53\", \"[::1]:53\")";
    std::string_view host;
    std::string_view port;
    bool has_port = false;
    if (s.starts_with('[')) {
        auto close = s.find(']');
        if (close == std::string_view::npos) return hint + ", got " + quoted(s) + " (missing ']')";
        host = s.substr(1, close - 1);
        std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return hint + ", got " + quoted(s);
            port = rest.substr(1);
            has_port = true;
        }
        auto a = ip_address::parse(host);
        if (!a || a->is_v4()) return hint + ", got " + quoted(s) + " (not an IPv6 address in [])";
    } else {
        auto colon = s.find(':');
        if (colon != std::string_view::npos && s.find(':', colon + 1) != std::string_view::npos) {
            // Several colons: a bare IPv6 address, which cannot carry a port without brackets.
            host = s;
            if (default_port == 0)
                return hint + ", got " + quoted(s) + " (write IPv6 with a port as \"[addr]:port\")";
        } else if (colon != std::string_view::npos) {
            host = s.substr(0, colon);
            port = s.substr(colon + 1);
            has_port = true;
        } else {
            host = s;
        }
    }
    auto addr = ip_address::parse(host);
    if (!addr) {
        if (host.empty()) return hint + ", got " + quoted(s);
        return hint + ", got " + quoted(s) + " (" + quoted(host) +
               " is not an IP address; host names are not resolved here)";
    }
    std::uint64_t p = default_port;
    if (has_port) {
        if (!parse_u64(port, p) || p < 1 || p > 65535)
            return "port must be a number from 1 to 65535, got " + quoted(port) + " in " +
                   quoted(s);
    } else if (default_port == 0) {
        return hint + ", got " + quoted(s) + " (the port is missing)";
    }
    out.address = *addr;
    out.port = static_cast<std::uint16_t>(p);
    return {};
}

std::string parse_cidr(std::string_view s, cidr& out) {
    if (auto c = cidr::parse(s)) {
        // ::a.b.c.d/N (N >= 96): no client is held in that form (core::parse_client_address
        // refuses it wherever a client's address is read), so the network would match nobody.
        if (c->network().is_v4_compatible() && c->prefix_length() >= 96) {
            const auto v4_bits = c->prefix_length() - 96;
            return "CIDR " + quoted(s) +
                   " is an IPv4-compatible IPv6 network, which no client is held as; write it "
                   "as IPv4: \"" +
                   ip_address::from_v4(c->network().v4()).str() + "/" + std::to_string(v4_bits) +
                   "\"";
        }
        out = *c;
        return {};
    }
    auto slash = s.find('/');
    if (slash != std::string_view::npos) {
        auto addr = ip_address::parse(s.substr(0, slash));
        std::uint64_t bits = 0;
        // An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104): the gateway holds every IPv4 client
        // in that form already, so the IPv4 network is what matches them, over IPv4 or IPv6.
        if (addr && addr->is_v4() && s.substr(0, slash).find(':') != std::string_view::npos &&
            parse_u64(s.substr(slash + 1), bits) && bits >= 96 && bits <= 128) {
            auto v4_bits = bits - 96;
            auto v4 = v4_bits == 0 ? 0U : addr->v4() & (0xffffffffU << (32 - v4_bits));
            return "CIDR " + quoted(s) + " is an IPv4-mapped IPv6 network; write it as IPv4: \"" +
                   ip_address::from_v4(v4).str() + "/" + std::to_string(v4_bits) +
                   "\" (it matches IPv4 clients whether they connect over IPv4 or IPv6)";
        }
        // The length counts 128 bits when the address is written in IPv6 ("::ffff:0:0/16").
        const bool v4_written =
            addr && addr->is_v4() && s.substr(0, slash).find(':') == std::string_view::npos;
        if (addr && parse_u64(s.substr(slash + 1), bits) && bits <= (v4_written ? 32U : 128U)) {
            // Only host bits can be left: name the network the author probably meant.
            auto b = addr->bytes();
            std::size_t total = v4_written ? bits + 96 : bits;
            for (std::size_t i = 0; i < 16; ++i) {
                std::size_t first = i * 8;
                if (first >= total)
                    b[i] = 0;
                else if (first + 8 > total)
                    b[i] = static_cast<std::uint8_t>(b[i] & (0xff << (8 - (total - first))));
            }
            std::string net = ip_address::from_v6(b).str() + "/" + std::to_string(bits);
            return "CIDR " + quoted(s) + " has host bits set; did you mean \"" + net + "\"?";
        }
    }
    return "expected a CIDR like \"10.0.0.0/8\" or \"2001:db8::/32\", got " + quoted(s);
}

std::string check_glob(std::string_view s, bool backslash) {
    if (s.empty()) return "a pattern must not be empty (use \"*\" to match anything)";
    if (s.size() > 512) return "pattern " + quoted(s) + " is longer than 512 characters";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return "pattern " + quoted(s) + " contains a control character";
        if (c == '[' || c == ']' || c == '{' || c == '}' || (c == '\\' && !backslash))
            return "pattern " + quoted(s) + " uses '" + std::string(1, c) +
                   "': only '*' and '?' are wildcards";
    }
    return {};
}

std::string check_ou_path(std::string_view s) {
    const std::string hint =
        " (an OU path looks like \"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/\" or ends in \"/*\")";
    if (s.empty()) return "OU path must not be empty" + hint;
    if (!s.ends_with('/') && !s.ends_with("/*"))
        return "OU path " + quoted(s) + " must end with \"/\" (that OU) or \"/*\" (and below)" +
               hint;
    std::string_view body = s.ends_with("/*") ? s.substr(0, s.size() - 1) : s;
    std::size_t index = 0;
    std::size_t start = 0;
    while (start < body.size()) {
        auto slash = body.find('/', start);
        std::string_view seg = body.substr(start, slash - start);
        if (index == 0 && !is_org_id(seg))
            return "OU path " + quoted(s) + ": " + quoted(seg) +
                   " is not an organization ID (o- and 10..32 of [a-z0-9])" + hint;
        if (index == 1 && !is_root_id(seg))
            return "OU path " + quoted(s) + ": " + quoted(seg) +
                   " is not a root ID (r- and 4..32 of [a-z0-9])" + hint;
        if (index >= 2 && !is_ou_id(seg))
            return "OU path " + quoted(s) + ": " + quoted(seg) +
                   " is not an OU ID (ou-<4..32>-<8..32> of [a-z0-9])" + hint;
        if (index > 6) return "OU path " + quoted(s) + " is deeper than AWS allows (5 OU levels)";
        ++index;
        start = slash + 1;
    }
    if (index == 0) return "OU path " + quoted(s) + " names no organization" + hint;
    return {};
}

std::string parse_alias(std::string_view s, std::string& out) {
    std::string a;
    for (char c : s) a += lower(c);
    const std::string rule =
        " (an account alias is 3..63 of a-z, 0-9 and '-', not starting or "
        "ending with '-', never two '-' in a row)";
    if (a.size() < 3 || a.size() > 63) return "alias " + quoted(s) + " has the wrong length" + rule;
    for (char c : a) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return "alias " + quoted(s) + " contains an invalid character" + rule;
    }
    if (!is_account_alias(a)) return "alias " + quoted(s) + " is invalid" + rule;
    if (account_id::parse(a)) return "alias " + quoted(s) + " looks like an account ID" + rule;
    // Digits and dashes that are not an ID ("11112222333", "0111122223333", "1111-22223333"):
    // the inspector refuses such an account value as unparsable (AWS may read it as an account
    // number, leading zeros added or dropped, or as an alias), so a rule reached through this
    // alias would never match. The console's spelling 1111-2222-3333 stays an alias: it is read
    // both ways. Refused here so the map names only what a sign-in can be judged as.
    if (!console_dashed_id(a) && is_digits_and_dashes(a)) {
        return "alias " + quoted(s) +
               " is digits but not a 12-digit account ID: the gateway refuses such an account "
               "value at sign-in (AWS may read it as an account number or as an alias), so no "
               "sign-in would ever match it; name the account by its 12-digit ID in the rules, "
               "or map the account's real alias (one with a letter)";
    }
    out = std::move(a);
    return {};
}

std::string check_env_name(std::string_view s) {
    bool ok = !s.empty() && s.size() <= 128 && !(s[0] >= '0' && s[0] <= '9');
    for (char c : s) {
        ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_');
    }
    if (!ok)
        return "expected an environment variable name like \"TEAM_AWS_ACCESS_KEY_ID\", got " +
               quoted(s);
    return {};
}

std::string_view nearest_key(std::string_view key, std::span<const std::string_view> known) {
    if (key.size() > 64) return {};
    std::string_view best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> prev, cur;
    for (std::string_view k : known) {
        // Levenshtein distance, case-insensitive.
        prev.resize(k.size() + 1);
        cur.resize(k.size() + 1);
        for (std::size_t j = 0; j <= k.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= key.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= k.size(); ++j) {
                std::size_t sub = prev[j - 1] + (lower(key[i - 1]) == lower(k[j - 1]) ? 0 : 1);
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
            }
            std::swap(prev, cur);
        }
        if (prev[k.size()] < best_d) {
            best_d = prev[k.size()];
            best = k;
        }
    }
    std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
    return best_d <= limit ? best : std::string_view{};
}

}  // namespace consolegate::core::config_detail
