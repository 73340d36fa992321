#include "hook_wait.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <utility>

namespace consolegate::proxy {

namespace asio = boost::asio;

namespace {

// Starts `p` with a resume function that posts the coroutine's continuation to its executor
// (never inline on the hook owner's thread). std::function needs a copyable callable: the
// handler and the work guard are shared.
struct start_pending {
    pending p;
    template <typename Handler>
    void operator()(Handler handler) {
        auto ex = asio::get_associated_executor(handler);
        auto state = std::make_shared<std::pair<Handler, asio::executor_work_guard<decltype(ex)>>>(
            std::move(handler), asio::make_work_guard(ex));
        p([state] {
            auto work_ex = state->second.get_executor();
            asio::post(work_ex, [state] {
                auto h = std::move(state->first);
                state->second.reset();
                std::move(h)();
            });
        });
    }
};

}  // namespace

// Not a coroutine itself: g++ 12 destroys a temporary of a co_await expression twice (a frame
// holding a moved std::function freed it again), so the awaitable comes from async_initiate.
asio::awaitable<void> wait_for(pending p) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void()>(start_pending{std::move(p)},
                                                                        asio::use_awaitable);
}

}  // namespace consolegate::proxy
