#include "answer.hpp"

#include <gtest/gtest.h>

#include "msg_builder.hpp"
#include "rewrite.hpp"
#include "samples.hpp"

namespace consolegate::dns {
namespace {

using namespace test;

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

TEST(answer, normalise_then_render_patches_id_case_ttl_and_edns) {
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

TEST(answer, ttl_clamps_and_truncation) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("www.example.com", rr_type::a));
    cached_answer a;
    ASSERT_TRUE(normalize_answer(upstream_answer(q, 900000), q, p, {10, 3600, 60}, a));
    EXPECT_EQ(a.lifetime, 3600u);
    ASSERT_TRUE(normalize_answer(upstream_answer(q, 1), q, p, {10, 3600, 60}, a));
    EXPECT_EQ(a.lifetime, 10u);
    a.wire.resize(600, 0);  // pretend its one RRset is big
    a.cuts.back().at = 600;
    std::array<std::uint8_t, 4096> out{};
    bool tc = false;
    const auto n = render_answer(a, q, 0, std::nullopt, false, 1232, out, tc);
    EXPECT_TRUE(tc);
    EXPECT_TRUE(get16(&out[2]) & flag::tc);
    EXPECT_EQ(get16(&out[6]), 0);
    EXPECT_LT(n, 512u);
}

TEST(answer, rejects_mismatch_and_garbage) {
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

TEST(answer, negative_ttl_from_soa) {
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

TEST(answer, cname_chain_into_steered_name_is_rewritten) {
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

// However long the chain upstream followed, a steered name on it is answered by the gateway.
TEST(answer, cname_chain_longer_than_any_fixed_depth_is_rewritten) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("c0.example.com", rr_type::a));
    constexpr int links = 40;
    msg_builder m(7, flag::qr | flag::ra, 1, links + 1, 0, 0);
    m.question("c0.example.com", rr_type::a);
    for (int i = 0; i < links; ++i) {
        const auto next = i + 1 < links ? "c" + std::to_string(i + 1) + ".example.com"
                                        : std::string("signin.aws.amazon.com");
        m.rr("c" + std::to_string(i) + ".example.com", rr_type::cname, 300,
             msg_builder::name_rdata(next));
    }
    m.rr("signin.aws.amazon.com", rr_type::a, 300, {203, 0, 113, 9});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_TRUE(a.steered_rewrite);
    EXPECT_EQ(get16(&a.wire[6]), links + 1);  // the chain + the gateway's A
    const std::array<std::uint8_t, 4> real{203, 0, 113, 9};
    EXPECT_TRUE(std::search(a.wire.begin(), a.wire.end(), real.begin(), real.end()) ==
                a.wire.end());
}

// A steered name's record off the chain: cut with its section and those after it in the
// authority and additional sections; in the answer section the answer is refused. (An NS
// answer, which keeps every section: minimal_sections.)
TEST(answer, steered_records_off_the_chain_never_pass) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("example.com", rr_type::ns));
    msg_builder m(7, flag::qr | flag::ra, 1, 1, 1, 3);
    m.question("example.com", rr_type::ns);
    m.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("console.aws.amazon.com"));
    m.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    m.rr("Console.aws.amazon.com", rr_type::a, 300, {203, 0, 113, 9});
    m.rr("ns.example.com", rr_type::a, 300, {198, 51, 100, 53});
    m.opt(1232, false);
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_EQ(get16(&a.wire[6]), 1);
    EXPECT_EQ(get16(&a.wire[8]), 0);   // beside an answer the NS RRset goes, as unbound scrubs it
    EXPECT_EQ(get16(&a.wire[10]), 0);  // the additional section goes
    const std::array<std::uint8_t, 4> real{203, 0, 113, 9};
    EXPECT_TRUE(std::search(a.wire.begin(), a.wire.end(), real.begin(), real.end()) ==
                a.wire.end());
    EXPECT_EQ(a.ttl_offsets.size(), 1u);
    // In the answer section a record off the chain is scrubbed, whatever its type, as unbound
    // scrubs it (iter_scrub.c scrub_normalize: "removing irrelevant RRset").
    msg_builder stray(7, flag::qr | flag::ra, 1, 2, 0, 0);
    stray.question("example.com", rr_type::ns);
    stray.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    stray.rr("console.aws.amazon.com", rr_type::a, 300, {203, 0, 113, 9});
    ASSERT_TRUE(normalize_answer(stray.b, q, p, {}, a));
    EXPECT_TRUE(std::search(a.wire.begin(), a.wire.end(), real.begin(), real.end()) ==
                a.wire.end());
    msg_builder stray_ns(7, flag::qr | flag::ra, 1, 2, 0, 0);
    stray_ns.question("example.com", rr_type::ns);
    stray_ns.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    stray_ns.rr("console.aws.amazon.com", rr_type::ns, 300, msg_builder::name_rdata("x.test"));
    ASSERT_TRUE(normalize_answer(stray_ns.b, q, p, {}, a));
    EXPECT_EQ(get16(&a.wire[6]), 1);
    EXPECT_EQ(std::string(a.wire.begin(), a.wire.end()).find("console"), std::string::npos);
}

// unbound's minimal-responses (its default), which the gateway's clients see the same: the
// sections (answer, authority, additional) kept for each shape of forwarded answer.
struct minimal_case {
    const char* what;
    std::uint16_t qtype;
    std::uint8_t rcode;
    std::vector<std::uint16_t> answer, authority, additional;  // record types
    std::array<std::uint16_t, 3> kept;
};

class minimal_responses : public ::testing::TestWithParam<minimal_case> {};

TEST_P(minimal_responses, keep_the_sections_unbound_sends) {
    const auto& c = GetParam();
    const auto p = default_policy();
    const auto q = parse_ok(make_query("x.example.com", c.qtype));
    msg_builder m(7, static_cast<std::uint16_t>(flag::qr | flag::ra | c.rcode), 1,
                  static_cast<std::uint16_t>(c.answer.size()),
                  static_cast<std::uint16_t>(c.authority.size()),
                  static_cast<std::uint16_t>(c.additional.size()));
    m.question("x.example.com", c.qtype);
    auto rdata = [](std::uint16_t type) -> std::vector<std::uint8_t> {
        switch (type) {
            case rr_type::a: return {198, 51, 100, 1};
            case rr_type::ns:
            case rr_type::cname: return msg_builder::name_rdata("y.example.com");
            case rr_type::soa: {
                auto rd = msg_builder::name_rdata("ns.example.com");
                const auto rname = msg_builder::name_rdata("h.example.com");
                rd.insert(rd.end(), rname.begin(), rname.end());
                for (int i = 0; i < 20; ++i) rd.push_back(1);  // serial, ..., minimum
                return rd;
            }
            default: return {0, 1, 2, 3};
        }
    };
    // The answer's records are the query name's (or its CNAME's target's); the additional records
    // are the address of the name the NS and CNAME records give: as unbound scrubs forwarded
    // answers (unbound_keeps), only an NS RRset left in the authority section (a referral's) or
    // the answer's own ask for it.
    const bool chain = std::count(c.answer.begin(), c.answer.end(), rr_type::cname) != 0;
    const auto owner = [&](const std::vector<std::uint16_t>* s, std::uint16_t type) {
        if (s == &c.additional) return "y.example.com";
        // After the CNAME, its target's records.
        if (s == &c.answer)
            return chain && type != rr_type::cname ? "y.example.com" : "x.example.com";
        return type == rr_type::soa || type == rr_type::ns ? "example.com" : "x.example.com";
    };
    for (const auto* s : {&c.answer, &c.authority, &c.additional}) {
        for (auto t : *s) m.rr(owner(s, t), t, 300, rdata(t));
    }
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a)) << c.what;
    EXPECT_EQ(get16(&a.wire[6]), c.kept[0]) << c.what;
    EXPECT_EQ(get16(&a.wire[8]), c.kept[1]) << c.what;
    EXPECT_EQ(get16(&a.wire[10]), c.kept[2]) << c.what;
    EXPECT_EQ(a.ttl_offsets.size(), std::size_t{c.kept[0]} + c.kept[1] + c.kept[2]) << c.what;
    ASSERT_FALSE(a.cuts.empty()) << c.what;
    EXPECT_EQ(a.cuts.back().at, a.wire.size()) << c.what;
    EXPECT_EQ(a.cuts.back().counts, c.kept) << c.what;
}

using rr_type::a, rr_type::ns, rr_type::soa, rr_type::cname, rr_type::nsec, rr_type::nsec3;
INSTANTIATE_TEST_SUITE_P(
    answer, minimal_responses,
    ::testing::Values(
        minimal_case{"positive", a, rcode::noerror, {a}, {ns}, {a}, {1, 0, 0}},
        minimal_case{"chain to the type", a, rcode::noerror, {cname, a}, {ns}, {a}, {2, 0, 0}},
        minimal_case{"NS asked", ns, rcode::noerror, {ns}, {}, {a}, {1, 0, 1}},
        minimal_case{"wildcard proof", a, rcode::noerror, {a}, {nsec}, {a}, {1, 1, 0}},
        minimal_case{"NSEC3 proof", a, rcode::noerror, {a}, {nsec3}, {}, {1, 1, 0}},
        minimal_case{"ANY", rr_type::any, rcode::noerror, {a}, {ns}, {a}, {1, 0, 0}},
        minimal_case{"chain to NODATA", a, rcode::noerror, {cname}, {soa}, {a}, {1, 1, 0}},
        minimal_case{"NXDOMAIN", a, rcode::nxdomain, {}, {soa}, {a}, {0, 1, 0}},
        minimal_case{"NXDOMAIN after a chain", a, rcode::nxdomain, {cname}, {soa}, {a}, {1, 1, 0}},
        minimal_case{"NODATA", a, rcode::noerror, {}, {soa, ns}, {a}, {0, 1, 0}},
        minimal_case{"empty, no SOA nor NS", a, rcode::noerror, {}, {}, {a}, {0, 0, 0}},
        minimal_case{"referral", a, rcode::noerror, {}, {ns}, {a}, {0, 1, 1}}),
    [](const auto& param_info) {
        std::string n = param_info.param.what;
        for (auto& ch : n) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
        return n;
    });

// One entry, asked upstream with DO=1, serves DO=0 and DO=1 clients, as unbound's.
TEST(answer, cache_key_is_the_same_for_do0_and_do1) {
    cache_key k1, k2;
    make_cache_key(parse_ok(make_query("a.example", 1, true, false)), k1);
    make_cache_key(parse_ok(make_query("A.example", 1, true, true)), k2);
    EXPECT_EQ(k1.view(), k2.view());
    make_cache_key(parse_ok(make_query("A.EXAMPLE", 28, true, false)), k2);
    EXPECT_NE(k1.view(), k2.view());
}

TEST(answer, cache_key_separates_cd_bit) {
    auto raw = make_query("a.example", 1, true, true);
    cache_key k1, k2;
    make_cache_key(parse_ok(raw), k1);
    raw[3] |= flag::cd;
    make_cache_key(parse_ok(raw), k2);
    EXPECT_NE(k1.view(), k2.view());
}

// RFC 2308 §2.2 and §5: NODATA at the end of a CNAME chain is negative like any other, its TTL
// min(SOA TTL, MINIMUM) within negative_max_ttl; without an SOA it is cached for its shortest
// TTL, as unbound caches it (5 s, NORR_TTL, with no record at all).
TEST(answer, negative_ttl_after_a_cname_chain) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("alias.example.com", rr_type::mx));
    auto soa_rdata = [](std::uint32_t minimum) {
        auto rd = msg_builder::name_rdata("ns.example.com");
        auto rn = msg_builder::name_rdata("h.example.com");
        rd.insert(rd.end(), rn.begin(), rn.end());
        for (std::uint32_t v : {1u, 2u, 3u, 4u, minimum}) {
            for (int s = 24; s >= 0; s -= 8) rd.push_back(static_cast<std::uint8_t>(v >> s));
        }
        return rd;
    };
    auto chain = [&](bool soa) {
        msg_builder m(7, flag::qr | flag::ra, 1, 1, soa ? 1 : 0, 0);
        m.question("alias.example.com", rr_type::mx);
        m.rr("alias.example.com", rr_type::cname, 3000, msg_builder::name_rdata("www.example.com"));
        if (soa) m.rr("example.com", rr_type::soa, 600, soa_rdata(120));
        return m.b;
    };
    cached_answer a;
    ASSERT_TRUE(normalize_answer(chain(true), q, p, {}, a));
    EXPECT_TRUE(a.negative);
    EXPECT_EQ(a.lifetime, 120u);
    ASSERT_TRUE(normalize_answer(chain(true), q, p, {0, 86400, 30}, a));
    EXPECT_EQ(a.lifetime, 30u);
    ASSERT_TRUE(normalize_answer(chain(false), q, p, {}, a));
    EXPECT_EQ(a.lifetime, 3000u);
    msg_builder empty(7, flag::qr | flag::ra, 1, 0, 0, 0);
    empty.question("alias.example.com", rr_type::mx);
    ASSERT_TRUE(normalize_answer(empty.b, q, p, {}, a));
    EXPECT_TRUE(a.negative);
    EXPECT_EQ(a.lifetime, 5u);
    // The chain's end answering the type asked is positive, whatever the authority holds.
    const auto qa = parse_ok(make_query("alias.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::ra, 1, 2, 0, 0);
    m.question("alias.example.com", rr_type::a);
    m.rr("alias.example.com", rr_type::cname, 3000, msg_builder::name_rdata("www.example.com"));
    m.rr("www.example.com", rr_type::a, 500, {198, 51, 100, 1});
    ASSERT_TRUE(normalize_answer(m.b, qa, p, {}, a));
    EXPECT_FALSE(a.negative);
    EXPECT_EQ(a.lifetime, 500u);
}

// A DO=1 answer served to a DO=0 client (every answer is asked with DO=1) goes as unbound sends
// it: RRSIG, NSEC, NSEC3, DS, DNSKEY removed unless asked for in the answer section or in the
// answer to ANY, and a name compressed into a removed record still reads (names are compressed
// again).
TEST(answer, dnssec_records_are_stripped_for_a_do0_client) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("nx.example.com", rr_type::a, true));
    msg_builder m(7, flag::qr | flag::ra | rcode::nxdomain, 1, 0, 4, 0);
    m.question("nx.example.com", rr_type::a);
    const auto nsec_at = m.b.size();
    m.rr("example.com", rr_type::nsec, 120, msg_builder::name_rdata("zz.example.com"));
    m.rr("example.com", rr_type::rrsig, 120, {0, 47, 13, 2, 0, 0, 0, 120});
    // The SOA's MNAME points into the NSEC's next name ("zz.example.com" at its rdata).
    std::vector<std::uint8_t> soa{0xc0, static_cast<std::uint8_t>(nsec_at + 13 + 10)};
    const auto rname = msg_builder::name_rdata("h.example.com");
    soa.insert(soa.end(), rname.begin(), rname.end());
    for (int i = 0; i < 20; ++i) soa.push_back(i == 19 ? 60 : 0);
    m.rr("example.com", rr_type::soa, 120, soa);
    m.rr("example.com", rr_type::rrsig, 120, {0, 6, 13, 2, 0, 0, 0, 120});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    ASSERT_EQ(get16(&a.wire[8]), 4);
    const auto plain = parse_ok(make_query("NX.example.com", rr_type::a, false));
    std::shared_ptr<const cached_answer> stripped;
    ASSERT_TRUE(strip_dnssec(a, plain, stripped));
    ASSERT_TRUE(stripped);
    const auto& s = *stripped;
    EXPECT_EQ(get16(&s.wire[8]), 1);
    EXPECT_EQ(s.ttl_offsets.size(), 1u);
    EXPECT_TRUE(s.negative);
    EXPECT_EQ(s.lifetime, a.lifetime);
    std::array<std::uint8_t, 1024> out{};
    bool tc = false;
    const auto n = render_answer(s, plain, 10, std::nullopt, false, 1232, out, tc);
    ASSERT_GT(n, 0u);
    // What goes out reads back as a whole message whose SOA names the right server.
    cached_answer again;
    ASSERT_TRUE(normalize_answer(std::span(out).first(n), plain, p, {}, again));
    std::size_t mname_at = s.ttl_offsets[0] + 6u;  // past TTL and RDLENGTH
    wire_name mname, zz;
    ASSERT_TRUE(read_name(std::span(out).first(n), mname_at, &mname));
    ASSERT_TRUE(from_text("zz.example.com", zz));
    EXPECT_TRUE(names_equal_ci(mname.view(), zz.view()));
    EXPECT_EQ(get32(&out[s.ttl_offsets[0]]), 50u);  // min(SOA TTL, MINIMUM) - age
    // Asked for by type, a DNSSEC record stays (its signature does not).
    const auto qk = parse_ok(make_query("example.com", rr_type::dnskey, true));
    msg_builder k(7, flag::qr | flag::ra, 1, 2, 0, 0);
    k.question("example.com", rr_type::dnskey);
    k.rr("example.com", rr_type::dnskey, 300, {1, 1, 3, 13, 9, 9});
    k.rr("example.com", rr_type::rrsig, 300, {0, 48, 13, 2, 0, 0, 1, 44});
    ASSERT_TRUE(normalize_answer(k.b, qk, p, {}, a));
    ASSERT_TRUE(strip_dnssec(a, parse_ok(make_query("example.com", rr_type::dnskey)), stripped));
    ASSERT_TRUE(stripped);
    EXPECT_EQ(get16(&stripped->wire[6]), 1);
    // type, class, TTL, length
    EXPECT_EQ(get16(&stripped->wire[stripped->wire.size() - 6 - 10]), rr_type::dnskey);
    // The answer to ANY keeps every type, RRSIGs too: nothing to strip.
    const auto qany = parse_ok(make_query("example.com", rr_type::any, true));
    msg_builder any(7, flag::qr | flag::ra, 1, 2, 0, 0);
    any.question("example.com", rr_type::any);
    any.rr("example.com", rr_type::a, 300, {192, 0, 2, 1});
    any.rr("example.com", rr_type::rrsig, 300, {0, 1, 13, 2, 0, 0, 1, 44});
    ASSERT_TRUE(normalize_answer(any.b, qany, p, {}, a));
    ASSERT_TRUE(strip_dnssec(a, parse_ok(make_query("example.com", rr_type::any)), stripped));
    EXPECT_FALSE(stripped);
    EXPECT_EQ(&a.for_client(false), &a);
}

// An answer too large for the client over UDP keeps the whole RRsets that fit, in order, as
// unbound encodes it: without TC when only additional records are left out (RFC 2181 §9:
// optional data), with TC and the records that fit when the answer section does not fit.
TEST(answer, answers_too_large_keep_the_whole_rrsets_that_fit) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("example.com", rr_type::ns));
    // 24 AAAA records: kept compressed (as unbound compresses), the answer is over 512 bytes.
    msg_builder m(7, flag::qr | flag::ra, 1, 1, 0, 25);
    m.question("example.com", rr_type::ns);
    m.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    m.rr("ns.example.com", rr_type::a, 300, {192, 0, 2, 53});
    for (int i = 0; i < 24; ++i) {
        std::vector<std::uint8_t> v6(16, static_cast<std::uint8_t>(i));
        m.rr("ns.example.com", rr_type::aaaa, 300, v6);
    }
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    ASSERT_GT(a.wire.size(), 512u);
    ASSERT_EQ(a.cuts.size(), 4u);  // after the question, the NS, the A, the AAAA RRset
    const auto glue_end = a.cuts[2].at;
    std::array<std::uint8_t, 4096> out{};
    bool tc = true;
    const auto n = render_answer(a, q, 100, std::nullopt, false, 1232, out, tc);
    EXPECT_FALSE(tc);
    EXPECT_EQ(n, glue_end);
    EXPECT_FALSE(get16(&out[2]) & flag::tc);
    EXPECT_EQ(get16(&out[6]), 1);
    EXPECT_EQ(get16(&out[10]), 1);                   // the A RRset, not the AAAA one
    EXPECT_EQ(get32(&out[a.ttl_offsets[0]]), 200u);  // the answer's TTL still counts down
    cached_answer again;  // what goes out is a whole message: it reads back
    ASSERT_TRUE(normalize_answer(std::span(out).first(n), q, p, {}, again));
    EXPECT_EQ(again.cuts.back().counts, (std::array<std::uint16_t, 3>{1, 0, 1}));
    // With EDNS (a client taking 512 bytes) the client's OPT is kept.
    msg_builder e(0x1234, flag::rd, 1, 0, 0, 1);
    e.question("example.com", rr_type::ns);
    e.opt(512, false);
    const auto qe = parse_ok(e.b);
    EXPECT_EQ(render_answer(a, qe, 0, std::nullopt, false, 1232, out, tc), glue_end + 11);
    EXPECT_FALSE(tc);
    EXPECT_EQ(get16(&out[10]), 2);
    // Over TCP everything goes.
    EXPECT_EQ(render_answer(a, q, 0, std::nullopt, true, 1232, out, tc), a.wire.size());

    // An answer section too large itself: the CNAME that fits, and TC.
    const auto qt = parse_ok(make_query("alias.example.com", rr_type::txt));
    msg_builder big(7, flag::qr | flag::ra, 1, 7, 0, 0);
    big.question("alias.example.com", rr_type::txt);
    big.rr("alias.example.com", rr_type::cname, 300, msg_builder::name_rdata("www.example.com"));
    for (int i = 0; i < 6; ++i) {
        std::vector<std::uint8_t> txt(101, static_cast<std::uint8_t>('a' + i));
        txt[0] = 100;
        big.rr("www.example.com", rr_type::txt, 300, txt);
    }
    ASSERT_TRUE(normalize_answer(big.b, qt, p, {}, a));
    const auto t = render_answer(a, qt, 0, std::nullopt, false, 1232, out, tc);
    EXPECT_TRUE(tc);
    EXPECT_EQ(t, a.cuts[1].at);
    EXPECT_TRUE(get16(&out[2]) & flag::tc);
    EXPECT_EQ(get16(&out[6]), 1);
}

// The records of a rendered message, in order: section, owner, type and the first RDATA byte (or
// the name an NS record holds), read through its compression pointers.
std::vector<std::string> records_of(std::span<const std::uint8_t> msg) {
    std::size_t off = header_size;
    std::vector<std::string> out;
    if (!read_name(msg, off, nullptr)) return {"unreadable question"};
    off += 4;
    std::vector<rr_ref> rrs;
    if (!read_records(msg, off, rrs)) return {"unreadable records"};
    for (const auto& rr : rrs) {
        if (rr.type == rr_type::opt) continue;
        wire_name owner, target;
        std::size_t o = rr.owner, t = rr.rdata;
        if (!read_name(msg, o, &owner)) return {"unreadable owner"};
        std::string data = std::to_string(msg[rr.rdata]);
        if (rr.type == rr_type::ns)
            data = read_name(msg, t, &target) ? to_text(target.view()) : "?";
        out.push_back(std::to_string(rr.section) + " " + to_text(owner.view()) + " " +
                      std::to_string(rr.type) + " " + data);
    }
    return out;
}

TEST(answer, dname_synthesis_is_the_dname_and_a_cname_of_ttl_0) {
    const auto q = parse_ok(make_query("A.dn.example.com", rr_type::any, true));
    wire_name owner, target;
    ASSERT_TRUE(from_text("dn.example.com", owner));
    ASSERT_TRUE(from_text("other.example", target));
    std::array<std::uint8_t, 4096> out{};
    const auto n = write_dname_synthesis(q, owner, target, 250, 1232, false, out);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(get16(&out[2]) & flag::rcode_mask, rcode::noerror);
    EXPECT_EQ(get16(&out[6]), 2u);
    EXPECT_EQ(get16(&out[10]), 1u);  // our OPT
    const auto records = records_of(std::span(out).first(n));
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0], "0 dn.example.com 39 5");   // "\5other..."
    EXPECT_EQ(records[1], "0 A.dn.example.com 5 1");  // "\1A..."
    std::size_t off = header_size;
    ASSERT_TRUE(read_name(std::span(out).first(n), off, nullptr));
    std::vector<rr_ref> rrs;
    off += 4;
    ASSERT_TRUE(read_records(std::span(out).first(n), off, rrs));
    EXPECT_EQ(get32(&out[rrs[0].ttl_at]), 250u);
    EXPECT_EQ(get32(&out[rrs[1].ttl_at]), 0u);
    wire_name made;
    std::size_t t = rrs[1].rdata;
    ASSERT_TRUE(read_name(std::span(out).first(n), t, &made));
    EXPECT_EQ(to_text(made.view()), "A.other.example");
    // A name too long once redirected: YXDOMAIN with the DNAME alone (RFC 6672 §2.2).
    const std::string label(60, 'x');
    const auto longq =
        parse_ok(make_query(label + "." + label + "." + label + ".dn.example.com", rr_type::cname));
    ASSERT_TRUE(from_text(label + "." + label + ".t", target));
    const auto y = write_dname_synthesis(longq, owner, target, 250, 1232, false, out);
    ASSERT_GT(y, 0u);
    EXPECT_EQ(get16(&out[2]) & flag::rcode_mask, rcode::yxdomain);
    EXPECT_EQ(get16(&out[6]), 1u);
}

// The links unbound takes from its RRset cache, written as an upstream answer that stops there:
// normalised, they are a chain left unfinished at their target, which is then asked for itself.
TEST(answer, held_links_read_as_an_unfinished_chain_to_their_target) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("A.dn.Example.com", rr_type::mx));
    held_dname d;
    ASSERT_TRUE(from_text("dn.example.com", d.owner));
    ASSERT_TRUE(from_text("other.example", d.target));
    d.ttl = 250;
    wire_name made;
    ASSERT_TRUE(dname_substitute(q.qname, d.owner, d.target, made));
    EXPECT_EQ(to_text(made.view()), "A.other.example");
    std::array<std::uint8_t, 1024> out{};
    const auto n = write_held_chain(q, &d, made, 0, out);
    ASSERT_GT(n, 0u);
    cached_answer a;
    ASSERT_TRUE(normalize_answer(std::span(out).first(n), q, p, {}, a));
    EXPECT_EQ(records_of(a.wire),
              (std::vector<std::string>{"0 dn.Example.com 39 5", "0 A.dn.Example.com 5 1"}));
    wire_name target;  // (lowercased)
    EXPECT_EQ(classify_chain(a, q, target), chain_end::unfinished);
    EXPECT_EQ(to_text(target.view()), "a.other.example");
    // A CNAME alone, with the TTL left to it.
    const auto alias = parse_ok(make_query("alias.example.com", rr_type::txt));
    ASSERT_TRUE(from_text("www.Example.com", made));
    const auto c = write_held_chain(alias, nullptr, made, 42, out);
    ASSERT_GT(c, 0u);
    ASSERT_TRUE(normalize_answer(std::span(out).first(c), alias, p, {}, a));
    EXPECT_EQ(records_of(a.wire), (std::vector<std::string>{"0 alias.example.com 5 3"}));
    EXPECT_EQ(get32(&a.wire[a.ttl_offsets.at(0)]), 42u);
    EXPECT_EQ(classify_chain(a, alias, target), chain_end::unfinished);
    EXPECT_EQ(to_text(target.view()), "www.example.com");
    // A DNAME owner not above the name writes nothing.
    const auto owner = parse_ok(make_query("dn.example.com", rr_type::a));
    EXPECT_EQ(write_held_chain(owner, &d, made, 0, out), 0u);
}

// ANY: a CNAME (or a DNAME's) is the answer, never followed; what an upstream adds for the target
// goes, as unbound's scrub_sanitize cuts it ("remainders of CNAME chains are cut off").
TEST(answer, any_keeps_only_what_the_query_name_owns_and_a_dname_above_it) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("a.dn.example.com", rr_type::any));
    msg_builder m(7, flag::qr | flag::aa | flag::ra, 1, 4, 0, 0);
    m.question("a.dn.example.com", rr_type::any);
    m.rr("dn.example.com", 39, 300, msg_builder::name_rdata("other.example"));
    m.rr("a.dn.example.com", rr_type::cname, 300, msg_builder::name_rdata("a.other.example"));
    m.rr("a.other.example", rr_type::a, 300, {192, 0, 2, 1});
    m.rr("elsewhere.example", rr_type::a, 300, {192, 0, 2, 2});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_EQ(records_of(a.wire),
              (std::vector<std::string>{"0 dn.example.com 39 5", "0 a.dn.example.com 5 1"}));
}

// A chain ending in the NS RRset of its target keeps that RRset's glue, as unbound keeps it in the
// answer it gets asking for the target's NS itself; glue nothing names still goes.
TEST(answer, glue_of_an_ns_rrset_at_the_end_of_a_chain_stays) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("toapex.example.com", rr_type::ns));
    msg_builder m(7, flag::qr | flag::aa | flag::ra, 1, 2, 0, 2);
    m.question("toapex.example.com", rr_type::ns);
    m.rr("toapex.example.com", rr_type::cname, 300, msg_builder::name_rdata("example.com"));
    m.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    m.rr("ns.example.com", rr_type::a, 300, {192, 0, 2, 1});
    m.rr("unasked.example.com", rr_type::a, 300, {192, 0, 2, 2});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_EQ(records_of(a.wire), (std::vector<std::string>{"0 toapex.example.com 5 192",
                                                            "0 example.com 2 ns.example.com",
                                                            "2 ns.example.com 1 192"}));
}

// What unbound holds of a chain it gave up on: the links it asked for, from the query name on.
TEST(answer, chain_links_are_the_first_links_from_the_query_name) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("l0.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::aa | flag::ra, 1, 4, 0, 0);
    m.question("l0.example.com", rr_type::a);
    m.rr("l0.example.com", rr_type::cname, 300, msg_builder::name_rdata("l1.example.com"));
    m.rr("l1.example.com", rr_type::cname, 300, msg_builder::name_rdata("l2.example.com"));
    m.rr("l2.example.com", rr_type::cname, 300, msg_builder::name_rdata("l3.example.com"));
    m.rr("l3.example.com", rr_type::a, 300, {192, 0, 2, 1});
    cached_answer a, links;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    ASSERT_TRUE(chain_links(a, q, 2, links));
    const auto records = records_of(links.wire);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].substr(0, 17), "0 l0.example.com ");
    EXPECT_EQ(records[1].substr(0, 17), "0 l1.example.com ");
    EXPECT_EQ(links.ttl_offsets.size(), 2u);
    EXPECT_TRUE(chain_links(a, q, 3, links));
    EXPECT_FALSE(chain_links(a, q, 4, links));  // the chain has three links
}

// What a chain says of its last name, as the answer unbound's restart for it got: every record
// but the links, asking for the last name as the last link spells it.
TEST(answer, a_chains_tail_asks_for_its_last_name) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("l0.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::aa | flag::ra, 1, 3, 1, 0);
    m.question("l0.example.com", rr_type::a);
    m.rr("l0.example.com", rr_type::cname, 300, msg_builder::name_rdata("l1.example.com"));
    m.rr("l1.example.com", rr_type::cname, 300, msg_builder::name_rdata("L2.example.com"));
    m.rr("L2.example.com", rr_type::a, 300, {192, 0, 2, 1});
    m.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    wire_name target;
    std::vector<std::uint8_t> tail;
    ASSERT_TRUE(chain_tail(a, q, target, tail));
    EXPECT_EQ(to_text(target.view()), "L2.example.com");
    wire_name asked;
    std::size_t off = header_size;
    ASSERT_TRUE(read_name(tail, off, &asked));
    EXPECT_EQ(to_text(asked.view()), "L2.example.com");
    EXPECT_EQ(get16(&tail[off]), rr_type::a);
    const auto records = records_of(tail);
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records[0].substr(0, 19), "0 L2.example.com 1 ");
    for (const auto& r : records) {
        EXPECT_EQ(r.find(" l0."), std::string::npos) << r;
        EXPECT_EQ(r.find(" l1."), std::string::npos) << r;
    }
    // No chain: nothing to take apart.
    const auto direct = parse_ok(make_query("L2.example.com", rr_type::a));
    msg_builder d(8, flag::qr | flag::aa | flag::ra, 1, 1, 0, 0);
    d.question("L2.example.com", rr_type::a);
    d.rr("L2.example.com", rr_type::a, 300, {192, 0, 2, 1});
    cached_answer b;
    ASSERT_TRUE(normalize_answer(d.b, direct, p, {}, b));
    EXPECT_FALSE(chain_tail(b, direct, target, tail));
}

// unbound's rrset-roundrobin (on by default): each RRset's records start at (ID + time(0)) mod
// their count, in every section, its RRSIGs after them unmoved; names are compressed again for
// the new order (an NS target a glue record's owner points to moves with it).
TEST(answer, rrsets_are_rotated_as_unbound_rotates_them) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("x.deleg.example.com", rr_type::a, true));
    msg_builder m(7, flag::qr | flag::ra, 1, 0, 3, 3);
    m.question("x.deleg.example.com", rr_type::a);
    for (const char* ns :
         {"ns1.deleg.example.com", "ns2.deleg.example.com", "ns3.deleg.example.com"})
        m.rr("deleg.example.com", rr_type::ns, 300, msg_builder::name_rdata(ns));
    for (std::uint8_t i = 1; i <= 3; ++i) {
        const std::string ns = "ns" + std::to_string(i) + ".deleg.example.com";
        m.rr(ns, rr_type::a, 300, {192, 0, 2, i});
    }
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_TRUE(a.rotatable);
    std::array<std::uint8_t, 4096> out{};
    bool tc = false;
    const auto as_cached = records_of(std::span(out).first(
        render_answer(a, q, 0, std::nullopt, false, 1232, out, tc, rr_offset_for(0, 3))));
    ASSERT_EQ(as_cached.size(), 6u);
    EXPECT_EQ(as_cached[0], "1 deleg.example.com 2 ns1.deleg.example.com");
    const auto n = render_answer(a, q, 0, std::nullopt, false, 1232, out, tc, 4);
    const auto rotated = records_of(std::span(out).first(n));
    EXPECT_EQ(rotated,
              (std::vector<std::string>{
                  "1 deleg.example.com 2 ns2.deleg.example.com",
                  "1 deleg.example.com 2 ns3.deleg.example.com",
                  "1 deleg.example.com 2 ns1.deleg.example.com", "2 ns1.deleg.example.com 1 192",
                  "2 ns2.deleg.example.com 1 192", "2 ns3.deleg.example.com 1 192"}));
    EXPECT_EQ(get16(&out[0]), 0x1234);
    EXPECT_EQ(get16(&out[10]), 4u);  // the glue and our OPT
}

TEST(answer, rrsig_stays_after_the_rotated_rrset) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("www.example.com", rr_type::a, true));
    msg_builder m(7, flag::qr | flag::ra, 1, 4, 0, 0);
    m.question("www.example.com", rr_type::a);
    for (std::uint8_t i = 1; i <= 3; ++i) m.rr("www.example.com", rr_type::a, 300, {i, 0, 0, 1});
    m.rr("www.example.com", rr_type::rrsig, 300, {0, rr_type::a, 13, 3, 0, 0, 1, 44});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    std::array<std::uint8_t, 4096> out{};
    bool tc = false;
    const auto n = render_answer(a, q, 100, std::nullopt, false, 1232, out, tc, 65535 + 2);
    EXPECT_EQ(records_of(std::span(out).first(n)),
              (std::vector<std::string>{"0 www.example.com 1 3", "0 www.example.com 1 1",
                                        "0 www.example.com 1 2", "0 www.example.com 46 0"}));
    // TTLs counted down in the rotated copy too.
    std::size_t off = header_size + q.qname.size + 4 + 2 + 4;
    EXPECT_EQ(get32(&out[off]), 200u);
    // A single record is never rewritten.
    const auto one = parse_ok(make_query("one.example.com", rr_type::a));
    cached_answer single;
    ASSERT_TRUE(normalize_answer(upstream_answer(one, 300), one, p, {}, single));
    EXPECT_FALSE(single.rotatable);
}

// What render_answer sends at `rr_offset`, and what it sends for the answer written again in
// that order (rotate_rrsets, compressed as unbound compresses it), byte for byte: the hit path
// that moves the records' bytes must send what the re-encode sends, for every rotation, cut or
// whole, TTLs counted down with their records.
void expect_rotation_as_written_again(const cached_answer& a, const query& q) {
    for (std::uint64_t rr_offset = 0; rr_offset < 2 * 3 * 4 * 5 * 7 * 8; rr_offset += 1) {
        std::array<std::uint8_t, 4096> sent{}, again{};
        bool tc = false, tc_again = false;
        const auto n = render_answer(a, q, 7, std::nullopt, false, 1232, sent, tc, rr_offset);
        cached_answer rotated;
        if (!rotate_rrsets(a, rr_offset, rotated)) rotated = a;  // no RRset moves
        rotated.rotatable = false;                               // sent as it is now: the reference
        rotated.byte_rotations.clear();
        const auto m =
            render_answer(rotated, q, 7, std::nullopt, false, 1232, again, tc_again, rr_offset);
        ASSERT_GT(n, 0u);
        ASSERT_EQ(std::vector(sent.begin(), sent.begin() + static_cast<std::ptrdiff_t>(n)),
                  std::vector(again.begin(), again.begin() + static_cast<std::ptrdiff_t>(m)))
            << "rotation " << rr_offset;
        EXPECT_EQ(tc, tc_again);
    }
}

// A CloudFront answer: a CNAME, then eight addresses owned by its target, a pointer into the
// CNAME's RDATA each. Their bytes rotate as they are.
TEST(answer, address_rrsets_rotate_as_the_reencode_writes_them) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("www.Example.com", rr_type::a, true, true));
    msg_builder m(7, flag::qr | flag::ra, 1, 10, 0, 0);
    m.question("www.example.com", rr_type::a);
    m.rr("www.example.com", rr_type::cname, 300, msg_builder::name_rdata("d1.cloudfront.net"));
    for (std::uint8_t i = 1; i <= 8; ++i)
        m.rr("d1.cloudfront.net", rr_type::a, 60 + i, {203, 0, 113, i});
    m.rr("d1.cloudfront.net", rr_type::rrsig, 60, {0, rr_type::a, 13, 3, 0, 0, 1, 44});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    ASSERT_TRUE(a.rotatable);
    ASSERT_EQ(a.byte_rotations.size(), 1u);
    EXPECT_EQ(a.byte_rotations[0].count, 8u);
    expect_rotation_as_written_again(a, q);
    // Forty of them do not fit a client without EDNS: the CNAME goes alone, with TC.
    const auto plain = parse_ok(make_query("www.example.com", rr_type::a));
    msg_builder many(7, flag::qr | flag::ra, 1, 41, 0, 0);
    many.question("www.example.com", rr_type::a);
    many.rr("www.example.com", rr_type::cname, 300, msg_builder::name_rdata("d1.cloudfront.net"));
    for (std::uint8_t i = 1; i <= 40; ++i)
        many.rr("d1.cloudfront.net", rr_type::a, 60, {203, 0, 113, i});
    ASSERT_TRUE(normalize_answer(many.b, plain, p, {}, a));
    ASSERT_EQ(a.byte_rotations.size(), 1u);
    expect_rotation_as_written_again(a, plain);
}

// TXT records of different lengths rotate by their own lengths; an AAAA RRset in the same
// answer (ANY) rotates by its own count; a cut keeps the whole RRsets that fit.
TEST(answer, rrsets_of_records_of_different_sizes_rotate_as_written_again) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("t.example.com", rr_type::any));
    msg_builder m(7, flag::qr | flag::ra, 1, 10, 0, 0);
    m.question("t.example.com", rr_type::any);
    for (std::uint8_t len : {3, 140, 1, 170, 90}) {
        std::vector<std::uint8_t> txt{len};
        txt.insert(txt.end(), len, static_cast<std::uint8_t>('a' + len % 26));
        m.rr("t.example.com", 16, 300, txt);
    }
    for (std::uint8_t i = 1; i <= 3; ++i) {
        std::vector<std::uint8_t> v6(16, 0);
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[15] = i;
        m.rr("t.example.com", rr_type::aaaa, 300, v6);
    }
    m.rr("t.example.com", rr_type::a, 300, {192, 0, 2, 1});
    m.rr("t.example.com", rr_type::a, 300, {192, 0, 2, 2});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    ASSERT_EQ(a.byte_rotations.size(), 3u);
    EXPECT_GT(a.wire.size(), 512u);  // a client without EDNS gets the TXT RRset alone, TC
    expect_rotation_as_written_again(a, q);
}

// An RRset whose RDATA holds compressed names (NS, MX), or whose records' owners are not one
// pointer back (the gateway's own addresses for a steered name, written out whole), is written
// again for each rotation: moving its bytes would move names other records point to.
TEST(answer, rrsets_with_names_to_compress_are_written_again) {
    const auto q = parse_ok(make_query("x.deleg.example.com", rr_type::a, true));
    msg_builder m(7, flag::qr | flag::ra, 1, 0, 2, 3);
    m.question("x.deleg.example.com", rr_type::a);
    m.rr("deleg.example.com", rr_type::ns, 300, msg_builder::name_rdata("ns1.deleg.example.com"));
    m.rr("deleg.example.com", rr_type::ns, 300, msg_builder::name_rdata("ns2.deleg.example.com"));
    m.rr("ns1.deleg.example.com", rr_type::a, 300, {192, 0, 2, 1});
    m.rr("ns1.deleg.example.com", rr_type::a, 300, {192, 0, 2, 2});
    m.rr("ns2.deleg.example.com", rr_type::a, 300, {192, 0, 2, 3});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, default_policy(), {}, a));
    ASSERT_TRUE(a.rotatable);
    EXPECT_TRUE(a.byte_rotations.empty());
    expect_rotation_as_written_again(a, q);

    core::dns_config o;
    o.steer_ipv4 = {*core::ip_address::parse("192.0.2.10"), *core::ip_address::parse("192.0.2.11"),
                    *core::ip_address::parse("192.0.2.12")};
    const auto steering = compile_policy(o);
    const auto alias = parse_ok(make_query("alias.example.com", rr_type::a));
    msg_builder s(7, flag::qr | flag::ra, 1, 2, 0, 0);
    s.question("alias.example.com", rr_type::a);
    s.rr("alias.example.com", rr_type::cname, 300,
         msg_builder::name_rdata("signin.aws.amazon.com"));
    s.rr("signin.aws.amazon.com", rr_type::a, 300, {203, 0, 113, 9});
    cached_answer steered;
    ASSERT_TRUE(normalize_answer(s.b, alias, steering, {}, steered));
    ASSERT_TRUE(steered.steered_rewrite);
    ASSERT_TRUE(steered.rotatable);
    EXPECT_TRUE(steered.byte_rotations.empty());
    expect_rotation_as_written_again(steered, alias);
}

}  // namespace
// A referral as unbound's forward mode passes it on (iterator/iter_scrub.c, iter_utils.c
// iter_scrub_ds): the NS RRset and the glue it names; no DS (nor its RRSIG), no address record
// nothing asks for, no CNAME in the authority section.
TEST(answer, referral_keeps_the_ns_rrset_and_its_glue_only) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("x.deleg.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::ra, 1, 0, 4, 2);
    m.question("x.deleg.example.com", rr_type::a);
    m.rr("deleg.example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.deleg.example.com"));
    m.rr("deleg.example.com", rr_type::ds, 300, {0x30, 0x39, 13, 2, 0, 0, 0, 0});
    m.rr("deleg.example.com", rr_type::rrsig, 300, {0, rr_type::ds, 13, 3, 0, 0, 1, 44});
    m.rr("other.example.com", rr_type::cname, 300, msg_builder::name_rdata("deleg.example.com"));
    m.rr("ns.deleg.example.com", rr_type::a, 300, {127, 0, 0, 1});
    m.rr("unasked.example.com", rr_type::a, 300, {192, 0, 2, 1});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    EXPECT_EQ(get16(&a.wire[6]), 0u);
    EXPECT_EQ(get16(&a.wire[8]), 1u);   // the NS RRset
    EXPECT_EQ(get16(&a.wire[10]), 1u);  // its glue
    const std::string text(a.wire.begin(), a.wire.end());
    EXPECT_NE(text.find(std::string("\x7f\x00\x00\x01", 4)), std::string::npos);
    EXPECT_EQ(text.find("unasked"), std::string::npos);
    EXPECT_EQ(text.find("other"), std::string::npos);
}

// A positive answer: the NS RRset upstream adds beside it goes (Debian 12's unbound, the fix for
// CVE-2025-11411), and with it the glue; what the answer's own MX names stays.
TEST(answer, positive_answer_loses_upstreams_ns_rrset_and_glue) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("mx.example.com", rr_type::mx));
    msg_builder m(7, flag::qr | flag::ra, 1, 1, 2, 2);
    m.question("mx.example.com", rr_type::mx);
    auto mx = msg_builder::name_rdata("mail.example.com");
    mx.insert(mx.begin(), {0, 10});
    m.rr("mx.example.com", rr_type::mx, 300, mx);
    m.rr("example.com", rr_type::ns, 300, msg_builder::name_rdata("ns.example.com"));
    m.rr("*.example.com", rr_type::nsec, 300, msg_builder::name_rdata("z.example.com"));
    m.rr("ns.example.com", rr_type::a, 300, {127, 0, 0, 1});
    m.rr("mail.example.com", rr_type::a, 300, {192, 0, 2, 25});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
    // The NSEC keeps the authority and additional sections (a wildcard proof, as unbound).
    EXPECT_EQ(get16(&a.wire[6]), 1u);
    EXPECT_EQ(get16(&a.wire[8]), 1u);
    EXPECT_EQ(get16(&a.wire[10]), 1u);
    const std::string text(a.wire.begin(), a.wire.end());
    EXPECT_EQ(text.find("\x02ns"), std::string::npos);
    EXPECT_EQ(text.find(std::string("\x7f\x00\x00\x01", 4)), std::string::npos);
    EXPECT_NE(text.find(std::string("\xc0\x00\x02\x19", 4)), std::string::npos);
}

// A chain upstream left unfinished (a CNAME out of its zone) is found, and completed by the
// answer for its last name: the chain first, then that answer, its rcode, and the shorter life.
TEST(answer, an_unfinished_chain_is_joined_with_the_answer_for_its_last_name) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("alias.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::ra, 1, 1, 0, 0);
    m.question("alias.example.com", rr_type::a);
    m.rr("alias.example.com", rr_type::cname, 100, msg_builder::name_rdata("www.example.org"));
    cached_answer head;
    ASSERT_TRUE(normalize_answer(m.b, q, p, {}, head));
    wire_name target, expected;
    ASSERT_EQ(classify_chain(head, q, target), chain_end::unfinished);
    ASSERT_TRUE(from_text("www.example.org", expected));
    EXPECT_TRUE(names_equal_ci(target.view(), expected.view()));
    const auto tq = parse_ok(make_query("www.example.org", rr_type::a));
    msg_builder t(7, flag::qr | flag::ra, 1, 1, 0, 0);
    t.question("www.example.org", rr_type::a);
    t.rr("www.example.org", rr_type::a, 300, {192, 0, 2, 80});
    cached_answer tail, joined;
    ASSERT_TRUE(normalize_answer(t.b, tq, p, {}, tail));
    EXPECT_EQ(classify_chain(tail, tq, target), chain_end::complete);
    ASSERT_TRUE(join_chain(head, tail, joined));
    EXPECT_EQ(get16(&joined.wire[6]), 2);
    EXPECT_EQ(joined.lifetime, 100u);
    EXPECT_EQ(joined.ttl_offsets.size(), 2u);
    EXPECT_EQ(classify_chain(joined, q, target), chain_end::complete);
    std::array<std::uint8_t, 512> out{};
    bool tc = false;
    const auto n = render_answer(joined, q, 0, std::nullopt, false, 1232, out, tc);
    cached_answer again;
    ASSERT_TRUE(normalize_answer(std::span(out).first(n), q, p, {}, again));
    EXPECT_EQ(get16(&again.wire[6]), 2);
    // A NODATA proof (an SOA) ends a chain: nothing to follow.
    msg_builder nodata(7, flag::qr | flag::ra, 1, 1, 1, 0);
    nodata.question("alias.example.com", rr_type::a);
    nodata.rr("alias.example.com", rr_type::cname, 100, msg_builder::name_rdata("www.example.org"));
    auto soa = msg_builder::name_rdata("ns.example.org");
    const auto rname = msg_builder::name_rdata("h.example.org");
    soa.insert(soa.end(), rname.begin(), rname.end());
    for (int k = 0; k < 20; ++k) soa.push_back(1);
    nodata.rr("example.org", rr_type::soa, 100, soa);
    ASSERT_TRUE(normalize_answer(nodata.b, q, p, {}, head));
    EXPECT_EQ(classify_chain(head, q, target), chain_end::complete);
}

// A chain that comes back to a name it passed never ends, whether the loop is in one answer
// (an upstream that followed it) or closes only once joined with the answer for the last name.
TEST(answer, a_chain_that_comes_back_to_a_name_is_a_loop) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("a.example.com", rr_type::a));
    wire_name target;
    for (const char* back : {"a.example.com", "b.example.com"}) {
        msg_builder m(7, flag::qr | flag::ra, 1, 3, 0, 0);
        m.question("a.example.com", rr_type::a);
        m.rr("a.example.com", rr_type::cname, 100, msg_builder::name_rdata("b.example.com"));
        m.rr("b.example.com", rr_type::cname, 100, msg_builder::name_rdata("c.example.com"));
        m.rr("c.example.com", rr_type::cname, 100, msg_builder::name_rdata(back));
        cached_answer a;
        ASSERT_TRUE(normalize_answer(m.b, q, p, {}, a));
        EXPECT_EQ(classify_chain(a, q, target), chain_end::too_long) << back;
    }
    msg_builder h(7, flag::qr | flag::ra, 1, 1, 0, 0);
    h.question("a.example.com", rr_type::a);
    h.rr("a.example.com", rr_type::cname, 100, msg_builder::name_rdata("www.example.org"));
    const auto tq = parse_ok(make_query("www.example.org", rr_type::a));
    msg_builder t(7, flag::qr | flag::ra, 1, 1, 0, 0);
    t.question("www.example.org", rr_type::a);
    t.rr("www.example.org", rr_type::cname, 100, msg_builder::name_rdata("a.example.com"));
    cached_answer head, tail, joined;
    ASSERT_TRUE(normalize_answer(h.b, q, p, {}, head));
    ASSERT_TRUE(normalize_answer(t.b, tq, p, {}, tail));
    ASSERT_EQ(classify_chain(head, q, target), chain_end::unfinished);
    ASSERT_TRUE(join_chain(head, tail, joined));
    EXPECT_EQ(classify_chain(joined, q, target), chain_end::too_long);
}

// A chain whose last name is below a delegation, completed by the referral for it (an NS
// RRset above that name): the referral is the answer, nothing more to ask.
TEST(answer, a_chain_completed_by_a_referral_is_complete) {
    const auto p = default_policy();
    const auto q = parse_ok(make_query("a.example.com", rr_type::a));
    msg_builder h(7, flag::qr | flag::ra, 1, 1, 0, 0);
    h.question("a.example.com", rr_type::a);
    h.rr("a.example.com", rr_type::cname, 100, msg_builder::name_rdata("x.deleg.example.com"));
    const auto tq = parse_ok(make_query("x.deleg.example.com", rr_type::a));
    msg_builder t(7, flag::qr | flag::ra, 1, 0, 1, 0);
    t.question("x.deleg.example.com", rr_type::a);
    t.rr("deleg.example.com", rr_type::ns, 100, msg_builder::name_rdata("ns.example.net"));
    cached_answer head, tail, joined;
    wire_name target;
    ASSERT_TRUE(normalize_answer(h.b, q, p, {}, head));
    ASSERT_TRUE(normalize_answer(t.b, tq, p, {}, tail));
    ASSERT_EQ(classify_chain(head, q, target), chain_end::unfinished);
    ASSERT_TRUE(join_chain(head, tail, joined));
    EXPECT_EQ(get16(&joined.wire[8]), 1);  // the NS RRset went along
    EXPECT_EQ(classify_chain(joined, q, target), chain_end::complete);
}

}  // namespace consolegate::dns
