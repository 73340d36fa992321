#include "worker_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <optional>

namespace consolegate::app {
namespace asio = boost::asio;

struct worker_pool::worker {
    asio::io_context ioc{1};  // concurrency hint 1: exactly one thread runs this loop
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::vector<std::unique_ptr<worker_service>> services;
    std::thread thread;
    std::future<void> finished;  // ready when ioc.run() has returned
};

worker_pool::worker_pool(unsigned n) {
    if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<worker>());
}

worker_pool::~worker_pool() {
    stop(std::chrono::milliseconds(0));
}

void worker_pool::add(service_factory f) {
    factories_.push_back(std::move(f));
}

void worker_pool::start() {
    for (auto& w : workers_) {
        w->guard.emplace(w->ioc.get_executor());
        std::packaged_task<void()> run([&ioc = w->ioc] { ioc.run(); });
        w->finished = run.get_future();
        w->thread = std::thread(std::move(run));
    }
    running_ = true;
    // Services are created and started on their own worker thread; the first failure (a port
    // that cannot be bound) aborts start-up with its message.
    for (auto& w : workers_) {
        std::promise<void> started;
        auto done = started.get_future();
        asio::post(w->ioc, [&, wp = w.get()] {
            try {
                for (auto& f : factories_) {
                    wp->services.push_back(f(wp->ioc));
                    wp->services.back()->start();
                }
                started.set_value();
            } catch (...) {
                started.set_exception(std::current_exception());
            }
        });
        try {
            done.get();
        } catch (...) {
            stop(std::chrono::milliseconds(0));
            throw;
        }
    }
}

void worker_pool::post_all(std::function<void(worker_service&)> f) {
    if (!running_) return;
    for (auto& w : workers_) {
        asio::post(w->ioc, [wp = w.get(), f] {
            for (auto& s : wp->services) f(*s);
        });
    }
}

void worker_pool::stop(std::chrono::milliseconds drain) {
    if (!running_) return;
    running_ = false;
    // Every service is told to stop before the drain clock starts: with a short drain the loop
    // could otherwise be stopped before the posted stop() calls ever ran.
    std::vector<std::future<void>> told;
    for (auto& w : workers_) {
        auto done = std::make_shared<std::promise<void>>();
        told.push_back(done->get_future());
        asio::post(w->ioc, [wp = w.get(), done] {
            for (auto& s : wp->services) s->stop();
            wp->guard.reset();  // the loop now ends by itself once every session has finished
            done->set_value();
        });
    }
    // Bounded: a worker whose loop already died (an exception escaped it) never runs the handler.
    for (auto& t : told) t.wait_for(std::chrono::seconds(5));
    // Sessions still open at the deadline are cut off: stop() makes run() return at once.
    auto deadline = std::chrono::steady_clock::now() + drain;
    for (auto& w : workers_) {
        if (w->finished.valid() && w->finished.wait_until(deadline) != std::future_status::ready) {
            w->ioc.stop();
        }
    }
    for (auto& w : workers_) {
        if (w->thread.joinable()) w->thread.join();
    }
    for (auto& w : workers_) w->services.clear();
}

}  // namespace consolegate::app
