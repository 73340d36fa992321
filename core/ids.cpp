#include "consolegate/core/ids.hpp"

namespace consolegate::core {
namespace {

constexpr std::uint64_t account_limit = 1'000'000'000'000ULL;  // 10^12

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z');
}

bool all_lower_alnum(std::string_view s, std::size_t min, std::size_t max) {
    if (s.size() < min || s.size() > max) return false;
    for (char c : s) {
        if (!is_lower_alnum(c)) return false;
    }
    return true;
}

}  // namespace

std::optional<account_id> account_id::parse(std::string_view text) noexcept {
    if (text.size() != 12) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    account_id a;
    a.value_ = v;
    return a;
}

std::optional<account_id> account_id::from_number(std::uint64_t n) noexcept {
    if (n >= account_limit) return std::nullopt;
    account_id a;
    a.value_ = n;
    return a;
}

std::string account_id::str() const {
    std::string s(12, '0');
    std::uint64_t v = value_;
    for (int i = 11; i >= 0 && v != 0; --i) {
        s[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return s;
}

bool is_org_id(std::string_view s) noexcept {
    return s.starts_with("o-") && all_lower_alnum(s.substr(2), 10, 32);
}

bool is_root_id(std::string_view s) noexcept {
    return s.starts_with("r-") && all_lower_alnum(s.substr(2), 4, 32);
}

bool is_ou_id(std::string_view s) noexcept {
    if (!s.starts_with("ou-")) return false;
    s.remove_prefix(3);
    auto dash = s.find('-');
    if (dash == std::string_view::npos) return false;
    return all_lower_alnum(s.substr(0, dash), 4, 32) && all_lower_alnum(s.substr(dash + 1), 8, 32);
}

bool is_account_alias(std::string_view s) noexcept {
    if (s.size() < 3 || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
    if (s.find("--") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

bool console_dashed_id(std::string_view s) noexcept {
    if (s.size() != 14) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 4 || i == 9 ? s[i] != '-' : !is_digit(s[i])) return false;
    }
    return true;
}

bool is_digits_and_dashes(std::string_view s) noexcept {
    return !s.empty() && is_digit(s.front()) && is_digit(s.back()) &&
           s.find_first_not_of("0123456789-") == std::string_view::npos;
}

}  // namespace consolegate::core
