#pragma once
// The data plane's threads: one io_context per worker thread (STYLE.md §6), each running its own
// instances of the services (DNS, proxy) on SO_REUSEPORT listeners, so workers share nothing on
// the hot path.

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace consolegate::app {

// A service instance bound to one worker's io_context.
class worker_service {
  public:
    virtual ~worker_service() = default;
    virtual void start() = 0;  // called on the worker's thread; throws on bind failures
    virtual void stop() = 0;   // called on the worker's thread: close listeners, drain sessions
};

using service_factory = std::function<std::unique_ptr<worker_service>(boost::asio::io_context&)>;

class worker_pool {
  public:
    explicit worker_pool(unsigned workers);  // 0 = one per core
    ~worker_pool();

    void add(service_factory f);  // before start()
    // Creates every service on every worker and starts it; rethrows the first start failure
    // (after stopping what had started).
    void start();
    // Stops every service, waits up to `drain` for sessions to finish, then stops the loops and
    // joins the threads. Idempotent.
    void stop(std::chrono::milliseconds drain);

    // Runs f on every service, each on its own worker's thread (e.g. to apply a reload);
    // returns at once.
    void post_all(std::function<void(worker_service&)> f);

    unsigned size() const { return static_cast<unsigned>(workers_.size()); }

  private:
    struct worker;
    std::vector<std::unique_ptr<worker>> workers_;
    std::vector<service_factory> factories_;
    bool running_ = false;
};

}  // namespace consolegate::app
