#pragma once
// The session table shared by a fleet through PostgreSQL (issue 20; docs/inspection.md "A
// fleet"; sessions.store = "postgres"). Every replica keeps its own table (app/session_table.hpp)
// and uses the shared store in two places, through the proxy's waiting hooks
// (proxy::waiting_hooks, include/consolegate/proxy/inspection.hpp):
//
//  - write-through (before_release): when a response bound cookies here (the response observer
//    learned them), their bindings (digests, never cookies) are committed to PostgreSQL before the
//    response that sets those cookies is released to the client. So the browser cannot present
//    them to another replica before that replica can find them. The wait is bounded by
//    sessions.store_timeout; on a failure or timeout the response is released anyway, the local
//    binding holds (this replica keeps honouring the session), the failure is counted and
//    logged (rate-limited), and the bindings are kept in a bounded backlog written when the
//    store answers again. The cookies a sign-in let through here presented are written the same
//    way (their sign-in mark, session_table::sign_in_started). A binding inherited from the
//    request's cookies (lineage) first looks those cookies up: when another replica marked them,
//    what the answer set becomes pending here and is written so.
//  - lookup on a miss (before_judgement): a request presenting cookies this replica does not
//    know (and has not looked up in the last sessions.negative_ttl) waits, bounded by
//    sessions.store_timeout, while a store thread looks their digests up; what is found is added
//    to the local table, so the synchronous judgement that follows (app/session_binding.cpp) sees
//    it. What is not found is remembered as absent (bounded: sessions.negative_cache_entries).
//    A failure or timeout judges the request on the local table alone: a session bound on
//    another replica is then unbound here (session-unbound under the default policy: fail
//    closed), counted and logged.
//
// The access portal's token -> user table (app/portal_users.hpp), when given, is shared the same
// way: the portal's GET /user answer that taught this replica a token's user is released only
// after that row is committed, and a request presenting a portal token this replica does not know
// waits for its lookup (GET /user too: the token's opener another replica keeps is restored
// before this one learns the token, so a copy's page load here does not make it the copier's).
// Portal tokens are never remembered as absent: the request that needs a token's user (a federation
// click) may come seconds after another replica learned it, and those requests are few.
//
// The HMAC key must be the fleet's (sessions.key_file, read by every replica); the store keeps
// its fingerprint and refuses a replica with another key (audit::session_key_mismatch): the
// gateway will not start then, and if the stored fingerprint changes under a running replica
// every lookup and write fails, counted and logged, instead of silently never matching.
//
// Threads: sessions.store_connections store threads (one PostgreSQL connection each) take jobs
// from one queue bounded by sessions.store_queue (a full queue fails the job at once, counted);
// one deadline thread resumes a job whose store thread has not answered in time. Nothing here
// runs on a worker's io_context or blocks one: hooks return at once, and `resume` is called from
// the store or deadline threads. Beast/Asio-free.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "consolegate/audit/session_rows.hpp"
#include "consolegate/proxy/inspection.hpp"
#include "session_table.hpp"

namespace consolegate::app {

class portal_user_table;

struct session_sharing_options {
    std::size_t connections = 4;                                  // store threads
    std::size_t queue = 1024;                                     // jobs waiting
    std::chrono::milliseconds timeout = std::chrono::seconds(1);  // each wait
    std::size_t negative_entries = 100000;                        // digests known absent
    std::chrono::milliseconds negative_ttl = std::chrono::seconds(10);
    std::chrono::milliseconds purge_interval = std::chrono::minutes(1);  // expired rows deleted
};

class session_sharing {
  public:
    // Opens one store connection (bounded by its deadline); throws audit::session_key_mismatch
    // or std::runtime_error.
    using open_rows =
        std::function<std::unique_ptr<audit::session_rows>(audit::session_rows::deadline)>;

    // `table` (and `portal`, when given) must outlive this. Starts the threads.
    session_sharing(session_table& table, open_rows open, session_sharing_options o,
                    portal_user_table* portal = nullptr);
    ~session_sharing();
    session_sharing(const session_sharing&) = delete;
    session_sharing& operator=(const session_sharing&) = delete;

    // Resumes every job still waiting and joins the threads (each bounded by the timeout). After
    // it the hooks return empty pendings. Call it after the proxy's workers stopped.
    void stop();

    proxy::pending before_judgement(const core::http_request_view& req);
    proxy::pending before_release(const core::http_request_view& req,
                                  const proxy::response_view& resp);
    // Both hooks, bound to this object (which must outlive the proxy's workers).
    proxy::waiting_hooks hooks();

    // Appends consolegate_sessions_store_* (Prometheus text).
    void write_prometheus(std::string& out) const;

    // For tests: jobs finished (answered, failed or timed out) so far.
    std::uint64_t jobs_finished() const noexcept { return finished_.load(); }

  private:
    using digest = session_table::digest;
    struct job;
    struct histogram {
        static constexpr std::array<double, 11> bounds{0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,  0.5,   1.0,  2.5};
        std::array<std::atomic<std::uint64_t>, 12> buckets{};
        std::atomic<std::uint64_t> micros{0}, count{0};
        void observe(std::chrono::steady_clock::duration d) noexcept;
        void write(std::string& out, std::string_view name, std::string_view help) const;
    };
    struct digest_hash {
        std::size_t operator()(const digest& d) const noexcept;
    };

    // Appends the digests of the cookies that can be table keys (session_table::min_token_chars,
    // never_a_key).
    void keyable_digests(std::span<const cookie_pair> cookies, std::vector<digest>& out) const;
    proxy::pending submit(std::shared_ptr<job> j);
    void run_store();
    void run_deadlines();
    void run_job(job& j, std::unique_ptr<audit::session_rows>& rows);
    void check_sources(job& j, audit::session_rows& rows,
                       std::chrono::steady_clock::time_point until);
    void maintain(std::unique_ptr<audit::session_rows>& rows, bool purge);
    bool connect(std::unique_ptr<audit::session_rows>& rows,
                 std::chrono::steady_clock::time_point until);
    void fail(job& j, std::size_t why, const std::string& detail);
    void finish(job& j);
    bool negatively_cached(const digest& d, std::chrono::steady_clock::time_point now);
    void remember_absent(const std::vector<digest>& ds, std::chrono::steady_clock::time_point now);
    void keep_for_later(std::vector<audit::session_row> rows);

    session_table& table_;
    portal_user_table* portal_;
    open_rows open_;
    session_sharing_options o_;

    mutable std::mutex mu_;  // queue_, deadlines_, stopping_, backlog_, next_purge_
    std::condition_variable work_, deadline_wake_;
    std::deque<std::shared_ptr<job>> queue_;
    std::deque<std::weak_ptr<job>> deadlines_;  // by deadline: every job has the same timeout
    std::deque<audit::session_row> backlog_;    // writes that failed, for the next round
    bool stopping_ = false;
    std::atomic<bool> stopped_{false};
    std::atomic<bool> key_mismatch_{false};
    std::atomic<std::int64_t> retry_at_{0};  // steady ns: no connection attempt before it
    std::chrono::steady_clock::time_point next_purge_, next_backlog_;

    mutable std::mutex neg_mu_;
    std::unordered_map<digest, std::chrono::steady_clock::time_point, digest_hash> absent_;
    std::deque<std::pair<std::chrono::steady_clock::time_point, digest>> absent_order_;

    // Metrics.
    std::atomic<std::uint64_t> lookups_{0}, hits_{0}, misses_{0}, absent_hits_{0};
    std::atomic<std::uint64_t> writes_{0}, rows_written_{0}, finished_{0};
    std::atomic<std::uint64_t> backlog_written_{0}, backlog_dropped_{0}, purged_{0};
    // failures by operation (lookup, write) and cause (error, timeout, queue_full, key_mismatch)
    std::array<std::array<std::atomic<std::uint64_t>, 4>, 2> failures_{};
    histogram lookup_latency_, write_latency_;

    std::vector<std::thread> threads_;
};

}  // namespace consolegate::app
