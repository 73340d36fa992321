#include "worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <set>
#include <stdexcept>

namespace cg = consolegate;
using namespace std::chrono_literals;

namespace {

struct record {
    std::mutex m;
    std::set<std::thread::id> start_threads;
    std::atomic<int> started{0}, stopped{0};
};

// A service whose only work is one long "session" (a timer) that ends when stop() cancels it,
// or, with `linger`, only when the pool's drain deadline cuts it off.
class timer_service final : public cg::app::worker_service {
  public:
    timer_service(boost::asio::io_context& ioc, record& r, bool linger, bool fail)
        : timer_(ioc, 1h), r_(r), linger_(linger), fail_(fail) {}
    void start() override {
        if (fail_) throw std::runtime_error("cannot bind 127.0.0.1:1: permission denied");
        {
            std::lock_guard lock(r_.m);
            r_.start_threads.insert(std::this_thread::get_id());
        }
        ++r_.started;
        timer_.async_wait([](auto) {});
    }
    void stop() override {
        ++r_.stopped;
        if (!linger_) timer_.cancel();
    }

  private:
    boost::asio::steady_timer timer_;
    record& r_;
    bool linger_, fail_;
};

cg::app::service_factory factory(record& r, bool linger = false, bool fail = false) {
    return [&r, linger, fail](boost::asio::io_context& ioc) {
        return std::make_unique<timer_service>(ioc, r, linger, fail);
    };
}

}  // namespace

TEST(worker_pool, one_service_per_worker_each_on_its_own_thread) {
    record r;
    cg::app::worker_pool pool(3);
    pool.add(factory(r));
    pool.start();
    EXPECT_EQ(r.started.load(), 3);
    EXPECT_EQ(r.start_threads.size(), 3u);
    EXPECT_EQ(r.start_threads.count(std::this_thread::get_id()), 0u);
    auto t0 = std::chrono::steady_clock::now();
    pool.stop(30s);  // nothing lingers: returns as soon as the sessions are cancelled
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
    EXPECT_EQ(r.stopped.load(), 3);
}

TEST(worker_pool, drain_deadline_cuts_off_lingering_sessions) {
    record r;
    cg::app::worker_pool pool(2);
    pool.add(factory(r, /*linger=*/true));
    pool.start();
    auto t0 = std::chrono::steady_clock::now();
    pool.stop(200ms);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 200ms);  // it did wait for the sessions…
    EXPECT_LT(took, 10s);    // …but not for the hour-long one
    EXPECT_EQ(r.stopped.load(), 2);
}

TEST(worker_pool, start_failure_is_reported_and_nothing_keeps_running) {
    record ok, bad;
    cg::app::worker_pool pool(2);
    pool.add(factory(ok));
    pool.add(factory(bad, false, /*fail=*/true));
    try {
        pool.start();
        FAIL() << "start() must rethrow the bind failure";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot bind"), std::string::npos);
    }
    EXPECT_EQ(ok.started.load(), 1);  // the first worker's first service had started…
    EXPECT_EQ(ok.stopped.load(), 1);  // …and was stopped again
    pool.stop(0ms);                   // idempotent
}
