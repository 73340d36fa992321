#pragma once
// Upstream answers: validated once, normalised into the form the cache keeps, and rendered for
// each client (its ID, its 0x20 spelling of the name, TTLs counted down, its EDNS). Rendering
// copies and patches bytes in place: no allocation per answer.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "policy.hpp"
#include "query.hpp"

namespace consolegate::dns {

struct cached_answer {
    std::vector<std::uint8_t> wire;  // ID 0, the question as upstream echoed it, no OPT record
    std::vector<std::uint16_t> ttl_offsets;
    std::uint32_t lifetime = 0;  // seconds the answer stays fresh; 0 = do not cache
    // Where `wire` may be cut for a client that cannot take it whole, as unbound cuts (whole
    // RRsets in order, util/data/msgencode.c insert_section): after the question and after each
    // RRset, with the records each section holds up to there. Filled by normalize_answer and
    // strip_dnssec (find_cuts).
    struct cut {
        std::uint32_t at = 0;
        std::array<std::uint16_t, 3> counts{};
    };
    std::vector<cut> cuts;
    bool steered_rewrite = false;  // a CNAME chain into a steered name was replaced
    bool rotatable = false;        // an RRset holds more than one record (find_cuts)
    // When every such RRset rotates by moving its records' bytes, where they are (find_cuts):
    // records whose owners are one and the same compression pointer and whose RDATA holds no
    // name the encoder compresses (A, AAAA, TXT, ...). Written again compressed, each record
    // of the rotated order comes out as the same bytes and nothing else in the message moves,
    // so render_answer rotates the bytes in its copy. Empty when a rotatable RRset does not
    // qualify (an MX or NS RRset, an owner written out in its first record): then the answer is
    // written again for each rotation (rotate_rrsets).
    struct rrset_run {
        std::uint32_t at = 0;   // the first record
        std::uint32_t end = 0;  // past the last
        std::uint16_t count = 0;
    };
    std::vector<rrset_run> byte_rotations;
    // The generation of the worker's RRset memory its TTLs show (rrset_ttls::show_held).
    std::uint64_t held_generation = 0;
    bool negative = false;  // NXDOMAIN or NODATA (RFC 2308): its own stale cap
    // The answer as a DO=0 client gets it (strip_dnssec), when that differs: every answer is
    // asked upstream with DO=1, as unbound asks, and serves both (null: the same bytes).
    std::shared_ptr<const cached_answer> without_dnssec;

    const cached_answer& for_client(bool do_bit) const noexcept {
        return !do_bit && without_dnssec ? *without_dnssec : *this;
    }
};

struct ttl_limits {
    std::uint32_t min_ttl = 0;
    std::uint32_t max_ttl = 86400;
    std::uint32_t negative_max_ttl = 3600;
};

// Checks `msg` answers `q` (as write_upstream_query asked it) and normalises it into `out`: the
// records unbound's scrubber keeps of a forwarded answer (no NS RRset beside an answer or in a
// negative one, no DS beside a referral, no address record nothing in the answer or authority
// names, no CNAME, DNAME or NS where they do not belong), in the sections unbound's default
// minimal-responses sends (a positive answer without authority and additional records, a
// negative one without additional records). False for anything malformed or not matching: the
// caller answers SERVFAIL.
bool normalize_answer(std::span<const std::uint8_t> msg, const query& q, const policy& p,
                      const ttl_limits& limits, cached_answer& out);

// The answer `a`, fetched for a DO=1 query, as a DO=0 client `q` gets it from unbound, whose one
// cache entry serves both (util/data/msgencode.c, rrset_belongs_in_reply): without RRSIGs and
// without the DNSSEC types (DS, DNSKEY, NSEC, NSEC3, NSEC3PARAM, KEY, SIG, NXT) unless asked for
// in the answer section, or the answer to ANY, which keeps every type. The sections are the DO=1
// answer's: a wildcard's NSEC proof kept the authority and additional sections (minimal-
// responses), and they stay without it. Written compressed again. Sets `out` to null when
// nothing is left out; false when `a` does not read back or the result does not fit.
bool strip_dnssec(const cached_answer& a, const query& q,
                  std::shared_ptr<const cached_answer>& out);

// A type ANY query unbound answers from its cache of RRsets (services/cache/dns.c, fill_any) when
// no ANY answer is cached: the query name's A, AAAA, MX, SOA, NS and DNAME RRsets that came in
// answer sections and are still fresh. `parts` are the fresh cached answers to those types for
// the name, `age` seconds old; each gives its answer-section records of its `type` owned by the
// name itself, with their RRSIGs (for DO=0 clients too, as unbound sends them). Returns the size
// of the answer with their records (NOERROR, TTLs counted down),
// or 0 when there is none (or it does not fit the client): then the query goes upstream. Each
// RRset's records start at `rr_offset` modulo their count, as render_answer's.
struct cached_rrsets {
    const cached_answer* answer = nullptr;
    std::uint16_t type = 0;
    std::uint32_t age = 0;
};
std::size_t write_any_from_cache(const query& q, std::span<const cached_rrsets> parts,
                                 std::uint16_t our_udp_size, bool tcp, std::span<std::uint8_t> out,
                                 std::uint64_t rr_offset = 0);

// The answer unbound synthesises from its RRset cache to an ANY or CNAME question below a DNAME
// it holds (rrset_ttls::dname_above; services/cache/dns.c synth_dname_msg): NOERROR, the DNAME
// (owned by `dname_owner`, TTL `dname_ttl`) and the CNAME it makes of the query name, TTL 0,
// nothing else (for ANY and CNAME that is the whole answer, as the iterator takes it); YXDOMAIN
// with the DNAME alone when the name it makes is too long (RFC 6672 §2.2). 0 when it does not
// fit the client.
std::size_t write_dname_synthesis(const query& q, const wire_name& dname_owner,
                                  const wire_name& dname_target, std::uint32_t dname_ttl,
                                  std::uint16_t our_udp_size, bool tcp,
                                  std::span<std::uint8_t> out);

// The name a DNAME owned by `dname_owner` (a suffix of `qname`, strictly shorter) makes of
// `qname`: its labels below the owner, as spelt there, then `dname_target`. False when that
// is longer than a name may be (RFC 6672 §2.2: YXDOMAIN).
bool dname_substitute(const wire_name& qname, const wire_name& dname_owner,
                      const wire_name& dname_target, wire_name& made);

// The links unbound takes from its RRset cache for a question with no answer cached
// (services/cache/dns.c dns_cache_lookup: synth_dname_msg, synth_cname_msg), written as an
// upstream answer to `q` that stops there (ID 0, NOERROR, no OPT record) for normalize_answer:
// the DNAME `dname` above the name when given, then the CNAME owned by the name, to
// `cname_target`, with TTL `cname_ttl`. The iterator asks for the target alone and answers the
// links joined with the target's answer (join_chain). 0 when it does not fit `out`.
struct held_dname {
    wire_name owner;
    wire_name target;
    std::uint32_t ttl = 0;
    bool has_rrsig = false;  // held with its signatures (not written here)
};
std::size_t write_held_chain(const query& q, const held_dname* dname, const wire_name& cname_target,
                             std::uint32_t cname_ttl, std::span<std::uint8_t> out);

// Where the CNAME (or DNAME) chain of an answer ends. `unfinished`: NOERROR, its last name has
// no record of the type asked and no SOA proves it has none (an authoritative upstream answers
// so for a target outside its zones); `target` is set to that name, which unbound asks upstream
// itself (iterator.c, the CNAME response type) and which the gateway asks next (join_chain).
// `too_long`: more than 11 links, or a loop (back to a name it passed, in one answer or across
// joined ones): unbound, which restarts the query once per link up to 11 times, answers
// SERVFAIL. `complete` for any other answer, ANY and CNAME queries.
enum class chain_end { complete, unfinished, too_long };
chain_end classify_chain(const cached_answer& a, const query& q, wire_name& target);

// The first `links` CNAME records of the chain from `q`'s name in `a`'s answer section, as a
// NOERROR answer of their own (with their RRSIGs): what unbound holds of a chain after asking for
// each link in turn (keeping only the first link of each answer). False when the chain has fewer
// links, or goes through a DNAME.
bool chain_links(const cached_answer& a, const query& q, std::size_t links, cached_answer& out);

// unbound 1.17's MAX_RESTART_COUNT (iterator.c): how many CNAME links it follows for a query.
inline constexpr std::size_t max_query_restarts = 11;

// What a chain's answer `a` to `q` holds for the chain's last name (`target`, as the last link
// spells it): every record but the links (and their RRSIGs), as an upstream answer asking for
// `target` (`tail`, to normalise for that question): what unbound's restart for it got
// upstream, and holds in its message cache. False when `a` is no chain of CNAMEs (none, more
// than 11 links, a DNAME).
bool chain_tail(const cached_answer& a, const query& q, wire_name& target,
                std::vector<std::uint8_t>& tail);

// The answer to `q` whose chain `head` left unfinished, completed by `tail`, the answer to its
// last name: head's answer records, then all of tail's (rcode, authority and additional are
// tail's), as unbound answers it (the CNAMEs it followed before the target's answer). The
// lifetime is the shorter one. False when the result does not fit.
bool join_chain(const cached_answer& head, const cached_answer& tail, cached_answer& out);

// Writes `a` for client query `q`. `age` seconds are taken off every TTL; a stale answer
// (RFC 8767) carries `stale_ttl` instead. An answer larger than the client can take over UDP
// keeps the whole RRsets that fit, in order, as unbound sends it: with TC=1 (`truncated` set)
// when a record of the answer or authority section is left out, without TC when only additional
// records are (RFC 2181 §9: optional data). The records of each RRset start at `rr_offset`
// modulo their count (rr_offset_for: unbound's rrset-roundrobin); 0 sends them as cached.
// Returns the size written (0 on overflow).
std::size_t render_answer(const cached_answer& a, const query& q, std::uint32_t age,
                          std::optional<std::uint32_t> stale_ttl, bool tcp,
                          std::uint16_t our_udp_size, std::span<std::uint8_t> out, bool& truncated,
                          std::uint64_t rr_offset = 0);

// Where unbound's rrset-roundrobin (on by default) starts each RRset of an answer to a query with
// ID `id` sent in wall-clock second `now_s`: record (i + id + now_s) mod count goes i-th, the
// RRSIGs after them as they are (util/data/msgencode.c reply_info_encode, packed_rrset_encode).
// A client sending the same ID in the same second gets the same order from both.
inline std::uint64_t rr_offset_for(std::uint16_t id, std::uint64_t now_s) noexcept {
    return std::uint64_t{id} + now_s;
}

// `a` with the records of each RRset rotated to start at `rr_offset` modulo their count, written
// again compressed as unbound compresses the rotated order; false when no RRset changes (or `a`
// does not read back), leaving `out` unspecified.
bool rotate_rrsets(const cached_answer& a, std::uint64_t rr_offset, cached_answer& out);

// The cache key: lowercased name, type, class and CD (a CD=1 answer was not validated upstream
// and may be bogus: RFC 4035 §4.7 never lets it reach a CD=0 client). Not DO: one entry, asked
// with DO=1, serves both (cached_answer::for_client).
struct cache_key {
    std::array<char, max_name_size + 5> bytes;
    std::size_t size = 0;
    std::string_view view() const noexcept { return {bytes.data(), size}; }
};
void make_cache_key(const query& q, cache_key& k) noexcept;

}  // namespace consolegate::dns
