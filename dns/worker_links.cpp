// The worker's answers from the CNAME and DNAME links it holds (rrset_ttls), as unbound starts
// a query from its RRset cache before it asks upstream (services/cache/dns.c dns_cache_lookup).
#include "local_zones.hpp"
#include "worker.hpp"

namespace consolegate::dns {

// unbound looks in its RRset cache for a question with no answer cached before it asks upstream
// (services/cache/dns.c dns_cache_lookup): a DNAME held above the name, with the name's own
// CNAME held too (synth_dname_msg), else the name's CNAME (synth_cname_msg; not for DS, which
// the parent answers). For ANY and CNAME those links are the answer; for any other type the
// iterator asks upstream for their target alone, spelt as held, and answers the links joined
// with the target's answer: so the SOA of a NODATA behind an alias is the one held for the
// target's zone, as spelt and counted down there, and a link upstream would send with more
// trust or another TTL goes out as held. nullopt when nothing is held (or the target is a
// name the gateway answers itself): the query goes upstream as asked.
std::optional<std::size_t> worker::follow_held_links(const query& q, const client& c, bool tcp,
                                                     bool stale_kept, std::uint64_t now,
                                                     std::span<std::uint8_t> out) {
    const std::uint64_t now_s = now / 1000;
    const bool links_answer = q.qtype == rr_type::any || q.qtype == rr_type::cname;
    const auto d = rrsets_.dname_above(q.qname_lower, now_s);
    if (d && links_answer) {
        // The synthesised CNAME goes out with TTL 0 (write_dname_synthesis).
        const auto n = write_dname_synthesis(q, d->owner, d->target, d->ttl, udp_size(), tcp, out);
        if (!n) return std::nullopt;
        st.cache_hits.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "cache-dname");
        return n;
    }
    // (With a stale answer kept for the name, serve-stale asks for the name itself.)
    if ((!d && q.qtype == rr_type::ds) || (stale_kept && !links_answer)) return std::nullopt;
    const auto cname = rrsets_.cname_of(q.qname_lower, now_s);
    // (dname_above holds one as well.) Signed links go upstream as asked: unbound sends them
    // with their RRSIGs, which the gateway does not hold.
    if (!cname || cname->has_rrsig || (d && d->has_rrsig)) return std::nullopt;
    wire_name target = cname->target;
    std::uint32_t cname_ttl = cname->ttl;
    if (d) {
        // The CNAME the DNAME makes of the name (TTL 0, less trusted than an upstream answer)
        // goes out as the one held, with its TTL, when it is the same bytes (rrsetdata_equal;
        // rrset_cache_update keeps the held copy and the answer refers to it); else as made,
        // and the held one stays for the next client.
        if (!dname_substitute(q.qname, d->owner, d->target, target)) return std::nullopt;
        if (!std::equal(target.view().begin(), target.view().end(), cname->target.view().begin(),
                        cname->target.view().end())) {
            cname_ttl = 0;
        }
    }
    std::array<std::uint8_t, 2 * max_name_size + 64> held;
    const auto n = write_held_chain(q, d ? &*d : nullptr, target, cname_ttl, held);
    cached_answer head;
    if (!n || !normalize_answer(std::span(held).first(n), q, pol_, limits(), head)) {
        return std::nullopt;
    }
    if (links_answer) {  // a held CNAME is the whole answer to CNAME and ANY
        st.cache_hits.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "cache-cname");
        return render(head, q, 0, std::nullopt, tcp, now, out);
    }
    text_buffer text;
    if (pol_.decide(to_text(target.view(), text)) != verdict::forward) return std::nullopt;
    if (const auto joined = join_cached_target(q, head, target, tcp, now, out)) {
        log_query(c, q, "cache-held");
        return joined;
    }
    auto from = std::make_shared<chase>();
    from->asked = asking_for(q, target);
    from->asked.qclass = upstream_class(q);
    from->depth = 1;  // a query restart to unbound, cheap as it is
    from->head = std::move(head);
    st.cache_misses.fetch_add(1, std::memory_order_relaxed);
    log_query(c, q, "forward-held");
    forward(q, c, tcp, cfg->answer_timeout, std::move(from));
    return 0;
}

// The links `head` held for `q` joined with the answer cached for their `target`: unbound's
// restart for the target finds it in its message cache and asks nothing (iterator.c
// processInitRequest). Stored as the answer to `q`, as unbound stores the reply with the links
// prepended (processFinished). 0 when there is none fresh, or the chain does not end there.
std::size_t worker::join_cached_target(const query& q, const cached_answer& head,
                                       const wire_name& target, bool tcp, std::uint64_t now,
                                       std::span<std::uint8_t> out) {
    cached_answer joined;
    if (!join_cached(q, head, target, now, joined)) return 0;
    if (!strip_dnssec(joined, q, joined.without_dnssec)) return 0;
    st.cache_hits.fetch_add(1, std::memory_order_relaxed);
    const auto n = render(joined.for_client(q.do_bit), q, 0, std::nullopt, tcp, now, out);
    store(q, std::move(joined));
    return n;
}

// `head` (the links of `q`'s chain up to `target`) joined with the fresh answer cached for
// `target`, its TTLs counted down to now, as an answer from upstream; false when there is none
// or the chain does not end there.
bool worker::join_cached(const query& q, const cached_answer& head, const wire_name& target,
                         std::uint64_t now, cached_answer& joined) {
    const query asked = asking_for(q, target);
    cache_key key;
    make_cache_key(asked, key);
    auto* e = answers_.find(key.view(), now);
    if (!e || !e->fresh(now) || e->answer.steered_rewrite) return false;
    show_held_rrsets(*e);
    cached_answer tail = e->answer;  // its TTLs counted down to now, as a reply from upstream
    tail.without_dnssec.reset();
    const std::uint32_t age = e->age_s(now);
    tail.lifetime = tail.lifetime > age ? tail.lifetime - age : 0;
    for (const auto at : tail.ttl_offsets) {
        const std::uint32_t ttl = get32(&tail.wire[at]);
        put32(&tail.wire[at], ttl > age ? ttl - age : 0);
    }
    // (A complete answer cached ends the chain, however many links it holds: unbound takes it
    // as the answer, no more restarts.)
    wire_name end;
    if (!join_chain(head, tail, joined) ||
        classify_chain(joined, q, end) == chain_end::unfinished) {
        return false;
    }
    joined.held_generation = rrsets_.generation();
    return true;
}

// unbound follows a chain link by link (keeping only the first link of each answer) and its
// last restart's answer, for the last name, goes into its message cache under that name
// (iterator.c processQueryResponse, iter_dns_store), its RRsets into the RRset cache as answer
// data: a later question for that name is a cache hit, and ANY of it is answered with them
// (services/cache/dns.c fill_any). The gateway gets the chain in one upstream answer (`a`, to
// `q`, held already) and stores what it says of the last name the same way, unless an answer
// for it is cached; not for a name the gateway answers itself (a local zone's, a steered one's).
void worker::store_chain_tail(const cached_answer& a, const query& q) {
    if (a.steered_rewrite || q.qtype == rr_type::cname || q.qtype == rr_type::any) return;
    wire_name target;
    std::vector<std::uint8_t> wire;
    if (!chain_tail(a, q, target, wire)) return;
    const query asked = asking_for(q, target);
    text_buffer text;
    const auto name = to_text(asked.qname_lower.view(), text);
    std::array<std::uint8_t, 1024> local;
    if (pol_.decide(name) != verdict::forward ||
        write_local_zone_answer(asked, name, udp_size(), local) != 0) {
        return;
    }
    const std::uint64_t now = now_ms();
    cache_key key;
    make_cache_key(asked, key);
    if (const auto* e = answers_.find(key.view(), now); e && e->fresh(now)) return;
    cached_answer tail;
    if (!normalize_answer(wire, asked, pol_, limits(), tail) || tail.steered_rewrite) return;
    const std::uint8_t rc = tail.wire[3] & 0xf;
    wire_name end;
    if ((rc != rcode::noerror && rc != rcode::nxdomain) ||
        classify_chain(tail, asked, end) != chain_end::complete) {
        return;
    }
    tail.held_generation = rrsets_.generation();  // (its TTLs are those `a` holds)
    if (!strip_dnssec(tail, asked, tail.without_dnssec)) return;
    store(asked, std::move(tail));
}

// A chain from upstream (`a`) one of whose links 1 to 11 has an answer cached for its target
// (that name asked before; a SERVFAIL cached for it, say): unbound keeps only the first link of
// each answer and restarts for the next, and each restart looks in its message cache first
// (iterator.c processInitRequest, within MAX_RESTART_COUNT), so it answers the links up to
// there joined with that answer, however upstream's answer goes on (also when it is longer than
// 11 links). The number of links joined; 0 when no link has (or the chain goes through a DNAME).
std::size_t worker::end_at_cached_link(const cached_answer& a, const query& q, std::uint64_t now,
                                       cached_answer& joined) {
    if (a.steered_rewrite) return 0;  // (its links end in the gateway's own addresses)
    for (std::size_t i = 1; i <= max_query_restarts; ++i) {
        cached_answer head;
        wire_name target;
        if (!chain_links(a, q, i, head) ||
            classify_chain(head, q, target) != chain_end::unfinished) {
            return 0;
        }
        if (join_cached(q, head, target, now, joined)) return i;
    }
    return 0;
}

}  // namespace consolegate::dns
