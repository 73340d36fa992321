#include "consolegate/dns/service.hpp"

#include <ares.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <set>

#include "answer.hpp"
#include "cache.hpp"
#include "consolegate/net/cares_resolver.hpp"
#include "policy.hpp"
#include "query.hpp"

namespace consolegate::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
constexpr auto token = asio::as_tuple(asio::use_awaitable);

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr std::size_t udp_batch = 32;
constexpr std::size_t max_tcp_backlog = 256;  // queued answers per TCP connection

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

asio::ip::address to_asio(const core::ip_address& a) {
    if (a.is_v4()) return asio::ip::address_v4(a.v4());
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), a.bytes().data(), 16);
    return asio::ip::address_v6(b);
}

core::ip_address from_sockaddr(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) {
        const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
        return core::ip_address::from_v4(ntohl(s->sin_addr.s_addr));
    }
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::array<std::uint8_t, 16> b;
    std::memcpy(b.data(), &s->sin6_addr, 16);
    return core::ip_address::from_v6(b);
}

// Transaction IDs for upstream queries: unpredictable (RFC 5452 §9.2), drawn from getrandom in
// batches so the hot path makes no system call per query.
class id_source {
  public:
    std::uint16_t next() {
        if (pos_ + 2 > buf_.size()) refill();
        const std::uint16_t v = static_cast<std::uint16_t>((buf_[pos_] << 8) | buf_[pos_ + 1]);
        pos_ += 2;
        return v;
    }

  private:
    void refill() {
        std::size_t got = 0;
        while (got < buf_.size()) {
            const auto n = getrandom(buf_.data() + got, buf_.size() - got, 0);
            if (n <= 0) throw std::runtime_error("dns: getrandom failed");
            got += static_cast<std::size_t>(n);
        }
        pos_ = 0;
    }
    std::array<std::uint8_t, 4096> buf_{};
    std::size_t pos_ = sizeof buf_;
};

}  // namespace

struct tcp_conn;

struct client {
    core::ip_address address;
    int udp_fd = -1;  // UDP: the listener's socket and the peer's address
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    std::shared_ptr<tcp_conn> tcp;

    bool has_peer() const noexcept { return udp_fd >= 0 || tcp; }
};

struct tcp_conn : std::enable_shared_from_this<tcp_conn> {
    tcp_conn(tcp::socket s, stats& st) : sock(std::move(s)), idle(sock.get_executor()), stats_(st) {
        stats_.tcp_connections.fetch_add(1, std::memory_order_relaxed);
    }
    ~tcp_conn() { stats_.tcp_connections.fetch_sub(1, std::memory_order_relaxed); }

    void arm_idle(std::chrono::seconds t) {
        idle.expires_after(t);
        idle.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (ec) return;
            if (auto self = weak.lock()) self->close();
        });
    }
    // RFC 7766 §6.2.1.1: answers to pipelined queries may go out in any order.
    void enqueue(std::span<const std::uint8_t> msg) {
        if (closed) return;
        if (outq.size() >= max_tcp_backlog) return close();
        std::vector<std::uint8_t> framed(msg.size() + 2);
        put16(framed.data(), static_cast<std::uint16_t>(msg.size()));
        std::memcpy(framed.data() + 2, msg.data(), msg.size());
        outq.push_back(std::move(framed));
        if (!writing) write_next();
    }
    void write_next() {
        writing = true;
        asio::async_write(sock, asio::buffer(outq.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              self->writing = false;
                              self->outq.pop_front();
                              if (ec) return self->close();
                              if (!self->outq.empty()) self->write_next();
                          });
    }
    void close() {
        if (closed) return;
        closed = true;
        boost::system::error_code ec;
        sock.shutdown(tcp::socket::shutdown_both, ec);
        sock.close(ec);
        idle.cancel();
    }

    tcp::socket sock;
    asio::steady_timer idle;
    std::deque<std::vector<std::uint8_t>> outq;
    bool writing = false;
    bool closed = false;
    stats& stats_;
};

struct service::impl {
    impl(asio::io_context& i, std::shared_ptr<const options> o, stats& s)
        : io(i),
          st(s),
          opts(std::move(o)),
          pol(compile_policy(*opts)),
          answers(opts->cache.max_entries) {
        rebuild_upstream();
    }

    asio::io_context& io;
    stats& st;
    std::shared_ptr<const options> opts;
    policy pol;
    cache answers;
    rate_limiter limiter;
    id_source ids;
    // IDs of this worker's queries in flight: c-ares 1.18 matches answers by ID alone first, so
    // two outstanding queries sharing one would cost one of them a timeout.
    std::vector<bool> ids_in_flight = std::vector<bool>(65536);
    std::unique_ptr<net::cares_channel> upstream;
    std::vector<std::unique_ptr<udp::socket>> udp_sockets;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::set<std::shared_ptr<tcp_conn>> conns;
    std::vector<endpoint> bound;
    std::function<void(std::string_view)> query_log;
    std::uint64_t query_count = 0;
    bool stopped = false;
    std::array<std::uint8_t, 65536> scratch{};  // answers built outside the UDP batch

    struct pending {
        impl* self;
        query q;
        client c;
        bool tcp;
        std::uint16_t id;
    };

    std::uint16_t fresh_id() {
        std::uint16_t id = ids.next();
        for (int i = 0; i < 16 && ids_in_flight[id]; ++i) id = ids.next();
        ids_in_flight[id] = true;
        return id;
    }

    std::uint16_t udp_size() const { return std::min<std::uint16_t>(opts->edns_udp_size, 4096); }

    ttl_limits limits() const {
        return {static_cast<std::uint32_t>(opts->cache.min_ttl.count()),
                static_cast<std::uint32_t>(opts->cache.max_ttl.count()),
                static_cast<std::uint32_t>(opts->cache.negative_max_ttl.count())};
    }

    void rebuild_upstream() {
        net::cares_options co;
        for (const auto& u : opts->upstreams) co.servers.push_back({u.address, u.port});
        co.timeout = opts->upstream_timeout;
        co.tries = opts->upstream_retries + 1;
        co.pass_error_rcodes = true;
        upstream.reset();  // queries in flight are abandoned (their callbacks see EDESTRUCTION)
        std::fill(ids_in_flight.begin(), ids_in_flight.end(), false);
        if (!co.servers.empty()) upstream = std::make_unique<net::cares_channel>(io, co);
    }

    bool allowed(const core::ip_address& a) const {
        for (const auto& c : opts->allow_clients) {
            if (c.contains(a)) return true;
        }
        return false;
    }

    void log_query(const client& c, const query& q, const char* what) {
        const auto n = opts->query_log_sample;
        if (n == 0 || ++query_count % n != 0) return;
        const std::string line = "dns query client=" + c.address.str() +
                                 " name=" + to_text(q.qname_lower.view()) +
                                 " type=" + std::to_string(q.qtype) +
                                 " proto=" + (c.tcp ? "tcp" : "udp") + " result=" + what;
        if (query_log) {
            query_log(line);
        } else {
            std::fprintf(stderr, "%s\n", line.c_str());
        }
    }

    // Answers `in` into `out` (returns its size), or takes it upstream / drops it (returns 0).
    std::size_t handle(std::span<const std::uint8_t> in, const client& c, bool tcp,
                       std::uint64_t now, std::span<std::uint8_t> out) {
        (tcp ? st.queries_tcp : st.queries_udp).fetch_add(1, std::memory_order_relaxed);
        query q;
        switch (parse_query(in, q)) {
            case parse_status::ok: break;
            case parse_status::drop: st.dropped.fetch_add(1, std::memory_order_relaxed); return 0;
            case parse_status::formerr:
                st.formerr.fetch_add(1, std::memory_order_relaxed);
                return write_formerr(in, out);
            case parse_status::notimp: {
                st.notimp.fetch_add(1, std::memory_order_relaxed);
                const auto n = write_formerr(in, out);
                if (n) out[3] = static_cast<std::uint8_t>((out[3] & 0xf0) | rcode::notimp);
                return n;
            }
            case parse_status::badvers:
                st.formerr.fetch_add(1, std::memory_order_relaxed);
                return write_rcode(q, 16, udp_size(), out);
        }
        if (!allowed(c.address)) {
            st.refused.fetch_add(1, std::memory_order_relaxed);
            log_query(c, q, "refused-acl");
            return write_rcode(q, rcode::refused, udp_size(), out);
        }
        if (opts->rate_limit_qps &&
            !limiter.allow(c.address.bytes(), now, opts->rate_limit_qps, opts->rate_limit_burst)) {
            st.rate_limited.fetch_add(1, std::memory_order_relaxed);
            if (!tcp) return 0;  // no answer over UDP: a spoofed source gets no reflection
            st.refused.fetch_add(1, std::memory_order_relaxed);
            return write_rcode(q, rcode::refused, udp_size(), out);
        }
        // The cache first: it only ever holds forwarded names (steered, blocked and canary
        // answers are never stored, and update() empties it when the steering policy changes),
        // so a hit skips the name matching.
        cache_key key;
        make_cache_key(q, key);
        if (const auto* e = answers.find(key.view(), now); e && e->fresh(now)) {
            st.cache_hits.fetch_add(1, std::memory_order_relaxed);
            log_query(c, q, "cache");
            const auto n = render(e->answer, q, e->age_s(now), std::nullopt, tcp, out);
            if (opts->cache.prefetch && !e->prefetching && e->answer.lifetime >= 10 &&
                (e->fresh_until_ms - now) * 10 < std::uint64_t{e->answer.lifetime} * 1000) {
                e->prefetching = true;
                st.prefetches.fetch_add(1, std::memory_order_relaxed);
                forward(q, client{}, false, {});  // no client: the answer only refreshes the cache
            }
            return n;
        }
        text_buffer text;
        switch (pol.decide(to_text(q.qname_lower.view(), text))) {
            case verdict::steer: {
                st.steered.fetch_add(1, std::memory_order_relaxed);
                log_query(c, q, "steered");
                const auto n = write_steered(q, pol.target, udp_size(), out);
                return n ? n : write_rcode(q, rcode::servfail, udp_size(), out);
            }
            case verdict::doh_canary:
                st.doh_canary.fetch_add(1, std::memory_order_relaxed);
                return write_rcode(q, rcode::nxdomain, udp_size(), out);
            case verdict::block:
                st.blocked.fetch_add(1, std::memory_order_relaxed);
                log_query(c, q, "blocked");
                return write_rcode(q, pol.block_rcode, udp_size(), out);
            case verdict::forward: break;
        }
        st.cache_misses.fetch_add(1, std::memory_order_relaxed);
        log_query(c, q, "forward");
        forward(q, c, tcp, out);
        return 0;
    }

    std::size_t render(const cached_answer& a, const query& q, std::uint32_t age,
                       std::optional<std::uint32_t> stale, bool tcp, std::span<std::uint8_t> out) {
        bool truncated = false;
        const auto n = render_answer(a, q, age, stale, tcp, udp_size(), out, truncated);
        if (truncated) st.truncated.fetch_add(1, std::memory_order_relaxed);
        return n;
    }

    void forward(const query& q, const client& c, bool tcp, std::span<std::uint8_t> scratch_out) {
        if (!upstream) return fail(q, c, tcp, scratch_out);
        std::array<std::uint8_t, max_name_size + 64> wire;
        const std::uint16_t id = fresh_id();
        const auto n = write_upstream_query(q, id, udp_size(), wire);
        if (n == 0) {
            ids_in_flight[id] = false;
            return fail(q, c, tcp, scratch_out);
        }
        st.forwarded.fetch_add(1, std::memory_order_relaxed);
        auto* p = new pending{this, q, c, tcp, id};
        upstream->send({wire.data(), n}, &impl::on_answer, p);
    }

    // Upstream failed: a stale answer within max-stale (RFC 8767 §4) or SERVFAIL.
    void fail(const query& q, const client& c, bool tcp, std::span<std::uint8_t> out) {
        if (!c.has_peer()) return;  // a prefetch: the cached answer stays as it is
        std::size_t n = 0;
        if (opts->cache.serve_stale) {
            cache_key key;
            make_cache_key(q, key);
            if (const auto* e = answers.find(key.view(), now_ms())) {
                st.stale_served.fetch_add(1, std::memory_order_relaxed);
                n = render(e->answer, q, 0,
                           static_cast<std::uint32_t>(opts->cache.stale_answer_ttl.count()), tcp,
                           out);
            }
        }
        if (n == 0) {
            st.servfail.fetch_add(1, std::memory_order_relaxed);
            n = write_rcode(q, rcode::servfail, udp_size(), out);
        }
        reply(c, {out.data(), n});
    }

    static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
        std::unique_ptr<pending> p(static_cast<pending*>(arg));
        if (status == ARES_EDESTRUCTION) return;  // the service is going away: touch nothing
        impl& self = *p->self;
        self.ids_in_flight[p->id] = false;
        if (timeouts > 0) self.st.upstream_timeouts.fetch_add(timeouts, std::memory_order_relaxed);
        auto out = std::span<std::uint8_t>(self.scratch);
        cached_answer a;
        if (status != ARES_SUCCESS || alen <= 0 ||
            !normalize_answer({abuf, static_cast<std::size_t>(alen)}, p->q, self.pol, self.limits(),
                              a)) {
            self.st.upstream_errors.fetch_add(1, std::memory_order_relaxed);
            return self.fail(p->q, p->c, p->tcp, out);
        }
        const std::uint8_t rc = a.wire[3] & 0xf;
        if (rc == rcode::servfail && self.opts->cache.serve_stale) {
            return self.fail(p->q, p->c, p->tcp, out);  // RFC 8767 §4: SERVFAIL counts as failure
        }
        if (rc == rcode::servfail) self.st.servfail.fetch_add(1, std::memory_order_relaxed);
        if (a.steered_rewrite) self.st.cname_rewritten.fetch_add(1, std::memory_order_relaxed);
        const auto n = self.render(a, p->q, 0, std::nullopt, p->tcp, out);
        self.reply(p->c, {out.data(), n});
        cache_key key;
        make_cache_key(p->q, key);
        const auto before = self.answers.size();
        const std::uint32_t keep =
            self.opts->cache.serve_stale
                ? static_cast<std::uint32_t>(self.opts->cache.max_stale.count())
                : 0;
        self.answers.insert(key.view(), std::move(a), now_ms(), keep);
        self.st.cache_entries.fetch_add(
            static_cast<std::int64_t>(self.answers.size()) - static_cast<std::int64_t>(before),
            std::memory_order_relaxed);
    }

    void reply(const client& c, std::span<const std::uint8_t> msg) {
        if (msg.empty() || stopped || !c.has_peer()) return;
        if (c.tcp) return c.tcp->enqueue(msg);
        // UDP answers rarely block; when the socket buffer is full the answer is lost like any
        // datagram and the client retries.
        (void)::sendto(c.udp_fd, msg.data(), msg.size(), MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&c.peer), c.peer_len);
    }

    void drain_udp(udp::socket& s) {
        const int fd = s.native_handle();
        static thread_local std::array<std::array<std::uint8_t, max_udp_message>, udp_batch> in;
        static thread_local std::array<std::array<std::uint8_t, max_udp_message>, udp_batch> out;
        std::array<mmsghdr, udp_batch> rx{}, tx{};
        std::array<iovec, udp_batch> rx_iov{}, tx_iov{};
        std::array<sockaddr_storage, udp_batch> peers{};
        for (int round = 0; round < 64 && !stopped; ++round) {  // then yield to other work
            for (std::size_t i = 0; i < udp_batch; ++i) {
                rx_iov[i] = {in[i].data(), in[i].size()};
                rx[i].msg_hdr = {};
                rx[i].msg_hdr.msg_name = &peers[i];
                rx[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
                rx[i].msg_hdr.msg_iov = &rx_iov[i];
                rx[i].msg_hdr.msg_iovlen = 1;
            }
            const int got = ::recvmmsg(fd, rx.data(), udp_batch, MSG_DONTWAIT, nullptr);
            if (got <= 0) return;
            const auto now = now_ms();
            unsigned nout = 0;
            for (int i = 0; i < got; ++i) {
                auto& h = rx[static_cast<std::size_t>(i)];
                if (h.msg_hdr.msg_flags & MSG_TRUNC) {
                    st.dropped.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                client c;
                c.udp_fd = fd;
                c.peer = peers[static_cast<std::size_t>(i)];
                c.peer_len = h.msg_hdr.msg_namelen;
                c.address = from_sockaddr(c.peer);
                const auto n = handle({in[static_cast<std::size_t>(i)].data(), h.msg_len}, c, false,
                                      now, out[nout]);
                if (n == 0) continue;
                tx_iov[nout] = {out[nout].data(), n};
                tx[nout].msg_hdr = {};
                tx[nout].msg_hdr.msg_name = &peers[static_cast<std::size_t>(i)];
                tx[nout].msg_hdr.msg_namelen = h.msg_hdr.msg_namelen;
                tx[nout].msg_hdr.msg_iov = &tx_iov[nout];
                tx[nout].msg_hdr.msg_iovlen = 1;
                ++nout;
            }
            for (unsigned sent = 0; sent < nout;) {
                const int r = ::sendmmsg(fd, tx.data() + sent, nout - sent, MSG_DONTWAIT);
                if (r <= 0) break;
                sent += static_cast<unsigned>(r);
            }
            // No early return on a short batch: under load more datagrams arrived while this
            // batch was served, and one recvmmsg finding nothing is cheaper than going back to
            // epoll (epoll_wait + epoll_ctl to re-arm).
        }
    }

    void close_all() {
        stopped = true;
        boost::system::error_code ec;
        for (auto& s : udp_sockets) s->close(ec);
        for (auto& a : acceptors) a->close(ec);
        for (auto& c : conns) c->close();
        conns.clear();
        upstream.reset();
    }
};

namespace {

asio::awaitable<void> udp_loop(service::impl* self, udp::socket* s) {
    for (;;) {
        auto [ec] = co_await s->async_wait(udp::socket::wait_read, token);
        if (self->stopped || ec == asio::error::operation_aborted) co_return;
        if (!ec) self->drain_udp(*s);
    }
}

asio::awaitable<void> tcp_session(service::impl* self, std::shared_ptr<tcp_conn> c) {
    std::vector<std::uint8_t> buf(65535);
    std::array<std::uint8_t, 2> len_bytes{};
    client cl;
    {
        boost::system::error_code ec;
        const auto peer = c->sock.remote_endpoint(ec);
        if (ec) co_return c->close();
        const auto a = peer.address();
        cl.address = a.is_v4() ? core::ip_address::from_v4(a.to_v4().to_uint())
                               : core::ip_address::from_v6(a.to_v6().to_bytes());
    }
    cl.tcp = c;
    while (!self->stopped && !c->closed) {
        c->arm_idle(self->opts->tcp_idle_timeout);
        auto [e1, n1] = co_await asio::async_read(c->sock, asio::buffer(len_bytes), token);
        if (e1 || self->stopped) break;
        const std::size_t len = get16(len_bytes.data());
        if (len == 0) break;
        auto [e2, n2] = co_await asio::async_read(c->sock, asio::buffer(buf.data(), len), token);
        if (e2 || self->stopped) break;
        auto out = std::span<std::uint8_t>(self->scratch);
        const auto n = self->handle({buf.data(), len}, cl, true, now_ms(), out);
        if (n) c->enqueue({out.data(), n});
    }
    cl.tcp.reset();
    // Let queued answers drain: the writer closes on error; idle timer closes otherwise.
    if (c->outq.empty()) c->close();
    if (!self->stopped) self->conns.erase(c);
}

asio::awaitable<void> accept_loop(service::impl* self, tcp::acceptor* a) {
    asio::steady_timer backoff(a->get_executor());
    for (;;) {
        auto [ec, sock] = co_await a->async_accept(token);
        if (self->stopped || ec == asio::error::operation_aborted) co_return;
        if (ec) {  // EMFILE and friends: pause instead of spinning
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(token);
            continue;
        }
        if (self->st.tcp_connections.load(std::memory_order_relaxed) >=
            static_cast<std::int64_t>(self->opts->max_tcp_connections)) {
            self->st.tcp_rejected.fetch_add(1, std::memory_order_relaxed);
            continue;  // sock closes here
        }
        self->st.tcp_accepted.fetch_add(1, std::memory_order_relaxed);
        auto c = std::make_shared<tcp_conn>(std::move(sock), self->st);
        self->conns.insert(c);
        asio::co_spawn(self->io, tcp_session(self, c), asio::detached);
    }
}

}  // namespace

service::service(asio::io_context& io, std::shared_ptr<const options> o, stats& s)
    : impl_(std::make_unique<impl>(io, std::move(o), s)) {}

service::~service() {
    if (!impl_->stopped) impl_->close_all();
}

void service::start() {
    auto& i = *impl_;
    for (const auto& ep : i.opts->listen) {
        const auto addr = to_asio(ep.address);
        // Port 0: the kernel picks a UDP port, and TCP needs the same number free; when it is
        // not (a client connection may hold it), try another.
        for (int attempt = 0;; ++attempt) {
            auto us = std::make_unique<udp::socket>(i.io);
            udp::endpoint uep(addr, ep.port);
            us->open(uep.protocol());
            us->set_option(asio::socket_base::reuse_address(true));
            us->set_option(reuse_port(true));
            if (addr.is_v6()) us->set_option(asio::ip::v6_only(true));
            us->set_option(asio::socket_base::receive_buffer_size(4 << 20));
            us->bind(uep);
            us->non_blocking(true);
            const auto port = us->local_endpoint().port();
            auto acc = std::make_unique<tcp::acceptor>(i.io);
            tcp::endpoint tep(addr, port);
            acc->open(tep.protocol());
            acc->set_option(asio::socket_base::reuse_address(true));
            acc->set_option(reuse_port(true));
            if (addr.is_v6()) acc->set_option(asio::ip::v6_only(true));
            boost::system::error_code ec;
            acc->bind(tep, ec);
            if (ec == asio::error::address_in_use && ep.port == 0 && attempt < 20) continue;
            if (ec)
                throw boost::system::system_error(ec, "dns: bind tcp " + tep.address().to_string());
            acc->listen();
            i.bound.push_back({ep.address, port});
            asio::co_spawn(i.io, udp_loop(&i, us.get()), asio::detached);
            asio::co_spawn(i.io, accept_loop(&i, acc.get()), asio::detached);
            i.udp_sockets.push_back(std::move(us));
            i.acceptors.push_back(std::move(acc));
            break;
        }
    }
}

void service::stop() {
    asio::post(impl_->io, [i = impl_.get()] { i->close_all(); });
}

void service::update(std::shared_ptr<const options> o) {
    // Compiled here so a bad snapshot throws to the caller instead of inside the worker.
    auto compiled = std::make_shared<policy>(compile_policy(*o));
    asio::post(impl_->io, [i = impl_.get(), o = std::move(o), compiled] {
        if (i->stopped) return;
        const bool upstream_changed = o->upstreams != i->opts->upstreams ||
                                      o->upstream_timeout != i->opts->upstream_timeout ||
                                      o->upstream_retries != i->opts->upstream_retries;
        const bool policy_changed =
            o->steer_names != i->opts->steer_names ||
            o->steer_exceptions != i->opts->steer_exceptions ||
            o->steer_identity_center != i->opts->steer_identity_center ||
            o->block_names != i->opts->block_names || o->steer_ipv4 != i->opts->steer_ipv4 ||
            o->steer_ipv6 != i->opts->steer_ipv6 || o->steer_ttl != i->opts->steer_ttl ||
            o->cache.min_ttl != i->opts->cache.min_ttl ||
            o->cache.max_ttl != i->opts->cache.max_ttl;
        i->opts = o;
        i->pol = *compiled;
        const auto before = i->answers.size();
        if (policy_changed) i->answers.clear();  // cached CNAME rewrites and clamps are stale
        i->answers.set_max_entries(o->cache.max_entries);
        i->st.cache_entries.fetch_add(
            static_cast<std::int64_t>(i->answers.size()) - static_cast<std::int64_t>(before),
            std::memory_order_relaxed);
        if (upstream_changed) i->rebuild_upstream();
    });
}

std::vector<endpoint> service::local_endpoints() const {
    return impl_->bound;
}

void service::set_query_log(std::function<void(std::string_view)> sink) {
    impl_->query_log = std::move(sink);
}

}  // namespace consolegate::dns
