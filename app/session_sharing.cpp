#include "session_sharing.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "consolegate/inspect/portal_user.hpp"
#include "consolegate/log/log.hpp"
#include "consolegate/net/prometheus.hpp"
#include "portal_users.hpp"
#include "session_learning.hpp"
#include "session_store.hpp"

namespace consolegate::app {

using steady = std::chrono::steady_clock;

namespace {

enum op_index : std::size_t { op_lookup = 0, op_write = 1 };
enum why_index : std::size_t { why_error = 0, why_timeout, why_queue_full, why_key_mismatch };
constexpr std::array<std::string_view, 2> op_names{"lookup", "write"};
constexpr std::array<std::string_view, 4> why_names{"error", "timeout", "queue_full",
                                                    "key_mismatch"};
constexpr auto reconnect_pause = std::chrono::seconds(1);

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::int64_t ticks(steady::time_point t) {
    return t.time_since_epoch().count();
}

}  // namespace

struct session_sharing::job {
    std::size_t op = op_lookup;            // op_index
    std::vector<digest> digests;           // lookup: session cookies
    std::vector<digest> portal_digests;    // lookup: access-portal tokens
    std::vector<audit::session_row> rows;  // write
    // write, when it carries bindings inherited (lineage) from the request's cookies: their
    // digests, looked up first for a sign-in mark another replica made (session_table.hpp).
    std::vector<digest> sources;
    steady::time_point queued, deadline;
    proxy::resume_fn resume;  // set before the job is queued
    std::atomic<bool> done{false};
};

std::size_t session_sharing::digest_hash::operator()(const digest& d) const noexcept {
    std::size_t h;  // an HMAC: uniformly distributed already
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

void session_sharing::histogram::observe(steady::duration d) noexcept {
    double s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < bounds.size() && s > bounds[i]) ++i;
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    micros.fetch_add(static_cast<std::uint64_t>(
                         std::chrono::duration_cast<std::chrono::microseconds>(d).count()),
                     std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
}

void session_sharing::histogram::write(std::string& out, std::string_view name,
                                       std::string_view help) const {
    std::string n(name);
    net::write_metric_header(out, n, "histogram", help);
    std::uint64_t cumulative = 0;
    char le[32];
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        cumulative += buckets[i].load(std::memory_order_relaxed);
        if (i < bounds.size()) {
            std::snprintf(le, sizeof le, "%g", bounds[i]);
        } else {
            std::snprintf(le, sizeof le, "+Inf");
        }
        net::write_sample(out, n + "_bucket{le=\"" + le + "\"}", cumulative);
    }
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.6f", static_cast<double>(micros.load()) / 1e6);
    out += n + "_sum " + sum + "\n";
    net::write_sample(out, n + "_count", count.load(std::memory_order_relaxed));
}

session_sharing::session_sharing(session_table& table, open_rows open, session_sharing_options o,
                                 portal_user_table* portal)
    : table_(table),
      portal_(portal),
      open_(std::move(open)),
      o_(o),
      next_purge_(steady::now() + o.purge_interval) {
    o_.connections = std::max<std::size_t>(o_.connections, 1);
    threads_.emplace_back([this] { run_deadlines(); });
    for (std::size_t i = 0; i < o_.connections; ++i) threads_.emplace_back([this] { run_store(); });
}

session_sharing::~session_sharing() {
    stop();
}

void session_sharing::stop() {
    std::deque<std::shared_ptr<job>> left;
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        stopping_ = true;
        stopped_ = true;
        left.swap(queue_);
    }
    work_.notify_all();
    deadline_wake_.notify_all();
    for (auto& j : left) finish(*j);  // nobody will answer them now
    for (auto& t : threads_) {
        if (t.joinable()) t.join();  // each bounded by its operation's deadline
    }
    std::lock_guard lock(mu_);
    for (auto& w : deadlines_) {
        if (auto j = w.lock()) finish(*j);
    }
    deadlines_.clear();
}

proxy::waiting_hooks session_sharing::hooks() {
    proxy::waiting_hooks h;
    h.before_judgement = [this](const core::http_request_view& req) {
        return before_judgement(req);
    };
    h.before_release = [this](const core::http_request_view& req,
                              const proxy::response_view& resp) {
        return before_release(req, resp);
    };
    return h;
}

bool session_sharing::negatively_cached(const digest& d, steady::time_point now) {
    std::lock_guard lock(neg_mu_);
    auto it = absent_.find(d);
    return it != absent_.end() && it->second > now;
}

void session_sharing::remember_absent(const std::vector<digest>& ds, steady::time_point now) {
    if (o_.negative_entries == 0 || o_.negative_ttl.count() == 0) return;
    std::lock_guard lock(neg_mu_);
    // Every entry lives as long: the oldest is the first to expire, and the first to go when full.
    while (!absent_order_.empty() && (absent_order_.front().first <= now ||
                                      absent_.size() + ds.size() > o_.negative_entries)) {
        auto it = absent_.find(absent_order_.front().second);
        if (it != absent_.end() && it->second == absent_order_.front().first) absent_.erase(it);
        absent_order_.pop_front();
    }
    for (const auto& d : ds) {
        if (absent_.size() >= o_.negative_entries) break;
        auto until = now + o_.negative_ttl;
        absent_[d] = until;
        absent_order_.emplace_back(until, d);
    }
}

proxy::pending session_sharing::before_judgement(const core::http_request_view& req) {
    if (stopped_) return {};
    // A portal token this replica does not know, on any request, GET /user too: the opener
    // another replica keeps with it (app/portal_users.hpp) is restored before this replica learns
    // the token from its answer, so a copy's first /user here does not make it the copier's.
    std::vector<digest> portal_unknown;
    if (portal_) {
        if (auto token = inspect::portal_bearer_token(req)) {
            auto d = portal_->digest_of(*token);
            if (!portal_->live_entry(d, req.time)) portal_unknown.push_back(d);
        }
    }
    auto cookies = request_cookies(req);
    auto unknown = cookies.empty() ? std::vector<digest>{} : table_.unknown(cookies, req.time);
    auto now = steady::now();
    std::erase_if(unknown, [&](const digest& d) {
        if (!negatively_cached(d, now)) return false;
        absent_hits_.fetch_add(1, std::memory_order_relaxed);
        return true;
    });
    std::sort(unknown.begin(), unknown.end());
    unknown.erase(std::unique(unknown.begin(), unknown.end()), unknown.end());
    if (unknown.empty() && portal_unknown.empty()) return {};
    auto j = std::make_shared<job>();  // only for a request that waits: this runs on every one
    j->op = op_lookup;
    j->digests = std::move(unknown);
    j->portal_digests = std::move(portal_unknown);
    lookups_.fetch_add(1, std::memory_order_relaxed);
    return submit(std::move(j));
}

proxy::pending session_sharing::before_release(const core::http_request_view& req,
                                               const proxy::response_view& resp) {
    if (stopped_) return {};
    std::vector<audit::session_row> rows;
    // What the observer just learned from the portal's GET /user answer.
    if (portal_ && resp.status == 200 && inspect::is_portal_user_request(req)) {
        if (auto token = inspect::portal_bearer_token(req)) {
            auto d = portal_->digest_of(*token);
            if (auto e = portal_->live_entry(d, req.time)) {
                rows.push_back({d, unix_ms(e->expires), portal_user_table::entry_text(d, *e)});
            }
        }
    }
    auto reading = read_response(req, resp);
    // The cookies a sign-in let through here was started with (session_table::sign_in_started):
    // another replica must see the mark before the browser takes the sign-in's next step there.
    auto keys = table_.take_marked();
    if (!reading.unreadable) keyable_digests(reading.set_cookies, keys);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    // What the observer just bound (nothing when the response was refused or taught nothing),
    // and the marked entries.
    bool inherited = false;
    for (const auto& e : table_.entries(keys, req.time)) {
        rows.push_back({e.key, unix_ms(e.expires), session_entry_text(e)});
        inherited = inherited || e.identity.learned_by == binding_source::lineage;
    }
    if (rows.empty()) return {};
    auto j = std::make_shared<job>();  // only for a response that waits: this runs on every one
    j->op = op_write;
    j->rows = std::move(rows);
    if (inherited) {
        // The binding came from cookies this replica holds, which it never looks up again while
        // they live: a sign-in another replica let through with them is seen only in the store.
        std::vector<digest> presented;
        keyable_digests(request_cookies(req), presented);
        for (const auto& e : table_.entries(presented, req.time)) {
            if (!e.identity.pending()) j->sources.push_back(e.key);
        }
    }
    writes_.fetch_add(1, std::memory_order_relaxed);
    return submit(std::move(j));
}

void session_sharing::keyable_digests(std::span<const cookie_pair> cookies,
                                      std::vector<digest>& out) const {
    for (const auto& [name, value] : cookies) {
        if (value.size() < session_table::min_token_chars || session_table::never_a_key(name)) {
            continue;
        }
        out.push_back(table_.digest_of(name, value));
    }
}

proxy::pending session_sharing::submit(std::shared_ptr<job> j) {
    return [this, j = std::move(j)](proxy::resume_fn resume) {
        j->resume = std::move(resume);
        j->queued = steady::now();
        j->deadline = j->queued + o_.timeout;
        bool full = false, stopping = false;
        {
            std::lock_guard lock(mu_);
            stopping = stopping_;
            full = !stopping && queue_.size() >= o_.queue;
            if (!stopping && !full) {
                queue_.push_back(j);
                // Finished jobs behind an unfinished one wait there until its deadline; past
                // twice the jobs that can be unfinished (queued or running), they are dropped.
                if (deadlines_.size() >= 2 * (o_.queue + o_.connections)) {
                    std::erase_if(deadlines_, [](const std::weak_ptr<job>& w) {
                        auto p = w.lock();
                        return !p || p->done;
                    });
                }
                deadlines_.push_back(j);
            }
        }
        if (stopping) {
            finish(*j);
        } else if (full) {
            if (j->op == op_write) keep_for_later(std::move(j->rows));
            fail(*j, why_queue_full, "the store's queue is full (sessions.store_queue)");
        } else {
            work_.notify_one();
            deadline_wake_.notify_one();
        }
    };
}

void session_sharing::finish(job& j) {
    if (j.done.exchange(true)) return;
    finished_.fetch_add(1, std::memory_order_relaxed);
    auto resume = std::move(j.resume);
    if (resume) resume();
}

void session_sharing::fail(job& j, std::size_t w, const std::string& detail) {
    if (j.done.load()) return;  // already resumed (timed out): counted there
    failures_[j.op][w].fetch_add(1, std::memory_order_relaxed);
    static log::rate_limit limit(std::chrono::seconds(10));
    if (auto suppressed = limit.allow(steady::now())) {
        log::write(w == why_key_mismatch ? log::level::error : log::level::warn, "sessions",
                   j.op == op_lookup
                       ? "shared session store lookup failed: the request is judged on this "
                         "replica's table alone (a session bound elsewhere is unbound here)"
                       : "shared session store write failed: the binding holds on this replica "
                         "and is written when the store answers again",
                   {{"why", std::string(why_names[w])},
                    {"error", detail},
                    {"suppressed", std::to_string(*suppressed)}});
    }
    finish(j);
}

void session_sharing::keep_for_later(std::vector<audit::session_row> rows) {
    std::lock_guard lock(mu_);
    for (auto& r : rows) {
        if (backlog_.size() >= std::max<std::size_t>(o_.queue, 1)) {
            backlog_.pop_front();
            backlog_dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        backlog_.push_back(std::move(r));
    }
}

void session_sharing::run_deadlines() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        auto now = steady::now();
        while (!deadlines_.empty()) {
            auto j = deadlines_.front().lock();
            if (!j || j->done) {
                deadlines_.pop_front();
                continue;
            }
            if (j->deadline > now) break;
            deadlines_.pop_front();
            lock.unlock();
            if (!j->done.load()) {
                failures_[j->op][why_timeout].fetch_add(1, std::memory_order_relaxed);
                static log::rate_limit limit(std::chrono::seconds(10));
                if (auto suppressed = limit.allow(now)) {
                    log::write(log::level::warn, "sessions",
                               "shared session store did not answer within "
                               "sessions.store_timeout: went on without it",
                               {{"operation", std::string(op_names[j->op])},
                                {"suppressed", std::to_string(*suppressed)}});
                }
                finish(*j);
            }
            lock.lock();
        }
        if (stopping_) break;
        if (deadlines_.empty()) {
            deadline_wake_.wait(lock, [&] { return stopping_ || !deadlines_.empty(); });
        } else {
            auto front = deadlines_.front().lock();
            auto until = front ? front->deadline : now;
            deadline_wake_.wait_until(lock, until);
        }
    }
}

void session_sharing::run_store() {
    std::unique_ptr<audit::session_rows> rows;
    for (;;) {
        std::shared_ptr<job> j;
        bool maintenance = false, purge = false;
        {
            std::unique_lock lock(mu_);
            work_.wait_for(lock, std::chrono::seconds(1),
                           [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            if (!queue_.empty()) {
                j = std::move(queue_.front());
                queue_.pop_front();
            }
            // One thread takes each round: the purge every purge_interval, the backlog of
            // failed writes as soon as the store may answer again (at most once a second).
            auto now = steady::now();
            if (now >= next_purge_) {
                next_purge_ = now + o_.purge_interval;
                maintenance = purge = true;
            }
            if (!backlog_.empty() && now >= next_backlog_) {
                next_backlog_ = now + reconnect_pause;
                maintenance = true;
            }
        }
        if (j) run_job(*j, rows);
        if (maintenance) maintain(rows, purge);
    }
}

bool session_sharing::connect(std::unique_ptr<audit::session_rows>& rows,
                              steady::time_point until) {
    if (rows) return true;
    if (key_mismatch_) throw audit::session_key_mismatch("the fleet's session key differs");
    auto now = steady::now();
    if (ticks(now) < retry_at_.load()) {
        throw std::runtime_error(
            "the store could not be reached a moment ago (retried each second)");
    }
    try {
        rows = open_(until);
    } catch (const audit::session_key_mismatch&) {
        key_mismatch_ = true;
        throw;
    } catch (const std::exception&) {
        retry_at_ = ticks(now + reconnect_pause);
        throw;
    }
    return true;
}

void session_sharing::run_job(job& j, std::unique_ptr<audit::session_rows>& rows) {
    auto now = steady::now();
    if (j.op == op_lookup && j.done) return;  // timed out before its turn: nobody waits
    // A write is done even when nobody waits any more: the browser has its cookies.
    auto until = j.op == op_write ? std::max(j.deadline, now + o_.timeout) : j.deadline;
    try {
        connect(rows, until);
        if (j.op == op_lookup) {
            auto wanted = j.digests;
            wanted.insert(wanted.end(), j.portal_digests.begin(), j.portal_digests.end());
            auto found = rows->lookup(wanted, unix_ms(std::chrono::system_clock::now()), until);
            std::vector<session_table::saved_entry> entries;
            std::size_t portal_hits = 0;
            for (auto& r : found) {
                if (std::find(j.portal_digests.begin(), j.portal_digests.end(), r.digest) !=
                    j.portal_digests.end()) {
                    try {
                        auto [d, e] = portal_user_table::parse_entry(r.entry);
                        if (d != r.digest) continue;  // a row that is not what it says
                        portal_->restore(d, e, std::chrono::system_clock::now());
                        ++portal_hits;
                    } catch (const std::invalid_argument&) {
                        continue;  // unreadable: as if absent (the token names nobody here)
                    }
                    continue;
                }
                try {
                    auto e = parse_session_entry(r.entry);
                    if (e.key != r.digest) continue;  // a row that is not what it says
                    entries.push_back(std::move(e));
                } catch (const std::invalid_argument&) {
                    continue;  // unreadable: as if absent (the request is then unbound here)
                }
            }
            std::vector<digest> absent;
            for (const auto& d : j.digests) {
                if (std::none_of(entries.begin(), entries.end(),
                                 [&](const auto& e) { return e.key == d; })) {
                    absent.push_back(d);
                }
            }
            hits_.fetch_add(entries.size() + portal_hits, std::memory_order_relaxed);
            misses_.fetch_add(absent.size() + (j.portal_digests.size() - portal_hits),
                              std::memory_order_relaxed);
            table_.restore(std::move(entries), std::chrono::system_clock::now());
            remember_absent(absent, steady::now());
            lookup_latency_.observe(steady::now() - j.queued);
        } else {
            if (!j.sources.empty()) check_sources(j, *rows, until);
            rows->write(j.rows, until);
            rows_written_.fetch_add(j.rows.size(), std::memory_order_relaxed);
            write_latency_.observe(steady::now() - j.queued);
        }
        finish(j);
    } catch (const audit::session_key_mismatch& e) {
        rows.reset();
        fail(j, why_key_mismatch, e.what());
    } catch (const std::exception& e) {
        rows.reset();  // reconnect next time
        if (j.op == op_write) keep_for_later(std::move(j.rows));
        fail(j, why_error, e.what());
    }
}

void session_sharing::check_sources(job& j, audit::session_rows& rows, steady::time_point until) {
    auto now = std::chrono::system_clock::now();
    std::vector<session_table::saved_entry> marked;
    for (auto& r : rows.lookup(j.sources, unix_ms(now), until)) {
        try {
            auto e = parse_session_entry(r.entry);
            if (e.key == r.digest &&
                e.identity.sign_in_at != std::chrono::system_clock::time_point{})
                marked.push_back(std::move(e));
        } catch (const std::invalid_argument&) {
            continue;  // unreadable: no mark read from it
        }
    }
    if (marked.empty()) return;
    // A sign-in was started with the cookies the binding came from: what the answer set is
    // pending, here and in the rows written, never the old session's identity.
    table_.restore(std::move(marked), now);
    std::vector<digest> keys;
    for (const auto& r : j.rows) keys.push_back(r.digest);
    table_.lineage_to_pending(keys);
    j.rows.clear();
    for (const auto& e : table_.entries(keys, now)) {
        j.rows.push_back({e.key, unix_ms(e.expires), session_entry_text(e)});
    }
}

void session_sharing::maintain(std::unique_ptr<audit::session_rows>& rows, bool purge) {
    std::vector<audit::session_row> again;
    {
        std::lock_guard lock(mu_);
        again.assign(std::make_move_iterator(backlog_.begin()),
                     std::make_move_iterator(backlog_.end()));
        backlog_.clear();
    }
    auto until = steady::now() + o_.timeout;
    try {
        connect(rows, until);
        auto now_ms = unix_ms(std::chrono::system_clock::now());
        std::erase_if(again, [&](const auto& r) { return r.expires_ms <= now_ms; });
        // Duplicates in one statement would fail it (ON CONFLICT touches a row once).
        std::sort(again.begin(), again.end(),
                  [](const auto& a, const auto& b) { return a.digest < b.digest; });
        again.erase(std::unique(again.begin(), again.end(),
                                [](const auto& a, const auto& b) { return a.digest == b.digest; }),
                    again.end());
        for (std::size_t at = 0; at < again.size(); at += 500) {
            auto n = std::min<std::size_t>(500, again.size() - at);
            rows->write(std::span(again).subspan(at, n), until);
            backlog_written_.fetch_add(n, std::memory_order_relaxed);
        }
        if (purge) {
            purged_.fetch_add(static_cast<std::uint64_t>(rows->purge(now_ms, until)),
                              std::memory_order_relaxed);
        }
    } catch (const std::exception& e) {
        rows.reset();
        if (!again.empty()) keep_for_later(std::move(again));
        static log::rate_limit limit(std::chrono::minutes(1));
        if (auto suppressed = limit.allow(steady::now())) {
            log::write(log::level::warn, "sessions", "shared session store maintenance failed",
                       {{"error", e.what()}, {"suppressed", std::to_string(*suppressed)}});
        }
    }
}

void session_sharing::write_prometheus(std::string& out) const {
    using net::write_metric;
    using net::write_metric_header;
    using net::write_sample;
    auto v = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    write_metric(out, "consolegate_sessions_store_lookups_total", "counter",
                 "Requests that waited for a lookup in the shared session store (cookies or a "
                 "portal token this replica did not know).",
                 v(lookups_));
    write_metric_header(out, "consolegate_sessions_store_lookup_digests_total", "counter",
                        "Session cookie and portal token digests looked up in the shared store, by "
                        "result.");
    write_sample(out, "consolegate_sessions_store_lookup_digests_total{result=\"hit\"}", v(hits_));
    write_sample(out, "consolegate_sessions_store_lookup_digests_total{result=\"miss\"}",
                 v(misses_));
    write_metric(out, "consolegate_sessions_store_absent_cache_hits_total", "counter",
                 "Cookie digests not looked up again: found absent within sessions.negative_ttl.",
                 v(absent_hits_));
    write_metric(out, "consolegate_sessions_store_writes_total", "counter",
                 "Responses whose new bindings were written through to the shared store before "
                 "their release.",
                 v(writes_));
    write_metric(out, "consolegate_sessions_store_rows_written_total", "counter",
                 "Bindings committed to the shared store (write-through and backlog).",
                 v(rows_written_) + v(backlog_written_));
    write_metric_header(out, "consolegate_sessions_store_failures_total", "counter",
                        "Lookups and writes that failed, timed out (sessions.store_timeout), found "
                        "the queue full (sessions.store_queue) or a different fleet key.");
    for (std::size_t op = 0; op < op_names.size(); ++op) {
        for (std::size_t w = 0; w < why_names.size(); ++w) {
            write_sample(out,
                         "consolegate_sessions_store_failures_total{operation=\"" +
                             std::string(op_names[op]) + "\",why=\"" + std::string(why_names[w]) +
                             "\"}",
                         v(failures_[op][w]));
        }
    }
    std::size_t queued = 0, backlog = 0;
    {
        std::lock_guard lock(mu_);
        queued = queue_.size();
        backlog = backlog_.size();
    }
    std::size_t absent = 0;
    {
        std::lock_guard lock(neg_mu_);
        absent = absent_.size();
    }
    write_metric(out, "consolegate_sessions_store_queue", "gauge",
                 "Store jobs waiting for a connection.", static_cast<std::uint64_t>(queued));
    write_metric(out, "consolegate_sessions_store_backlog", "gauge",
                 "Bindings whose write failed, kept (bounded by sessions.store_queue) for the "
                 "next attempt.",
                 static_cast<std::uint64_t>(backlog));
    write_metric(out, "consolegate_sessions_store_backlog_dropped_total", "counter",
                 "Bindings dropped from a full backlog: never shared with the fleet.",
                 v(backlog_dropped_));
    write_metric(out, "consolegate_sessions_store_absent_entries", "gauge",
                 "Cookie digests remembered as absent (sessions.negative_cache_entries).",
                 static_cast<std::uint64_t>(absent));
    write_metric(out, "consolegate_sessions_store_purged_total", "counter",
                 "Expired bindings deleted from the shared store by this replica.", v(purged_));
    write_metric(out, "consolegate_sessions_store_key_mismatch", "gauge",
                 "1 when the shared store holds another fleet key's fingerprint.",
                 static_cast<std::uint64_t>(key_mismatch_.load() ? 1 : 0));
    lookup_latency_.write(out, "consolegate_sessions_store_lookup_seconds",
                          "Time a request waited for a successful lookup.");
    write_latency_.write(out, "consolegate_sessions_store_write_seconds",
                         "Time a response waited for its bindings to commit.");
}

}  // namespace consolegate::app
