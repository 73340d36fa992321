#include "consolegate/core/host_pattern.hpp"

#include <algorithm>

#include "consolegate/core/address.hpp"

namespace consolegate::core {
namespace {

constexpr std::size_t max_name = 253;  // RFC 1035 §2.3.4, text form without the trailing dot
constexpr std::size_t max_label = 63;

// boost::system::error_category's destructor is protected and non-virtual by design (categories
// are static singletons); g++'s -Wnon-virtual-dtor does not know that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class host_category_impl final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "consolegate.host"; }
    std::string message(int ev) const override {
        switch (static_cast<host_error>(ev)) {
            case host_error::empty: return "is empty";
            case host_error::too_long: return "is longer than 253 characters";
            case host_error::empty_label:
                return "has an empty label (two dots in a row, a leading dot, or more than one "
                       "trailing dot)";
            case host_error::label_too_long: return "has a label longer than 63 characters";
            case host_error::bad_character:
                return "holds a character other than letters, digits, '-', '_' and the dots "
                       "between labels";
            case host_error::bad_ipv6_literal:
                return "is not a valid IPv6 literal (write it in brackets: \"[2001:db8::1]:443\")";
            case host_error::missing_port: return "has no port (write \"host:port\")";
            case host_error::bad_port: return "has a port that is not a number from 1 to 65535";
            case host_error::wildcard_in_label:
                return "has '*' inside a label; '*' must be a whole label: \"*.example.com\" "
                       "matches every name under example.com (any depth), \"a.*.example.com\" "
                       "exactly one label there; otherwise list the names one by one";
            case host_error::question_mark:
                return "uses '?', which host patterns do not support; list the names one by one, "
                       "or use '*' as a whole label (\"*.example.com\")";
            case host_error::only_wildcards:
                return "would match every name; a pattern needs at least one label that is not "
                       "'*' (e.g. \"*.example.com\")";
        }
        return "is not a valid host";
    }
};
#pragma GCC diagnostic pop

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Checks and lowercases a name (pattern = '*' labels allowed) into `out`; one trailing dot is
// dropped. The checks run over the whole text so the reason names the first problem by kind:
// a character problem before a shape problem, as a person would read it.
host_error scan(std::string_view in, bool pattern, std::string& out) {
    if (in.empty()) return host_error::empty;
    if (in.back() == '.') in.remove_suffix(1);
    if (in.empty()) return host_error::empty_label;
    for (char c : in) {
        if (c == '?' && pattern) return host_error::question_mark;
        if (!name_char(lower(c)) && c != '.' && !(pattern && c == '*')) {
            return host_error::bad_character;
        }
    }
    if (in.size() > max_name) return host_error::too_long;
    out.clear();
    out.reserve(in.size());
    std::size_t start = 0;
    while (true) {
        const auto dot = in.find('.', start);
        const auto label = in.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty()) return host_error::empty_label;
        if (label.size() > max_label) return host_error::label_too_long;
        if (label.size() > 1 && label.find('*') != std::string_view::npos) {
            return host_error::wildcard_in_label;
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    for (char c : in) out.push_back(lower(c));
    return {};
}

bool canonical_name(std::string_view h) noexcept {
    if (h.empty() || h.size() > max_name) return false;
    std::size_t label = 0;
    for (char c : h) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
        } else if (name_char(c) && ++label <= max_label) {
            continue;
        } else {
            return false;
        }
    }
    return label != 0;
}

bool canonical_ipv6(std::string_view h) noexcept {
    if (h.find(':') == std::string_view::npos || h.size() > 45) return false;
    for (char c : h) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
        if (!ok) return false;
    }
    return ip_address::parse(h).has_value();
}

boost::system::result<std::uint16_t> parse_port(std::string_view p) {
    if (p.empty() || p.size() > 5) return make_error_code(host_error::bad_port);
    std::uint32_t v = 0;
    for (char c : p) {
        if (c < '0' || c > '9') return make_error_code(host_error::bad_port);
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (v == 0 || v > 65535) return make_error_code(host_error::bad_port);
    return static_cast<std::uint16_t>(v);
}

// --- coverage ------------------------------------------------------------------------------------
// Over label sequences read right to left. Labels are abstracted to the literals the patterns
// name plus "any other label", which every pattern treats alike (only a '*' matches it), so
// coverage over that finite alphabet is coverage over all hosts. A set of hosts of one length is
// a box (one label set per position); a box is covered by boxes if one contains it, or, splitting
// a wildcard position on a literal some box names there, if both halves are covered.

struct cell {
    bool any = true;                       // any label except `except`
    std::string_view literal;              // when !any
    std::vector<std::string_view> except;  // when any
};
using box = std::vector<cell>;
using pattern_box = std::vector<std::string_view>;  // "*" = any label

bool box_of(const host_pattern& p, std::size_t n, std::vector<std::string_view>& out) {
    const auto& f = p.fixed_labels();
    if (p.any_depth() ? n < f.size() + 1 : n != f.size()) return false;
    out.assign(f.begin(), f.end());
    out.resize(n, "*");
    return true;
}

bool intersects(const box& a, const pattern_box& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (b[i] == "*") continue;
        if (a[i].any ? std::find(a[i].except.begin(), a[i].except.end(), b[i]) != a[i].except.end()
                     : a[i].literal != b[i]) {
            return false;
        }
    }
    return true;
}

bool contains(const pattern_box& b, const box& a) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (b[i] != "*" && (a[i].any || a[i].literal != b[i])) return false;
    }
    return true;
}

// `budget` bounds the work for pathological lists; running out answers "not covered", which
// check-config reports (failing closed), never a false "covered".
bool box_covered(const box& a, const std::vector<const pattern_box*>& by, std::size_t& budget) {
    if (budget == 0) return false;
    --budget;
    std::vector<const pattern_box*> live;
    for (const auto* b : by) {
        if (intersects(a, *b)) live.push_back(b);
    }
    if (live.empty()) return false;  // a box is never empty: the label alphabet is unbounded
    for (const auto* b : live) {
        if (contains(*b, a)) return true;
    }
    // Some live box names a literal where `a` has a wildcard (otherwise it would contain `a`).
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].any) continue;
        for (const auto* b : live) {
            if ((*b)[i] == "*") continue;
            box one = a;
            one[i] = cell{false, (*b)[i], {}};
            box rest = a;
            rest[i].except.push_back((*b)[i]);
            return box_covered(one, live, budget) && box_covered(rest, live, budget);
        }
    }
    return false;
}

}  // namespace

const boost::system::error_category& host_category() noexcept {
    static const host_category_impl c;
    return c;
}

boost::system::error_code make_error_code(host_error e) noexcept {
    return {static_cast<int>(e), host_category()};
}

boost::system::result<std::string> canonical_host(std::string_view name) {
    std::string out;
    if (auto e = scan(name, false, out); e != host_error{}) return make_error_code(e);
    return out;
}

bool is_canonical_host(std::string_view host) noexcept {
    return canonical_name(host) || canonical_ipv6(host);
}

boost::system::result<authority> parse_authority(std::string_view text,
                                                 std::uint16_t default_port) {
    if (text.empty()) return make_error_code(host_error::empty);
    authority out;
    std::string_view port;
    bool has_port = false;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return make_error_code(host_error::bad_ipv6_literal);
        std::string v6;
        for (char c : text.substr(1, close - 1)) v6.push_back(lower(c));
        if (!canonical_ipv6(v6)) return make_error_code(host_error::bad_ipv6_literal);
        out.host = std::move(v6);
        const auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return make_error_code(host_error::bad_character);
            port = rest.substr(1);
            has_port = true;
        }
    } else {
        auto host = text;
        if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            has_port = true;
            if (host.find(':') != std::string_view::npos) {
                return make_error_code(host_error::bad_ipv6_literal);  // unbracketed IPv6
            }
        }
        auto h = canonical_host(host);
        if (!h) return h.error();
        out.host = std::move(*h);
    }
    if (has_port) {
        auto p = parse_port(port);
        if (!p) return p.error();
        out.port = *p;
    } else if (default_port == 0) {
        return make_error_code(host_error::missing_port);
    } else {
        out.port = default_port;
    }
    return out;
}

std::string authority_host(std::string_view canonical) {
    if (canonical.find(':') != std::string_view::npos) return "[" + std::string(canonical) + "]";
    return std::string(canonical);
}

boost::system::result<host_pattern> host_pattern::parse(std::string_view text) {
    host_pattern p;
    if (auto e = scan(text, true, p.text_); e != host_error{}) return make_error_code(e);
    std::vector<std::string> labels;
    std::string_view rest = p.text_;
    while (true) {
        const auto dot = rest.rfind('.');
        labels.emplace_back(rest.substr(dot == std::string_view::npos ? 0 : dot + 1));
        if (dot == std::string_view::npos) break;
        rest = rest.substr(0, dot);
    }
    if (std::all_of(labels.begin(), labels.end(), [](const std::string& l) { return l == "*"; })) {
        return make_error_code(host_error::only_wildcards);
    }
    p.any_depth_ = labels.back() == "*";
    if (p.any_depth_) labels.pop_back();
    const bool inner = std::find(labels.begin(), labels.end(), "*") != labels.end();
    p.fixed_ = std::move(labels);
    if (inner) {
        p.shape_ = shape::labels;
    } else if (p.any_depth_) {
        p.shape_ = shape::suffix;
        p.suffix_ = p.text_.substr(1);
    }
    return p;
}

bool host_pattern::matches(std::string_view host) const noexcept {
    switch (shape_) {
        case shape::exact: return host == text_;
        case shape::suffix:
            // Canonical hosts have no empty label, so a longer host ending in ".x" has a whole
            // label (or more) in front of it.
            return host.size() > suffix_.size() && host.ends_with(suffix_);
        case shape::labels: break;
    }
    std::string_view rest = host;
    for (const auto& want : fixed_) {
        if (rest.empty()) return false;
        const auto dot = rest.rfind('.');
        const auto label = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
        if (want != "*" && label != want) return false;
        rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(0, dot);
    }
    return any_depth_ ? !rest.empty() : rest.empty();
}

std::string host_pattern_error(std::string_view text) {
    auto p = host_pattern::parse(text);
    return p ? std::string() : p.error().message();
}

boost::system::result<host_set> host_set::compile(std::span<const std::string> patterns) {
    host_set s;
    for (const auto& t : patterns) {
        auto p = host_pattern::parse(t);
        if (!p) return p.error();
        s.add(std::move(*p));
    }
    return s;
}

bool host_set::matches(std::string_view host) const noexcept {
    if (patterns_.empty() || !canonical_name(host)) return false;
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const host_pattern& p) { return p.matches(host); });
}

bool covers(std::span<const host_pattern> by, const host_pattern& p) {
    // Beyond the longest fixed part (+1 for a leading '*'), every pattern treats longer hosts
    // alike, so lengths up to that bound decide.
    std::size_t longest = p.fixed_labels().size() + 1;
    for (const auto& b : by) longest = std::max(longest, b.fixed_labels().size() + 1);
    std::size_t budget = 100000;
    std::vector<std::string_view> labels;
    for (std::size_t n = 1; n <= longest; ++n) {
        if (!box_of(p, n, labels)) continue;
        box a;
        for (auto l : labels) a.push_back(l == "*" ? cell{} : cell{false, l, {}});
        std::vector<pattern_box> boxes;
        boxes.reserve(by.size());
        for (const auto& b : by) {
            if (box_of(b, n, labels)) boxes.push_back(labels);
        }
        std::vector<const pattern_box*> refs;
        for (const auto& b : boxes) refs.push_back(&b);
        if (!box_covered(a, refs, budget)) return false;
    }
    return true;
}

}  // namespace consolegate::core
