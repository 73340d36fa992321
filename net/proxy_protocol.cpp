#include "consolegate/net/proxy_protocol.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "consolegate/core/proxy_protocol.hpp"

namespace consolegate::net {

namespace asio = boost::asio;

namespace {

core::ip_address to_core(const asio::ip::address& a) {
    return a.is_v4() ? core::ip_address::from_v4(a.to_v4().to_uint())
                     : core::ip_address::from_v6(a.to_v6().to_bytes());
}

// What the bytes so far mean for this peer; nullopt = read more.
std::optional<proxied_outcome> judge(proxied_client& out, bool balancer) {
    auto r = core::parse_proxy_header(out.early);
    using st = core::proxy_parse_status;
    if (r.status == st::need_more) return std::nullopt;
    if (!balancer) {
        return r.status == st::not_proxy ? proxied_outcome::serve
                                         : proxied_outcome::refused_stranger;
    }
    if (r.status == st::not_proxy) {
        out.error = "no PROXY header from a load balancer";
        return proxied_outcome::bad_header;
    }
    if (r.status == st::malformed) {
        out.error = r.error;
        return proxied_outcome::bad_header;
    }
    if (r.header.command == core::proxy_command::proxy) {
        out.address = r.header.source;
        out.relayed = true;
    }
    out.early.erase(out.early.begin(), out.early.begin() + static_cast<std::ptrdiff_t>(r.consumed));
    return proxied_outcome::serve;
}

}  // namespace

bool in_networks(const core::ip_address& a, const std::vector<core::cidr>& nets) noexcept {
    // parse_client_address refuses the text of such a peer for the same reason.
    return !a.is_v4_compatible() && std::any_of(nets.begin(), nets.end(),
                                                [&](const core::cidr& c) { return c.contains(a); });
}

asio::awaitable<proxied_client> accept_proxied(asio::ip::tcp::socket& s,
                                               core::proxy_protocol_mode mode,
                                               const std::vector<core::cidr>& from,
                                               std::chrono::milliseconds timeout) {
    proxied_client out;
    boost::system::error_code ec;
    const auto peer = s.remote_endpoint(ec);
    if (ec) co_return out;
    out.peer = out.address = to_core(peer.address());
    if (mode == core::proxy_protocol_mode::refused) {
        out.outcome = proxied_outcome::serve;
        co_return out;
    }
    const bool balancer = in_networks(out.peer, from);
    // The deadline cancels the pending read. Its state is shared and `done` is set on every way
    // out, so a timer whose handler was already queued never cancels the caller's next read.
    struct deadline_state {
        bool expired = false;
        bool done = false;
    };
    auto state = std::make_shared<deadline_state>();
    asio::steady_timer deadline(s.get_executor());
    deadline.expires_after(timeout);
    deadline.async_wait([&s, state](boost::system::error_code tec) {
        if (tec || state->done) return;
        state->expired = true;
        boost::system::error_code ignored;
        s.cancel(ignored);
    });
    for (;;) {
        if (auto verdict = judge(out, balancer)) {
            state->done = true;
            out.outcome = *verdict;
            co_return out;
        }
        const std::size_t have = out.early.size();
        const std::size_t want = std::min<std::size_t>(4096, core::proxy_v2_max_bytes - have);
        out.early.resize(have + want);
        auto [rec, n] = co_await s.async_read_some(asio::buffer(out.early.data() + have, want),
                                                   asio::as_tuple(asio::use_awaitable));
        out.early.resize(have + n);
        if (rec) {
            state->done = true;
            out.outcome = state->expired ? proxied_outcome::timeout : proxied_outcome::closed;
            co_return out;
        }
    }
}

}  // namespace consolegate::net
