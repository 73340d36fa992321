#include "params.hpp"

#include <algorithm>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

namespace consolegate::inspect::detail {

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
    auto p = boost::urls::make_pct_string_view(boost::urls::string_view(s.data(), s.size()));
    if (!p) return std::nullopt;
    boost::urls::encoding_opts opt;
    opt.space_as_plus = plus_as_space;
    return p->decode(opt);
}

void parse_urlencoded(std::string_view s, std::string_view where, std::vector<param>& out) {
    while (!s.empty()) {
        auto amp = s.find('&');
        auto piece = s.substr(0, amp);
        s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
        if (piece.empty()) continue;
        auto eq = piece.find('=');
        auto raw_name = piece.substr(0, eq);
        auto raw_value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
        param p;
        p.where = std::string(where);
        auto n = percent_decode(raw_name, true);
        auto v = percent_decode(raw_value, true);
        p.bad_escape = !n || !v;
        p.name = n ? std::move(*n) : std::string(raw_name);
        p.value = v ? std::move(*v) : std::string(raw_value);
        out.push_back(std::move(p));
    }
}

namespace {
constexpr char lower_c(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower_c(x) == lower_c(y);
           });
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool icontains(std::string_view s, std::string_view needle) noexcept {
    if (needle.empty()) return true;
    auto it = std::search(s.begin(), s.end(), needle.begin(), needle.end(),
                          [](char x, char y) { return lower_c(x) == lower_c(y); });
    return it != s.end();
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = lower_c(c);
    return out;
}

std::string_view trim(std::string_view s) noexcept {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

bool name_is(std::string_view name, std::string_view wanted) noexcept {
    return iequals(trim(name), wanted);
}

std::string source_of(const param& p) {
    return p.where + ":" + std::string(trim(p.name));
}

std::vector<std::string_view> header_values(const core::http_request_view& req,
                                            std::string_view name) {
    std::vector<std::string_view> out;
    for (auto& [n, v] : req.headers) {
        if (iequals(n, name)) out.push_back(v);
    }
    return out;
}

}  // namespace consolegate::inspect::detail
