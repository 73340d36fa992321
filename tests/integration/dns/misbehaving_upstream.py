#!/usr/bin/python3
"""An upstream that misbehaves as the first label of the name asked says, over UDP and TCP on
127.0.0.1:PORT, for the differential test against unbound (both forward to it): error rcodes,
FORMERR and NOTIMP to queries with EDNS only (answered without), an answer for another question
or without one, QR=0, TC=1 over TCP as well, no AA, no RA, negative answers without an SOA, a
TTL with its top bit set, an RRset whose TTLs differ, a record of another type than asked or of
another class, records of names nobody asked in every section, the same record twice, an
RRset's records apart. Any other name gets an A record. nsd and unbound never answer so; real
servers and middleboxes do.
Usage: misbehaving_upstream.py PORT (runs until killed)."""
import socket
import struct
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.rrset

RCODES = {"yxdomain": 6, "notimp": 4, "refused": 5, "servfail": 2, "rcode9": 9, "formerr": 1}


def answer(wire, tcp):
    try:
        q = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    qname = q.question[0].name
    qtype = q.question[0].rdtype
    label = qname.labels[0].decode().lower()
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA

    def add_a(ttl=300):
        if qtype in (1, 255):
            r.answer.append(dns.rrset.from_text(qname, ttl, "IN", "A", "192.0.2.55"))

    soa = dns.rrset.from_text("bad.test.", 300, "IN", "SOA", "ns.bad.test. h.bad.test. 1 2 3 4 60")
    if label in RCODES:
        r.set_rcode(RCODES[label])
    elif label in ("formerr-edns", "notimp-edns"):  # an rcode to EDNS, an answer without it
        if q.edns >= 0:
            r.set_rcode(1 if label == "formerr-edns" else 4)
        else:
            add_a()
    elif label == "qr0":
        add_a()
        w = bytearray(r.to_wire())
        w[2] &= 0x7f
        return bytes(w)
    elif label == "otherq":
        other = dns.message.make_response(dns.message.make_query("other.bad.test.", qtype))
        other.id = q.id
        other.answer.append(dns.rrset.from_text("other.bad.test.", 300, "IN", "A", "192.0.2.56"))
        return other.to_wire()
    elif label == "noq":
        add_a()
        w = r.to_wire()
        qlen = len(qname.to_wire()) + 4
        return w[:4] + b"\x00\x00" + w[6:12] + w[12 + qlen:]
    elif label == "tc-always":
        r.flags |= dns.flags.TC
    elif label == "tc-udp":
        if tcp:
            add_a()
        else:
            r.flags |= dns.flags.TC
    elif label == "tc-differs":  # TC over UDP with a partial answer, another one over TCP
        if tcp:
            r.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "192.0.2.58"))
        else:
            r.flags |= dns.flags.TC
            r.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "192.0.2.57"))
    elif label == "tc-nx":  # TC over UDP, NXDOMAIN over TCP
        if tcp:
            r.set_rcode(3)
            r.authority.append(soa)
        else:
            r.flags |= dns.flags.TC
    elif label in ("opt-v1", "opt-v1-nx"):  # the answer's OPT record of EDNS version 1
        if label == "opt-v1":
            add_a()
        else:
            r.set_rcode(3)
            r.authority.append(soa)
        r.use_edns(False)
        w = bytearray(r.to_wire())
        w[10:12] = struct.pack("!H", 1)
        return bytes(w) + b"\x00\x00\x29\x04\xd0\x00\x01\x00\x00\x00\x00"
    elif label == "badvers":  # BADVERS (extended rcode 16) to a version 0 query
        r.use_edns(False)
        w = bytearray(r.to_wire())
        w[10:12] = struct.pack("!H", 1)
        return bytes(w) + b"\x00\x00\x29\x04\xd0\x01\x00\x00\x00\x00\x00"
    elif label == "noaa":
        r.flags &= ~dns.flags.AA
        add_a()
    elif label == "nx-nosoa":
        r.set_rcode(3)
    elif label == "nx-soa":
        r.set_rcode(3)
        r.authority.append(soa)
    elif label == "nodata-nosoa":
        pass
    elif label == "ttl-topbit":
        add_a(0x80000001)
    elif label == "ttl-mixed":
        if qtype == 1:
            r.answer.append(dns.rrset.from_text(qname, 100, "IN", "A", "192.0.2.58", "192.0.2.59"))
            w = bytearray(r.to_wire())
            first = w.find(struct.pack("!I", 100))
            second = w.find(struct.pack("!I", 100), first + 1)
            w[second:second + 4] = struct.pack("!I", 50)
            return bytes(w)
    elif label == "othertype":
        r.answer.append(dns.rrset.from_text(qname, 300, "IN", "TXT", '"x"'))
    elif label == "ra0":
        r.flags &= ~dns.flags.RA
        add_a()
    elif label == "otherclass":  # the record asked for, and one in another class
        add_a()
        r.answer.append(dns.rrset.from_text(qname, 300, "CLASS5", "A", "\\# 4 c000023c"))
    elif label == "otherclass-only":
        r.answer.append(dns.rrset.from_text(qname, 300, "CLASS5", "A", "\\# 4 c000023c"))
    elif label == "extra":  # records about names nobody asked, in every section
        add_a()
        r.answer.append(dns.rrset.from_text("elsewhere.example.", 300, "IN", "A", "192.0.2.61"))
        r.authority.append(dns.rrset.from_text("elsewhere.example.", 300, "IN", "NS",
                                               "ns.elsewhere.example."))
        r.additional.append(dns.rrset.from_text("ns.elsewhere.example.", 300, "IN", "A",
                                                "192.0.2.62"))
    elif label == "nx-extra":
        r.set_rcode(3)
        r.answer.append(dns.rrset.from_text("elsewhere.example.", 300, "IN", "A", "192.0.2.61"))
        r.authority.append(soa)
        r.additional.append(dns.rrset.from_text("ns.bad.test.", 300, "IN", "A", "192.0.2.62"))
    elif label == "cname-lie":  # a CNAME and an address for its target other than the target's
        r.answer.append(dns.rrset.from_text(qname, 300, "IN", "CNAME", "target.bad.test."))
        if qtype in (1, 255):
            r.answer.append(dns.rrset.from_text("target.bad.test.", 300, "IN", "A", "192.0.2.99"))
    elif label == "cname-nodata":  # a CNAME to a name the upstream answers NODATA without SOA
        r.answer.append(dns.rrset.from_text(qname, 300, "IN", "CNAME", "nodata-nosoa.bad.test."))
    elif label == "referral-elsewhere":  # an NS RRset for a name not above the one asked
        r.flags &= ~dns.flags.AA
        r.authority.append(dns.rrset.from_text("elsewhere.example.", 300, "IN", "NS",
                                               "ns.elsewhere.example."))
        r.additional.append(dns.rrset.from_text("ns.elsewhere.example.", 300, "IN", "A",
                                                "192.0.2.62"))
    elif label == "dup":  # the same record twice
        if qtype in (1, 255):
            r.use_edns(False)  # the records go at the end
            w = bytearray(r.to_wire())
            rr = b"\xc0\x0c\x00\x01\x00\x01" + struct.pack("!IH", 300, 4) + bytes([192, 0, 2, 63])
            w[6:8] = struct.pack("!H", 2)
            return bytes(w) + rr + rr
    elif label == "split":  # an RRset's records apart, another type between them
        if qtype in (1, 255):
            r.use_edns(False)
            w = bytearray(r.to_wire())
            a1 = b"\xc0\x0c\x00\x01\x00\x01" + struct.pack("!IH", 300, 4) + bytes([192, 0, 2, 64])
            txt = b"\xc0\x0c\x00\x10\x00\x01" + struct.pack("!IH", 300, 2) + b"\x01x"
            a2 = b"\xc0\x0c\x00\x01\x00\x01" + struct.pack("!IH", 300, 4) + bytes([192, 0, 2, 65])
            w[6:8] = struct.pack("!H", 3)
            return bytes(w) + a1 + txt + a2
    else:
        add_a()
    return r.to_wire()


def serve_udp(s):
    while True:
        data, peer = s.recvfrom(65535)
        out = answer(data, False)
        if out:
            s.sendto(out, peer)


def serve_tcp_connection(c):
    with c:
        buf = b""
        while True:
            chunk = c.recv(65535)
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                out = answer(buf[2:2 + n], True)
                buf = buf[2 + n:]
                if out:
                    c.sendall(struct.pack("!H", len(out)) + out)


def main():
    port = int(sys.argv[1])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", port))
    t.listen(16)
    threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
    while True:
        c, _ = t.accept()
        threading.Thread(target=serve_tcp_connection, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
