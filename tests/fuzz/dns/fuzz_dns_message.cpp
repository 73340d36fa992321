// Every byte string is both a client query and an upstream answer: the query parser, the
// gateway's own answers, the answer normaliser (including the CNAME rewrite and unbound's
// scrub), the DNSSEC strip, the chain join and the renderer must never crash, and what they write
// must fit the buffer and parse back as a query's answer.
#include <algorithm>
#include <cstdlib>

#include "answer.hpp"
#include "consolegate/core/config.hpp"
#include "local_zones.hpp"
#include "policy.hpp"
#include "query.hpp"
#include "rewrite.hpp"
#include "rrset_ttls.hpp"

using namespace consolegate::dns;

namespace {

const policy& test_policy() {
    static const policy p = [] {
        consolegate::core::dns_config o;
        o.steer_names.push_back("*.example");
        o.steer_names.push_back("portal.sso.*.amazonaws.com");
        o.steer_ipv4 = {*consolegate::core::ip_address::parse("192.0.2.1")};
        o.steer_ipv6 = {*consolegate::core::ip_address::parse("2001:db8::1")};
        o.block_names = {"*.blocked"};
        return compile_policy(o);
    }();
    return p;
}

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    static std::array<std::uint8_t, 65536> out;
    query q;
    const auto st = parse_query(in, q);
    if (st == parse_status::formerr || st == parse_status::notimp) {
        check(write_formerr(in, out) <= out.size());
    }
    if (st == parse_status::notimp)
        check(write_reflected(in, rcode::notimp, out) <= std::max(size, header_size));
    if (st != parse_status::ok) {
        // The same bytes as an upstream answer to the question they carry, if any.
        std::size_t off = header_size;
        if (size < header_size || !read_name(in, off, &q.qname) || size - off < 4) return 0;
        q.qname_lower = q.qname;
        lowercase(q.qname_lower);
        q.qtype = get16(data + off);
        q.qclass = get16(data + off + 2);
        q.edns = (size & 1) != 0;
        q.do_bit = (size & 2) != 0;
        q.udp_size = 1232;
    }
    const auto& p = test_policy();
    text_buffer text;
    const auto lower = to_text(q.qname_lower.view(), text);
    (void)p.decide(lower);
    check(write_steered(q, p.target, 1232, out) <= out.size());
    if (const auto n = write_local_zone_answer(q, lower, 1232, out)) {
        check(n <= out.size() && get16(out.data()) == q.id && (out[2] & 0x04));  // AA
    }
    check(write_rcode(q, rcode::servfail, 1232, out) <= out.size());
    check(write_truncated(q, 1232, out) <= out.size());
    cache_key key;
    make_cache_key(q, key);
    // An answer synthesised below a DNAME (its owner the name's parent, its target the name
    // itself: a name made longer, up to too long) reads back whole.
    if (q.qname_lower.size > 1) {
        wire_name owner;
        owner.size = q.qname_lower.size - 1u - q.qname_lower.bytes[0];
        std::copy_n(q.qname_lower.bytes.begin() + 1 + q.qname_lower.bytes[0], owner.size,
                    owner.bytes.begin());
        for (bool tcp : {false, true}) {
            const auto n = write_dname_synthesis(q, owner, q.qname_lower, 60, 1232, tcp, out);
            check(n <= out.size());
            if (n > 0) {
                const std::span<const std::uint8_t> made(out.data(), n);
                std::size_t off = header_size;
                std::vector<rr_ref> rrs;
                check(read_name(made, off, nullptr) && made.size() - off >= 4);
                off += 4;
                check(read_records(made, off, rrs) && off == n);
            }
        }
    }

    cached_answer a;
    if (normalize_answer(in, q, p, {0, 86400, 3600}, a)) {
        for (const auto off : a.ttl_offsets) check(off + 4u <= a.wire.size());
        for (bool tcp : {false, true}) {
            bool truncated = false;
            const auto n = render_answer(a, q, 5, std::nullopt, tcp, 1232, out, truncated);
            check(n <= out.size());
            check(tcp || n <= 4096);
            if (n >= header_size) check(get16(out.data()) == q.id);
        }
        // Each RRset rotated as unbound's rrset-roundrobin sends it: written again, the answer
        // reads back with the records it had.
        for (const std::uint64_t rr_offset :
             {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{q.id} + 7}) {
            query asked = q;
            asked.qclass = upstream_class(q);
            bool truncated = false;
            const auto whole = render_answer(a, asked, 5, std::nullopt, true, 1232, out, truncated);
            auto n =
                render_answer(a, asked, 5, std::nullopt, true, 1232, out, truncated, rr_offset);
            check((whole == 0) == (n == 0));
            // Rotated in the copy (byte_rotations) or written again, the bytes are what the
            // answer written again in that order sends, whole or cut to the client's size.
            cached_answer reference;
            if (!rotate_rrsets(a, rr_offset, reference)) reference = a;
            reference.rotatable = false;
            reference.byte_rotations.clear();
            for (bool tcp : {false, true}) {
                bool tc = false, tc_again = false;
                const auto sent =
                    render_answer(a, asked, 5, std::nullopt, tcp, 1232, out, tc, rr_offset);
                const std::vector<std::uint8_t> bytes(
                    out.begin(), out.begin() + static_cast<std::ptrdiff_t>(sent));
                const auto again = render_answer(reference, asked, 5, std::nullopt, tcp, 1232, out,
                                                 tc_again, rr_offset);
                check(again == sent && tc == tc_again &&
                      std::equal(bytes.begin(), bytes.end(), out.begin()));
            }
            n = render_answer(a, asked, 5, std::nullopt, true, 1232, out, truncated, rr_offset);
            cached_answer again;
            if (n > 0 &&
                normalize_answer(std::span(out).first(whole), asked, p, {0, 86400, 3600}, again)) {
                const auto kept = again.ttl_offsets.size();
                n = render_answer(a, asked, 5, std::nullopt, true, 1232, out, truncated, rr_offset);
                check(
                    normalize_answer(std::span(out).first(n), asked, p, {0, 86400, 3600}, again) &&
                    again.ttl_offsets.size() == kept);
            }
        }
        // The same answer again 50 s later takes the TTLs left to its RRsets (the worker's RRset
        // memory, rrset_ttls; an RRset twice in one answer takes its first copy's already): only
        // TTLs change, and the lifetime is the shortest of them.
        {
            rrset_ttls held(8);
            cached_answer first = a, second = a;
            held.apply(first, 100);
            held.apply(second, 150);
            for (auto* x : {&first, &second}) {
                check(x->wire.size() == a.wire.size());
                auto masked = x->wire, original = a.wire;
                std::uint32_t shortest = UINT32_MAX;
                for (const auto off : a.ttl_offsets) {
                    shortest = std::min(shortest, get32(&x->wire[off]));
                    put32(&masked[off], 0);
                    put32(&original[off], 0);
                }
                check(masked == original);
                check(a.lifetime == 0 || a.ttl_offsets.empty() || x->lifetime == shortest);
            }
        }
        // A DO=1 answer served to a DO=0 client: rebuilt from the cached form, it must read back
        // (as the answer to the question asked upstream: class IN for ANY).
        std::shared_ptr<const cached_answer> stripped;
        if (strip_dnssec(a, q, stripped)) {
            const auto& s = stripped ? *stripped : a;
            for (const auto off : s.ttl_offsets) check(off + 4u <= s.wire.size());
            query asked = q;
            asked.qclass = upstream_class(q);
            bool truncated = false;
            const auto n = render_answer(s, asked, 5, std::nullopt, true, 1232, out, truncated);
            cached_answer again;
            check(n > 0 &&
                  normalize_answer(std::span(out).first(n), asked, p, {0, 86400, 3600}, again));
        }
        // The links of a chain given up on, held by the worker's RRset memory: they read back.
        {
            cached_answer links;
            if (chain_links(a, q, 12, links)) {
                for (const auto off : links.ttl_offsets) check(off + 4u <= links.wire.size());
                rrset_ttls held(8);
                held.apply(links, 100);
            }
        }
        // An unfinished chain joined with an answer (here the same one): it must read back.
        wire_name target;
        cached_answer joined;
        if (classify_chain(a, q, target) == chain_end::unfinished && join_chain(a, a, joined)) {
            for (const auto off : joined.ttl_offsets) check(off + 4u <= joined.wire.size());
            query asked = q;
            asked.qclass = upstream_class(q);
            bool truncated = false;
            const auto n =
                render_answer(joined, asked, 5, std::nullopt, true, 1232, out, truncated);
            cached_answer again;
            check(n > 0 &&
                  normalize_answer(std::span(out).first(n), asked, p, {0, 86400, 3600}, again));
        }
    }
    return 0;
}
