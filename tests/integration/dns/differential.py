#!/usr/bin/python3
"""Asks consolegate and unbound (both forwarding to the same nsd) the same >= 200 questions about
the test zone and compares rcode and RRsets (TTLs ignored: they age differently). Prints AGREE or
every difference. Usage: differential.py CONSOLEGATE_PORT UNBOUND_PORT"""
import sys

import dns.flags
import dns.message
import dns.query
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


def ask(port, name, rdtype):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    rrsets = sorted(
        (rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype), sorted(x.to_text() for x in rr))
        for rr in r.answer)
    return r.rcode(), rrsets


def main():
    a, b = int(sys.argv[1]), int(sys.argv[2])
    diffs, count = [], 0
    for name, t in questions():
        count += 1
        ra, rb = ask(a, name, t), ask(b, name, t)
        if ra != rb:
            diffs.append(f"{name} {t}: consolegate={ra} unbound={rb}")
    print(f"{count} questions, {len(diffs)} differences")
    for d in diffs:
        print(d)
    if count >= 200 and not diffs:
        print("AGREE")


if __name__ == "__main__":
    main()
