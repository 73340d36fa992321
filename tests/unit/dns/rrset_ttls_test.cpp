#include "rrset_ttls.hpp"

#include <gtest/gtest.h>

#include <string>

#include "msg_builder.hpp"
#include "samples.hpp"

namespace consolegate::dns {
namespace {

using namespace test;

// `name` A, one record (198.51.100.`last`) with `ttl`, normalised as the worker keeps it; AA as
// an authoritative upstream sets it, TC as a truncated one does.
cached_answer answer(std::uint32_t ttl, std::uint8_t last, bool aa, bool tc = false,
                     const char* name = "www.example.com") {
    const auto q = parse_ok(make_query(name, rr_type::a));
    msg_builder m(0xbeef,
                  static_cast<std::uint16_t>(flag::qr | flag::rd | flag::ra | (aa ? flag::aa : 0) |
                                             (tc ? flag::tc : 0)),
                  1, 1, 0, 0);
    m.b.insert(m.b.end(), q.qname_lower.bytes.begin(),
               q.qname_lower.bytes.begin() + static_cast<std::ptrdiff_t>(q.qname_lower.size));
    m.u16(rr_type::a);
    m.u16(class_in);
    m.u16(0xc00c);
    m.u16(rr_type::a);
    m.u16(class_in);
    m.u32(ttl);
    m.u16(4);
    for (std::uint8_t x : {std::uint8_t{198}, std::uint8_t{51}, std::uint8_t{100}, last})
        m.b.push_back(x);
    cached_answer a;
    EXPECT_TRUE(normalize_answer(m.b, q, default_policy(), {}, a));
    return a;
}

std::uint32_t ttl_of(const cached_answer& a) {
    return get32(&a.wire[a.ttl_offsets.at(0)]);
}

// An RRset held unexpired with the same data and no less trust goes out with the TTL left to it
// (unbound's need_to_update_rrset keeps its copy), through its last second (TTL 0).
TEST(rrset_ttls, the_same_rrset_later_keeps_the_ttl_left_to_it) {
    rrset_ttls held(100);
    auto first = answer(300, 1, true);
    held.apply(first, 1000);
    EXPECT_EQ(ttl_of(first), 300u);
    auto later = answer(300, 1, true);
    held.apply(later, 1042);
    EXPECT_EQ(ttl_of(later), 258u);
    EXPECT_EQ(later.lifetime, 258u);
    auto last = answer(300, 1, true);
    held.apply(last, 1300);
    EXPECT_EQ(ttl_of(last), 0u);
    EXPECT_EQ(last.lifetime, 0u);  // not cached: the held copy expires with this second
    auto after = answer(300, 1, true);
    held.apply(after, 1301);  // expired: the new copy is held
    EXPECT_EQ(ttl_of(after), 300u);
}

// A more trusted copy replacing a held RRset before it expired is what a cached answer holding
// that RRset shows from then on (unbound's message cache refers to its RRset cache): its TTLs
// counted from when the answer was stored. Other data is left as cached.
TEST(rrset_ttls, a_cached_answer_shows_the_copy_that_replaced_its_rrset) {
    rrset_ttls held(100);
    auto cached = answer(300, 1, false);  // less trusted
    held.apply(cached, 1000);
    cached.held_generation = held.generation();
    const auto before = held.generation();
    auto same_trust = answer(300, 1, false);
    held.apply(same_trust, 1005);
    EXPECT_EQ(held.generation(), before);  // the held copy stayed: nothing to show
    auto trusted = answer(300, 1, true);
    held.apply(trusted, 1010);
    EXPECT_NE(held.generation(), before);
    held.show_held(cached, 1000);
    EXPECT_EQ(ttl_of(cached), 310u);  // 300 left at 1010: the cache takes its 10 s off
    EXPECT_EQ(cached.held_generation, held.generation());
    auto other = answer(300, 2, true);
    const auto seen = held.generation();
    held.apply(other, 1020);  // other data: nothing a cached answer shows changes
    EXPECT_EQ(held.generation(), seen);
    held.show_held(cached, 1000);
    EXPECT_EQ(ttl_of(cached), 310u);
}

// Below a DNAME held with the query name's own CNAME, unbound synthesises an ANY or CNAME answer
// from its RRset cache: the closest DNAME above the name, while both are unexpired.
TEST(rrset_ttls, a_dname_is_found_above_a_name_whose_cname_is_held) {
    const auto q = parse_ok(make_query("a.dn.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::aa | flag::ra, 1, 2, 0, 0);
    m.question("a.dn.example.com", rr_type::a);
    m.rr("dn.example.com", 39, 300, msg_builder::name_rdata("other.example"));
    m.rr("a.dn.example.com", rr_type::cname, 100, msg_builder::name_rdata("a.other.example"));
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, default_policy(), {}, a));
    rrset_ttls held(100);
    EXPECT_FALSE(held.dname_above(q.qname_lower, 1000));
    held.apply(a, 1000);
    const auto d = held.dname_above(q.qname_lower, 1040);
    ASSERT_TRUE(d);
    EXPECT_EQ(to_text(d->owner.view()), "dn.example.com");
    EXPECT_EQ(to_text(d->target.view()), "other.example");
    EXPECT_EQ(d->ttl, 260u);
    EXPECT_FALSE(held.dname_above(q.qname_lower, 1101));  // the CNAME expired
    const auto other = parse_ok(make_query("b.dn.example.com", rr_type::a));
    EXPECT_FALSE(held.dname_above(other.qname_lower, 1040));  // no CNAME held for it
    const auto owner = parse_ok(make_query("dn.example.com", rr_type::a));
    EXPECT_FALSE(held.dname_above(owner.qname_lower, 1040));
}

// A name's CNAME held unexpired, which unbound follows from its RRset cache for a question of
// another type: its target as the copy held spells it, and the TTL left to it.
TEST(rrset_ttls, a_cname_held_gives_its_target_as_spelt_and_the_ttl_left) {
    const auto q = parse_ok(make_query("alias.example.com", rr_type::a));
    msg_builder m(7, flag::qr | flag::aa | flag::ra, 1, 2, 0, 0);
    m.question("alias.example.com", rr_type::a);
    m.rr("alias.example.com", rr_type::cname, 100, msg_builder::name_rdata("WWW.example.com"));
    m.rr("WWW.example.com", rr_type::a, 300, {192, 0, 2, 1});
    cached_answer a;
    ASSERT_TRUE(normalize_answer(m.b, q, default_policy(), {}, a));
    rrset_ttls held(100);
    EXPECT_FALSE(held.cname_of(q.qname_lower, 1000));
    held.apply(a, 1000);
    const auto c = held.cname_of(q.qname_lower, 1040);
    ASSERT_TRUE(c);
    EXPECT_EQ(to_text(c->target.view()), "WWW.example.com");
    EXPECT_EQ(c->ttl, 60u);
    EXPECT_EQ(held.cname_of(q.qname_lower, 1100)->ttl, 0u);  // its last second
    EXPECT_FALSE(held.cname_of(q.qname_lower, 1101));
    const auto target = parse_ok(make_query("www.example.com", rr_type::a));
    EXPECT_FALSE(held.cname_of(target.qname_lower, 1040));  // an A RRset, no CNAME
}

// A delegation's NS RRset in another spelling (nsd compresses its names against each question)
// is other data of the same trust: it replaces the held one but keeps the held one's TTL
// (need_to_update_rrset), which what is cached of the answer shows (restamp_held, show_held).
TEST(rrset_ttls, an_ns_rrset_spelt_otherwise_keeps_the_ttl_held) {
    const auto referral = [](const char* qname, const char* cut) {
        const auto q = parse_ok(make_query(qname, rr_type::a));
        msg_builder m(7, flag::qr | flag::ra, 1, 0, 1, 0);
        m.question(qname, rr_type::a);
        m.rr(cut, rr_type::ns, 300, msg_builder::name_rdata("ns." + std::string(cut)));
        cached_answer a;
        EXPECT_TRUE(normalize_answer(m.b, q, default_policy(), {}, a));
        return a;
    };
    rrset_ttls held(100);
    auto first = referral("a.deleg.example.com", "deleg.example.com");
    held.apply(first, 1000);
    EXPECT_FALSE(held.restamp_held());
    auto second = referral("b.DELEG.example.com", "DELEG.example.com");
    held.apply(second, 1040);
    EXPECT_EQ(ttl_of(second), 300u);  // as it came, to the clients waiting
    EXPECT_TRUE(held.restamp_held());
    EXPECT_FALSE(held.restamp_held());  // once
    held.show_held(second, 1040);
    EXPECT_EQ(ttl_of(second), 260u);  // cached: the TTL held
    auto third = referral("c.DELEG.example.com", "DELEG.example.com");
    held.apply(third, 1050);
    EXPECT_EQ(ttl_of(third), 250u);  // the same data as held now
    EXPECT_FALSE(held.restamp_held());
}

// Other data of the same trust replaces the held copy; more trust replaces it, less does not.
TEST(rrset_ttls, other_data_or_more_trust_replaces_the_held_copy) {
    rrset_ttls held(100);
    auto first = answer(300, 1, true);
    held.apply(first, 1000);
    auto changed = answer(300, 2, true);
    held.apply(changed, 1010);
    EXPECT_EQ(ttl_of(changed), 300u);
    auto again = answer(300, 2, true);
    held.apply(again, 1020);
    EXPECT_EQ(ttl_of(again), 290u);  // the new data is what is held now

    rrset_ttls weak(100);
    auto not_aa = answer(300, 1, false);  // answer section, not authoritative: less trust
    weak.apply(not_aa, 1000);
    auto aa = answer(300, 1, true);
    weak.apply(aa, 1010);
    EXPECT_EQ(ttl_of(aa), 300u);  // more trust: replaced
    auto not_aa_again = answer(300, 1, false);
    weak.apply(not_aa_again, 1020);
    EXPECT_EQ(ttl_of(not_aa_again), 290u);  // less trust: the held copy stays and goes out
    auto other_not_aa = answer(300, 3, false);
    weak.apply(other_not_aa, 1030);
    EXPECT_EQ(ttl_of(other_not_aa), 300u);  // its own data, its own TTL; the held copy stays
    auto aa_again = answer(300, 1, true);
    weak.apply(aa_again, 1040);
    EXPECT_EQ(ttl_of(aa_again), 270u);
}

TEST(rrset_ttls, a_truncated_answer_is_left_alone_and_the_memory_is_bounded) {
    rrset_ttls held(2);
    auto tc = answer(300, 1, true, true);
    held.apply(tc, 1000);
    EXPECT_EQ(held.size(), 0u);
    for (const char* name : {"a.example.com", "b.example.com", "c.example.com", "d.example.com"}) {
        auto a = answer(300, 1, true, false, name);
        held.apply(a, 1000);
        EXPECT_LE(held.size(), 2u);
        EXPECT_GE(held.size(), 1u);
    }
}

}  // namespace
}  // namespace consolegate::dns
