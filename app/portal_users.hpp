#pragma once
// Who holds an IAM Identity Center access-portal token, as AWS said (issue 13 point 4,
// docs/inspection.md "The portal's user"): the response observer learns token -> user from the
// portal's `GET /user` answers on inspected connections (inspect/portal_user.hpp reads them), and
// the enforcement pipeline names that user on the token's later `/federation/console` and
// `/federation/credentials` requests, so TEAM gating is decided for the person signed in, not for
// whoever is elevated.
//
// Keys are HMAC-SHA256 digests of the token under a per-process random key: the table never holds
// a usable token, and nothing here logs one. Bounded: at most `max_entries` tokens (the soonest to
// expire go first when full), each kept `lifetime` after AWS last named its user. A token AWS
// named two different users for names nobody until it expires (fail closed). Per process, kept
// across reloads, not across restarts (the portal asks /user again on its next page load).
//
// Thread-safety: every member may be called from any thread (one mutex).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "consolegate/core/http_request.hpp"
#include "consolegate/proxy/inspection.hpp"

namespace consolegate::app {

class portal_user_table {
  public:
    using time_point = std::chrono::system_clock::time_point;
    using key_type = std::array<unsigned char, 32>;
    struct limits {
        std::size_t max_entries = 100000;
        std::chrono::seconds lifetime = std::chrono::hours(12);
    };

    explicit portal_user_table(const key_type& key = random_key());
    static key_type random_key();  // from the OS's random source; throws when there is none

    // AWS named `user` for `token` at `now`. Re-learning the same user refreshes the entry; a
    // different one makes the token name nobody until the entry expires.
    void learn(std::string_view token, std::string_view user, time_point now, limits l);
    // The user AWS named for `token`, or nullopt (never seen, expired, or contradicted).
    std::optional<std::string> user_of(std::string_view token, time_point now) const;

    // The response observer's part: when `req` is the portal's GET /user presenting a bearer
    // token and AWS answered 200 with a readable body naming the user, learn it. Returns whether
    // it learned.
    bool observe(const core::http_request_view& req, const proxy::response_view& resp, limits l);

    std::size_t size() const;
    std::uint64_t learned() const;  // answers that named a user (a counter)

  private:
    using digest = std::array<unsigned char, 32>;
    struct digest_hash {
        std::size_t operator()(const digest& d) const noexcept;
    };
    struct entry {
        std::string user;  // empty: AWS named different users for this token
        time_point expires;
    };
    digest key_of(std::string_view token) const;
    void evict_to(std::size_t n);  // drops the soonest to expire until at most n remain

    key_type key_;
    mutable std::mutex mu_;
    std::unordered_map<digest, entry, digest_hash> entries_;
    std::multimap<time_point, digest> by_expiry_;
    std::uint64_t learned_ = 0;
};

}  // namespace consolegate::app
