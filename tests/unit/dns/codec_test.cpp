#include <gtest/gtest.h>

#include "answer.hpp"
#include "consolegate/dns/options.hpp"
#include "msg_builder.hpp"
#include "names.hpp"
#include "policy.hpp"
#include "query.hpp"

namespace consolegate::dns {
namespace {

using test::msg_builder;

std::vector<std::uint8_t> make_query(std::string_view name, std::uint16_t type, bool edns = false,
                                     bool do_bit = false, std::uint16_t id = 0x1234) {
    msg_builder m(id, flag::rd, 1, 0, 0, edns ? 1 : 0);
    m.question(name, type);
    if (edns) m.opt(4096, do_bit);
    return m.b;
}

query parse_ok(const std::vector<std::uint8_t>& raw) {
    query q;
    EXPECT_EQ(parse_query(raw, q), parse_status::ok);
    return q;
}

TEST(DnsWire, ReadNameFollowsBackwardPointersOnly) {
    std::vector<std::uint8_t> m(12, 0);
    msg_builder tmp(0, 0, 0, 0, 0, 0);
    tmp.name("a.example");
    m.insert(m.end(), tmp.b.begin() + 12, tmp.b.end());
    m.push_back(1);
    m.push_back('b');
    m.push_back(0xc0);
    m.push_back(12);
    std::size_t off = 23;
    wire_name n;
    ASSERT_TRUE(read_name(m, off, &n));
    EXPECT_EQ(to_text(n.view()), "b.a.example");
    EXPECT_EQ(off, m.size());
    // A pointer to itself, forwards, or truncated: rejected.
    std::vector<std::uint8_t> loop(12, 0);
    loop.push_back(0xc0);
    loop.push_back(12);
    off = 12;
    EXPECT_FALSE(read_name(loop, off, &n));
    loop[13] = 14;
    off = 12;
    EXPECT_FALSE(read_name(loop, off, &n));
    loop.pop_back();
    off = 12;
    EXPECT_FALSE(read_name(loop, off, &n));
}

TEST(DnsWire, TextRoundTripAndEscapes) {
    wire_name n;
    ASSERT_TRUE(from_text("WWW.Example.COM.", n));
    EXPECT_EQ(to_text(n.view()), "WWW.Example.COM");
    EXPECT_FALSE(from_text("a..b", n));
    EXPECT_FALSE(from_text(std::string(64, 'a'), n));
    const std::uint8_t odd[] = {3, 'a', '.', 'b', 0};
    EXPECT_EQ(to_text(odd), "a\\046b");
}

TEST(DnsQuery, ParsesEdnsAndKeepsCase) {
    auto q = parse_ok(make_query("WwW.ExAmple.com", rr_type::aaaa, true, true));
    EXPECT_EQ(q.id, 0x1234);
    EXPECT_EQ(q.qtype, rr_type::aaaa);
    EXPECT_TRUE(q.edns);
    EXPECT_TRUE(q.do_bit);
    EXPECT_EQ(q.udp_size, 4096);
    EXPECT_EQ(to_text(q.qname.view()), "WwW.ExAmple.com");
    EXPECT_EQ(to_text(q.qname_lower.view()), "www.example.com");
    EXPECT_EQ(response_limit(q, false, 1232), 1232u);
    EXPECT_EQ(response_limit(q, true, 1232), 65535u);
}

TEST(DnsQuery, RejectsMalformed) {
    query q;
    const std::vector<std::uint8_t> short_msg(11, 0);
    EXPECT_EQ(parse_query(short_msg, q), parse_status::drop);
    auto resp = make_query("a.example", 1);
    resp[2] |= 0x80;
    EXPECT_EQ(parse_query(resp, q), parse_status::drop);
    auto two = make_query("a.example", 1);
    two[5] = 2;
    EXPECT_EQ(parse_query(two, q), parse_status::formerr);
    auto cut = make_query("a.example", 1);
    cut.resize(cut.size() - 3);
    EXPECT_EQ(parse_query(cut, q), parse_status::formerr);
    auto opcode = make_query("a.example", 1);
    opcode[2] |= 0x10;  // opcode 2 (STATUS)
    EXPECT_EQ(parse_query(opcode, q), parse_status::notimp);
    // A question name compressed into the header (fuzzer find): FORMERR, never read in place.
    const std::vector<std::uint8_t> compressed{0, 1,   0,   0,   0,   1,    0, 0, 0, 0, 0, 0,
                                               4, 't', 'e', 's', 't', 0xc0, 0, 0, 1, 0, 1};
    EXPECT_EQ(parse_query(compressed, q), parse_status::formerr);
    msg_builder two_opt(1, 0, 1, 0, 0, 2);
    two_opt.question("a.example", 1);
    two_opt.opt(1232, false);
    two_opt.opt(1232, false);
    EXPECT_EQ(parse_query(two_opt.b, q), parse_status::formerr);
    msg_builder v1(1, 0, 1, 0, 0, 1);
    v1.question("a.example", 1);
    v1.opt(1232, false, 1);
    EXPECT_EQ(parse_query(v1.b, q), parse_status::badvers);
    std::array<std::uint8_t, 512> out{};
    const auto n = write_rcode(q, 16, 1232, out);
    ASSERT_GT(n, 11u);
    EXPECT_EQ(out[n - 11 + 5], 1);  // extended rcode high bits: BADVERS
}

struct match_case {
    const char* pattern;
    const char* name;
    bool match;
};
class NameSetTest : public ::testing::TestWithParam<match_case> {};
TEST_P(NameSetTest, Matches) {
    name_set s;
    ASSERT_TRUE(s.add(GetParam().pattern));
    EXPECT_EQ(s.matches(GetParam().name), GetParam().match)
        << GetParam().pattern << " " << GetParam().name;
}
INSTANTIATE_TEST_SUITE_P(
    Patterns, NameSetTest,
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
        match_case{"portal.sso.*.amazonaws.com", "x.portal.sso.a.amazonaws.com", false}));

TEST(NameSet, RejectsBadPatterns) {
    name_set s;
    EXPECT_FALSE(s.add(""));
    EXPECT_FALSE(s.add("*"));
    EXPECT_FALSE(s.add("a..b"));
    EXPECT_TRUE(s.empty());
}

policy default_policy() {
    options o;
    o.steer_ipv4 = {*core::ip_address::parse("192.0.2.10")};
    o.steer_ipv6 = {*core::ip_address::parse("2001:db8::10")};
    o.block_names = {"*.blocked.example"};
    return compile_policy(o);
}

TEST(DnsPolicy, DefaultsSteerConsoleButNotExceptions) {
    const auto p = default_policy();
    EXPECT_EQ(p.decide("console.aws.amazon.com"), verdict::steer);
    EXPECT_EQ(p.decide("123456789012-abcdefgh.eu-west-1.console.aws.amazon.com"), verdict::steer);
    EXPECT_EQ(p.decide("signin.aws.amazon.com"), verdict::steer);
    EXPECT_EQ(p.decide("docs.aws.amazon.com"), verdict::forward);
    EXPECT_EQ(p.decide("aws.amazon.com"), verdict::forward);
    EXPECT_EQ(p.decide("use-application-dns.net"), verdict::doh_canary);
    EXPECT_EQ(p.decide("x.blocked.example"), verdict::block);
}

TEST(DnsResponse, SteeredAnswersPerType) {
    const auto p = default_policy();
    std::array<std::uint8_t, 1232> out{};
    auto q = parse_ok(make_query("CONSOLE.aws.amazon.com", rr_type::a, true));
    auto n = write_steered(q, p.target, 1232, out);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(get16(&out[6]), 1);  // one A
    EXPECT_EQ(out[12 + 1], 'C');   // the client's case
    q = parse_ok(make_query("console.aws.amazon.com", rr_type::https));
    n = write_steered(q, p.target, 1232, out);
    EXPECT_EQ(get16(&out[6]), 0);  // NODATA
    EXPECT_EQ(get16(&out[8]), 1);  // with an SOA
    EXPECT_EQ(out[3] & 0xf, rcode::noerror);
}

std::vector<std::uint8_t> upstream_answer(const query& q, std::uint32_t ttl) {
    msg_builder m(0xbeef, flag::qr | flag::rd | flag::ra, 1, 1, 0, 1);
    m.b.insert(m.b.end(), q.qname_lower.bytes.begin(),
               q.qname_lower.bytes.begin() + static_cast<std::ptrdiff_t>(q.qname_lower.size));
    m.u16(q.qtype);
    m.u16(class_in);
    m.u16(0xc00c);
    m.u16(rr_type::a);
    m.u16(class_in);
    m.u32(ttl);
    m.u16(4);
    for (std::uint8_t x : {198, 51, 100, 7}) m.b.push_back(x);
    m.opt(1232, false);
    return m.b;
}

TEST(DnsAnswer, NormaliseThenRenderPatchesIdCaseTtlAndEdns) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("WwW.example.COM", rr_type::a, true));
    cached_answer a;
    ASSERT_TRUE(normalize_answer(upstream_answer(q, 300), q, p, {}, a));
    EXPECT_EQ(a.lifetime, 300u);
    std::array<std::uint8_t, 4096> out{};
    bool tc = false;
    auto n = render_answer(a, q, 100, std::nullopt, false, 1232, out, tc);
    ASSERT_GT(n, 0u);
    EXPECT_FALSE(tc);
    EXPECT_EQ(get16(&out[0]), 0x1234);
    EXPECT_EQ(get16(&out[10]), 1);  // our OPT
    EXPECT_EQ(to_text(std::span(out).subspan(12, q.qname.size)), "WwW.example.COM");
    EXPECT_EQ(get32(&out[a.ttl_offsets[0]]), 200u);
    n = render_answer(a, q, 1000, 30u, false, 1232, out, tc);
    EXPECT_EQ(get32(&out[a.ttl_offsets[0]]), 30u);
    // A client without EDNS gets no OPT.
    const auto plain = parse_ok(make_query("www.example.com", rr_type::a));
    n = render_answer(a, plain, 0, std::nullopt, false, 1232, out, tc);
    EXPECT_EQ(get16(&out[10]), 0);
}

TEST(DnsAnswer, TtlClampsAndTruncation) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("www.example.com", rr_type::a));
    cached_answer a;
    ASSERT_TRUE(normalize_answer(upstream_answer(q, 900000), q, p, {10, 3600, 60}, a));
    EXPECT_EQ(a.lifetime, 3600u);
    ASSERT_TRUE(normalize_answer(upstream_answer(q, 1), q, p, {10, 3600, 60}, a));
    EXPECT_EQ(a.lifetime, 10u);
    a.wire.resize(600, 0);  // pretend it is big
    std::array<std::uint8_t, 4096> out{};
    bool tc = false;
    const auto n = render_answer(a, q, 0, std::nullopt, false, 1232, out, tc);
    EXPECT_TRUE(tc);
    EXPECT_TRUE(get16(&out[2]) & flag::tc);
    EXPECT_EQ(get16(&out[6]), 0);
    EXPECT_LT(n, 512u);
}

TEST(DnsAnswer, RejectsMismatchAndGarbage) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("www.example.com", rr_type::a));
    const auto other = parse_ok(make_query("www.example.org", rr_type::a));
    cached_answer a;
    EXPECT_FALSE(normalize_answer(upstream_answer(other, 5), q, p, {}, a));
    auto cut = upstream_answer(q, 5);
    cut.resize(cut.size() - 13);
    EXPECT_FALSE(normalize_answer(cut, q, p, {}, a));
    auto trailing = upstream_answer(q, 5);
    trailing.push_back(0);
    EXPECT_FALSE(normalize_answer(trailing, q, p, {}, a));
}

TEST(DnsAnswer, NegativeTtlFromSoa) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("nx.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::ra | rcode::nxdomain, 1, 0, 1, 0);
    m.question("nx.example.com", rr_type::a);
    auto rd = msg_builder::name_rdata("ns.example.com");
    auto rn = msg_builder::name_rdata("h.example.com");
    rd.insert(rd.end(), rn.begin(), rn.end());
    for (std::uint32_t v : {1u, 2u, 3u, 4u, 120u}) {
        for (int s = 24; s >= 0; s -= 8) rd.push_back(static_cast<std::uint8_t>(v >> s));
    }
    m.rr("example.com", rr_type::soa, 600, rd);
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_EQ(a.lifetime, 120u);
    ASSERT_TRUE(normalize_answer(m.b, q, p, {0, 86400, 30}, a));
    EXPECT_EQ(a.lifetime, 30u);
}

TEST(DnsAnswer, CnameChainIntoSteeredNameIsRewritten) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("alias.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::ra, 1, 3, 0, 0);
    m.question("alias.example.com", rr_type::a);
    m.rr("alias.example.com", rr_type::cname, 300, msg_builder::name_rdata("mid.example.com"));
    m.rr("mid.example.com", rr_type::cname, 300,
         msg_builder::name_rdata("eu-west-1.Console.aws.amazon.com"));
    m.rr("eu-west-1.console.aws.amazon.com", rr_type::a, 300, {203, 0, 113, 9});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_TRUE(a.steered_rewrite);
    EXPECT_EQ(a.lifetime, 60u);
    EXPECT_EQ(get16(&a.wire[6]), 3);  // two CNAMEs + the gateway's A
    const std::array<std::uint8_t, 4> gw{192, 0, 2, 10};
    EXPECT_TRUE(std::search(a.wire.begin(), a.wire.end(), gw.begin(), gw.end()) != a.wire.end());
    const std::array<std::uint8_t, 4> real{203, 0, 113, 9};
    EXPECT_TRUE(std::search(a.wire.begin(), a.wire.end(), real.begin(), real.end()) ==
                a.wire.end());
}

TEST(DnsAnswer, CacheKeySeparatesDoBit) {
    cache_key k1, k2;
    make_cache_key(parse_ok(make_query("a.example", 1, true, false)), k1);
    make_cache_key(parse_ok(make_query("A.example", 1, true, true)), k2);
    EXPECT_NE(k1.view(), k2.view());
    make_cache_key(parse_ok(make_query("A.EXAMPLE", 1, true, false)), k2);
    EXPECT_EQ(k1.view(), k2.view());
}

}  // namespace
}  // namespace consolegate::dns
