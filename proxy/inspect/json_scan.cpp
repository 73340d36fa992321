#include "json_scan.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <string>

namespace consolegate::inspect::detail {
namespace {

using boost::json::error_code;
using boost::json::string_view;

class scan_handler {
  public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = 1024 * 1024;
    static constexpr std::size_t max_key_size = 4096;

    explicit scan_handler(std::size_t max_leaves) : max_leaves_(max_leaves) {}

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) {
        frames_.push_back(current_key());
        return true;
    }
    bool on_array_end(std::size_t, error_code&) {
        frames_.pop_back();
        return true;
    }
    // An object under a key (or in an array under one) is that member's value too: marked, so
    // a reader of the member sees it is not text ({"accountId":{"id":"B"}}); its own members
    // are filed under their own keys as before.
    bool on_object_begin(error_code& ec) {
        if (!frames_.empty() && !frames_.back().empty() && !leaf({}, ec, false, true)) return false;
        frames_.push_back({});
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        frames_.pop_back();
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code& ec) {
        text_.append(s.data(), s.size());
        bool ok = leaf(std::move(text_), ec);
        text_.clear();
        return ok;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        text_.append(s.data(), s.size());
        frames_.back() = std::move(text_);
        text_.clear();
        return true;
    }
    bool on_number_part(string_view s, error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, string_view, error_code& ec) {
        text_.clear();
        return leaf(std::to_string(i), ec);
    }
    bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
        text_.clear();
        return leaf(std::to_string(u), ec);
    }
    // A fraction, an exponent or an integer too large for 64 bits ("123456789012.0",
    // "1.23456789012e11"): read from the text exactly, never through the double, so the digits
    // AWS would read are the digits judged. Not an integer: kept as text and flagged.
    bool on_double(double, string_view s, error_code& ec) {
        text_.append(s.data(), s.size());
        std::string number = std::move(text_);
        text_.clear();
        auto exact = exact_integer(number);
        if (!exact) return leaf(std::move(number), ec, true);
        return leaf(std::move(*exact), ec);
    }
    // true, false and null are kept as members without text (param::not_text): before session
    // 11 they were dropped, so {"accountId":null,"roleArn":…} read as a switch role naming only
    // the ARN's account, and a Jackson reader takes true for the alias "true".
    bool on_bool(bool, error_code& ec) { return leaf({}, ec, false, true); }
    bool on_null(error_code& ec) { return leaf({}, ec, false, true); }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

    std::vector<param> leaves;

  private:
    std::string current_key() const { return frames_.empty() ? std::string() : frames_.back(); }
    bool leaf(std::string value, error_code& ec, bool inexact = false, bool not_text = false) {
        if (leaves.size() >= max_leaves_) {
            ec = boost::json::error::exception;  // any error: the caller only needs "refused"
            return false;
        }
        leaves.push_back({current_key(), std::move(value), "json", false, inexact, not_text});
        return true;
    }

    std::size_t max_leaves_;
    std::vector<std::string> frames_;  // per open object/array: the key values are filed under
    std::string text_;
};

// Keys per open object; records the first key an object repeats.
class key_handler {
  public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = 1024 * 1024;
    static constexpr std::size_t max_key_size = 4096;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t, error_code&) { return true; }
    bool on_object_begin(error_code&) {
        keys_.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        keys_.pop_back();
        return true;
    }
    bool on_string_part(string_view, std::size_t, error_code&) { return true; }
    bool on_string(string_view, std::size_t, error_code&) { return true; }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        key_.append(s.data(), s.size());
        auto& seen = keys_.back();
        if (!repeated && std::find(seen.begin(), seen.end(), key_) != seen.end()) repeated = key_;
        seen.push_back(std::move(key_));
        key_.clear();
        return true;
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, string_view, error_code&) { return true; }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
    bool on_double(double, string_view, error_code&) { return true; }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

    std::optional<std::string> repeated;

  private:
    std::vector<std::vector<std::string>> keys_;
    std::string key_;
};

}  // namespace

std::optional<std::string> repeated_json_key(std::string_view text, int max_depth) {
    boost::json::parse_options po;
    po.max_depth = static_cast<std::size_t>(max_depth);
    boost::json::basic_parser<key_handler> p(po);
    error_code ec;
    auto n = p.write_some(false, text.data(), text.size(), ec);
    if (ec || n != text.size()) return std::nullopt;
    return std::move(p.handler().repeated);
}

std::optional<std::string> exact_integer(std::string_view num) {
    std::string sign;
    if (!num.empty() && num.front() == '-') {
        sign = "-";
        num.remove_prefix(1);
    }
    auto e = num.find_first_of("eE");
    auto mantissa = num.substr(0, e);
    long exp = 0;
    if (e != std::string_view::npos) {
        auto x = num.substr(e + 1);
        bool neg = !x.empty() && x.front() == '-';
        if (!x.empty() && (x.front() == '-' || x.front() == '+')) x.remove_prefix(1);
        if (x.empty() || x.size() > 4) return std::nullopt;  // |exp| over 9999: never an ID
        for (char c : x) {
            if (c < '0' || c > '9') return std::nullopt;
            exp = exp * 10 + (c - '0');
        }
        if (neg) exp = -exp;
    }
    auto dot = mantissa.find('.');
    std::string digits(mantissa.substr(0, dot));
    long point = static_cast<long>(digits.size()) + exp;
    if (dot != std::string_view::npos) digits.append(mantissa.substr(dot + 1));
    if (digits.empty() || point > 64) return std::nullopt;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    for (long i = std::max(point, 0L); i < static_cast<long>(digits.size()); ++i) {
        if (digits[static_cast<std::size_t>(i)] != '0') return std::nullopt;
    }
    if (point <= 0) return std::string("0");
    if (point > static_cast<long>(digits.size()))
        digits.resize(static_cast<std::size_t>(point), '0');
    digits.resize(static_cast<std::size_t>(point));
    auto nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? std::string("0") : digits.substr(nz);
    return digits == "0" ? digits : sign + digits;
}

namespace {

bool scan_one(std::string_view text, const json_scan_limits& limits, int nesting,
              std::vector<param>& out) {
    boost::json::parse_options po;
    po.max_depth = static_cast<std::size_t>(limits.max_depth);
    boost::json::basic_parser<scan_handler> p(po, limits.max_leaves);
    error_code ec;
    auto n = p.write_some(false, text.data(), text.size(), ec);
    if (ec || n != text.size()) return false;
    auto& leaves = p.handler().leaves;
    for (auto& l : leaves) {
        if (out.size() >= limits.max_leaves) return false;
        out.push_back(l);
        auto inner = trim(l.value);
        if (nesting < limits.max_nesting && inner.starts_with("{")) {
            // Not JSON after all is fine: it stays an ordinary string.
            std::vector<param> nested;
            if (scan_one(inner, limits, nesting + 1, nested)) {
                for (auto& x : nested) {
                    if (out.size() >= limits.max_leaves) return false;
                    out.push_back(std::move(x));
                }
            }
        }
    }
    return true;
}

}  // namespace

std::optional<std::vector<param>> scan_json(std::string_view text, const json_scan_limits& limits) {
    std::vector<param> out;
    if (!scan_one(text, limits, 0, out)) return std::nullopt;
    return out;
}

}  // namespace consolegate::inspect::detail
