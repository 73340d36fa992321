#include "consolegate/core/glob.hpp"

#include <algorithm>
#include <bitset>

namespace consolegate::core {

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

bool has_glob_wildcard(std::string_view s) noexcept {
    return s.find_first_of("*?") != std::string_view::npos;
}

bool is_valid_name_glob(std::string_view p) noexcept {
    if (p.empty() || p.size() > 256) return false;
    for (char c : p) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '_' ||
                  c == '-' || c == '*' || c == '?';
        if (!ok) return false;
    }
    return true;
}

bool is_valid_user_glob(std::string_view p) noexcept {
    if (p.empty() || p.size() > 256) return false;
    for (char c : p) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return false;
    }
    return true;
}

namespace {

bool same(char p, char t, glob_case mode) noexcept {
    return mode == glob_case::sensitive ? p == t : ascii_lower(p) == ascii_lower(t);
}

}  // namespace

namespace {

// The bytes of the character at t[i]: a UTF-8 lead byte and its continuation bytes (user names
// may be any Unicode; '?' is one character, as in IAM's StringLike, not one byte).
std::size_t char_length(std::string_view t, std::size_t i) noexcept {
    std::size_t n = 1;
    while (n < 4 && i + n < t.size() && (static_cast<unsigned char>(t[i + n]) & 0xC0) == 0x80) ++n;
    return n;
}

// Greedy match remembering the last '*': on a mismatch, let that star swallow one more
// character. Backtracking to an earlier star is never needed, so this is O(p × t) at worst
// and no recursion depth depends on the input. `prefix`: an implicit '*' ends the pattern.
bool match(std::string_view p, std::string_view t, glob_case mode, bool prefix) noexcept {
    std::size_t pi = 0, ti = 0;
    std::size_t star = std::string_view::npos, star_t = 0;
    while (ti < t.size()) {
        if (prefix && pi == p.size()) return true;
        if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            star_t = ti;
        } else if (pi < p.size() && p[pi] == '?') {
            ++pi;
            ti += char_length(t, ti);
        } else if (pi < p.size() && same(p[pi], t[ti], mode)) {
            ++pi;
            ++ti;
        } else if (star != std::string_view::npos) {
            pi = star + 1;
            star_t += char_length(t, star_t);
            ti = star_t;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

}  // namespace

bool glob_match(std::string_view p, std::string_view t, glob_case mode) noexcept {
    return match(p, t, mode, false);
}

bool glob_match_prefix(std::string_view p, std::string_view t, glob_case mode) noexcept {
    return match(p, t, mode, true);
}

glob::glob(std::string pattern, glob_case mode) : pattern_(std::move(pattern)), mode_(mode) {
    std::string_view p = pattern_;
    auto fold = [&](std::string_view s) {
        std::string out(s);
        if (mode_ == glob_case::insensitive) {
            std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
        }
        return out;
    };
    auto first = p.find_first_of("*?");
    {
        constexpr std::string_view sso = "AWSReservedSSO_";
        auto head = p.substr(0, std::min({first, p.size(), sso.size()}));
        may_name_sso_role_ = std::equal(head.begin(), head.end(), sso.begin(),
                                        [&](char a, char b) { return same(a, b, mode_); });
    }
    if (first == std::string_view::npos) {
        shape_ = shape::literal;
        fixed_ = fold(p);
    } else if (p.find_first_not_of('*') == std::string_view::npos) {
        shape_ = shape::any;
    } else if (p.back() == '*' && first == p.size() - 1) {
        shape_ = shape::prefix;
        fixed_ = fold(p.substr(0, p.size() - 1));
    } else if (p.front() == '*' && p.find_first_of("*?", 1) == std::string_view::npos) {
        shape_ = shape::suffix;
        fixed_ = fold(p.substr(1));
    } else {
        shape_ = shape::general;
    }
}

bool glob::matches(std::string_view t) const noexcept {
    auto eq = [&](std::string_view a, std::string_view b) {
        return mode_ == glob_case::sensitive ? a == b : iequals(a, b);
    };
    switch (shape_) {
        case shape::any: return true;
        case shape::literal: return eq(t, fixed_);
        case shape::prefix:
            return t.size() >= fixed_.size() && eq(t.substr(0, fixed_.size()), fixed_);
        case shape::suffix:
            return t.size() >= fixed_.size() && eq(t.substr(t.size() - fixed_.size()), fixed_);
        case shape::general: return glob_match(pattern_, t, mode_);
    }
    return false;
}

namespace {

// The glob as a nondeterministic automaton over its positions: state i = "pattern[0, i) matched".
// Patterns are at most 512 bytes (the config loader), so a state set fits in a bitset.
constexpr std::size_t max_nfa = 513;
using states = std::bitset<max_nfa>;

// Adds every state a run of '*' lets the match reach without consuming a character.
void close_over_stars(std::string_view p, states& s) noexcept {
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (s[i] && p[i] == '*') s.set(i + 1);
    }
}

// One character: `c` known, or (c == 0) an unknown one of the SSO role suffix's lowercase hex,
// where `any_hex` says whether a literal hex character may stand for it (some suffix) or only
// '?' and '*' may (every suffix).
states step(std::string_view p, const states& s, char c, bool any_hex, glob_case mode) noexcept {
    states next;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (!s[i]) continue;
        char x = p[i];
        if (x == '*') {
            next.set(i);
        } else if (x == '?') {
            next.set(i + 1);
        } else if (c != 0) {
            if (same(x, c, mode)) next.set(i + 1);
        } else if (any_hex) {
            char h = mode == glob_case::insensitive ? ascii_lower(x) : x;
            if ((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f')) next.set(i + 1);
        }
    }
    close_over_stars(p, next);
    return next;
}

bool sso_role_match(std::string_view p, std::string_view permission_set, glob_case mode,
                    bool some) noexcept {
    if (p.size() >= max_nfa || permission_set.empty()) return false;
    // For every suffix: reading only '?' and '*' is the least any suffix can do, provided a hex
    // character exists that no literal in the pattern names (else give up: no grant).
    if (!some) {
        bool named[16] = {};
        for (char x : p) {
            char h = mode == glob_case::insensitive ? ascii_lower(x) : x;
            if (h >= '0' && h <= '9') named[h - '0'] = true;
            if (h >= 'a' && h <= 'f') named[10 + h - 'a'] = true;
        }
        if (std::all_of(std::begin(named), std::end(named), [](bool b) { return b; })) return false;
    }
    states s;
    s.set(0);
    close_over_stars(p, s);
    auto feed = [&](std::string_view text) {
        for (char c : text) {
            if (s.none()) return;
            s = step(p, s, c, some, mode);
        }
    };
    feed("AWSReservedSSO_");
    feed(permission_set);
    feed("_");
    for (int i = 0; i < 16 && s.any(); ++i) s = step(p, s, 0, some, mode);
    return s[p.size()];
}

}  // namespace

bool glob::matches_sso_role_for_some(std::string_view permission_set) const noexcept {
    return may_name_sso_role_ && sso_role_match(pattern_, permission_set, mode_, true);
}

bool glob::matches_sso_role_for_every(std::string_view permission_set) const noexcept {
    return may_name_sso_role_ && sso_role_match(pattern_, permission_set, mode_, false);
}

}  // namespace consolegate::core
