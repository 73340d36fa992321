#pragma once
// The one host-name concept of consolegate: what a host is, its canonical spelling, host
// patterns, their matching, a compiled set of them, and whether patterns cover a pattern. DNS
// steering (exceptions, block list), the proxy's inspect/splice decision (SNI, CONNECT target,
// plain-HTTP absolute URL, Host), the inspector, the config loader and `check-config` all call
// this file; nothing else in the tree parses or matches host names.
//
// Hosts. A host is written canonically as ASCII lowercase labels of [a-z0-9_-], each 1..63 bytes,
// joined by '.', at most 253 bytes, with no trailing dot. Input may carry any ASCII case and ONE
// trailing dot (the absolute form, RFC 1034 §3.1). Anything else is not a host: an empty label
// ("a..b", ".a", or two trailing dots as in "signin.aws.amazon.com.."), a label over 63 bytes, a
// name over 253, or a byte outside the alphabet (spaces, '%'-escapes, '*', non-ASCII; browsers
// send IDNs as A-labels, so "xn--…" labels are ordinary labels). '_' is in the alphabet because
// resolvers and browsers accept it, so refusing it would only hide such names from steering.
// Callers fail closed on "not a host": the proxy refuses the connection; DNS never steers it (and
// forwards it, since no HTTP client can connect by a name that is not a host).
// An IPv4 literal is a host of digit labels. An IPv6 literal is a host only as written inside
// brackets in an authority ("[::1]:443"); its canonical form is the lowercased address without
// brackets, and it matches no pattern.
//
// Patterns. A pattern is a host whose labels may each be a lone "*":
//   - a LEADING "*" matches one or more labels: "*.x.example" = every strict subdomain of
//     x.example at any depth ("a.x.example", "a.b.x.example"), never x.example itself;
//   - a "*" in any other position matches exactly one label: "portal.sso.*.amazonaws.com"
//     matches portal.sso.eu-west-1.amazonaws.com only;
//   - both: "*.sso.*.example" = one or more labels, then "sso", one label, "example".
// '*' inside a label ("sig*.example"), '?', and patterns made of '*' alone are refused with a
// reason that names the fix. Matching is on whole labels, so "*.signin.aws.amazon.com" never
// matches "evilsignin.aws.amazon.com" and nothing matches "signin.aws.amazon.com.evil.test"
// unless a pattern names evil.test.
//
// Thread-safety: every type here is a value; const use from several threads is safe.
// Matching never allocates.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace consolegate::core {

// Why a text is not a host, an authority or a host pattern. message() says what is wrong and,
// where there is one, the fix; the config loader prefixes the file position and the key.
enum class host_error {
    empty = 1,
    too_long,
    empty_label,
    label_too_long,
    bad_character,
    bad_ipv6_literal,
    missing_port,
    bad_port,
    wildcard_in_label,
    question_mark,
    only_wildcards,
};
const boost::system::error_category& host_category() noexcept;
boost::system::error_code make_error_code(host_error e) noexcept;

// `name` without a port (a TLS SNI, a DNS name, a configured host): its canonical form, or why it
// is not a host. IPv6 literals are not names: use parse_authority for "[…]".
boost::system::result<std::string> canonical_host(std::string_view name);

// True when `host` is already canonical: a canonical name, or an IPv6 literal in canonical form
// (lowercase, no brackets). No allocation.
bool is_canonical_host(std::string_view host) noexcept;

// An RFC 3986 §3.2.2 authority as in a Host header (RFC 9110 §7.2), a CONNECT request-target
// (§9.3.6) or an absolute-form URL: "host[:port]" or "[IPv6][:port]". No userinfo.
struct authority {
    std::string host;  // canonical; IPv6 without brackets
    std::uint16_t port = 0;
};
// default_port 0 = the port is required (CONNECT); otherwise it is used when none is written.
boost::system::result<authority> parse_authority(std::string_view text,
                                                 std::uint16_t default_port = 0);

// A canonical host as written in an authority or a Host header: "[…]" around an IPv6 literal.
std::string authority_host(std::string_view canonical);

class host_pattern {
  public:
    // Any ASCII case and one trailing dot accepted; stored canonically.
    static boost::system::result<host_pattern> parse(std::string_view text);

    // `host` must be canonical (host_set::matches checks; this does not).
    bool matches(std::string_view host) const noexcept;

    const std::string& str() const noexcept { return text_; }
    // A leading "*": one or more labels in front of the rest.
    bool any_depth() const noexcept { return any_depth_; }
    // The labels after a leading "*" (all labels otherwise), right to left; "*" = one label.
    const std::vector<std::string>& fixed_labels() const noexcept { return fixed_; }

    friend bool operator==(const host_pattern& a, const host_pattern& b) noexcept {
        return a.text_ == b.text_;
    }

  private:
    enum class shape : std::uint8_t { exact, suffix, labels };
    std::string text_;
    std::string suffix_;  // ".x.example" of "*.x.example" (shape::suffix)
    std::vector<std::string> fixed_;
    bool any_depth_ = false;
    shape shape_ = shape::exact;
};

// Validation for the loader and check-config: "" when `text` is a valid pattern, else the reason
// with the fix.
std::string host_pattern_error(std::string_view text);

// A compiled list of patterns. Empty = matches nothing.
class host_set {
  public:
    host_set() = default;
    // Every pattern or the first error (the loader validated them already, so an error here is
    // a wiring bug at the caller).
    static boost::system::result<host_set> compile(std::span<const std::string> patterns);

    void add(host_pattern p) { patterns_.push_back(std::move(p)); }
    // False for anything that is not a canonical host (so an invalid name is never "matched"
    // into a decision: callers refuse it themselves), and for every IPv6 literal.
    bool matches(std::string_view host) const noexcept;
    bool empty() const noexcept { return patterns_.empty(); }
    const std::vector<host_pattern>& patterns() const noexcept { return patterns_; }

  private:
    std::vector<host_pattern> patterns_;
};

// Whether every host `p` matches is matched by some pattern of `by` (exact for this grammar,
// over all hosts; a pattern covers itself). Used by check-config for "steered but not inspected".
bool covers(std::span<const host_pattern> by, const host_pattern& p);

}  // namespace consolegate::core

template <>
struct boost::system::is_error_code_enum<consolegate::core::host_error> : std::true_type {};
