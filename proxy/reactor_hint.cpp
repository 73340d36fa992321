#include "reactor_hint.hpp"

#include <boost/version.hpp>

// Only the exact reactor this was checked against: another Boost may lay its state out
// differently, handle the flag differently, or skip the wasted read itself.
#if BOOST_VERSION == 108100 && defined(BOOST_ASIO_HAS_EPOLL) && \
    !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && !defined(BOOST_ASIO_DISABLE_EPOLL)
#define CG_REACTOR_HINT 1
#include <boost/asio/detail/epoll_reactor.hpp>
#endif

namespace consolegate::proxy {

#if CG_REACTOR_HINT

namespace {

using tcp = boost::asio::ip::tcp;
using reactor = boost::asio::detail::epoll_reactor;
using state = reactor::descriptor_state;

// The socket's implementation is a protected member of basic_socket, the reactor's per-socket
// flags a private member of descriptor_state. An explicit instantiation may name private members
// ([temp.spec.general]/6); the friend function hands the member pointer out.
template <typename Tag, typename Tag::type Member>
struct expose {
    friend constexpr typename Tag::type member_of(Tag) { return Member; }
};

struct try_speculative_tag {
    using type = bool (state::*)[reactor::max_ops];
    friend constexpr type member_of(try_speculative_tag);
};
template struct expose<try_speculative_tag, &state::try_speculative_>;

struct socket_impl_access : tcp::socket {
    using tcp::socket::impl_;
};

// The reactor's "try the read before waiting" flag for s, or null for a closed socket.
bool* read_flag(tcp::socket& s) noexcept {
    if (!s.is_open()) return nullptr;
    auto& impl = (s.*(&socket_impl_access::impl_)).get_implementation();
    state* d = impl.reactor_data_;
    if (d == nullptr) return nullptr;
    return &(d->*member_of(try_speculative_tag{}))[reactor::read_op];
}

}  // namespace

bool reactor_hint_supported() noexcept {
    return true;
}

// Why this cannot lose a wake-up: the reactor registers each socket once, edge-triggered, and sets
// the flag to true whenever it handles a readable (or error) event for the socket, before it
// performs any queued read. The caller promises the queue was empty when it called, with no event
// handled in between; any byte that arrives later raises a new edge, whose handling comes after
// this call and turns speculation back on.
void reactor_expect_edge(tcp::socket& s) noexcept {
    if (bool* flag = read_flag(s)) *flag = false;
}

bool reactor_waits_for_edge(tcp::socket& s) noexcept {
    bool* flag = read_flag(s);
    return flag != nullptr && !*flag;
}

#else

bool reactor_hint_supported() noexcept {
    return false;
}
void reactor_expect_edge(boost::asio::ip::tcp::socket&) noexcept {}
bool reactor_waits_for_edge(boost::asio::ip::tcp::socket&) noexcept {
    return false;
}

#endif

}  // namespace consolegate::proxy
