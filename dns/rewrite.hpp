#pragma once
// Rewriting an upstream answer record by record, as unbound shapes what its clients get: which
// records its scrubber keeps of a forwarded answer, and the message written again from them,
// compressed as unbound's encoder compresses. Off the hit path: only answers that change go
// through it.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "query.hpp"
#include "wire.hpp"

namespace consolegate::dns {

// One record of a message being read: where its owner, TTL and RDATA are.
struct rr_ref {
    std::size_t owner;  // offset of the owner name
    std::uint16_t type;
    std::size_t ttl_at;
    std::size_t rdata;
    std::uint16_t rdlen;
    int section;  // 0 answer, 1 authority, 2 additional
};

// The records of `msg` (at least a header long) after its question, which ends at `off`, in
// order as the header counts them; `off` ends past the last one. False when one does not read
// whole.
bool read_records(std::span<const std::uint8_t> msg, std::size_t& off, std::vector<rr_ref>& out);

// The records of an answer to one question (every answer the gateway holds), read whole:
// `question_end` is where its question ends, `end` where its last record ends (bytes after it are
// the caller's to refuse). False when `msg` holds not exactly one question or a record does not
// read whole.
bool read_answer_records(std::span<const std::uint8_t> msg, std::size_t& question_end,
                         std::size_t& end, std::vector<rr_ref>& out);

// RFC 1035 types whose RDATA may hold compressed names (RFC 3597 §4): how many names, after how
// many fixed bytes. Later types never compress theirs.
struct rdata_names {
    std::size_t skip = 0;
    int names = 0;
};
rdata_names compressible(std::uint16_t type);

// RDLENGTH and RDATA of the record whose data is at `rdata` in `msg`, the names in it written
// whole: a compression pointer would lead into the old message. False when a name does not read.
bool write_rdata_whole(writer& w, std::span<const std::uint8_t> msg, std::uint16_t type,
                       std::size_t rdata, std::uint16_t rdlen);

// Names already written into a message being built, for compression pointers to them (RFC 1035
// §4.1.4): the offset of every label position of every name written, matched without regard to
// case as unbound's compression tree matches (util/data/msgencode.c).
struct name_table {
    std::vector<std::pair<std::uint16_t, wire_name>> suffixes;

    // Writes `n`, as a pointer to the longest suffix written before where there is one.
    void write(writer& w, const wire_name& n);
};

// RDLENGTH and RDATA of the record whose data is at `rdata` in `msg`, the names of RFC 1035 types
// compressed against `names` (later types never compress theirs: RFC 3597 §4).
bool write_rdata_compressed(writer& w, name_table& names, std::span<const std::uint8_t> msg,
                            std::uint16_t type, std::size_t rdata, std::uint16_t rdlen);

// Which records of a forwarded NOERROR or NXDOMAIN answer unbound keeps for its clients
// (iterator/iter_scrub.c scrub_normalize, with Debian 12's fix for CVE-2025-11411 that drops
// the NS RRset of a positive answer, then iter_utils.c iter_scrub_ds, which in forward mode
// drops every DS RRset of the authority section). In the answer section: the CNAME and DNAME
// chain from the query name and the RRsets of the type asked (any type for ANY). In the
// authority section: no CNAME, DNAME, A or AAAA; one NS RRset, above or at the query name, and
// only in a referral or a NODATA without SOA; no DS. In the additional section: no CNAME, DNAME
// or NS, and A and AAAA records only for names a kept answer RRset of the query name or a kept
// authority RRset asks for (the additional names of NS, MX, SRV, ...). An RRSIG goes with the
// RRset it covers. The zone unbound checks records against is the forward zone, the root: its
// out-of-zone removal keeps everything here.
std::vector<bool> unbound_keeps(std::span<const std::uint8_t> msg, const std::vector<rr_ref>& rrs,
                                const query& q, std::uint8_t rc);

// `msg` with only the records `keep` says, compressed as unbound compresses (owners and the
// names in RFC 1035 RDATA), upstream's OPT left out; its question asks for `qname` when given.
bool rewrite_kept(std::span<const std::uint8_t> msg, std::size_t question_end,
                  const std::vector<rr_ref>& rrs, const std::vector<bool>& keep,
                  std::vector<std::uint8_t>& out, const wire_name* qname = nullptr);

}  // namespace consolegate::dns
