#include <ares.h>
#include <arpa/inet.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <mutex>
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

}  // namespace

struct cares_channel::impl : std::enable_shared_from_this<impl> {
    explicit impl(asio::io_context& i) : io(i), timer(i) {}

    asio::io_context& io;
    ares_channel channel = nullptr;
    asio::steady_timer timer;
    std::unordered_map<int, std::shared_ptr<watcher>> watchers;

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
                                 ares_process_fd(self->channel, w->native, ARES_SOCKET_BAD);
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
                                 ares_process_fd(self->channel, ARES_SOCKET_BAD, w->native);
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
        if (!ares_timeout(channel, nullptr, &tv)) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(tv.tv_sec) +
                            std::chrono::microseconds(tv.tv_usec));
        std::weak_ptr<impl> weak = weak_from_this();
        timer.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
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
    opts.timeout = static_cast<int>(o.timeout.count());
    opts.tries = static_cast<int>(o.tries ? o.tries : 1);
    opts.sock_state_cb = &impl::on_sock_state;
    opts.sock_state_cb_data = impl_.get();
    char lookups[] = "b";  // DNS only: /etc/hosts is not the internet's answer
    opts.lookups = lookups;
    if (const int rc = ares_init_options(&impl_->channel, &opts, mask); rc != ARES_SUCCESS) {
        throw std::runtime_error(std::string("c-ares: init: ") + ares_strerror(rc));
    }
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
        if (const int rc = ares_set_servers_ports(impl_->channel, nodes.data());
            rc != ARES_SUCCESS) {
            ares_destroy(impl_->channel);
            throw std::runtime_error(std::string("c-ares: servers: ") + ares_strerror(rc));
        }
    }
}

cares_channel::~cares_channel() {
    // Pending callbacks run now with ARES_EDESTRUCTION; sockets are released through
    // on_sock_state before c-ares closes them.
    ares_destroy(impl_->channel);
    impl_->channel = nullptr;
    impl_->timer.cancel();
    for (auto& [fd, w] : impl_->watchers) {
        w->closed = true;
        (void)w->sd.release();
    }
    impl_->watchers.clear();
}

void cares_channel::send(std::span<const std::uint8_t> query, callback cb, void* arg) {
    ares_send(impl_->channel, query.data(), static_cast<int>(query.size()), cb, arg);
    impl_->rearm_timer();
}

void* cares_channel::native() const noexcept {
    return impl_->channel;
}

void cares_channel::rearm() {
    impl_->rearm_timer();
}

}  // namespace consolegate::net
