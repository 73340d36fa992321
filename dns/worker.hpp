#pragma once
// One worker's DNS gateway behind dns::service: the config snapshot it runs on, the compiled
// steering policy, its cache, rate limiter, forwarder and listeners, and the path of a query
// through them (parse, ACL, rate limit, cache, policy, forward; upstream answer, serve-stale).
//
// Everything here runs on the worker's io_context thread (service posts updates to it).

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "answer.hpp"
#include "cache.hpp"
#include "consolegate/dns/service.hpp"
#include "forwarder.hpp"
#include "listeners.hpp"
#include "policy.hpp"
#include "query.hpp"
#include "rrset_ttls.hpp"
#include "tcp_connection.hpp"

namespace consolegate::dns {

class worker {
  public:
    worker(boost::asio::io_context& io, std::shared_ptr<const config> c, stats& s, time_source now);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // Answers `in` into `out` (returns its size), or takes it upstream / drops it (returns 0).
    // `now_ms` is this batch's reading of the time source.
    std::size_t handle(std::span<const std::uint8_t> in, const client& c, bool tcp,
                       std::uint64_t now_ms, std::span<std::uint8_t> out);
    // Sends `msg` to `c` unless the worker stopped or `c` is a prefetch.
    void reply(const client& c, std::span<const std::uint8_t> msg);
    // Swaps in a new snapshot (with its policy compiled by the caller); see service::update.
    void apply(std::shared_ptr<const config> c, policy compiled);
    void close_all();

    std::uint64_t now_ms() const;
    std::uint16_t udp_size() const { return std::min<std::uint16_t>(cfg->edns_udp_size, 4096); }

    boost::asio::io_context& io;
    stats& st;
    std::shared_ptr<const config> cfg;
    std::function<void(std::string_view)> query_log;
    bool stopped = false;
    std::array<std::uint8_t, 65536> scratch{};  // answers built outside the UDP batch
    listeners socks;

  private:
    std::size_t answer_unparsed(parse_status s, std::span<const std::uint8_t> in, const query& q,
                                std::span<std::uint8_t> out);
    std::size_t answer_from_cache(const cache::entry& e, const query& q, const client& c, bool tcp,
                                  std::uint64_t now_ms, std::span<std::uint8_t> out);
    std::optional<std::size_t> answer_by_policy(const query& q, const client& c,
                                                std::span<std::uint8_t> out);
    void show_held_rrsets(cache::entry& e);
    // `now`: the reading (ms) that aged the answer; its second also orders the RRsets.
    std::size_t render(const cached_answer& a, const query& q, std::uint32_t age,
                       std::optional<std::uint32_t> stale, bool tcp, std::uint64_t now,
                       std::span<std::uint8_t> out);
    // A cache entry that may answer a query once upstream fails (RFC 8767).
    struct fallback {
        const cache::entry* e = nullptr;
    };
    fallback find_fallback(const query& q, std::uint64_t now);
    std::size_t answer_any_from_cache(const query& q, bool tcp, std::uint64_t now,
                                      std::span<std::uint8_t> out);
    std::size_t render_fallback(const fallback& f, const query& q, bool tcp, std::uint64_t now,
                                std::span<std::uint8_t> out);
    std::size_t answer_stale_now(const fallback& f, const query& q, const client& c, bool tcp,
                                 std::uint64_t now, std::span<std::uint8_t> out);
    // A CNAME chain upstream left unfinished (classify_chain), followed as unbound follows it:
    // the answer so far, the query for its last name, how many links were asked for.
    struct chase {
        cached_answer head;
        query asked;
        int depth = 0;
    };
    // A client waiting on upstream: whichever of the answer and its deadline comes first
    // answers it. A prefetch waits with no peer and no deadline.
    struct waiter {
        explicit waiter(boost::asio::io_context& io) : timer(io) {}
        query q;  // as this client asked it (ID, case, EDNS)
        client c;
        bool tcp = false;
        boost::asio::steady_timer timer;
        bool answered = false;
    };
    // One question upstream (the cache key's: name, type, class, CD), asked once however many
    // clients ask it meanwhile, as unbound's mesh joins them; a chase keeps it.
    struct in_flight {
        std::string key;
        std::uint64_t generation = 0;  // policy_generation_ when asked: none join across a reload
        std::vector<std::shared_ptr<waiter>> waiters;
    };
    // `from`: the links held for `q` (follow_held_links), asked on from their target.
    void forward(const query& q, const client& c, bool tcp, core::duration deadline,
                 std::shared_ptr<const chase> from = nullptr);
    std::size_t join_cached_target(const query& q, const cached_answer& head,
                                   const wire_name& target, bool tcp, std::uint64_t now,
                                   std::span<std::uint8_t> out);
    bool join_cached(const query& q, const cached_answer& head, const wire_name& target,
                     std::uint64_t now, cached_answer& joined);
    void store_chain_tail(const cached_answer& a, const query& q);
    std::size_t end_at_cached_link(const cached_answer& a, const query& q, std::uint64_t now,
                                   cached_answer& joined);
    std::optional<std::size_t> follow_held_links(const query& q, const client& c, bool tcp,
                                                 bool stale_kept, std::uint64_t now,
                                                 std::span<std::uint8_t> out);
    bool over_pending_bound(const query& q, const client& c, bool joining);
    bool rate_allowed(const client& c, std::uint64_t now);
    void arm(const std::shared_ptr<waiter>& w, core::duration deadline, std::uint64_t gen);
    void ask(const std::shared_ptr<in_flight>& f, const query& asked,
             std::shared_ptr<const chase> ch);
    void on_upstream(const net::cares_answer& r, const std::shared_ptr<in_flight>& f,
                     const std::shared_ptr<const chase>& ch);
    // Ends `f`: no longer joinable, and each waiter, through `fn(q, to, tcp)`, answered once
    // (`to` has no peer for a waiter answered at its deadline already).
    template <class F>
    void finish(const std::shared_ptr<in_flight>& f, F&& fn);
    void fail_upstream(const std::shared_ptr<in_flight>& f);
    void fail_all(const std::shared_ptr<in_flight>& f);
    void on_deadline(const query& q, const client& c, bool tcp);
    bool answered_by_new_policy(const query& q, const client& c);
    void fail(const query& q, const client& c, bool tcp, std::span<std::uint8_t> out);
    void refresh_failed(const query& q);
    void store(const query& q, cached_answer&& a);
    bool allowed(const core::ip_address& a) const;
    void log_query(const client& c, const query& q, const char* what);
    ttl_limits limits() const;

    time_source now_;
    policy pol_;
    cache answers_;
    rrset_ttls rrsets_;  // the TTLs unbound's RRset cache gives fresh answers
    rate_limiter limiter_;
    forwarder upstream_;
    std::unordered_map<std::string, std::shared_ptr<in_flight>> in_flight_;
    std::size_t asking_ = 0;   // questions upstream (max_pending_queries)
    std::size_t waiting_ = 0;  // clients waiting on them (16 × max_pending_queries)
    std::uint64_t query_count_ = 0;
    // RFC 8767 §5: upstream failed (or missed a deadline) and no answer has come back since;
    // queries with a stale entry get it at once while one refresh per entry goes on.
    bool upstream_down_ = false;
    // Counts the reloads that changed the steering policy (apply): a query forwarded under an
    // older one is decided again when its answer or deadline comes.
    std::uint64_t policy_generation_ = 0;
    // Deadline timers hold a weak reference: they may fire after the worker is gone.
    std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

}  // namespace consolegate::dns
