#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "consolegate/net/cares_resolver.hpp"

namespace consolegate::net {

namespace asio = boost::asio;

namespace {

void library_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (const int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
            throw std::runtime_error(std::string("c-ares: library init: ") + ares_strerror(rc));
        }
    });
}

struct watcher {
    explicit watcher(asio::io_context& io, int fd) : sd(io, fd), native(fd) {}
    // c-ares owns the socket: give it back to c-ares (release, never close) when it is done.
    ~watcher() { (void)sd.release(); }
    asio::posix::stream_descriptor sd;
    int native;
    bool want_read = false, want_write = false;
    bool read_armed = false, write_armed = false;
    bool closed = false;
};

struct channel_deleter {
    void operator()(ares_channel c) const noexcept { ares_destroy(c); }
};
// ares_channel is a pointer to an opaque struct: held by a unique_ptr, destroyed once.
using channel_ptr = std::unique_ptr<std::remove_pointer_t<ares_channel>, channel_deleter>;

// c-ares takes a C callback and a void*: the handler travels as that pointer, owned by c-ares
// between the call and its one callback, and owned again by the unique_ptr that callback makes.
void on_send(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
    const std::unique_ptr<answer_handler> h(static_cast<answer_handler*>(arg));
    cares_answer a{status, timeouts, {}};
    if (abuf && alen > 0) a.answer = {abuf, static_cast<std::size_t>(alen)};
    (*h)(a);
}

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    const std::unique_ptr<addresses_handler> h(static_cast<addresses_handler*>(arg));
    const std::unique_ptr<ares_addrinfo, decltype(&ares_freeaddrinfo)> owned(res,
                                                                             &ares_freeaddrinfo);
    cares_addresses out{status, {}};
    if (status == ARES_SUCCESS && res) {
        int ttl = -1;
        for (auto* c = res->cnames; c; c = c->next) {
            if (ttl < 0 || c->ttl < ttl) ttl = c->ttl;
        }
        for (auto* n = res->nodes; n; n = n->ai_next) {
            if (ttl < 0 || n->ai_ttl < ttl) ttl = n->ai_ttl;
            if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof(sockaddr_in)) {
                const auto* sa = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
                out.addresses.emplace_back(asio::ip::address_v4(ntohl(sa->sin_addr.s_addr)));
            } else if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof(sockaddr_in6)) {
                const auto* sa = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
                asio::ip::address_v6::bytes_type b;
                std::memcpy(b.data(), &sa->sin6_addr, 16);
                out.addresses.emplace_back(asio::ip::address_v6(b));
            }
        }
        out.ttl = std::chrono::seconds(std::max(ttl, 0));
    }
    (*h)(std::move(out));
}

// Whether the bytes at `p` are `question` (question_of's form), the name compared without
// regard to case as c-ares compares it (same_questions); `p` has question.size() bytes.
bool same_question_as(const std::uint8_t* p, const std::vector<std::uint8_t>& question) {
    const auto lower = [](std::uint8_t c) {
        return static_cast<std::uint8_t>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    };
    const std::size_t name = question.size() - 4;
    for (std::size_t i = 0; i < name; ++i) {
        if (lower(p[i]) != lower(question[i])) return false;
    }
    return std::memcmp(p + name, question.data() + name, 4) == 0;
}

// The question of a query we build (uncompressed, one question): header-relative bytes from 12
// to the end of QCLASS, or empty when it is not that shape.
std::vector<std::uint8_t> question_of(std::span<const std::uint8_t> q) {
    if (q.size() < 12 || q[4] != 0 || q[5] != 1) return {};
    std::size_t off = 12;
    while (off < q.size() && q[off] != 0) {
        if (q[off] > 63) return {};
        off += 1u + q[off];
    }
    if (off >= q.size() || q.size() - off < 5) return {};
    std::vector<std::uint8_t> out(off + 5 - 12);
    std::memcpy(out.data(), q.data() + 12, out.size());
    return out;
}

// `q` without its OPT record when it ends with one (as write_upstream_query writes it: the only
// additional record, no options), else empty.
std::vector<std::uint8_t> without_opt(std::span<const std::uint8_t> q) {
    constexpr std::size_t opt_size = 11;
    if (q.size() < 12 + opt_size || q[10] != 0 || q[11] != 1) return {};
    const auto opt = q.subspan(q.size() - opt_size);
    if (opt[0] != 0 || opt[1] != 0 || opt[2] != 41 || opt[9] != 0 || opt[10] != 0) return {};
    std::vector<std::uint8_t> out(q.begin(), q.end() - opt_size);
    out[11] = 0;
    return out;
}

// An OPT record (RFC 6891 §6.1.2) advertising 512 bytes, no flags, no options.
constexpr std::array<std::uint8_t, 11> plain_opt{0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0};

}  // namespace

// A TCP connection to an upstream as c-ares reads it: the socket's bytes are read here and
// handed on frame by frame (RFC 1035 §4.2.2 length prefixes), so an answer can be put right
// (inspect_answer) before c-ares sees its length (c-ares 1.18 allocates exactly that length).
struct tcp_stream {
    std::vector<std::uint8_t> in;   // read from the socket, not yet a whole frame
    std::vector<std::uint8_t> out;  // whole frames (restored) for c-ares
    std::size_t out_at = 0;         // how much of `out` c-ares has read
    bool pending() const noexcept { return out_at < out.size(); }
};

// The most a TCP frame (length prefix and message) takes, and a question (name and type/class).
constexpr std::size_t max_frame = 2 + 65535;
constexpr std::size_t max_question = 255 + 4;

struct cares_channel::impl : std::enable_shared_from_this<impl> {
    explicit impl(asio::io_context& i) : io(i), timer(i) {}

    asio::io_context& io;
    channel_ptr channel;
    asio::steady_timer timer;
    std::unordered_map<int, std::shared_ptr<watcher>> watchers;
    // send()'s queries in flight, by transaction ID (see inspect_answer).
    struct sent {
        std::vector<std::uint8_t> question;
        bool ask_without_edns = false;  // answered FORMERR or NOTIMP (inspect_answer)
    };
    std::unordered_map<std::uint16_t, sent> questions;
    bool edns = false;                            // ARES_FLAG_EDNS: queries carry an OPT record
    std::unordered_map<int, tcp_stream> streams;  // by socket, TCP only

    // What c-ares 1.18 would get wrong in an answer to one of send()'s queries, put right before
    // it reads it (an off-path forger gains nothing: it needs the random ID and c-ares's random
    // source port as before). Returns the new length (at most `cap`).
    //
    // c-ares takes an answer only when its ID and its question match a query (process_answer,
    // same_questions), so an answer with our ID and another question, or none (a bare header
    // with REFUSED or FORMERR, as servers answer what they will not parse, or records without
    // the question) is dropped and the query waits for its timeouts. unbound takes it for the
    // upstream's failed answer at once (SERVFAIL); here it gets the query's question back, and
    // upstream's error rcode or else SERVFAIL, so the query ends at once.
    //
    // And unbound asks a query again without EDNS when upstream answers it FORMERR or NOTIMP
    // (services/outside_network.c serviced_udp_callback, serviced_tcp_callback; RFC 6891 §7),
    // with an OPT record or without. c-ares does so only for a FORMERR without one, by turning
    // EDNS off for the whole channel (channel->flags ^= ARES_FLAG_EDNS): from then on every UDP
    // answer over 512 bytes is asked again over TCP, and the next such FORMERR turns EDNS back
    // on. Such an answer goes to c-ares as the question and an OPT record (a FORMERR or NOTIMP
    // says nothing more), so it ends the query, and send()'s handler asks again without EDNS for
    // that query alone.
    ares_ssize_t inspect_answer(std::uint8_t* buf, ares_ssize_t n, std::size_t cap) {
        if (n < 12 || questions.empty() || !(buf[2] & 0x80) || (buf[2] & 0x78) != 0) return n;
        const auto it = questions.find(static_cast<std::uint16_t>((buf[0] << 8) | buf[1]));
        if (it == questions.end()) return n;
        const auto& q = it->second.question;
        const auto len = static_cast<std::size_t>(n);
        auto rcode = buf[3] & 0xf;
        const bool same_question =
            buf[4] == 0 && buf[5] == 1 && len >= 12 + q.size() && same_question_as(buf + 12, q);
        const bool bare = std::all_of(buf + 4, buf + 10, [](std::uint8_t b) { return b == 0; });
        if ((rcode == 1 || rcode == 4) && edns && (same_question || bare)) {
            if (cap < 12 + q.size() + plain_opt.size()) return n;
            buf[2] &= static_cast<std::uint8_t>(~0x02);  // not TC: c-ares would go to TCP
            for (int i = 4; i < 12; ++i) buf[i] = 0;
            buf[5] = 1;
            buf[11] = 1;
            std::memcpy(buf + 12, q.data(), q.size());
            std::memcpy(buf + 12 + q.size(), plain_opt.data(), plain_opt.size());
            it->second.ask_without_edns = true;
            return static_cast<ares_ssize_t>(12 + q.size() + plain_opt.size());
        }
        if (same_question || cap < 12 + q.size()) return n;
        if (!bare || !(rcode == 1 || rcode == 2 || rcode == 4 || rcode == 5)) rcode = 2;
        buf[2] &= static_cast<std::uint8_t>(~0x02);
        buf[3] = static_cast<std::uint8_t>((buf[3] & 0xf0) | rcode);
        for (int i = 4; i < 12; ++i) buf[i] = 0;
        buf[5] = 1;
        std::memcpy(buf + 12, q.data(), q.size());
        return static_cast<ares_ssize_t>(12 + q.size());
    }

    void send(std::vector<std::uint8_t> query, answer_handler on_answer);

    // Our own socket functions (ares_set_socket_functions), only to see datagrams before c-ares
    // does. With them c-ares configures nothing itself (configure_socket), so they set what it
    // would: non-blocking, close-on-exec, TCP_NODELAY.
    static ares_socket_t open_socket(int af, int type, int protocol, void*) {
        const int fd = ::socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd >= 0 && type == SOCK_STREAM) {
            const int one = 1;
            (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        return fd < 0 ? ARES_SOCKET_BAD : fd;
    }
    static int close_socket(ares_socket_t fd, void* data) {
        static_cast<impl*>(data)->streams.erase(fd);
        return ::close(fd);
    }
    static int connect_socket(ares_socket_t fd, const sockaddr* sa, ares_socklen_t len, void*) {
        return ::connect(fd, sa, len);
    }
    static ares_ssize_t send_socket(ares_socket_t fd, const iovec* v, int n, void*) {
        return ::writev(fd, v, n);
    }
    static ares_ssize_t recv_socket(ares_socket_t fd, void* buf, std::size_t len, int flags,
                                    sockaddr* from, ares_socklen_t* from_len, void* data) {
        auto* self = static_cast<impl*>(data);
        // c-ares passes an address for UDP only.
        if (!from) return self->recv_stream(fd, static_cast<std::uint8_t*>(buf), len);
        const ares_ssize_t n = ::recvfrom(fd, buf, len, flags, from, from_len);
        if (n <= 0) return n;
        return self->inspect_answer(static_cast<std::uint8_t*>(buf), n, len);
    }

    // TCP: c-ares reads a frame's length, then its message, one read per call of
    // ares_process_fd. Served from whole frames read here, each bare error answer restored; until
    // a frame is whole, "try again" (EAGAIN) and the socket is waited on as before.
    ares_ssize_t recv_stream(int fd, std::uint8_t* buf, std::size_t len) {
        auto& s = streams[fd];
        if (!s.pending()) {
            s.out.clear();
            s.out_at = 0;
            const auto had = s.in.size();
            s.in.resize(had + max_frame);
            const auto n = ::recv(fd, s.in.data() + had, max_frame, 0);
            const int err = errno;
            s.in.resize(had + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
            if (n <= 0) {
                errno = err;  // EOF or an error: c-ares handles it as from its own read
                return n;
            }
            std::size_t at = 0;
            while (s.in.size() - at >= 2) {
                const std::size_t size = (s.in[at] << 8) | s.in[at + 1];
                if (s.in.size() - at - 2 < size) break;
                std::vector<std::uint8_t> msg(std::max(size, std::size_t{12}) + max_question +
                                              plain_opt.size());
                std::memcpy(msg.data(), s.in.data() + at + 2, size);
                const auto restored = static_cast<std::size_t>(
                    inspect_answer(msg.data(), static_cast<ares_ssize_t>(size), msg.size()));
                s.out.push_back(static_cast<std::uint8_t>(restored >> 8));
                s.out.push_back(static_cast<std::uint8_t>(restored));
                s.out.insert(s.out.end(), msg.begin(),
                             msg.begin() + static_cast<std::ptrdiff_t>(restored));
                at += 2 + size;
            }
            s.in.erase(s.in.begin(), s.in.begin() + static_cast<std::ptrdiff_t>(at));
            if (!s.pending()) {
                errno = EAGAIN;
                return -1;
            }
        }
        const auto n = std::min(len, s.out.size() - s.out_at);
        std::memcpy(buf, s.out.data() + s.out_at, n);
        s.out_at += n;
        return static_cast<ares_ssize_t>(n);
    }

    // How far c-ares has read the frames taken from TCP socket `fd`, or nullopt when it has read
    // them all (or `fd` is not TCP): then the socket is waited on.
    std::optional<std::size_t> stream_unread(int fd) const {
        const auto it = streams.find(fd);
        if (it == streams.end() || !it->second.pending()) return std::nullopt;
        return it->second.out_at;
    }

    // Frames read but not yet taken: the socket may have nothing more to say, so c-ares is called
    // again (it reads a length or a message per call) for as long as it takes some.
    void process_read(const std::shared_ptr<watcher>& w) {
        for (std::optional<std::size_t> at;;) {
            ares_process_fd(channel.get(), w->native, ARES_SOCKET_BAD);
            const auto now_at = w->closed ? std::nullopt : stream_unread(w->native);
            if (!now_at || now_at == at) return;
            at = now_at;
        }
    }
    static constexpr ares_socket_functions socket_functions{
        &open_socket, &close_socket, &connect_socket, &recv_socket, &send_socket};

    static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<impl*>(data);
        auto it = self->watchers.find(fd);
        if (!readable && !writable) {
            if (it != self->watchers.end()) {
                it->second->closed = true;
                (void)it->second->sd.release();  // cancels its waits before c-ares closes the fd
                self->watchers.erase(it);
            }
            return;
        }
        if (it == self->watchers.end()) {
            it = self->watchers.emplace(fd, std::make_shared<watcher>(self->io, fd)).first;
        }
        it->second->want_read = readable != 0;
        it->second->want_write = writable != 0;
        self->arm(it->second);
    }

    void arm(const std::shared_ptr<watcher>& w) {
        std::weak_ptr<impl> weak = weak_from_this();
        if (w->want_read && !w->read_armed) {
            w->read_armed = true;
            w->sd.async_wait(asio::posix::descriptor_base::wait_read,
                             [weak, w](boost::system::error_code ec) {
                                 w->read_armed = false;
                                 auto self = weak.lock();
                                 if (ec || w->closed || !self) return;
                                 self->process_read(w);
                                 self->after_process(w);
                             });
        }
        if (w->want_write && !w->write_armed) {
            w->write_armed = true;
            w->sd.async_wait(asio::posix::descriptor_base::wait_write,
                             [weak, w](boost::system::error_code ec) {
                                 w->write_armed = false;
                                 auto self = weak.lock();
                                 if (ec || w->closed || !self) return;
                                 ares_process_fd(self->channel.get(), ARES_SOCKET_BAD, w->native);
                                 self->after_process(w);
                             });
        }
    }

    void after_process(const std::shared_ptr<watcher>& w) {
        if (!w->closed) arm(w);
        rearm_timer();
    }

    void rearm_timer() {
        timeval tv{};
        if (!ares_timeout(channel.get(), nullptr, &tv)) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(tv.tv_sec) +
                            std::chrono::microseconds(tv.tv_usec));
        std::weak_ptr<impl> weak = weak_from_this();
        timer.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            ares_process_fd(self->channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            self->rearm_timer();
        });
    }
};

cares_channel::cares_channel(asio::io_context& io, const cares_options& o)
    : impl_(std::make_shared<impl>(io)) {
    library_init();
    ares_options opts{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_LOOKUPS;
    opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES |
                 (o.pass_error_rcodes ? ARES_FLAG_NOCHECKRESP : 0);
    impl_->edns = o.queries_carry_edns;
    if (o.queries_carry_edns) {
        // c-ares 1.18's UDP read buffer holds 4096 bytes (MAXENDSSZ): the most it can take.
        opts.flags |= ARES_FLAG_EDNS;
        opts.ednspsz = 4096;
        mask |= ARES_OPT_EDNSPSZ;
    }
    opts.timeout = static_cast<int>(o.timeout.count());
    opts.tries = static_cast<int>(o.tries ? o.tries : 1);
    opts.sock_state_cb = &impl::on_sock_state;
    opts.sock_state_cb_data = impl_.get();
    char lookups[] = "b";  // DNS only: /etc/hosts is not the internet's answer
    opts.lookups = lookups;
    ares_channel raw = nullptr;
    if (const int rc = ares_init_options(&raw, &opts, mask); rc != ARES_SUCCESS) {
        throw std::runtime_error(std::string("c-ares: init: ") + ares_strerror(rc));
    }
    impl_->channel.reset(raw);
    ares_set_socket_functions(raw, &impl::socket_functions, impl_.get());
    if (!o.servers.empty()) {
        std::vector<ares_addr_port_node> nodes(o.servers.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            auto& n = nodes[i];
            const auto& s = o.servers[i];
            n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
            if (s.address.is_v4()) {
                n.family = AF_INET;
                n.addr.addr4.s_addr = htonl(s.address.v4());
            } else {
                n.family = AF_INET6;
                std::memcpy(&n.addr.addr6, s.address.bytes().data(), 16);
            }
            n.udp_port = s.port;
            n.tcp_port = s.port;
        }
        // On a throw impl_ goes away with this half-built object, destroying the channel.
        if (const int rc = ares_set_servers_ports(impl_->channel.get(), nodes.data());
            rc != ARES_SUCCESS) {
            throw std::runtime_error(std::string("c-ares: servers: ") + ares_strerror(rc));
        }
    }
}

cares_channel::~cares_channel() {
    // Pending callbacks run now with ARES_EDESTRUCTION; sockets are released through
    // on_sock_state before c-ares closes them.
    impl_->channel.reset();
    impl_->timer.cancel();
    for (auto& [fd, w] : impl_->watchers) {
        w->closed = true;
        (void)w->sd.release();
    }
    impl_->watchers.clear();
}

void cares_channel::send(std::span<const std::uint8_t> query, answer_handler on_answer) {
    impl_->send({query.begin(), query.end()}, std::move(on_answer));
}

void cares_channel::impl::send(std::vector<std::uint8_t> query, answer_handler on_answer) {
    if (query.size() >= 12) {
        const auto id = static_cast<std::uint16_t>((query[0] << 8) | query[1]);
        if (auto q = question_of(query); !q.empty()) {
            questions[id] = {std::move(q)};
            // Runs before the caller's handler, on the channel's thread while this is alive
            // (c-ares calls back only from calls on this channel, the last in ~cares_channel).
            on_answer = [self = this, id, query, h = std::move(on_answer)](const cares_answer& a) {
                const auto it = self->questions.find(id);
                const bool no_edns = it != self->questions.end() && it->second.ask_without_edns;
                self->questions.erase(id);
                if (!no_edns || a.status != ARES_SUCCESS ||
                    a.answer.size() < 12 + plain_opt.size()) {
                    return h(a);
                }
                // RFC 6891 §7: this server takes no EDNS; this query asks again without it. (From
                // a c-ares callback, as ares_search does: the ended query goes after it returns.)
                if (auto plain = without_opt(query); !plain.empty()) {
                    return self->send(std::move(plain), std::move(h));
                }
                // Asked without EDNS already: upstream's rcode, without the OPT added to it.
                std::vector<std::uint8_t> own(a.answer.begin(), a.answer.end() - plain_opt.size());
                own[11] = 0;
                h({a.status, a.timeouts, own});
            };
        }
    }
    auto h = std::make_unique<answer_handler>(std::move(on_answer));
    ares_send(channel.get(), query.data(), static_cast<int>(query.size()), &on_send, h.release());
    rearm_timer();
}

void cares_channel::resolve(const std::string& host, addresses_handler on_addresses) {
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;      // A and AAAA
    hints.ai_flags = ARES_AI_NOSORT;  // RFC 6724 sorting would connect() probe sockets
    auto h = std::make_unique<addresses_handler>(std::move(on_addresses));
    ares_getaddrinfo(impl_->channel.get(), host.c_str(), nullptr, &hints, &on_addrinfo,
                     h.release());
    impl_->rearm_timer();
}

}  // namespace consolegate::net
