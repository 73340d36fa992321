#include "splice.hpp"

#include <boost/asio/steady_timer.hpp>

namespace consolegate::proxy {

boost::asio::awaitable<void> watchdog(activity& act, std::chrono::milliseconds idle,
                                      boost::asio::ip::tcp::socket& a,
                                      boost::asio::ip::tcp::socket& b, stats& st) {
    boost::asio::steady_timer t(a.get_executor());
    for (;;) {
        t.expires_after(
            std::max<std::chrono::milliseconds>(idle / 4, std::chrono::milliseconds(50)));
        auto [ec] = co_await t.async_wait(tok);
        if (ec) co_return;
        if (std::chrono::steady_clock::now() - act.last >= idle) {
            count(st.timeouts);
            boost::system::error_code ignored;
            a.close(ignored);
            b.close(ignored);
            co_return;
        }
    }
}

}  // namespace consolegate::proxy
