#pragma once
// Waiting for a hook's off-thread work (proxy::pending, inspection.hpp) inside a connection's
// coroutine: the worker's io_context serves its other connections meanwhile, and the coroutine
// resumes on its own executor when the hook's owner calls `resume`. The wait counts as work of
// the io_context, so a worker does not run dry while a connection waits.

#include <boost/asio/awaitable.hpp>

#include "consolegate/proxy/inspection.hpp"

namespace consolegate::proxy {

// `p` must not be empty (callers skip the wait then: no post, no allocation).
boost::asio::awaitable<void> wait_for(pending p);

}  // namespace consolegate::proxy
