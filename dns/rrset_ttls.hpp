#pragma once
// The TTLs unbound's RRset cache puts on a fresh upstream answer. unbound keeps every RRset of
// every answer on its own (services/cache/rrset.c) and sends an answer's RRsets as it holds
// them: an RRset it already holds unexpired, with the same data and at least the trust of the
// new copy, stays as it was (need_to_update_rrset) and goes out with its own TTL, counted down
// since it came. So the SOA of every NXDOMAIN and NODATA of a zone counts down together, and the
// target of an alias has the TTL the target's own answer left. The gateway caches whole answers;
// this remembers the TTL, data and trust of every RRset it forwarded, and gives a fresh answer
// the TTLs unbound would send. A later copy that replaces a held RRset before it expires (more
// trusted: an NS target's address asked for itself after it came as glue) is what unbound then
// shows through every cached answer holding that RRset, which its message cache keeps by
// reference: show_held gives a cached answer those TTLs. (New data in the copy that replaced it
// unbound would show too; the gateway keeps only a digest and leaves the old data.)
//
// Time is a parameter (whole seconds); one per worker, not thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "answer.hpp"

namespace consolegate::dns {

class rrset_ttls {
  public:
    // Holds at most `max_entries` RRsets: when full, the expired ones go, and all of them when
    // that frees too little (a forgotten RRset only means upstream's TTL is sent).
    explicit rrset_ttls(std::size_t max_entries) : max_(max_entries) {}

    // `a` (a normalised upstream answer, in second `now_s`) with the TTLs unbound sends: each
    // RRset held unexpired with the same data and no less trust takes the TTL left to it; every
    // other one is remembered as it came. `a.lifetime` follows the shortest TTL. Answers
    // upstream truncated are left alone (unbound does not cache them). A `refresh` (prefetch,
    // a stale entry's background query) replaces what is held, as unbound's prefetch stores
    // its answer with the held RRsets taken for expired (services/cache/dns.c, leeway).
    void apply(cached_answer& a, std::uint64_t now_s, bool refresh = false);
    // True once after an apply that held an RRset with another TTL than the answer shows (a
    // delegation's NS RRset spelt otherwise keeps the TTL held): the answer goes to the clients
    // waiting as it is, and is cached through show_held.
    bool restamp_held() noexcept { return std::exchange(restamp_, false); }
    // `a`, a cached answer stored in second `stored_s`, with the TTLs of the RRsets held now with
    // the same data (its TTLs count from `stored_s`, as the cache counts them down), and marked
    // as seen at this generation.
    void show_held(cached_answer& a, std::uint64_t stored_s);
    // The DNAME unbound synthesises an answer from, out of its RRset cache, to a question for
    // `qname` (lowercased) of any type when no answer to it is cached (services/cache/dns.c
    // dns_cache_lookup, synth_dname_msg): the closest DNAME held unexpired strictly above
    // `qname`, when a CNAME owned by `qname` is held unexpired too (the name passed before);
    // nullopt otherwise. `ttl` is what is left to the DNAME in second `now_s`.
    std::optional<held_dname> dname_above(const wire_name& qname, std::uint64_t now_s) const;
    // The CNAME owned by `qname` (lowercased) held unexpired in second `now_s`: its target as it
    // came (the spelling of the copy held) and the TTL left to it. unbound follows it from its
    // RRset cache for a question of any type but DS with no answer cached (dns_cache_lookup,
    // synth_cname_msg) and asks upstream for the target alone.
    struct held_link {
        wire_name target;
        std::uint32_t ttl = 0;
        bool has_rrsig = false;  // (the gateway holds no signatures to send with it)
    };
    std::optional<held_link> cname_of(const wire_name& qname, std::uint64_t now_s) const;
    // Bumped whenever a held RRset is replaced before it expired by a copy with the same data
    // (names in another case count as the same here: a cached answer shows the new TTL):
    // an answer cached before, whose held_generation is older, may show another TTL for it.
    std::uint64_t generation() const noexcept { return generation_; }
    void set_max_entries(std::size_t n) { max_ = n; }
    void clear() noexcept { held_.clear(); }
    std::size_t size() const noexcept { return held_.size(); }

  private:
    struct held {
        std::uint64_t expires_s = 0;  // valid through this second (TTL 0 in it), as unbound
        std::uint64_t digest = 0;     // the records' data in order, names whole
        std::uint64_t digest_ci = 0;  // the same, names lowercased
        int trust = 0;
        std::vector<std::uint8_t> link_target;  // a CNAME's or DNAME's target name
        bool has_rrsig = false;                 // held with its signatures
    };
    void make_room(std::uint64_t now_s);

    std::size_t max_;
    std::unordered_map<std::string, held> held_;
    std::vector<std::uint8_t> scratch_;
    std::uint64_t generation_ = 1;
    bool restamp_ = false;
};

}  // namespace consolegate::dns
