#include "listeners.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "consolegate/log/log.hpp"
#include "consolegate/net/proxy_protocol.hpp"
#include "worker.hpp"

namespace consolegate::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr auto token = asio::as_tuple(asio::use_awaitable);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr std::size_t udp_batch = 32;

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

// Fills `dst` from `early` (bytes read along with a PROXY header) first, then from the socket.
asio::awaitable<boost::system::error_code> read_exact(tcp::socket& s,
                                                      std::vector<std::uint8_t>& early,
                                                      asio::mutable_buffer dst) {
    if (const std::size_t from_early = std::min(early.size(), dst.size())) {
        std::memcpy(dst.data(), early.data(), from_early);
        early.erase(early.begin(), early.begin() + static_cast<std::ptrdiff_t>(from_early));
        dst += from_early;
    }
    if (dst.size() == 0) co_return boost::system::error_code{};
    auto [ec, n] = co_await asio::async_read(s, dst, token);
    co_return ec;
}

// The idle timeout of a connection accepted while `open` are open (this one included), as
// unbound's setup_tcp_handler sets it: over half of max_tcp_connections in use it shrinks (a
// hundredth, over 65 % a five-hundredth, over 80 % nothing), never below unbound's 200 ms
// (TCP_QUERY_TIMEOUT_MINIMUM) unless tcp_idle_timeout is. So clients that connect and sit idle
// (or trickle a query) cannot hold every connection for the full timeout: under load a client
// gets little more than the time to send its query and read the answer.
std::chrono::milliseconds idle_timeout(const config& cfg, std::int64_t open) {
    using std::chrono::milliseconds;
    const auto configured = cfg.tcp_idle_timeout;
    const std::int64_t usage = open * 100 / std::max<std::int64_t>(cfg.max_tcp_connections, 1);
    if (usage <= 50) return configured;
    const auto shrunk = usage > 80 ? milliseconds(0) : configured / (usage > 65 ? 500 : 100);
    return std::min(configured, std::max(shrunk, milliseconds(200)));
}

// The client of a TCP connection (PROXY protocol, include/consolegate/net/proxy_protocol.hpp),
// counted; nullopt: close it.
asio::awaitable<std::optional<net::proxied_client>> identify(tcp::socket& s, const config& cfg,
                                                             std::chrono::milliseconds idle,
                                                             stats& st) {
    auto who =
        co_await net::accept_proxied(s, cfg.tcp_proxy_protocol, cfg.proxy_protocol_from, idle);
    auto bump = [](std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); };
    switch (who.outcome) {
        case net::proxied_outcome::serve:
            if (who.relayed) bump(st.proxy_protocol_relayed);
            co_return who;
        case net::proxied_outcome::refused_stranger: bump(st.proxy_protocol_refused); break;
        case net::proxied_outcome::bad_header: bump(st.proxy_protocol_bad); break;
        case net::proxied_outcome::timeout:
            if (net::in_networks(who.peer, cfg.proxy_protocol_from)) bump(st.proxy_protocol_bad);
            break;
        case net::proxied_outcome::closed: break;
    }
    co_return std::nullopt;
}

// False for a source no answer may go to: port 0, an unspecified, multicast or the limited
// broadcast address. The kernel delivers such datagrams (a raw socket forges them easily); an
// answer to port 0 or to a broadcast address fails to send (EINVAL, EACCES), and one to a
// multicast group would reach every member: a spoofed query to the gateway would make it send to
// a whole segment (224.0.0.251:5353 is every mDNS responder). They are dropped unread, before
// any upstream query is spent on them.
bool answerable(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) {
        const auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
        const std::uint32_t a = ntohl(s->sin_addr.s_addr);
        return s->sin_port != 0 && (a >> 24) != 0 && (a >> 28) != 0xe && a != 0xffffffffu;
    }
    if (ss.ss_family == AF_INET6) {
        const auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
        return s->sin6_port != 0 && !IN6_IS_ADDR_MULTICAST(&s->sin6_addr) &&
               !IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr);
    }
    return false;
}

template <class Socket>
void share_port(Socket& s, const asio::ip::address& addr) {
    s.set_option(asio::socket_base::reuse_address(true));
    s.set_option(reuse_port(true));
    if (addr.is_v6()) s.set_option(asio::ip::v6_only(true));
}

// Binds `s` to a UDP port the kernel picks that no other socket holds, then lets the other
// workers share it. Linux's UDP autobind counts a port held by SO_REUSEPORT sockets of the same
// user as free to a socket that sets it too (udp_lib_lport_inuse): a second gateway, or an
// unbound, would share the port and the kernel would split the queries between them. A socket
// without SO_REUSEPORT gets a port of its own; setting it after the bind opens the port to this
// gateway's workers (the kernel forms the reuseport group on their bind).
void bind_own_udp_port(udp::socket& s, const udp::endpoint& ep) {
    s.set_option(asio::socket_base::reuse_address(true));
    if (ep.address().is_v6()) s.set_option(asio::ip::v6_only(true));
    s.bind(ep);
    s.set_option(reuse_port(true));
}

}  // namespace

void listeners::open(const std::vector<core::endpoint>& listen) {
    for (const auto& ep : listen) {
        const auto addr = to_asio(ep.address);
        // Port 0: the kernel picks a UDP port, and TCP needs the same number free; when it is
        // not (a client connection may hold it), try another.
        for (int attempt = 0;; ++attempt) {
            auto us = std::make_unique<udp::socket>(w_.io);
            udp::endpoint uep(addr, ep.port);
            us->open(uep.protocol());
            us->set_option(asio::socket_base::receive_buffer_size(4 << 20));
            if (ep.port == 0) {
                bind_own_udp_port(*us, uep);
            } else {
                share_port(*us, addr);
                us->bind(uep);
            }
            us->non_blocking(true);
            const auto port = us->local_endpoint().port();
            auto acc = std::make_unique<tcp::acceptor>(w_.io);
            tcp::endpoint tep(addr, port);
            acc->open(tep.protocol());
            share_port(*acc, addr);
            boost::system::error_code ec;
            acc->bind(tep, ec);
            if (ec == asio::error::address_in_use && ep.port == 0 && attempt < 20) continue;
            if (ec)
                throw boost::system::system_error(ec, "dns: bind tcp " + tep.address().to_string());
            acc->listen();
            bound_.push_back({ep.address, port});
            asio::co_spawn(w_.io, udp_loop(this, us.get()), asio::detached);
            asio::co_spawn(w_.io, accept_loop(this, acc.get()), asio::detached);
            udp_sockets_.push_back(std::move(us));
            acceptors_.push_back(std::move(acc));
            break;
        }
    }
}

void listeners::close() {
    boost::system::error_code ec;
    for (auto& s : udp_sockets_) s->close(ec);
    for (auto& a : acceptors_) a->close(ec);
    for (auto& c : conns_) c->close();
    conns_.clear();
}

asio::awaitable<void> listeners::udp_loop(listeners* self, udp::socket* s) {
    const auto protocol = s->local_endpoint().protocol();
    const int fd = s->native_handle();
    asio::steady_timer backoff(s->get_executor());
    for (;;) {
        auto [ec] = co_await s->async_wait(udp::socket::wait_read, token);
        if (self->w_.stopped || ec == asio::error::operation_aborted) co_return;
        if (ec || !self->drain_udp(*s)) continue;
        // Drained outside epoll: back in before waiting again (the kernel checks readiness on
        // EPOLL_CTL_ADD, so nothing that arrived meanwhile is missed). Only an epoll entry the
        // kernel refuses (ENOMEM) fails; datagrams queue in the socket while it retries.
        for (boost::system::error_code e;;) {
            s->assign(protocol, fd, e);
            if (!e) break;
            log::write(log::level::error, "dns", "cannot wait on the udp socket, retrying",
                       {{"error", e.message()}});
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(token);
            if (self->w_.stopped) {
                ::close(fd);  // released: close() no longer owns it
                co_return;
            }
        }
    }
}

// Serves the queued datagrams. A busy socket leaves epoll while it is drained: registered, it
// has a waiter, and every datagram sent wakes its wait queue (sock_wfree -> ep_poll_callback,
// which finds no EPOLLOUT interest), about 3-5 % of the CPU under load (bench/RESULTS.md). It
// leaves after a full batch only, so a lone query pays no epoll_ctl. Returns true when the
// socket was released: the caller assigns it back.
bool listeners::drain_udp(udp::socket& s) {
    const int fd = s.native_handle();
    bool released = false;
    for (int round = 0; round < 64 && !w_.stopped; ++round) {  // then yield to other work
        const std::size_t got = serve_udp_batch(fd);
        if (got == 0) break;
        if (got == udp_batch && !released) {
            boost::system::error_code ec;
            s.release(ec);
            released = !ec;
        }
        // No early return on a short batch: under load more datagrams arrived while this batch
        // was served, and one recvmmsg finding nothing is cheaper than going back to epoll.
    }
    return released;
}

// One recvmmsg, the answers, one sendmmsg (more if the kernel takes part of it); returns the
// datagrams received.
std::size_t listeners::serve_udp_batch(int fd) {
    static thread_local std::array<std::array<std::uint8_t, max_udp_message>, udp_batch> in;
    static thread_local std::array<std::array<std::uint8_t, max_udp_message>, udp_batch> out;
    std::array<mmsghdr, udp_batch> rx{}, tx{};
    std::array<iovec, udp_batch> rx_iov{}, tx_iov{};
    std::array<sockaddr_storage, udp_batch> peers{};
    for (std::size_t i = 0; i < udp_batch; ++i) {
        rx_iov[i] = {in[i].data(), in[i].size()};
        rx[i].msg_hdr.msg_name = &peers[i];
        rx[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        rx[i].msg_hdr.msg_iov = &rx_iov[i];
        rx[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd, rx.data(), udp_batch, MSG_DONTWAIT, nullptr);
    if (got <= 0) return 0;
    const auto now = w_.now_ms();
    unsigned nout = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
        auto& h = rx[i];
        if ((h.msg_hdr.msg_flags & MSG_TRUNC) || !answerable(peers[i])) {
            w_.st.dropped.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        client c;
        c.udp_fd = fd;
        c.peer = peers[i];
        c.peer_len = h.msg_hdr.msg_namelen;
        c.address = from_sockaddr(c.peer);
        const auto n = w_.handle({in[i].data(), h.msg_len}, c, false, now, out[nout]);
        if (n == 0) continue;
        tx_iov[nout] = {out[nout].data(), n};
        tx[nout].msg_hdr.msg_name = &peers[i];
        tx[nout].msg_hdr.msg_namelen = h.msg_hdr.msg_namelen;
        tx[nout].msg_hdr.msg_iov = &tx_iov[nout];
        tx[nout].msg_hdr.msg_iovlen = 1;
        ++nout;
    }
    // sendmmsg stops at the first answer the kernel refuses (and reports only those before it):
    // that one is lost like any datagram, the answers behind it go on. A full socket buffer
    // (EAGAIN) loses the rest, which the clients ask again.
    for (unsigned sent = 0; sent < nout;) {
        const int r = ::sendmmsg(fd, tx.data() + sent, nout - sent, MSG_DONTWAIT);
        if (r > 0) {
            sent += static_cast<unsigned>(r);
            continue;
        }
        if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK) break;
        w_.st.dropped.fetch_add(1, std::memory_order_relaxed);
        ++sent;
    }
    return static_cast<std::size_t>(got);
}

asio::awaitable<void> listeners::accept_loop(listeners* self, tcp::acceptor* a) {
    worker& w = self->w_;
    asio::steady_timer backoff(a->get_executor());
    for (;;) {
        auto [ec, sock] = co_await a->async_accept(token);
        if (w.stopped || ec == asio::error::operation_aborted) co_return;
        if (ec) {  // EMFILE and friends: pause instead of spinning
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(token);
            continue;
        }
        if (w.st.tcp_connections.load(std::memory_order_relaxed) >=
            static_cast<std::int64_t>(w.cfg->max_tcp_connections)) {
            w.st.tcp_rejected.fetch_add(1, std::memory_order_relaxed);
            static log::rate_limit throttle{std::chrono::seconds(10)};
            if (const auto suppressed = throttle.allow(std::chrono::steady_clock::now())) {
                log::write(log::level::warn, "dns", "too many tcp connections, closing new ones",
                           {{"max_tcp_connections", std::to_string(w.cfg->max_tcp_connections)},
                            {"suppressed", std::to_string(*suppressed)}});
            }
            continue;  // sock closes here
        }
        w.st.tcp_accepted.fetch_add(1, std::memory_order_relaxed);
        auto c = std::make_shared<tcp_connection>(std::move(sock), w.st);
        self->conns_.insert(c);
        asio::co_spawn(w.io, tcp_session(self, c), asio::detached);
    }
}

asio::awaitable<void> listeners::tcp_session(listeners* self, std::shared_ptr<tcp_connection> c) {
    worker& w = self->w_;
    std::vector<std::uint8_t> buf(65535);
    std::array<std::uint8_t, 2> len_bytes{};
    client cl;
    // Fixed at accept, as unbound fixes it (this connection is counted already).
    const auto idle = idle_timeout(*w.cfg, w.st.tcp_connections.load(std::memory_order_relaxed));
    auto who = co_await identify(c->socket(), *w.cfg, idle, w.st);
    if (!who || w.stopped) {
        c->close();
        if (!w.stopped) self->conns_.erase(c);
        co_return;
    }
    cl.address = who->address;
    cl.tcp = c;
    while (!w.stopped && !c->closed()) {
        // Backpressure: a client that pipelines faster than it reads (or than upstream answers)
        // waits in TCP flow control while its answers are due or queued, so one connection
        // holds at most tcp_output_buffer plus tcp_pipeline_depth answers. A client that reads
        // nothing meanwhile is closed by the idle timer (re-armed by every answer written).
        while (c->backlogged(w.cfg->tcp_pipeline_depth, w.cfg->tcp_output_buffer) && !c->closed() &&
               !w.stopped) {
            auto& progress = c->progress_timer();
            progress.expires_at(asio::steady_timer::time_point::max());
            co_await progress.async_wait(token);
        }
        if (w.stopped || c->closed()) break;
        c->arm_idle(idle);
        auto e1 = co_await read_exact(c->socket(), who->early, asio::buffer(len_bytes));
        if (e1 || w.stopped) break;
        const std::size_t len = get16(len_bytes.data());
        if (len == 0) break;
        auto e2 = co_await read_exact(c->socket(), who->early, asio::buffer(buf.data(), len));
        if (e2 || w.stopped) break;
        auto out = std::span<std::uint8_t>(w.scratch);
        const auto n = w.handle({buf.data(), len}, cl, true, w.now_ms(), out);
        if (n) c->enqueue({out.data(), n});
    }
    cl.tcp.reset();
    // Answers still due or queued go out first (a half-closed client reads them); the idle timer
    // bounds a client that does not.
    c->read_closed();
    if (!w.stopped) self->conns_.erase(c);
}

}  // namespace consolegate::dns
