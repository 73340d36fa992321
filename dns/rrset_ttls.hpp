#pragma once
// The TTLs unbound's RRset cache puts on a fresh upstream answer. unbound keeps every RRset of
// every answer on its own (services/cache/rrset.c) and sends an answer's RRsets as it holds
// them: an RRset it already holds unexpired, with the same data and at least the trust of the
// new copy, stays as it was (need_to_update_rrset) and goes out with its own TTL, counted down
// since it came. So the SOA of every NXDOMAIN and NODATA of a zone counts down together, and the
// target of an alias has the TTL the target's own answer left. The gateway caches whole answers;
// this remembers the TTL, data and trust of every RRset it forwarded, and gives a fresh answer
// the TTLs unbound would send. Answers already cached keep theirs (unbound would show a later,
// more trusted copy of an RRset through every cached answer holding it: not modelled).
//
// Time is a parameter (whole seconds); one per worker, not thread-safe.

#include <cstdint>
#include <string>
#include <unordered_map>
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
    void set_max_entries(std::size_t n) { max_ = n; }
    void clear() noexcept { held_.clear(); }
    std::size_t size() const noexcept { return held_.size(); }

  private:
    struct held {
        std::uint64_t expires_s = 0;  // valid through this second (TTL 0 in it), as unbound
        std::uint64_t digest = 0;     // the records' data in order, names whole
        int trust = 0;
    };
    void make_room(std::uint64_t now_s);

    std::size_t max_;
    std::unordered_map<std::string, held> held_;
    std::vector<std::uint8_t> scratch_;
};

}  // namespace consolegate::dns
