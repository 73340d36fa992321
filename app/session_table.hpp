#pragma once
// The session table: which identity AWS itself gave each console session the gateway saw issued
// (issue 20). The browser controls every cookie it sends, so post-auth enforcement must not take
// the account, role or user from the request; it takes them from what AWS said in its responses
// over TLS the gateway verified, remembered here under the session cookies AWS set.
//
// The lineage rule (docs/inspection.md "Session binding"):
//  - the cookies AWS sets on a response that names an identity (aws-userInfo as AWS set it, a
//    sign-in answer naming the account) are bound to that identity;
//  - a request is bound when it presents one of them (name and value as AWS set them);
//  - cookies AWS sets later on a response to a bound request inherit its binding, so refreshes
//    keep a lineage back to a sign-in the gateway judged; a response that names an identity
//    itself (switch-role) binds its cookies to the identity it names;
//  - a sign-in ends the lineage of the cookies it presents (sign_in_started, called for every
//    sign-in request the gateway lets through): from then on an answer to a request presenting
//    any of them, or any cookie set by such an answer, continues that sign-in, whose session AWS
//    has not named yet. Its cookies become *pending* entries: never bound, never inherited from,
//    until an answer names them (aws-userInfo). So no step of a new sign-in (the sign-in's own
//    answer, a redirect hop, an MFA step, the console's /oauth callback) binds the new session's
//    cookies to the old session's identity, whichever host or connection it comes through.
// Cookies whose value is shorter than min_token_chars are never keys: they cannot be a session
// secret (locale, "regStatus=pre-register"), and two people would share them. Nor is
// aws-userInfo (never_a_key): it *names* the identity, but its value is derived from the
// principal's ARN, the same for every session of that principal and writable by anyone, so a
// request presenting it proves no session (a forbidden session's cookies plus an allowed
// principal's aws-userInfo must not look bound).
//
// Keys are HMAC-SHA256 digests of (cookie name, value) under a key the table is given, so the
// table (and a file or store it is written to) never holds a usable session cookie. Pure: no I/O,
// no clock reads (every call takes `now`). Thread-safe: one mutex; calls are short.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "consolegate/core/ids.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::app {

// How a binding was learned.
enum class binding_source : std::uint8_t {
    user_info_set_cookie,  // AWS's Set-Cookie: aws-userInfo on the response
    response_body,         // a sign-in / federation / switch-role answer naming the account
    lineage,               // set on a response to a request already bound (inherited)
    pending_sign_in,       // set on an answer within a sign-in AWS has not named yet: unbound
};
std::string_view to_string(binding_source s) noexcept;  // "set-cookie:aws-userInfo", …

struct session_identity {
    std::optional<core::account_id> account;
    std::string principal_arn;
    std::string role_name;       // role, or the permission set's role for Identity Center
    std::string permission_set;  // Identity Center only
    std::string aws_user;        // session name / IAM user name / root e-mail as AWS said it
    // The corporate user who opened the session: the person behind the connection whose sign-in
    // AWS's answer named it (Kerberos, trusted header, address map), or, when that connection
    // named nobody, the one who started the sign-in (its pending cookies) or whose session a
    // switch-role answer came from. Kept by lineage as it is (never filled in later: a refresh
    // proves nothing about who opened it). On a pending entry, the user whose connection the
    // sign-in's cookies came on. "": not known (a connection without corporate identity, or an
    // entry written before it was kept).
    std::string corporate_user;
    // The flows of the sign-in that established the session, as AWS's answer naming it was
    // judged (console-session left out): its console requests are judged under them too
    // (core::sign_in_attempt::also_flows). Kept by lineage; a switch-role's answer names its own.
    // On a pending entry, the flows of the sign-in it continues. 0: not known (judged as
    // console-session alone).
    core::sign_in_flow_set flows = 0;
    // `flows` are alternatives: the sign-in was one of them, which one is not known (its answer
    // was judged as several sign-ins, or a pending entry continued two sign-ins):
    // core::sign_in_attempt::also_flows_either.
    bool flows_either = false;
    // When AWS named this identity (the sign-in or switch-role answer); kept by lineage, so an
    // entry expires `lifetime` after the sign-in it descends from however often cookies refresh.
    std::chrono::system_clock::time_point named_at;
    std::chrono::system_clock::time_point learned_at;  // when this cookie was learned
    binding_source learned_by = binding_source::user_info_set_cookie;
    std::string learned_on;  // the host and path of the response it was learned from
    // When a sign-in request presenting this cookie was let through (time_point{}: never). From
    // then on, answers to requests presenting it continue that sign-in and never inherit.
    std::chrono::system_clock::time_point sign_in_at{};

    // Set within a sign-in AWS has not named yet: a key of the table, but bound to nobody.
    bool pending() const noexcept { return learned_by == binding_source::pending_sign_in; }

    // Same principal: what a client-sent aws-userInfo is compared against.
    bool same_principal(const session_identity& o) const noexcept {
        return account == o.account && principal_arn == o.principal_arn;
    }
};

struct session_table_limits {
    std::size_t max_entries = 100000;  // cookies remembered; the soonest to expire go first
    // The longest AWS console session (12 h for a role session set to its maximum): a cookie
    // AWS set longer ago than this can no longer be a live session.
    std::chrono::seconds lifetime = std::chrono::hours(12);
};

// A cookie as a (name, value) pair.
using cookie_pair = std::pair<std::string_view, std::string_view>;

class session_table {
  public:
    using key_type = std::array<unsigned char, 32>;
    using time_point = std::chrono::system_clock::time_point;
    static constexpr std::size_t min_token_chars = 16;
    static bool never_a_key(std::string_view name) noexcept { return name == "aws-userInfo"; }

    session_table(session_table_limits limits, const key_type& key);
    // A fresh key from the OS's random source (the per-process default).
    static key_type random_key();

    // A reload may change the limits; the entries stay (over a smaller bound, the soonest to
    // expire are dropped).
    void set_limits(session_table_limits limits);

    enum class binding_state : std::uint8_t {
        unbound,      // no cookie of the request was set by AWS on a response the gateway saw
        bound,        // every bound cookie of the request names the same principal
        conflicting,  // its cookies are bound to different principals: a spliced cookie jar
    };
    struct lookup_result {
        binding_state state = binding_state::unbound;  // pending entries are left out
        session_identity identity;  // bound: the most recently learned binding of its cookies
        // The request presents a pending cookie, or a cookie a sign-in was started with: what
        // the answer to it sets belongs to that sign-in's session, not to `identity`.
        bool continues_sign_in = false;
        // The flows of the sign-ins the request's pending cookies continue (their `flows`), and
        // whether they are alternatives: pending cookies of different flows (two sign-ins in
        // one browser), or one whose flows already were. A pending cookie of flows not known
        // beside another sign-in's adds console-session: that sign-in reaches what a session of
        // unknown origin does, console-session rules alone.
        core::sign_in_flow_set sign_in_flows = 0;
        bool sign_in_flows_either = false;
        // The corporate user who started the sign-in the request's pending cookies continue
        // (their corporate_user; the first one known), or "".
        std::string sign_in_corp_user;
    };
    // The binding of a request that presents `cookies` (from its Cookie headers), at `now`.
    lookup_result lookup(std::span<const cookie_pair> cookies, time_point now) const;

    // Whether AWS set this cookie (name and value) on a response the gateway saw, still live and
    // bound (a pending cookie is not known: it names no session yet).
    bool knows(std::string_view name, std::string_view value, time_point now) const;

    // AWS set `set_cookies` (name, value; deletions already left out) on a response. With
    // `named` (the response names an identity) they are bound to it; otherwise, when the request
    // continues a sign-in (`request_binding.continues_sign_in`) they are kept as pending;
    // (carrying `request_binding.sign_in_flows`);
    // otherwise, when the request was bound, they inherit that binding (learned_by lineage);
    // otherwise nothing is learned. Returns how many cookies were bound or kept as pending.
    // `corp_user` is the corporate user of the connection the response came on ("": none): the
    // opener of a named or pending entry (session_identity::corporate_user); when it is "", a
    // named entry takes the sign-in's (request_binding.sign_in_corp_user), else the bound
    // request's opener, and a pending one the sign-in's. Lineage keeps the opener as it is.
    std::size_t learn(std::span<const cookie_pair> set_cookies,
                      const std::optional<session_identity>& named,
                      const lookup_result& request_binding, std::string_view learned_on,
                      time_point now, std::string_view corp_user = {});

    std::size_t size() const;  // every live entry, pending ones included
    std::size_t pending_count() const;
    // Live entries dropped because the table was full (max_entries): each one a session that
    // will be unbound at its next request.
    std::uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }

    // What a judgement that read the table at `now` may be reused under (app/judgement_memo.hpp):
    // the table's generation, which every change moves on (learn, restore, a smaller bound), and
    // the earliest expiry after `now` of any entry, when one of them stops being live by time
    // alone. Read it before the lookups it covers: a change in between then only costs a miss.
    struct epoch {
        std::uint64_t generation = 0;
        time_point next_expiry = time_point::max();
    };
    epoch epoch_at(time_point now) const;

    // Persistence (app/session_store.hpp writes and reads the file): the key, and every live
    // entry as (HMAC digest, identity, expiry). restore() adds entries (dropping expired ones,
    // keeping the bound), returns how many it kept; for an entry already here it takes only a
    // sign-in mark (sign_in_at) the local one lacks.
    using digest = std::array<unsigned char, 32>;
    struct saved_entry {
        digest key;
        session_identity identity;
        time_point expires;
    };
    const key_type& key() const noexcept { return key_; }
    std::vector<saved_entry> snapshot(time_point now) const;
    std::size_t restore(std::vector<saved_entry> entries, time_point now);

    // For a table shared by a fleet (app/session_sharing.hpp): the digest a cookie is kept
    // under; the digests of the cookies that could be keys (min_token_chars, never_a_key) and
    // have no live entry here; and the live entries under `keys` (what a response just bound).
    digest digest_of(std::string_view name, std::string_view value) const {
        return key_of(name, value);
    }
    std::vector<digest> unknown(std::span<const cookie_pair> cookies, time_point now) const;
    std::vector<saved_entry> entries(std::span<const digest> keys, time_point now) const;

    // A sign-in request presenting `cookies` is let through at `now`: every live entry among
    // them (bound or pending) is marked (session_identity::sign_in_at), once. Returns how many
    // were newly marked; those are also queued for the fleet's store (take_marked).
    std::size_t sign_in_started(std::span<const cookie_pair> cookies, time_point now);
    // The digests marked since the last call (at most max_marked_queue, the oldest dropped),
    // for app/session_sharing.hpp to write through with the answer to that sign-in.
    std::vector<digest> take_marked();
    static constexpr std::size_t max_marked_queue = 4096;
    // The live entries under `keys` that were inherited (lineage) become pending: a sign-in was
    // started with the cookies they were inherited from (another replica's mark, found late).
    // Returns how many changed.
    std::size_t lineage_to_pending(std::span<const digest> keys);

  private:
    struct digest_hash {
        std::size_t operator()(const digest& d) const noexcept;
    };
    struct entry {
        session_identity identity;
        time_point expires;
    };
    digest key_of(std::string_view name, std::string_view value) const;
    void erase_entry(const digest& k);  // keeps pending_
    void evict_expired(time_point now);
    void evict_to(std::size_t bound);

    mutable std::mutex mu_;
    session_table_limits limits_;
    key_type key_;
    std::unordered_map<digest, entry, digest_hash> entries_;
    std::multimap<time_point, digest> by_expiry_;  // every entry once, by its expiry
    std::uint64_t generation_ = 0;                 // under mu_; see epoch
    std::size_t pending_ = 0;                      // under mu_: entries that are pending()
    std::deque<digest> marked_;                    // under mu_; see take_marked
    std::atomic<bool> any_marked_{false};          // marked_ is not empty (set under mu_)
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace consolegate::app
