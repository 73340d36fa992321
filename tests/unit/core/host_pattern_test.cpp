// core/host_pattern: hosts, authorities, patterns, sets, coverage; and the agreement of the two
// modules that decide by host name: DNS steering (dns/policy, fed a real query message) and the
// proxy's inspect decision (proxy/host_routes, fed a real ClientHello, a CONNECT target and a
// plain-HTTP URL). The agreement test fails when either side stops asking this file.
#include "consolegate/core/host_pattern.hpp"

#include <gtest/gtest.h>

#include <array>
#include <regex>
#include <string>
#include <vector>

#include "client_hello.hpp"
#include "consolegate/core/config.hpp"
#include "host_routes.hpp"
#include "policy.hpp"
#include "query.hpp"
#include "wire.hpp"

namespace consolegate::core {
namespace {

// --- hosts ---------------------------------------------------------------------------------------

struct host_case {
    const char* text;
    const char* canonical;  // nullptr = not a host
    host_error error = {};
};

class host_table : public ::testing::TestWithParam<host_case> {};

TEST_P(host_table, canonical_or_refused_with_its_reason) {
    const auto& c = GetParam();
    auto h = canonical_host(c.text);
    if (c.canonical) {
        ASSERT_TRUE(h) << c.text << ": " << h.error().message();
        EXPECT_EQ(*h, c.canonical);
        EXPECT_TRUE(is_canonical_host(*h));
    } else {
        ASSERT_FALSE(h) << c.text << " -> " << *h;
        if (c.error != host_error{}) {
            EXPECT_EQ(h.error(), make_error_code(c.error)) << c.text;
        }
        EXPECT_FALSE(is_canonical_host(c.text)) << c.text;
    }
}

INSTANTIATE_TEST_SUITE_P(
    hosts, host_table,
    ::testing::Values(host_case{"signin.aws.amazon.com", "signin.aws.amazon.com"},
                      host_case{"SIGNIN.Aws.Amazon.COM", "signin.aws.amazon.com"},
                      host_case{"signin.aws.amazon.com.", "signin.aws.amazon.com"},
                      host_case{"signin.aws.amazon.com..", nullptr, host_error::empty_label},
                      host_case{"signin.aws.amazon.com...", nullptr, host_error::empty_label},
                      host_case{".signin.aws.amazon.com", nullptr, host_error::empty_label},
                      host_case{"signin..aws.amazon.com", nullptr, host_error::empty_label},
                      host_case{".", nullptr, host_error::empty_label},
                      host_case{"", nullptr, host_error::empty},
                      host_case{"xn--80ak6aa92e.com", "xn--80ak6aa92e.com"},
                      host_case{"XN--80AK6AA92E.COM.", "xn--80ak6aa92e.com"},
                      host_case{"_acme-challenge.example.com", "_acme-challenge.example.com"},
                      host_case{"52.94.236.248", "52.94.236.248"},
                      host_case{"sign in.aws.amazon.com", nullptr, host_error::bad_character},
                      host_case{"%73ignin.aws.amazon.com", nullptr, host_error::bad_character},
                      host_case{"s\xd1\x96gnin.aws.amazon.com", nullptr, host_error::bad_character},
                      host_case{"signin.aws.amazon.com:443", nullptr, host_error::bad_character},
                      host_case{"*.aws.amazon.com", nullptr, host_error::bad_character}));

TEST(host_pattern, name_and_label_lengths) {
    const std::string label63(63, 'a');
    const std::string label64(64, 'a');
    EXPECT_TRUE(canonical_host(label63 + ".com"));
    EXPECT_EQ(canonical_host(label64 + ".com").error(),
              make_error_code(host_error::label_too_long));
    std::string name253;
    while (name253.size() + 2 <= 253) name253 += "a.";
    name253 += std::string(253 - name253.size(), 'b');
    ASSERT_EQ(name253.size(), 253u);
    EXPECT_TRUE(canonical_host(name253));
    EXPECT_TRUE(canonical_host(name253 + "."));  // the absolute form of a 253-byte name
    EXPECT_EQ(canonical_host(name253 + "b").error(), make_error_code(host_error::too_long));
    EXPECT_FALSE(is_canonical_host(name253 + "b"));
}

TEST(host_pattern, canonical_check_without_allocation) {
    EXPECT_TRUE(is_canonical_host("signin.aws.amazon.com"));
    EXPECT_TRUE(is_canonical_host("2001:db8::1"));
    EXPECT_TRUE(is_canonical_host("::1"));  // an IPv6 literal: a host, not a name
    EXPECT_EQ(canonical_host("::1").error(), make_error_code(host_error::bad_character));
    EXPECT_TRUE(is_canonical_host("::ffff:1.2.3.4"));
    EXPECT_FALSE(is_canonical_host("Signin.aws.amazon.com"));
    EXPECT_FALSE(is_canonical_host("signin.aws.amazon.com."));
    EXPECT_FALSE(is_canonical_host("2001:DB8::1"));
    EXPECT_FALSE(is_canonical_host("[::1]"));
    EXPECT_FALSE(is_canonical_host("1:2:3"));
}

// From the proxy's old CONNECT/Host parser tests (all kept).
TEST(host_pattern, authority_forms) {
    auto a = parse_authority("Signin.AWS.amazon.com:443");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "signin.aws.amazon.com");
    EXPECT_EQ(a->port, 443);
    a = parse_authority("[::1]:8443");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "::1");
    EXPECT_EQ(a->port, 8443);
    a = parse_authority("example.com", 80);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->port, 80);
    EXPECT_EQ(parse_authority("example.com").error(),
              make_error_code(host_error::missing_port));  // CONNECT needs a port
    EXPECT_EQ(parse_authority("example.com:").error(), make_error_code(host_error::bad_port));
    EXPECT_EQ(parse_authority("example.com:0").error(), make_error_code(host_error::bad_port));
    EXPECT_EQ(parse_authority("example.com:65536").error(), make_error_code(host_error::bad_port));
    EXPECT_EQ(parse_authority("example.com:44x").error(), make_error_code(host_error::bad_port));
    EXPECT_FALSE(parse_authority("exa mple.com:443"));
    EXPECT_EQ(parse_authority("::1:443").error(), make_error_code(host_error::bad_ipv6_literal));
    EXPECT_FALSE(parse_authority(":443"));
    // Issue 17, class 1: the names that used to escape the matcher.
    EXPECT_EQ(parse_authority("signin.aws.amazon.com..:443").error(),
              make_error_code(host_error::empty_label));
    EXPECT_FALSE(parse_authority("signin.aws.amazon.com..", 80));
    EXPECT_FALSE(parse_authority("[::1", 80));
    EXPECT_FALSE(parse_authority("[::1]x", 80));
    EXPECT_FALSE(parse_authority("[fe80::1%25eth0]:443"));  // zone IDs are never a destination
    EXPECT_FALSE(parse_authority("[not-v6]:443"));
    EXPECT_FALSE(parse_authority("user@example.com:443"));
    EXPECT_FALSE(parse_authority(""));
}

// From the inspector's old normalize_host test (all kept; the "console.aws.amazon.com.." case
// is now refused on purpose: issue 17, class 1).
TEST(host_pattern, host_header_as_aws_routes_it) {
    auto a = parse_authority("Foo.Signin.AWS.amazon.com.:443", 443);
    ASSERT_TRUE(a);
    EXPECT_EQ(authority_host(a->host), "foo.signin.aws.amazon.com");
    EXPECT_FALSE(parse_authority(" console.aws.amazon.com.. ", 443));
    EXPECT_FALSE(parse_authority("console.aws.amazon.com..", 443));
    a = parse_authority("[::1]:8443", 443);
    ASSERT_TRUE(a);
    EXPECT_EQ(authority_host(a->host), "[::1]");
    EXPECT_FALSE(parse_authority("", 443));
}

// --- patterns ------------------------------------------------------------------------------------

struct bad_pattern {
    const char* text;
    host_error error;
    const char* says;  // part of the reason: the fix
};

class pattern_validation : public ::testing::TestWithParam<bad_pattern> {};

TEST_P(pattern_validation, refused_with_a_reason_that_names_the_fix) {
    const auto& c = GetParam();
    auto p = host_pattern::parse(c.text);
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error(), make_error_code(c.error)) << c.text;
    EXPECT_NE(host_pattern_error(c.text).find(c.says), std::string::npos)
        << c.text << ": " << host_pattern_error(c.text);
}

INSTANTIATE_TEST_SUITE_P(
    patterns, pattern_validation,
    ::testing::Values(
        bad_pattern{"sig*.aws.amazon.com", host_error::wildcard_in_label, "\"*.example.com\""},
        bad_pattern{"*signin.aws.amazon.com", host_error::wildcard_in_label, "whole label"},
        bad_pattern{"signin.aws.amazon.co*", host_error::wildcard_in_label, "whole label"},
        bad_pattern{"signin.aws.amazon.co?", host_error::question_mark, "list the names"},
        bad_pattern{"?.signin.aws.amazon.com", host_error::question_mark, "'?'"},
        bad_pattern{"*", host_error::only_wildcards, "every name"},
        bad_pattern{"*.*", host_error::only_wildcards, "at least one label"},
        bad_pattern{"", host_error::empty, "empty"},
        bad_pattern{"a..b", host_error::empty_label, "empty label"},
        bad_pattern{"signin.aws.amazon.com..", host_error::empty_label, "trailing dot"},
        bad_pattern{"a b.com", host_error::bad_character, "letters, digits"},
        bad_pattern{"*.example.com:443", host_error::bad_character, "letters, digits"}));

TEST(host_pattern, canonical_text_and_shape) {
    auto p = host_pattern::parse("Portal.SSO.*.AmazonAWS.com.");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->str(), "portal.sso.*.amazonaws.com");
    EXPECT_FALSE(p->any_depth());
    p = host_pattern::parse("*.sso.*.amazonaws.com");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->any_depth());
    EXPECT_EQ(p->fixed_labels(), (std::vector<std::string>{"com", "amazonaws", "*", "sso"}));
    EXPECT_TRUE(host_pattern::parse("*.com"));
    EXPECT_TRUE(host_pattern::parse("a.*"));
}

// From the DNS module's old name_set tests (all kept).
struct match_case {
    const char* pattern;
    const char* name;
    bool match;
};
class pattern_table : public ::testing::TestWithParam<match_case> {};
TEST_P(pattern_table, matches_whole_labels) {
    auto p = host_pattern::parse(GetParam().pattern);
    ASSERT_TRUE(p) << GetParam().pattern;
    host_set s;
    s.add(*p);
    EXPECT_EQ(s.matches(GetParam().name), GetParam().match)
        << GetParam().pattern << " " << GetParam().name;
}
INSTANTIATE_TEST_SUITE_P(
    patterns, pattern_table,
    ::testing::Values(
        match_case{"console.aws.amazon.com", "console.aws.amazon.com", true},
        match_case{"Console.AWS.amazon.com.", "console.aws.amazon.com", true},
        match_case{"console.aws.amazon.com", "eu.console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "eu.console.aws.amazon.com", true},
        match_case{"*.console.aws.amazon.com", "a.b.console.aws.amazon.com", true},
        match_case{"*.console.aws.amazon.com", "console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "xconsole.aws.amazon.com", false},
        match_case{"portal.sso.*.amazonaws.com", "portal.sso.eu-west-1.amazonaws.com", true},
        match_case{"portal.sso.*.amazonaws.com", "portal.sso.amazonaws.com", false},
        match_case{"portal.sso.*.amazonaws.com", "portal.sso.a.b.amazonaws.com", false},
        match_case{"portal.sso.*.amazonaws.com", "x.portal.sso.a.amazonaws.com", false},
        // A leading '*' with an inner one: any depth in front, one label inside.
        match_case{"*.sso.*.amazonaws.com", "portal.sso.eu-west-1.amazonaws.com", true},
        match_case{"*.sso.*.amazonaws.com", "a.b.sso.eu-west-1.amazonaws.com", true},
        match_case{"*.sso.*.amazonaws.com", "sso.eu-west-1.amazonaws.com", false},
        match_case{"*.sso.*.amazonaws.com", "portal.sso.a.b.amazonaws.com", false},
        // Matching never accepts what is not canonical: callers canonicalise (or refuse).
        match_case{"*.console.aws.amazon.com", "EU.console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "eu.console.aws.amazon.com.", false},
        match_case{"*.console.aws.amazon.com", "eu..console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", ".console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "a b.console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "a\\032b.console.aws.amazon.com", false}));

// From the DNS module's old name_set tests (kept): bad patterns add nothing.
TEST(host_pattern, set_refuses_bad_patterns) {
    EXPECT_FALSE(host_pattern::parse(""));
    EXPECT_FALSE(host_pattern::parse("*"));
    EXPECT_FALSE(host_pattern::parse("a..b"));
    std::vector<std::string> bad{"signin.aws.amazon.com", "sig*.aws.amazon.com"};
    EXPECT_FALSE(host_set::compile(bad));
    EXPECT_TRUE(host_set{}.empty());
    EXPECT_FALSE(host_set{}.matches("signin.aws.amazon.com"));
}

// From the proxy's old inspect_hosts tests (all kept): the default list, with each host
// canonicalised first as the proxy does.
struct inspect_case {
    const char* host;
    bool inspected;
};

class default_inspect_set : public ::testing::TestWithParam<inspect_case> {};

TEST_P(default_inspect_set, matches_on_label_boundaries) {
    auto set = host_set::compile(proxy_config{}.inspect_hosts);
    ASSERT_TRUE(set);
    auto c = GetParam();
    auto h = canonical_host(c.host);
    EXPECT_EQ(h && set->matches(*h), c.inspected) << c.host;
}

INSTANTIATE_TEST_SUITE_P(
    hosts, default_inspect_set,
    ::testing::Values(inspect_case{"signin.aws.amazon.com", true},
                      inspect_case{"SIGNIN.aws.amazon.com.", true},
                      inspect_case{"us-east-1.signin.aws.amazon.com", true},
                      inspect_case{"123456789012.signin.aws.amazon.com", true},
                      inspect_case{"a.b.signin.aws.amazon.com", true},
                      inspect_case{"evilsignin.aws.amazon.com", false},
                      inspect_case{"signin.aws.amazon.com.evil.com", false},
                      inspect_case{"console.aws.amazon.com", true},
                      inspect_case{"123456789012-abcdefgh.us-east-1.console.aws.amazon.com", true},
                      inspect_case{"aws.amazon.com", false},
                      inspect_case{"portal.sso.eu-west-1.amazonaws.com", true},
                      inspect_case{"portal.sso.amazonaws.com", false},
                      inspect_case{"portal.sso.a.b.amazonaws.com", false},
                      inspect_case{"x.portal.sso.eu-west-1.amazonaws.com", false},
                      inspect_case{"portal.sso-fips.us-east-1.amazonaws.com", true},
                      inspect_case{"portal.sso.us-east-1.api.aws", true},
                      inspect_case{"portal.sso-fips.us-east-1.api.aws", true},
                      inspect_case{"portal.sso.cn-north-1.api.amazonwebservices.com.cn", true},
                      inspect_case{"signin.us-east-1.api.aws", true},
                      inspect_case{"signin-fips.us-gov-west-1.api.aws", true},
                      inspect_case{"signin.cn-north-1.api.amazonwebservices.com.cn", true},
                      inspect_case{"signin.a.b.api.aws", false},
                      inspect_case{"s3.us-east-1.api.aws", false},
                      inspect_case{"s3.amazonaws.com", false}, inspect_case{"", false}));

// --- coverage ------------------------------------------------------------------------------------

struct cover_case {
    std::vector<std::string> by;
    const char* pattern;
    bool covered;
};

class coverage : public ::testing::TestWithParam<cover_case> {};

TEST_P(coverage, is_exact_for_the_grammar) {
    const auto& c = GetParam();
    std::vector<host_pattern> by;
    for (const auto& t : c.by) by.push_back(*host_pattern::parse(t));
    EXPECT_EQ(covers(by, *host_pattern::parse(c.pattern)), c.covered) << c.pattern;
}

INSTANTIATE_TEST_SUITE_P(
    patterns, coverage,
    ::testing::Values(
        cover_case{{"signin.aws.amazon.com"}, "signin.aws.amazon.com", true},
        cover_case{{"SIGNIN.aws.amazon.com."}, "signin.aws.amazon.com", true},
        cover_case{{}, "signin.aws.amazon.com", false},
        cover_case{{"*.aws.amazon.com"}, "signin.aws.amazon.com", true},
        cover_case{{"*.aws.amazon.com"}, "*.signin.aws.amazon.com", true},
        cover_case{{"*.aws.amazon.com"}, "aws.amazon.com", false},
        cover_case{{"*.signin.aws.amazon.com"}, "signin.aws.amazon.com", false},
        cover_case{{"signin.aws.amazon.com"}, "*.signin.aws.amazon.com", false},
        cover_case{{"*.*.amazonaws.com"}, "portal.sso.*.amazonaws.com", true},
        cover_case{{"portal.sso.*.amazonaws.com"}, "*.sso.*.amazonaws.com", false},
        cover_case{{"*.sso.*.amazonaws.com"}, "portal.sso.*.amazonaws.com", true},
        cover_case{{"*.amazonaws.com"}, "portal.sso.*.amazonaws.com", true},
        cover_case{{"portal.sso.eu-west-1.amazonaws.com"}, "portal.sso.*.amazonaws.com", false},
        // A union: depth one by a one-label pattern, depth two and more by another.
        cover_case{{"a.*.example.com", "*.*.*.example.com"}, "a.*.example.com", true},
        cover_case{{"*.a.example.com", "a.example.com"}, "*.a.example.com", true},
        cover_case{{"x.*.example.com", "*.*.*.example.com"}, "*.*.example.com", false},
        // Split on a literal: "*.x" = "a.x" ∪ (every other label).x ∪ deeper.
        cover_case{{"a.x", "*.*.x", "*.x"}, "*.x", true},
        cover_case{{"a.x", "*.*.x"}, "*.x", false},
        cover_case{{"a.b.x", "*.b.x", "c.x"}, "*.b.x", true},
        cover_case{{"*.b.x", "*.c.x"}, "*.*.x", false},
        cover_case{{"*.b.x", "*.*.*.x"}, "*.*.b.x", true}, cover_case{{"a.*", "*.b"}, "a.b", true},
        cover_case{{"a.*", "*.b"}, "*.b", true}, cover_case{{"a.*"}, "*.b", false}));

// --- DNS and proxy agree -------------------------------------------------------------------------

// The reference semantics, written as a regular expression per pattern (leading "*." = one or
// more labels, any other "*" = one label), applied to the canonical spelling.
bool reference_match(const std::vector<std::string>& patterns, const std::string& host) {
    for (const auto& raw : patterns) {
        std::string p = raw;
        for (auto& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (p.ends_with('.')) p.pop_back();
        std::string re;
        if (p.starts_with("*.")) {
            re = "([a-z0-9_-]+\\.)+";
            p = p.substr(2);
        }
        std::size_t start = 0;
        while (true) {
            auto dot = p.find('.', start);
            auto label = p.substr(start, dot == std::string::npos ? dot : dot - start);
            re += label == "*" ? "[a-z0-9_-]+" : label;
            if (dot == std::string::npos) break;
            re += "\\.";
            start = dot + 1;
        }
        if (std::regex_match(host, std::regex(re))) return true;
    }
    return false;
}

// Valid names (canonical spelling): the sign-in names, look-alikes, punycode, IP literal.
const std::vector<std::string> base_names{
    "signin.aws.amazon.com",
    "us-east-1.signin.aws.amazon.com",
    "123456789012.signin.aws.amazon.com",
    "a.b.signin.aws.amazon.com",
    "evilsignin.aws.amazon.com",
    "signin.aws.amazon.com.evil.test",
    "signin-aws.amazon.com",
    "console.aws.amazon.com",
    "123456789012-abcdefgh.us-east-1.console.aws.amazon.com",
    "aws.amazon.com",
    "docs.aws.amazon.com",
    "portal.sso.eu-west-1.amazonaws.com",
    "portal.sso.amazonaws.com",
    "portal.sso.a.b.amazonaws.com",
    "x.portal.sso.eu-west-1.amazonaws.com",
    "s3.amazonaws.com",
    "xn--80ak6aa92e.signin.aws.amazon.com",
    "xn--signin-5ya.aws.amazon.com",
    "signin.aws.amazon.com.xn--p1ai",
    "_acme-challenge.signin.aws.amazon.com",
    "a.b.c.example.com",
    "mail.example.com",
    "52.94.236.248",
    "localhost",
};

struct spelled {
    std::string text;
    bool valid;  // canonical spelling is the base name
};

// How the base name may arrive: case, one trailing dot (valid); two trailing dots, empty labels,
// bytes outside the alphabet, an overlong label (not hosts).
std::vector<spelled> spellings(const std::string& b) {
    std::string mixed = b;
    for (std::size_t i = 0; i < mixed.size(); i += 2) {
        mixed[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[i])));
    }
    std::string inner_empty = b;
    if (auto dot = inner_empty.find('.'); dot != std::string::npos) inner_empty.insert(dot, ".");
    return {
        {b, true},
        {mixed, true},
        {b + ".", true},
        {mixed + ".", true},
        {b + "..", false},
        {mixed + "..", false},
        {"." + b, false},
        {inner_empty, b.find('.') == std::string::npos},  // no dot: unchanged, still valid
        {b + " ", false},
        {"%" + b, false},
        {"\xd1\x95" + b, false},
        {std::string(64, 'a') + "." + b, false},
    };
}

enum class dns_says { steer, other, unaskable };

// The DNS module's decision for a name as a client would ask it: a query message through
// parse_query and the compiled policy, exactly as the service runs them.
dns_says dns_decision(const dns::policy& pol, const std::string& name) {
    dns::wire_name wire;
    if (!dns::from_text(name, wire)) return dns_says::unaskable;  // no query can carry it
    std::vector<std::uint8_t> msg{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    msg.insert(msg.end(), wire.bytes.begin(),
               wire.bytes.begin() + static_cast<std::ptrdiff_t>(wire.size));
    msg.insert(msg.end(), {0, 1, 0, 1});  // A, IN
    dns::query q;
    if (dns::parse_query(msg, q) != dns::parse_status::ok) return dns_says::unaskable;
    dns::text_buffer text;
    auto v = pol.decide(dns::to_text(q.qname_lower.view(), text));
    return v == dns::verdict::steer ? dns_says::steer : dns_says::other;
}

std::vector<std::uint8_t> client_hello_with_sni(const std::string& sni) {
    auto u16 = [](std::vector<std::uint8_t>& v, std::size_t n) {
        v.push_back(static_cast<std::uint8_t>(n >> 8));
        v.push_back(static_cast<std::uint8_t>(n));
    };
    std::vector<std::uint8_t> sni_ext;
    u16(sni_ext, sni.size() + 3);
    sni_ext.push_back(0);  // host_name
    u16(sni_ext, sni.size());
    sni_ext.insert(sni_ext.end(), sni.begin(), sni.end());
    std::vector<std::uint8_t> exts;
    u16(exts, 0);  // server_name
    u16(exts, sni_ext.size());
    exts.insert(exts.end(), sni_ext.begin(), sni_ext.end());
    std::vector<std::uint8_t> body{0x03, 0x03};
    body.resize(2 + 32, 0x42);                             // random
    body.insert(body.end(), {0, 0, 2, 0x13, 0x01, 1, 0});  // session id, one suite, null comp.
    u16(body, exts.size());
    body.insert(body.end(), exts.begin(), exts.end());
    std::vector<std::uint8_t> hs{1, 0};
    u16(hs, body.size());
    hs.insert(hs.end(), body.begin(), body.end());
    std::vector<std::uint8_t> rec{0x16, 0x03, 0x01};
    u16(rec, hs.size());
    rec.insert(rec.end(), hs.begin(), hs.end());
    return rec;
}

// The proxy's decision on each path, through the proxy's own parsers and its host_routes.
proxy::route sni_path(const proxy::host_routes& routes, const std::string& sni) {
    auto hello = proxy::parse_client_hello(client_hello_with_sni(sni));
    if (hello.status != proxy::hello_status::complete) return proxy::route::refuse;
    return routes.tls("", hello.info.sni);
}

proxy::route connect_path(const proxy::host_routes& routes, const std::string& host) {
    auto a = parse_authority(host + ":443");
    if (!a) return proxy::route::refuse;
    const auto before = routes.connect_target(a->host);
    const auto after = routes.tls(a->host, a->host);  // the browser's SNI is the CONNECT name
    if (before == proxy::route::refuse) return before;
    EXPECT_EQ(before, after) << host;
    return after;
}

proxy::route plain_http_path(const proxy::host_routes& routes, const std::string& authority) {
    auto a = parse_authority(authority, 80);
    return a ? routes.plain_http(a->host) : proxy::route::refuse;
}

struct pattern_list {
    const char* name;
    std::vector<std::string> patterns;
    bool identity_center = false;  // dns.steer_identity_center (the proxy lists the portal)
};

class dns_proxy_agreement : public ::testing::TestWithParam<pattern_list> {};

TEST_P(dns_proxy_agreement, steered_exactly_when_inspected_and_invalid_is_never_spliced) {
    const auto& c = GetParam();
    dns_config d;
    d.steer_names = c.patterns;
    d.steer_identity_center = c.identity_center;
    d.steer_exceptions.clear();
    d.block_names.clear();
    const auto pol = dns::compile_policy(d);
    proxy_config p;
    p.inspect_hosts = c.patterns;
    if (c.identity_center) p.inspect_hosts.emplace_back(identity_center_portals);
    const proxy::host_routes routes(p);
    auto all = c.patterns;
    if (c.identity_center) all.emplace_back(identity_center_portals);
    int inspected = 0;
    for (const auto& b : base_names) {
        const bool expect = reference_match(all, b);
        inspected += expect;
        for (const auto& s : spellings(b)) {
            SCOPED_TRACE("pattern list " + std::string(c.name) + ", host \"" + s.text + "\"");
            const auto dns = dns_decision(pol, s.text);
            const auto sni = sni_path(routes, s.text);
            const auto connect = connect_path(routes, s.text);
            const auto plain = plain_http_path(routes, s.text);
            const auto plain_port = plain_http_path(routes, s.text + ":8080");
            if (!s.valid) {
                // Not a host: refused on every proxy path, never steered.
                EXPECT_NE(dns, dns_says::steer);
                EXPECT_EQ(sni, proxy::route::refuse);
                EXPECT_EQ(connect, proxy::route::refuse);
                EXPECT_EQ(plain, proxy::route::refuse);
                EXPECT_EQ(plain_port, proxy::route::refuse);
                continue;
            }
            // The agreement: DNS steers exactly what the proxy inspects, on every path.
            const bool steered = dns == dns_says::steer;
            EXPECT_EQ(steered, sni == proxy::route::inspect);
            EXPECT_EQ(steered, connect == proxy::route::inspect);
            EXPECT_EQ(steered, plain == proxy::route::inspect);
            EXPECT_EQ(steered, plain_port == proxy::route::inspect);
            // And both are the reference semantics.
            EXPECT_EQ(steered, expect);
            EXPECT_EQ(sni, expect ? proxy::route::inspect : proxy::route::splice);
        }
    }
    EXPECT_GT(inspected, 0) << "a pattern list that matches no generated host tests nothing";
}

INSTANTIATE_TEST_SUITE_P(
    lists, dns_proxy_agreement,
    ::testing::Values(
        pattern_list{"proxy-defaults", proxy_config{}.inspect_hosts},
        pattern_list{"dns-defaults-and-portal", dns_config{}.steer_names, true},
        pattern_list{"exact", {"signin.aws.amazon.com"}},
        pattern_list{"mixed-case-trailing-dot", {"SIGNIN.Aws.Amazon.COM."}},
        pattern_list{"subdomains", {"*.signin.aws.amazon.com"}},
        pattern_list{"inner-one-label", {"portal.sso.*.amazonaws.com"}},
        pattern_list{"leading-and-inner", {"*.sso.*.amazonaws.com"}},
        pattern_list{"two-wildcards", {"*.*.amazonaws.com"}},
        pattern_list{"inner-two-labels", {"a.*.*.example.com"}},
        pattern_list{"top-level", {"*.com"}},
        pattern_list{"punycode", {"xn--80ak6aa92e.signin.aws.amazon.com", "*.xn--p1ai"}},
        pattern_list{"look-alike-domain", {"*.evil.test"}},
        pattern_list{"underscore", {"_acme-challenge.*.aws.amazon.com"}},
        pattern_list{"ip-literal", {"52.94.236.248"}}, pattern_list{"single-label", {"localhost"}},
        pattern_list{"several", {"mail.example.com", "*.mail.example.com", "*.b.c.example.com"}}));

// pass_through_hosts: spliced on purpose, even under not_inspected = "refuse", never inspected;
// a tunnel that names a pass-through host and an inspected one is refused.
TEST(host_pattern, proxy_pass_through_wins_and_never_opens_a_route_around_inspection) {
    proxy_config p;
    p.not_inspected = not_inspected_action::refuse;
    p.inspect_hosts = {"*.aws.amazon.com"};
    p.pass_through_hosts = {"docs.aws.amazon.com", "*.example.com"};
    const proxy::host_routes routes(p);
    EXPECT_EQ(routes.tls("", "signin.aws.amazon.com"), proxy::route::inspect);
    EXPECT_EQ(routes.tls("", "docs.aws.amazon.com"), proxy::route::splice);
    EXPECT_EQ(routes.tls("", "a.example.com"), proxy::route::splice);
    EXPECT_EQ(routes.tls("", "other.test"), proxy::route::refuse);
    EXPECT_EQ(routes.tls("a.example.com", "signin.aws.amazon.com"), proxy::route::refuse);
    EXPECT_EQ(routes.tls("a.example.com", "other.test"), proxy::route::refuse);
    EXPECT_EQ(routes.tls("a.example.com", "b.example.com"), proxy::route::splice);
    EXPECT_EQ(routes.tls("a.example.com", ""), proxy::route::splice);
    EXPECT_EQ(routes.connect_target("docs.aws.amazon.com"), proxy::route::splice);
    EXPECT_EQ(routes.plain_http("docs.aws.amazon.com"), proxy::route::splice);
    EXPECT_EQ(routes.plain_http("console.aws.amazon.com"), proxy::route::inspect);
    // Names that are not canonical hosts are refused, whatever the lists say.
    EXPECT_EQ(routes.tls("", ""), proxy::route::refuse);
    EXPECT_EQ(routes.tls("", "docs.aws.amazon.com."), proxy::route::refuse);
    EXPECT_EQ(routes.tls("a.example.com", "b..example.com"), proxy::route::refuse);
    EXPECT_EQ(routes.connect_target("a.example.com.."), proxy::route::refuse);
    p.pass_through_hosts = {"sig*.aws.amazon.com"};
    EXPECT_THROW(proxy::host_routes{p}, std::invalid_argument);
}

}  // namespace
}  // namespace consolegate::core
