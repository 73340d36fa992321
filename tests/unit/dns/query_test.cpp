#include "query.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "msg_builder.hpp"
#include "samples.hpp"

namespace consolegate::dns {
namespace {

using namespace test;

TEST(query, parses_edns_and_keeps_case) {
    auto q = parse_ok(make_query("WwW.ExAmple.com", rr_type::aaaa, true, true));
    EXPECT_EQ(q.id, 0x1234);
    EXPECT_EQ(q.qtype, rr_type::aaaa);
    EXPECT_TRUE(q.edns);
    EXPECT_TRUE(q.do_bit);
    EXPECT_EQ(q.udp_size, 4096);
    EXPECT_EQ(to_text(q.qname.view()), "WwW.ExAmple.com");
    EXPECT_EQ(to_text(q.qname_lower.view()), "www.example.com");
    EXPECT_EQ(response_limit(q, false), 4096u);  // as the client said, up to 4096 (unbound's)
    EXPECT_EQ(response_limit(q, true), 65535u);
}

TEST(query, rejects_malformed) {
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
    // NOTIMP is the query reflected with QR and the rcode (unbound's answer), never larger.
    std::array<std::uint8_t, 512> reflected{};
    ASSERT_EQ(write_reflected(opcode, rcode::notimp, reflected), opcode.size());
    EXPECT_EQ(reflected[2], opcode[2] | 0x80);
    EXPECT_EQ(reflected[3] & 0x0f, 4);
    EXPECT_TRUE(std::equal(opcode.begin() + 4, opcode.end(), reflected.begin() + 4));
    auto notify = make_query("a.example", 6);
    notify[2] |= 0x20;  // opcode 4 (NOTIFY): its question is read, so it can be refused
    EXPECT_EQ(parse_query(notify, q), parse_status::notify);
    EXPECT_EQ(q.qtype, 6);
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

TEST(query, steered_answers_per_type) {
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
    // Asked for, the SOA those negative answers carry is the answer.
    q = parse_ok(make_query("console.aws.amazon.com", rr_type::soa));
    n = write_steered(q, p.target, 1232, out);
    EXPECT_EQ(get16(&out[6]), 1);
    EXPECT_EQ(get16(&out[8]), 0);
    EXPECT_EQ(get16(&out[12 + 28 + 2]), rr_type::soa);  // after the question (28 bytes), a pointer
    // qtype ANY: every address record the gateway has; class ANY is answered from class IN.
    auto any = make_query("console.aws.amazon.com", rr_type::any);
    q = parse_ok(any);
    n = write_steered(q, p.target, 1232, out);
    EXPECT_EQ(get16(&out[6]), p.target.ipv4.size() + p.target.ipv6.size());
    any[any.size() - 1] = 255;  // QCLASS ANY
    q = parse_ok(any);
    n = write_steered(q, p.target, 1232, out);
    EXPECT_EQ(get16(&out[6]), p.target.ipv4.size() + p.target.ipv6.size());
}

// What unbound takes no further than its front door, consolegate neither (the differential test
// compares the answers): zone transfers REFUSED, meta-TYPEs and malformed headers FORMERR, both
// by reflecting the query; a broken additional section FORMERR with the question.
TEST(query, refuses_transfers_and_meta_types_as_unbound) {
    query q;
    for (std::uint16_t t : {251, 252}) {
        EXPECT_EQ(parse_query(make_query("a.example", t), q), parse_status::zone_transfer) << t;
    }
    for (std::uint16_t t : {41, 128, 200, 248, 249, 250, 253, 254}) {
        EXPECT_EQ(parse_query(make_query("a.example", t), q), parse_status::formerr) << t;
    }
    for (std::uint16_t t : {0, 1, 127, 255, 256, 65534}) {
        EXPECT_EQ(parse_query(make_query("a.example", t), q), parse_status::ok) << t;
    }
    auto tc = make_query("a.example", 1);
    tc[2] |= 0x02;
    EXPECT_EQ(parse_query(tc, q), parse_status::formerr);
    msg_builder two_ar(1, 0, 1, 0, 0, 2);
    two_ar.question("a.example", 1);
    two_ar.opt(1232, false);
    two_ar.opt(1232, false);
    EXPECT_EQ(parse_query(two_ar.b, q), parse_status::formerr);
    msg_builder bad_opt(1, 0, 1, 0, 0, 1);
    bad_opt.question("a.example", 1);
    bad_opt.opt(1232, false);
    bad_opt.b.pop_back();  // the OPT record cut short
    EXPECT_EQ(parse_query(bad_opt.b, q), parse_status::edns_formerr);
    EXPECT_TRUE(q.edns);  // the FORMERR carries an OPT record, as unbound's
    EXPECT_FALSE(q.do_bit);
    // The one additional record is an OPT owned by the root, as unbound reads it: an OPT owned by
    // another name, or an A record, is FORMERR; a pointer to the root will do.
    msg_builder owned(1, 0, 1, 0, 0, 1);
    owned.question("a.example", 1);
    owned.rr("a", rr_type::opt, 0, {});
    EXPECT_EQ(parse_query(owned.b, q), parse_status::edns_formerr);
    msg_builder lone_a(1, 0, 1, 0, 0, 1);
    lone_a.question("a.example", 1);
    lone_a.rr("", rr_type::a, 60, {192, 0, 2, 1});
    EXPECT_EQ(parse_query(lone_a.b, q), parse_status::edns_formerr);
    auto pointed = make_query("a.example", 1);  // the question's root is at 12 + 10
    pointed[11] = 1;
    for (std::uint8_t b : {0xc0, 22, 0, 41, 4, 0, 0, 0, 0x80, 0, 0, 0}) pointed.push_back(b);
    EXPECT_EQ(parse_query(pointed, q), parse_status::ok);
    EXPECT_TRUE(q.do_bit);
    const auto in = make_query("a.example", 252);
    std::array<std::uint8_t, 512> out{};
    ASSERT_EQ(write_reflected(in, rcode::refused, out), in.size());
    EXPECT_EQ(out[2], in[2] | 0x80);
    EXPECT_EQ(out[3] & 0x0f, rcode::refused);
    EXPECT_TRUE(std::equal(in.begin() + 4, in.end(), out.begin() + 4));
}

TEST(query, upstream_query_carries_cd_and_asks_for_ad) {
    std::array<std::uint8_t, 512> out{};
    auto raw = make_query("www.example.com", rr_type::a);
    ASSERT_GT(write_upstream_query(parse_ok(raw), 7, 1232, out), 0u);
    EXPECT_EQ(get16(&out[2]), flag::rd | flag::ad);
    raw[3] |= flag::cd;
    ASSERT_GT(write_upstream_query(parse_ok(raw), 7, 1232, out), 0u);
    EXPECT_EQ(get16(&out[2]), flag::rd | flag::ad | flag::cd);
}

// Asked as the client spelt it, as unbound asks: the answer's names carry that spelling.
TEST(query, upstream_query_keeps_the_clients_spelling) {
    std::array<std::uint8_t, 512> out{};
    const auto q = parse_ok(make_query("WwW.Example.COM", rr_type::a));
    ASSERT_GT(write_upstream_query(q, 7, 1232, out), 0u);
    EXPECT_EQ(to_text(std::span(out).subspan(header_size, q.qname.size)), "WwW.Example.COM");
}

}  // namespace
}  // namespace consolegate::dns
