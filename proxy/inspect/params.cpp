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

namespace {

bool continuation(unsigned char c) noexcept {
    return (c & 0xC0) == 0x80;
}

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The next character of a decoded name as the most lenient reader sees it, consumed from `s`:
// an ASCII character lowercased, or 0x100 + the byte for a byte that no reader below turns into
// ASCII. Readers: a second percent-decoding ("%61"); a lenient UTF-8 decoder that accepts
// overlong forms (C1 A1 and E0 81 A1 are 'a'); NFKC (fullwidth U+FF01..U+FF5E are ASCII
// 0x21..0x7E); Java's equalsIgnoreCase, which compares the upper and the lower case of each
// character (U+017F is 'S', U+0131 is 'I', U+0130 is 'i', U+212A is 'k').
int next_folded(std::string_view& s) noexcept {
    auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = at(0);
    int out = 0x100 + c;
    std::size_t used = 1;
    auto ascii = [&](unsigned cp, std::size_t n) {
        if (cp < 0x80) {
            out = lower_c(static_cast<char>(cp));
            used = n;
        }
    };
    if (c == '%' && s.size() >= 3 && hex_digit(s[1]) >= 0 && hex_digit(s[2]) >= 0) {
        ascii(static_cast<unsigned>(hex_digit(s[1]) * 16 + hex_digit(s[2])), 3);
    } else if (c == '%' && s.size() >= 6 && (s[1] == 'u' || s[1] == 'U') &&
               std::all_of(s.begin() + 2, s.begin() + 6,
                           [](char h) { return hex_digit(h) >= 0; })) {
        // IIS's and JavaScript unescape()'s %uXXXX (a decoding Boost.URL refuses, so the name
        // stays raw here): ASCII, or a fullwidth or case-mapped letter, as the byte forms below.
        unsigned cp = 0;
        for (int i = 2; i < 6; ++i) cp = cp * 16 + static_cast<unsigned>(hex_digit(s[i]));
        if (cp >= 0xFF01 && cp <= 0xFF5E) cp = cp - 0xFF01u + 0x21u;
        if (cp == 0x017F) cp = 's';
        if (cp == 0x0130 || cp == 0x0131) cp = 'i';
        if (cp == 0x212A) cp = 'k';
        ascii(cp, 6);
    } else if (c < 0x80) {
        out = lower_c(static_cast<char>(c));
    } else if ((c == 0xC0 || c == 0xC1) && s.size() >= 2 && continuation(at(1))) {
        ascii(((c & 0x1Fu) << 6) | (at(1) & 0x3Fu), 2);
    } else if (c == 0xE0 && s.size() >= 3 && continuation(at(1)) && at(1) < 0xA0 &&
               continuation(at(2))) {
        ascii(((at(1) & 0x3Fu) << 6) | (at(2) & 0x3Fu), 3);
    } else if (c == 0xEF && s.size() >= 3 && continuation(at(2)) &&
               ((at(1) == 0xBC && at(2) >= 0x81) || (at(1) == 0xBD && at(2) <= 0x9E))) {
        unsigned cp = 0xF000u | ((at(1) & 0x3Fu) << 6) | (at(2) & 0x3Fu);
        ascii(cp - 0xFF01u + 0x21u, 3);
    } else if (s.starts_with("\xC5\xBF")) {
        out = 's', used = 2;
    } else if (s.starts_with("\xC4\xB1") || s.starts_with("\xC4\xB0")) {
        out = 'i', used = 2;
    } else if (s.starts_with("\xE2\x84\xAA")) {
        out = 'k', used = 3;
    }
    s.remove_prefix(used);
    return out;
}

// What some reader trims off a name, wherever it stands at either end: every byte up to U+0020
// (Java's String.trim(), NUL and the C0 controls included), Unicode white space (.NET's
// String.Trim(), Python's str.strip(), JavaScript's trim(): NEL, NBSP, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000), JavaScript's U+FEFF, and what older .NET trimmed too
// (U+180E, U+200B).
std::string_view wide_trim(std::string_view s) noexcept {
    static constexpr std::string_view spaces[] = {
        "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE1\xA0\x8E", "\xE2\x80\x80",
        "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85",
        "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",
        "\xE2\x80\x8B", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F",
        "\xE3\x80\x80", "\xEF\xBB\xBF"};
    auto low = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
    for (bool more = true; more && !s.empty();) {
        more = false;
        if (low(s.front())) {
            s.remove_prefix(1);
            more = true;
        } else if (low(s.back())) {
            s.remove_suffix(1);
            more = true;
        }
        for (auto sp : spaces) {
            if (s.starts_with(sp)) {
                s.remove_prefix(sp.size());
                more = true;
            }
            if (s.ends_with(sp)) {
                s.remove_suffix(sp.size());
                more = true;
            }
        }
    }
    return s;
}

}  // namespace

bool name_is(std::string_view name, std::string_view wanted) noexcept {
    auto n = wide_trim(name);
    for (char w : wanted) {
        if (n.empty()) return false;
        int c = next_folded(n);
        if (c == lower_c(w)) continue;
        // PHP makes ' ' and '.' in a name '_' ("account.id" is account_id); Jackson's KEBAB_CASE
        // and Spring's relaxed names read '-' for it ("account-id", "grant-type"; session 10).
        if (w == '_' && (c == ' ' || c == '.' || c == '-')) continue;
        return false;
    }
    // What follows the field's name ends it for some reader: a NUL for a C-string reader, '['
    // for the array and index syntax of qs, Rack and PHP ("account[]", "account[0]"), or what a
    // trimming reader drops.
    if (auto rest = n; !rest.empty()) {
        int next = next_folded(rest);
        if (next == 0 || next == '[') return true;
    }
    n = wide_trim(n);
    if (n.empty()) return true;
    int next = next_folded(n);
    return next == 0 || next == '[';
}

namespace {

// Percent-decoding as the most lenient reader does it: every valid escape decoded, anything
// else kept as it is.
std::string lenient_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
            hex_digit(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            out += plus_as_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

using pair_list = std::vector<std::pair<std::string, std::string>>;

// Name and value of every non-empty piece, each decoded by `decode` and then, with
// `trim_pairs`, trimmed (so that only where the pieces end makes the two readings differ).
template <class Decode>
pair_list split_pairs(std::string_view s, char separator, bool trim_pairs, Decode decode) {
    pair_list out;
    while (!s.empty()) {
        auto sep = s.find(separator);
        auto piece = s.substr(0, sep);
        s = sep == std::string_view::npos ? std::string_view{} : s.substr(sep + 1);
        if (trim_pairs) piece = trim(piece);
        if (piece.empty()) continue;
        auto eq = piece.find('=');
        auto value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
        std::string n = decode(piece.substr(0, eq)), v = decode(value);
        if (trim_pairs) n = std::string(trim(n)), v = std::string(trim(v));
        out.emplace_back(std::move(n), std::move(v));
    }
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> decoded_then_split_only(std::string_view s,
                                                                         char separator,
                                                                         bool plus_as_space,
                                                                         bool trim_pairs) {
    // Only an escaped separator or '=' can make the two readings' pieces differ.
    std::string_view sep_escape = separator == '&' ? "%26" : separator == ';' ? "%3b" : "";
    if (!icontains(s, "%3d") && (sep_escape.empty() || !icontains(s, sep_escape))) return {};
    auto decode = [&](std::string_view x) { return lenient_decode(x, plus_as_space); };
    auto split_first = split_pairs(s, separator, trim_pairs, decode);
    auto whole = decode(s);
    auto decode_first = split_pairs(whole, separator, trim_pairs,
                                    [](std::string_view x) { return std::string(x); });
    pair_list out;
    for (auto& p : decode_first) {
        if (std::find(split_first.begin(), split_first.end(), p) != split_first.end()) continue;
        if (std::find(out.begin(), out.end(), p) != out.end()) continue;
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> split_only_in(std::string_view other,
                                                               std::string_view text,
                                                               char separator, bool plus_as_space,
                                                               bool trim_pairs) {
    auto decode = [&](std::string_view x) { return lenient_decode(x, plus_as_space); };
    auto standard = split_pairs(text, separator, trim_pairs, decode);
    pair_list out;
    for (auto& p : split_pairs(other, separator, trim_pairs, decode)) {
        if (std::find(standard.begin(), standard.end(), p) != standard.end()) continue;
        if (std::find(out.begin(), out.end(), p) != out.end()) continue;
        out.push_back(std::move(p));
    }
    return out;
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
