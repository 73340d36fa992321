#!/usr/bin/python3
"""Asks consolegate and unbound (both forwarding to the same nsd) the same >= 200 questions about
the test zone and compares rcode and RRsets (TTLs ignored: they age differently); then asks them
again with recursion not desired (RD=0), on names both have cached and names neither has seen,
and compares rcode, RRsets and the AA, RD and RA flags too (unbound with access-control "allow"
refuses those: no cache snooping, no upstream query for a client that asked for none). Prints
AGREE or every difference. Usage: differential.py CONSOLEGATE_PORT UNBOUND_PORT"""
import sys

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype


def questions():
    for i in range(60):
        for name in (f"h{i}", f"c{i}"):
            for t in ("A", "AAAA", "TXT", "MX"):
                yield f"{name}.example.test.", t
    for i in range(20):
        yield f"nx{i}.example.test.", "A"
    for name, t in (("www", "A"), ("www", "AAAA"), ("www", "TXT"), ("alias", "A"), ("mx", "MX"),
                    ("mail", "A"), ("@", "SOA"), ("@", "NS"), ("big", "TXT")):
        yield ("example.test." if name == "@" else f"{name}.example.test."), t


def norec_questions():
    for i in range(0, 60, 3):
        yield f"h{i}.example.test.", "A"  # cached by the first pass
    for i in range(20):
        yield f"u{i}.example.test.", "A"  # never asked
    for name, t in (("www", "A"), ("alias", "A"), ("mx", "MX"), ("nx0", "A"), ("@", "SOA")):
        yield ("example.test." if name == "@" else f"{name}.example.test."), t


def ask_opcode(port, opcode, name="www.example.test.", edns=True):
    """A query with another opcode: rcode, opcode, header flags, question and OPT as answered."""
    # An UPDATE's first section names a zone (RFC 2136 §2.3): its type must be SOA.
    rdtype = "SOA" if opcode == dns.opcode.UPDATE else "A"
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False, payload=1232)
    q.flags |= dns.flags.AD
    q.set_opcode(opcode)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    flags = [f for f in ("QR", "AA", "TC", "RD", "RA", "AD", "CD") if r.flags & getattr(dns.flags, f)]
    return (dns.rcode.to_text(r.rcode()), dns.opcode.to_text(r.opcode()), flags,
            [x.to_text() for x in r.question], r.edns)


def ask(port, name, rdtype, rd=True):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    if not rd:
        q.flags &= ~dns.flags.RD
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    rrsets = sorted(
        (rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype), sorted(x.to_text() for x in rr))
        for rr in r.answer)
    if rd:
        return r.rcode(), rrsets
    flags = [f for f in ("AA", "RD", "RA") if r.flags & getattr(dns.flags, f)]
    return r.rcode(), rrsets, flags


def main():
    a, b = int(sys.argv[1]), int(sys.argv[2])
    diffs, count = [], 0
    for name, t in questions():
        count += 1
        ra, rb = ask(a, name, t), ask(b, name, t)
        if ra != rb:
            diffs.append(f"{name} {t}: consolegate={ra} unbound={rb}")
    for name, t in norec_questions():
        count += 1
        ra, rb = ask(a, name, t, rd=False), ask(b, name, t, rd=False)
        if ra != rb:
            diffs.append(f"{name} {t} RD=0: consolegate={ra} unbound={rb}")
    # Opcodes other than QUERY: NOTIFY is refused, the rest are not implemented (RFC 1035 §4.1.1).
    for opcode in (1, 2, 4, 5):  # the assigned ones dnspython can build
        for edns in (True, False):
            count += 1
            ra, rb = ask_opcode(a, opcode, edns=edns), ask_opcode(b, opcode, edns=edns)
            if ra != rb:
                diffs.append(f"opcode {opcode} edns={edns}: consolegate={ra} unbound={rb}")
    print(f"{count} questions, {len(diffs)} differences")
    for d in diffs:
        print(d)
    if count >= 200 and not diffs:
        print("AGREE")


if __name__ == "__main__":
    main()
