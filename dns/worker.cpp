#include "worker.hpp"

#include <ares.h>

#include <boost/asio/steady_timer.hpp>
#include <string>

#include "consolegate/log/log.hpp"
#include "consolegate/net/proxy_protocol.hpp"
#include "local_zones.hpp"

namespace consolegate::dns {

namespace {

// How many times a chain upstream left unfinished is followed (unbound's max-query-restarts
// default, util/config_file.c).
constexpr int max_chase = 11;

// unbound's NORR_TTL (util/data/msgparse.h): how long it caches a SERVFAIL.
constexpr std::uint32_t norr_ttl = 5;

std::uint32_t seconds(core::duration d) {
    return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

}  // namespace

time_source steady_time() {
    using std::chrono::milliseconds;
    const auto steady = [] {
        return std::chrono::duration_cast<milliseconds>(
            std::chrono::steady_clock::now().time_since_epoch());
    };
    // The wall clock, read once: steady time stays monotonic (a clock step moves no TTL), and
    // reads as time(0) does, whose seconds unbound counts TTLs down at and rotates RRsets by.
    const auto wall = std::chrono::duration_cast<milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const auto shift = wall - steady();
    return [steady, shift] { return steady() + shift; };
}

worker::worker(boost::asio::io_context& i, std::shared_ptr<const config> c, stats& s,
               time_source now)
    : io(i),
      st(s),
      cfg(std::move(c)),
      socks(*this),
      now_(std::move(now)),
      pol_(compile_policy(*cfg)),
      answers_(cfg->cache.max_entries),
      rrsets_(cfg->cache.max_entries),
      upstream_(i, s) {
    upstream_.configure(*cfg);
}

worker::~worker() = default;

std::uint64_t worker::now_ms() const {
    return static_cast<std::uint64_t>(now_().count());
}

ttl_limits worker::limits() const {
    return {seconds(cfg->cache.min_ttl), seconds(cfg->cache.max_ttl),
            seconds(cfg->cache.negative_max_ttl)};
}

bool worker::allowed(const core::ip_address& a) const {
    return net::in_networks(a, cfg->allow_clients);  // read as a client (no ::a.b.c.d)
}

void worker::log_query(const client& c, const query& q, const char* what) {
    const auto n = cfg->query_log_sample;
    if (n == 0 || ++query_count_ % n != 0) return;
    const std::string name = to_text(q.qname_lower.view());
    const char* proto = c.tcp ? "tcp" : "udp";
    if (query_log) {
        query_log("dns query client=" + c.address.str() + " name=" + name +
                  " type=" + std::to_string(q.qtype) + " proto=" + proto + " result=" + what);
        return;
    }
    log::write(log::level::info, "dns", "query",
               {{"client", c.address.str()},
                {"name", name},
                {"type", std::to_string(q.qtype)},
                {"proto", proto},
                {"result", what}});
}

std::size_t worker::handle(std::span<const std::uint8_t> in, const client& c, bool tcp,
                           std::uint64_t now, std::span<std::uint8_t> out) {
    (tcp ? st.queries_tcp : st.queries_udp).fetch_add(1, std::memory_order_relaxed);
    query q;
    if (const auto s = parse_query(in, q); s != parse_status::ok) {
        // A query not worth an answer (shorter than a header, QR set) ends a TCP connection, as
        // unbound ends it (worker_check_request, then comm_point_drop_reply closes the stream,
        // answers still due with it): the client learns at once instead of at the idle timeout,
        // and nothing it sends after such a message is read as a query.
        if (s == parse_status::drop && c.tcp) c.tcp->close();
        return answer_unparsed(s, in, q, out);
    }
    if (!allowed(c.address)) {
        st.refused.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "refused-acl");
        return write_rcode(q, rcode::refused, udp_size(), out);
    }
    if (cfg->rate_limit_qps && !rate_allowed(c, now)) {
        st.rate_limited.fetch_add(1, std::memory_order_relaxed);
        if (!tcp) return 0;  // no answer over UDP: a spoofed source gets no reflection
        st.refused.fetch_add(1, std::memory_order_relaxed);
        return write_rcode(q, rcode::refused, udp_size(), out);
    }
    if (q.qclass != class_in && q.qclass != class_any) {
        // The gateway forwards and steers the Internet class only; for CHAOS, HESIOD, NONE and
        // unassigned classes a resolver has no delegation and refuses, as unbound does (and
        // upstream's REFUSED often omits the question, which c-ares would not match: a 3 s wait).
        st.refused.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "refused-class");
        return write_rcode(q, rcode::refused, udp_size(), out);
    }
    if (!(q.flags & flag::rd)) {
        // Recursion not desired: answered as unbound answers it (access-control "allow"): the
        // gateway's own data (steered, blocked, the DoH canary) as usual, REFUSED for anything
        // the cache or upstream would answer, so the cache cannot be snooped and no query goes
        // upstream on behalf of a client that asked for none (tests/integration/dns).
        if (const auto n = answer_by_policy(q, c, out)) return *n;
        st.refused.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "refused-norec");
        return write_rcode(q, rcode::refused, udp_size(), out);
    }
    // The cache first: it only ever holds forwarded names (steered, blocked and canary answers
    // are never stored, and apply() empties it when the steering policy changes), so a hit
    // skips the name matching.
    cache_key key;
    make_cache_key(q, key);
    auto* e = answers_.find(key.view(), now);
    if (e && e->fresh(now)) {
        show_held_rrsets(*e);
        return answer_from_cache(*e, q, c, tcp, now, out);
    }
    if (const auto n = answer_by_policy(q, c, out)) return *n;
    if (q.qclass == class_in) {
        if (const auto n = follow_held_links(q, c, tcp, e != nullptr, now, out)) return *n;
    }
    if (q.qtype == rr_type::any) {
        if (const auto n = answer_any_from_cache(q, tcp, now, out)) {
            log_query(c, q, "cache-any");
            return n;
        }
    }
    st.cache_misses.fetch_add(1, std::memory_order_relaxed);
    // (An entry kept from before a reload turned serve-stale off is not one.)
    const auto f = !cfg->cache.serve_stale ? fallback{} : e ? fallback{e} : find_fallback(q, now);
    if (f.e && upstream_down_) return answer_stale_now(f, q, c, tcp, now, out);
    log_query(c, q, "forward");
    forward(q, c, tcp, f.e ? cfg->cache.stale_answer_client_timeout : cfg->answer_timeout);
    return 0;
}

// As unbound answers ANY without an ANY answer cached (write_any_from_cache): from the fresh
// cached answers to the name's A, AAAA, MX, SOA, NS and DNAME queries. 0 when there are none.
std::size_t worker::answer_any_from_cache(const query& q, bool tcp, std::uint64_t now,
                                          std::span<std::uint8_t> out) {
    std::array<cached_rrsets, 6> parts;
    std::size_t found = 0;
    for (const std::uint16_t type : {rr_type::a, rr_type::aaaa, rr_type::mx, rr_type::soa,
                                     rr_type::ns, std::uint16_t{39} /* DNAME */}) {
        query asked = q;
        asked.qtype = type;
        cache_key key;
        make_cache_key(asked, key);
        if (auto* e = answers_.find(key.view(), now); e && e->fresh(now)) {
            show_held_rrsets(*e);
            parts[found++] = {&e->answer, type, e->age_s(now)};
        }
    }
    if (found == 0) return 0;
    const auto n = write_any_from_cache(q, std::span(parts).first(found), udp_size(), tcp, out,
                                        rr_offset_for(q.id, now / 1000));
    if (n) st.cache_hits.fetch_add(1, std::memory_order_relaxed);
    return n;
}

// A cached answer shows the RRsets the worker holds now, as unbound's message cache shows the
// RRsets of its RRset cache it refers to: a copy that replaced one of them before it expired
// (more trusted: an NS target's address asked for itself after it came as glue) goes out with
// its TTL. Only answers cached before such a replacement are read again.
void worker::show_held_rrsets(cache::entry& e) {
    if (e.answer.steered_rewrite || e.answer.held_generation == rrsets_.generation()) return;
    const std::uint64_t stored_s = e.stored_ms / 1000;
    rrsets_.show_held(e.answer, stored_s);
    if (e.answer.without_dnssec) {
        auto copy = std::make_shared<cached_answer>(*e.answer.without_dnssec);
        rrsets_.show_held(*copy, stored_s);
        e.answer.without_dnssec = std::move(copy);
    }
}

worker::fallback worker::find_fallback(const query& q, std::uint64_t now) {
    cache_key key;
    make_cache_key(q, key);
    return {answers_.find(key.view(), now)};
}

// `f` for `q`: as a cache hit when it is fresh (refreshed meanwhile), else stale (TTL
// stale_answer_ttl).
std::size_t worker::render_fallback(const fallback& f, const query& q, bool tcp, std::uint64_t now,
                                    std::span<std::uint8_t> out) {
    const auto& a = f.e->answer.for_client(q.do_bit);
    if (f.e->fresh(now)) return render(a, q, f.e->age_s(now), std::nullopt, tcp, now, out);
    st.stale_served.fetch_add(1, std::memory_order_relaxed);
    return render(a, q, 0, seconds(cfg->cache.stale_answer_ttl), tcp, now, out);
}

// RFC 8767 §5: upstream is known down, so the stale answer goes out now and one refresh per
// entry goes upstream in the background (its success is what marks upstream up again).
std::size_t worker::answer_stale_now(const fallback& f, const query& q, const client& c, bool tcp,
                                     std::uint64_t now, std::span<std::uint8_t> out) {
    log_query(c, q, "stale");
    const auto n = render_fallback(f, q, tcp, now, out);
    if (!f.e->prefetching) {
        f.e->prefetching = true;
        forward(q, client{}, false, {});
    }
    if (n) return n;
    st.servfail.fetch_add(1, std::memory_order_relaxed);
    return write_rcode(q, rcode::servfail, udp_size(), out);
}

std::size_t worker::answer_unparsed(parse_status s, std::span<const std::uint8_t> in,
                                    const query& q, std::span<std::uint8_t> out) {
    switch (s) {
        case parse_status::ok: break;
        case parse_status::drop: st.dropped.fetch_add(1, std::memory_order_relaxed); return 0;
        case parse_status::formerr:
            // Reflected, as unbound answers it (tests/integration/dns differential).
            st.formerr.fetch_add(1, std::memory_order_relaxed);
            return write_reflected(in, rcode::formerr, out);
        case parse_status::edns_formerr:
            st.formerr.fetch_add(1, std::memory_order_relaxed);
            return write_rcode(q, rcode::formerr, udp_size(), out);
        case parse_status::zone_transfer:
            st.refused.fetch_add(1, std::memory_order_relaxed);
            return write_reflected(in, rcode::refused, out);
        case parse_status::notimp:
            // As unbound answers an opcode it does not implement: the query reflected with QR
            // and NOTIMP (tests/integration/dns differential).
            st.notimp.fetch_add(1, std::memory_order_relaxed);
            return write_reflected(in, rcode::notimp, out);
        case parse_status::notify: {
            // A resolver takes no notifies: REFUSED with the question, the opcode echoed, as
            // unbound answers it.
            st.refused.fetch_add(1, std::memory_order_relaxed);
            const auto n = write_rcode(q, rcode::refused, udp_size(), out);
            if (n) out[2] = static_cast<std::uint8_t>(out[2] | ((q.flags >> 8) & 0x78));
            return n;
        }
        case parse_status::badvers:
            st.formerr.fetch_add(1, std::memory_order_relaxed);
            return write_rcode(q, 16, udp_size(), out);
    }
    return 0;
}

std::size_t worker::answer_from_cache(const cache::entry& e, const query& q, const client& c,
                                      bool tcp, std::uint64_t now, std::span<std::uint8_t> out) {
    st.cache_hits.fetch_add(1, std::memory_order_relaxed);
    log_query(c, q, "cache");
    const auto n =
        render(e.answer.for_client(q.do_bit), q, e.age_s(now), std::nullopt, tcp, now, out);
    // Prefetch: a hit in the last 10% of a lifetime of 10 s or more refreshes the entry.
    if (cfg->cache.prefetch && !e.prefetching && e.answer.lifetime >= 10 &&
        (e.fresh_until_ms - now) * 10 < std::uint64_t{e.answer.lifetime} * 1000) {
        e.prefetching = true;
        st.prefetches.fetch_add(1, std::memory_order_relaxed);
        forward(q, client{}, false, {});  // no client: the answer only refreshes the cache
    }
    return n;
}

std::optional<std::size_t> worker::answer_by_policy(const query& q, const client& c,
                                                    std::span<std::uint8_t> out) {
    text_buffer text;
    const auto name = to_text(q.qname_lower.view(), text);
    switch (pol_.decide(name)) {
        case verdict::steer: {
            st.steered.fetch_add(1, std::memory_order_relaxed);
            log_query(c, q, "steered");
            const auto n = write_steered(q, pol_.target, udp_size(), out);
            return n ? n : write_rcode(q, rcode::servfail, udp_size(), out);
        }
        case verdict::doh_canary:
            st.doh_canary.fetch_add(1, std::memory_order_relaxed);
            return write_rcode(q, rcode::nxdomain, udp_size(), out);
        case verdict::relay_canary:
            st.relay_canary.fetch_add(1, std::memory_order_relaxed);
            return write_rcode(q, rcode::nxdomain, udp_size(), out);
        case verdict::block:
            st.blocked.fetch_add(1, std::memory_order_relaxed);
            log_query(c, q, "blocked");
            return write_rcode(q, pol_.block_rcode, udp_size(), out);
        case verdict::forward: break;
    }
    // unbound's default local zones (localhost, private reverse zones, onion, ...): never sent
    // upstream, answered as unbound answers them, also with RD=0.
    if (const auto n = write_local_zone_answer(q, name, udp_size(), out)) {
        st.local_zone.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "local-zone");
        return n;
    }
    return std::nullopt;
}

std::size_t worker::render(const cached_answer& a, const query& q, std::uint32_t age,
                           std::optional<std::uint32_t> stale, bool tcp, std::uint64_t now,
                           std::span<std::uint8_t> out) {
    bool truncated = false;
    const auto n = render_answer(a, q, age, stale, tcp, udp_size(), out, truncated,
                                 rr_offset_for(q.id, now / 1000));
    if (truncated) st.truncated.fetch_add(1, std::memory_order_relaxed);
    return n;
}

// Sends `q` upstream, or joins the client `c` to the same question asked already; `c` is answered
// by the upstream answer or, `deadline` after now, by on_deadline (stale or SERVFAIL), whichever
// comes first. The deadline is real time (asio's steady clock), not time_source: it bounds what a
// client waits, as c-ares's own timers do.
void worker::forward(const query& q, const client& c, bool tcp, core::duration deadline,
                     std::shared_ptr<const chase> from) {
    cache_key key;
    make_cache_key(q, key);
    auto it = in_flight_.find(std::string(key.view()));
    std::shared_ptr<in_flight> f;
    if (it != in_flight_.end() && it->second->generation == policy_generation_) f = it->second;
    if (over_pending_bound(q, c, f != nullptr)) return;
    auto w = std::make_shared<waiter>(io);
    w->q = q;
    w->c = c;
    w->tcp = tcp;
    // answered once: by reply(), through send_to (a chase goes on with the same answer due)
    if (c.tcp) c.tcp->expect_answer();
    if (c.has_peer()) arm(w, deadline, policy_generation_);
    ++waiting_;
    if (f) {
        st.joined.fetch_add(1, std::memory_order_relaxed);
        f->waiters.push_back(std::move(w));
        return;
    }
    f = std::make_shared<in_flight>();
    f->key = std::string(key.view());
    f->generation = policy_generation_;
    f->waiters.push_back(std::move(w));
    in_flight_[f->key] = f;  // (one asked under an older policy goes on unjoinable)
    if (from) {
        const query asked = from->asked;
        return ask(f, asked, std::move(from));
    }
    ask(f, q, nullptr);
}

// The client's token bucket (rate_limiter). A client the full table cannot hold is judged by
// the bucket all such clients share: counted (rate_limit_overflow) and logged at most every
// 10 s; idle buckets evicted to make room are counted (rate_limit_evicted).
bool worker::rate_allowed(const client& c, std::uint64_t now) {
    const auto o = limiter_.allow(c.address.bytes(), now, cfg->rate_limit_qps,
                                  cfg->rate_limit_burst, cfg->rate_limit_max_clients);
    if (o.evicted) st.rate_limit_evicted.fetch_add(o.evicted, std::memory_order_relaxed);
    if (o.overflow) {
        st.rate_limit_overflow.fetch_add(1, std::memory_order_relaxed);
        static log::rate_limit throttle{std::chrono::seconds(10)};
        if (const auto suppressed = throttle.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::warn, "dns",
                       "rate-limit table full of active clients, new clients share one bucket",
                       {{"rate_limit_max_clients", std::to_string(cfg->rate_limit_max_clients)},
                        {"client", c.address.str()},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }
    return o.allowed;
}

// True when `q` must be dropped: this worker has max_pending_queries questions upstream (a new
// one), or 16 times as many clients waiting (joining one), as unbound's mesh drops a query over
// num-queries-per-thread. A TCP connection is closed, as unbound closes it for a dropped query;
// a prefetch just does not happen.
bool worker::over_pending_bound(const query& q, const client& c, bool joining) {
    const std::size_t limit = cfg->max_pending_queries;
    if (joining ? waiting_ < 16 * limit : asking_ < limit) return false;
    st.pending_full.fetch_add(1, std::memory_order_relaxed);
    static log::rate_limit throttle{std::chrono::seconds(10)};
    if (const auto suppressed = throttle.allow(std::chrono::steady_clock::now())) {
        log::write(log::level::warn, "dns", "too many queries waiting on upstream, dropping",
                   {{"max_pending_queries", std::to_string(limit)},
                    {"questions", std::to_string(asking_)},
                    {"clients", std::to_string(waiting_)},
                    {"suppressed", std::to_string(*suppressed)}});
    }
    if (c.tcp) c.tcp->close();
    if (!c.has_peer()) refresh_failed(q);
    return true;
}

void worker::arm(const std::shared_ptr<waiter>& w, core::duration deadline, std::uint64_t gen) {
    w->timer.expires_after(deadline);
    w->timer.async_wait(
        [this, life = std::weak_ptr<int>(life_), w, gen](const boost::system::error_code& ec) {
            if (ec || w->answered || life.expired() || stopped) return;
            w->answered = true;
            if (gen != policy_generation_ && answered_by_new_policy(w->q, w->c)) return;
            on_deadline(w->q, w->c, w->tcp);
        });
}

// Asks upstream `asked` for `f` (its question, or the next link of a chase).
void worker::ask(const std::shared_ptr<in_flight>& f, const query& asked,
                 std::shared_ptr<const chase> ch) {
    ++asking_;
    // The handler owns `f` and the chase: it may run long after this call.
    const bool sent = upstream_.send(asked, udp_size(), [this, f, ch](const net::cares_answer& r) {
        if (r.status == ARES_EDESTRUCTION) return;  // the worker may be going away
        --asking_;
        on_upstream(r, f, ch);
    });
    if (!sent) {
        --asking_;
        fail_all(f);
    }
}

template <class F>
void worker::finish(const std::shared_ptr<in_flight>& f, F&& fn) {
    if (auto it = in_flight_.find(f->key); it != in_flight_.end() && it->second == f) {
        in_flight_.erase(it);
    }
    waiting_ -= std::min(waiting_, f->waiters.size());
    const auto waiters = std::move(f->waiters);
    f->waiters.clear();
    for (const auto& w : waiters) {
        const client to = w->answered ? client{} : w->c;
        w->timer.cancel();
        w->answered = true;
        fn(w->q, to, w->tcp);
    }
}

// Upstream failed `f`'s question (an error rcode, no answer, a truncated one over TCP): unbound
// caches a SERVFAIL for the question for NORR_TTL, 5 s, unless a good answer is cached, and
// asks nothing for it meanwhile (iterator.c error_response_cache); a chain taken from the cache
// that meets it ends there, with the links before it. Not with serve-stale, whose stale answer
// must stay the fallback.
void worker::fail_upstream(const std::shared_ptr<in_flight>& f) {
    if (!cfg->cache.serve_stale && !f->waiters.empty() && f->generation == policy_generation_ &&
        f->waiters.front()->c.has_peer()) {
        const query& q = f->waiters.front()->q;
        cache_key key;
        make_cache_key(q, key);
        const std::uint64_t now = now_ms();
        const auto* e = answers_.find(key.view(), now);
        query asked = q;
        asked.id = 0;
        asked.edns = false;
        std::array<std::uint8_t, max_name_size + 32> buf;
        cached_answer a;
        const auto n = write_rcode(asked, rcode::servfail, udp_size(), buf);
        if (!(e && e->fresh(now)) && n &&
            normalize_answer(std::span(buf).first(n), q, pol_, limits(), a)) {
            a.lifetime = norr_ttl;
            store(q, std::move(a));
        }
    }
    fail_all(f);
}

void worker::fail_all(const std::shared_ptr<in_flight>& f) {
    finish(f, [this](const query& q, const client& to, bool tcp) {
        fail(q, to, tcp, std::span<std::uint8_t>(scratch));
    });
}

// True when the current policy answers `q` itself (it was forwarded under an older one): `c`,
// if a client, gets that answer.
bool worker::answered_by_new_policy(const query& q, const client& c) {
    auto out = std::span<std::uint8_t>(scratch);
    const auto n = answer_by_policy(q, c, out);
    if (!n) return false;
    reply(c, {out.data(), *n});
    return true;
}

void worker::on_deadline(const query& q, const client& c, bool tcp) {
    st.answer_timeouts.fetch_add(1, std::memory_order_relaxed);
    upstream_down_ = true;  // silent past a client deadline: later stale answers go at once
    fail(q, c, tcp, std::span<std::uint8_t>(scratch));
}

void worker::on_upstream(const net::cares_answer& r, const std::shared_ptr<in_flight>& f,
                         const std::shared_ptr<const chase>& ch) {
    if (f->waiters.empty()) return;
    // Asked under a steering policy a reload has replaced: a name now steered, blocked or the
    // canary gets the gateway's own answer, and upstream's (a negative one, which the answer
    // normalisation cannot tell from any other) never reaches the cache, which the reload
    // emptied for this reason. The decision is the name's, the same for every waiter.
    if (f->generation != policy_generation_) {
        const auto& first = f->waiters.front();
        if (answered_by_new_policy(first->q, first->answered ? client{} : first->c)) {
            first->answered = true;
            return finish(f, [this](const query& q, const client& to, bool) {
                answered_by_new_policy(q, to);
            });
        }
        // (Not the policy's: answered below as usual; `f` no longer takes new clients.)
    }
    auto out = std::span<std::uint8_t>(scratch);
    const query q = f->waiters.front()->q;  // the first to ask: its question went upstream
    cached_answer a;
    if (r.status != ARES_SUCCESS || r.answer.empty() ||
        !normalize_answer(r.answer, ch ? ch->asked : q, pol_, limits(), a)) {
        st.upstream_errors.fetch_add(1, std::memory_order_relaxed);
        upstream_down_ = true;
        // (A query a reload of the upstreams cancelled failed nowhere: nothing to cache.)
        return r.status == ARES_ECANCELLED ? fail_all(f) : fail_upstream(f);
    }
    const std::uint8_t rc = a.wire[3] & 0xf;
    if (rc != rcode::noerror && rc != rcode::nxdomain && rc != rcode::yxdomain) {
        // Upstream said nothing about the name: SERVFAIL, or FORMERR/NOTIMP/REFUSED about our
        // query or its own service. Those are the resolver's failure, not the client's answer:
        // SERVFAIL (or a stale answer, RFC 8767 §4), as unbound answers a forwarder's REFUSED; a
        // client given REFUSED would take the gateway itself for refusing it.
        if (rc != rcode::servfail) st.upstream_errors.fetch_add(1, std::memory_order_relaxed);
        upstream_down_ = true;
        return fail_upstream(f);
    }
    if (get16(&a.wire[2]) & flag::tc) {
        // Truncated over TCP as well (c-ares asks again over TCP for a truncated UDP answer):
        // no answer at all, as unbound takes it (SERVFAIL), never one to pass on with TC, which
        // sends the client to TCP for the same again.
        st.upstream_errors.fetch_add(1, std::memory_order_relaxed);
        upstream_down_ = true;
        return fail_upstream(f);
    }
    upstream_down_ = false;
    // The TTLs unbound sends: those of the RRsets it holds from earlier answers (the SOA of a
    // zone's negative answers, an alias's target) where it keeps its own copy. Each upstream
    // answer is held as it came, spelt as upstream spelt it: joined, a chase's answer has its
    // names compressed against the head's (an SOA owner a pointer into the client's spelling
    // of the question), which would be other data to unbound. A background refresh (no
    // client) renews them, as unbound's prefetch does.
    const bool refresh = !f->waiters.front()->c.has_peer();
    const auto hold = [&](cached_answer& held) {
        if (!held.steered_rewrite) rrsets_.apply(held, now_ms() / 1000, refresh);
    };
    if (ch) {
        hold(a);
        cached_answer joined;
        if (!join_chain(ch->head, a, joined)) return fail_all(f);
        a = std::move(joined);
    }
    // A chain upstream left unfinished (an authoritative upstream's CNAME out of its zones) is
    // followed as unbound follows it, by asking for its last name; not into a name the gateway
    // answers itself (steered ones are rewritten before). A chain that loops or is longer than
    // 11 links, or is still unfinished after max_chase chases, is SERVFAIL: unbound runs out of
    // query restarts on it (iterator.c, processInitRequest).
    wire_name target;
    auto end = classify_chain(a, q, target);
    // The last name was the one just asked: its answer, without the data and without an SOA, is
    // the answer (unbound takes a NODATA without SOA as one); asking again gets the same.
    if (end == chain_end::unfinished && ch &&
        names_equal_ci(target.view(), ch->asked.qname_lower.view())) {
        end = chain_end::complete;
    }
    bool held_apart = ch != nullptr;  // its parts held as they came
    if (end == chain_end::too_long) {
        // unbound asked for each link until its restarts ran out, and holds those it got (the
        // first of them, and one more for each restart): later answers share their TTLs.
        cached_answer links;
        if (chain_links(a, q, max_query_restarts + 1, links)) rrsets_.apply(links, now_ms() / 1000);
        cached_answer joined;
        if (!end_at_cached_link(a, q, now_ms(), joined)) return fail_all(f);
        a = std::move(joined);
        end = chain_end::complete;
        held_apart = true;
    } else if (cached_answer joined; const auto at = end_at_cached_link(a, q, now_ms(), joined)) {
        // A link whose target has an answer cached ends the chain there, as unbound's restart
        // for it takes that answer (a SERVFAIL it caches for 5 s: SERVFAIL with the links
        // before it); unbound holds the links it got up to there, no more of upstream's answer.
        cached_answer links;
        if (!ch && chain_links(a, q, at, links)) rrsets_.apply(links, now_ms() / 1000);
        a = std::move(joined);
        end = chain_end::complete;
        held_apart = true;
    }
    if (end == chain_end::unfinished && (ch ? ch->depth : 0) >= max_chase) return fail_all(f);
    if (end == chain_end::unfinished) {
        text_buffer text;
        if (pol_.decide(to_text(target.view(), text)) == verdict::forward) {
            auto next = std::make_shared<chase>();
            next->asked = asking_for(q, target);
            next->asked.qclass = upstream_class(q);
            next->depth = (ch ? ch->depth : 0) + 1;
            if (!ch) hold(a);  // (a joined head's parts are held already)
            next->head = std::move(a);
            // Each link has answer_timeout again, as asked anew.
            for (const auto& w : f->waiters) {
                if (!w->answered && w->c.has_peer()) arm(w, cfg->answer_timeout, f->generation);
            }
            const query asked = next->asked;
            return ask(f, asked, std::move(next));
        }
    }
    const std::uint64_t now = now_ms();
    if (!held_apart) hold(a);
    a.held_generation = rrsets_.generation();
    if (!strip_dnssec(a, q, a.without_dnssec)) return fail_all(f);
    if (a.steered_rewrite) st.cname_rewritten.fetch_add(1, std::memory_order_relaxed);
    // Every client waiting gets the answer as it asked (its ID, case, DO, EDNS, transport).
    finish(f, [&](const query& asked, const client& to, bool tcp) {
        if (!to.has_peer()) return;  // answered at its deadline: the answer only fills the cache
        const auto n = render(a.for_client(asked.do_bit), asked, 0, std::nullopt, tcp, now, out);
        reply(to, {out.data(), n});
    });
    if (rrsets_.restamp_held()) {  // what is cached shows the TTLs held, and lives as long
        rrsets_.show_held(a, now / 1000);
        for (const auto at : a.ttl_offsets) a.lifetime = std::min(a.lifetime, get32(&a.wire[at]));
        if (a.without_dnssec) {
            auto copy = std::make_shared<cached_answer>(*a.without_dnssec);
            rrsets_.show_held(*copy, now / 1000);
            a.without_dnssec = std::move(copy);
        }
    }
    if (end == chain_end::complete) store_chain_tail(a, q);
    store(q, std::move(a));
}

void worker::store(const query& q, cached_answer&& a) {
    cache_key key;
    make_cache_key(q, key);
    const auto before = answers_.size();
    const auto& cc = cfg->cache;
    const std::uint32_t keep =
        cc.serve_stale ? seconds(a.negative ? cc.negative_max_stale : cc.max_stale) : 0;
    answers_.insert(key.view(), std::move(a), now_ms(), keep);
    st.cache_entries.fetch_add(
        static_cast<std::int64_t>(answers_.size()) - static_cast<std::int64_t>(before),
        std::memory_order_relaxed);
}

// Upstream failed: a stale answer within max-stale (RFC 8767 §4) or SERVFAIL.
void worker::fail(const query& q, const client& c, bool tcp, std::span<std::uint8_t> out) {
    if (!c.has_peer()) return refresh_failed(q);  // the cached answer stays as it is
    std::size_t n = 0;
    if (cfg->cache.serve_stale) {
        const auto now = now_ms();
        if (const auto f = find_fallback(q, now); f.e) n = render_fallback(f, q, tcp, now, out);
    }
    if (n == 0) {
        st.servfail.fetch_add(1, std::memory_order_relaxed);
        n = write_rcode(q, rcode::servfail, udp_size(), out);
    }
    reply(c, {out.data(), n});
}

// A background refresh failed: the entry may try again on its next query.
void worker::refresh_failed(const query& q) {
    cache_key key;
    make_cache_key(q, key);
    if (const auto* e = answers_.find(key.view(), now_ms())) e->prefetching = false;
}

void worker::reply(const client& c, std::span<const std::uint8_t> msg) {
    if (stopped || !c.has_peer()) return;
    send_to(c, msg);  // also with nothing to send: a TCP connection counts its answers due
}

void worker::apply(std::shared_ptr<const config> c, policy compiled) {
    if (stopped) return;
    const auto& o = *cfg;
    const bool upstream_changed = c->upstreams != o.upstreams ||
                                  c->upstream_timeout != o.upstream_timeout ||
                                  c->upstream_retries != o.upstream_retries;
    const bool policy_changed =
        c->steer_names != o.steer_names || c->steer_exceptions != o.steer_exceptions ||
        c->steer_identity_center != o.steer_identity_center || c->block_names != o.block_names ||
        c->steer_ipv4 != o.steer_ipv4 || c->steer_ipv6 != o.steer_ipv6 ||
        c->steer_ttl != o.steer_ttl || c->cache.min_ttl != o.cache.min_ttl ||
        c->cache.max_ttl != o.cache.max_ttl;
    cfg = std::move(c);
    pol_ = std::move(compiled);
    const auto before = answers_.size();
    if (policy_changed) {
        answers_.clear();      // cached CNAME rewrites and clamps are stale, a name may be steered
        ++policy_generation_;  // and answers asked for under the old policy must not refill it
        rrsets_.clear();       // and the TTLs held were clamped under the old limits
    }
    answers_.set_max_entries(cfg->cache.max_entries);
    rrsets_.set_max_entries(cfg->cache.max_entries);
    st.cache_entries.fetch_add(
        static_cast<std::int64_t>(answers_.size()) - static_cast<std::int64_t>(before),
        std::memory_order_relaxed);
    if (upstream_changed) {
        // The queries in flight are abandoned (their clients get their deadlines' answers), so
        // none may be joined any more.
        in_flight_.clear();
        asking_ = 0;
        waiting_ = 0;
        upstream_.configure(*cfg);
        upstream_down_ = false;  // new upstreams have not failed yet
    }
}

void worker::close_all() {
    stopped = true;
    socks.close();
    upstream_.close();
}

}  // namespace consolegate::dns
