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
// named two different users for names nobody until it expires (fail closed). Kept across reloads,
// not across restarts (the portal asks /user again on its next page load).
//
// The person (docs/inspection.md "The portal's user"): an entry keeps the corporate user of the
// connection the token was first learned on (its opener; the first one known, as a console
// session keeps its opener), so the token's federation requests presented by another person, or
// by a connection naming nobody, are judged session-user-mismatch (app/session_binding.hpp,
// judge_opened_by) instead of on the opener's Identity Center user and TEAM elevation. A token
// learned where nobody was named has no opener and is judged as before.
//
// A fleet (sessions.store = "postgres"): the key is derived from the fleet's session key
// (for_sessions), so every replica keeps a token under the same digest, and app/session_sharing.hpp
// writes what a replica learned through to the shared store before the /user answer is released
// and looks up a token this replica does not know before its request is judged: a portal session
// may then use any replica, as console sessions may.
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
    portal_user_table(const key_type& key, limits l);
    static key_type random_key();  // from the OS's random source; throws when there is none
    // The key for a table beside a session table keyed `session_key` (HMAC of a fixed label
    // under it): the fleet's, when the session key is; never equal to it, so a token's digest
    // can never be a cookie's.
    static key_type for_sessions(const std::array<unsigned char, 32>& session_key);

    // The bounds restore() keeps (learn() takes its own); a reload's.
    void set_limits(limits l);

    // AWS named `user` for `token` at `now`, on a connection of corporate user `corp_user` (""
    // when nobody was named). Re-learning the same user refreshes the entry; a different one
    // makes the token name nobody until the entry expires. The first opener known is kept.
    void learn(std::string_view token, std::string_view user, time_point now, limits l,
               std::string_view corp_user = {});
    // The user AWS named for `token`, or nullopt (never seen, expired, or contradicted).
    std::optional<std::string> user_of(std::string_view token, time_point now) const;

    // The response observer's part: when `req` is the portal's GET /user presenting a bearer
    // token and AWS answered 200 with a readable body naming the user, learn it, with the
    // request's corporate user as the token's opener. Returns whether it learned.
    bool observe(const core::http_request_view& req, const proxy::response_view& resp, limits l);

    std::size_t size() const;
    std::uint64_t learned() const;  // answers that named a user (a counter)

    // For a fleet (app/session_sharing.hpp). The digest `token` is kept under.
    using digest = std::array<unsigned char, 32>;
    digest digest_of(std::string_view token) const { return key_of(token); }
    // The live entry under `d`: its user ("" when contradicted), expiry and opener ("" when
    // not known).
    struct saved_entry {
        std::string user;
        time_point expires;
        std::string corp_user;
    };
    std::optional<saved_entry> live_entry(const digest& d, time_point now) const;
    // The live entry of `token` naming a user (nullopt: never seen, expired, or contradicted).
    std::optional<saved_entry> entry_of(std::string_view token, time_point now) const;
    // What the shared store holds under `d`, added here under the rule learn() keeps: another
    // user than the one known here contradicts the token; the later expiry is kept; the opener
    // known here stays, one not known here is taken.
    void restore(const digest& d, const saved_entry& e, time_point now);
    // An entry as a row of the shared store (JSON: digest, expiry, user, opener) and back
    // (std::invalid_argument saying what is wrong). A row without an opener (written before
    // openers were kept) reads as one not known.
    static std::string entry_text(const digest& d, const saved_entry& e);
    static std::pair<digest, saved_entry> parse_entry(std::string_view text);

  private:
    struct digest_hash {
        std::size_t operator()(const digest& d) const noexcept;
    };
    struct entry {
        std::string user;  // empty: AWS named different users for this token
        time_point expires;
        std::string corp_user;  // the opener; empty: not known
    };
    digest key_of(std::string_view token) const;
    void evict_to(std::size_t n);  // drops the soonest to expire until at most n remain
    void evict_expired(time_point now);
    // Under mu_: sets `d`'s entry to `user` (contradicting another), expiring at the later of
    // the two, opened by `corp_user` unless an opener is known.
    void put(const digest& d, std::string_view user, std::string_view corp_user, time_point expires,
             time_point now, std::size_t max_entries);

    key_type key_;
    mutable std::mutex mu_;
    limits limits_;  // restore()'s
    std::unordered_map<digest, entry, digest_hash> entries_;
    std::multimap<time_point, digest> by_expiry_;
    std::uint64_t learned_ = 0;
};

}  // namespace consolegate::app
