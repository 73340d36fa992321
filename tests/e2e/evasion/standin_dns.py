"""A stand-in upstream DNS for the evasion suite: the proxy's own resolver (c-ares) asks it for
real addresses. It answers from a table of names (A records and CNAMEs, chased within the table as
a recursive resolver would hand them over: the chain, then the target's addresses), NXDOMAIN for
the rest, and counts what it was asked. Runs in a thread of the test process, UDP only (c-ares
uses TCP only after a truncated answer, and no answer here is large)."""
import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class StandinDNS:
    def __init__(self, records, ttl=300, failing=False):
        """records: {name: "1.2.3.4" | ["1.2.3.4", ...] | ("CNAME", "target.") | ("GARBAGE",)
        | ("MISMATCH",)}: GARBAGE answers bytes that are no DNS message, MISMATCH a right answer
        under another transaction ID (what an off-path spoofer sends). `failing`: every query is
        answered SERVFAIL (a resolver that cannot reach the internet), counted all the same;
        a tuple of domains instead: only names in them are (a resolver that cannot reach AWS's
        name servers, or is kept from them, while it answers everything else)."""
        self.failing = failing
        self.records = {k.lower().rstrip("."): v for k, v in records.items()}
        self.ttl = ttl
        self.asked = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _answer(self, q):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA | dns.flags.RA
        question = q.question[0]
        name = question.name.to_text().lower().rstrip(".")
        self.asked.append(name)
        if self.failing is True or (self.failing and any(
                name == d or name.endswith("." + d) for d in self.failing)):
            r.set_rcode(dns.rcode.SERVFAIL)
            return r
        for _ in range(8):  # a bounded chain
            value = self.records.get(name)
            if value is None:
                if not r.answer:
                    r.set_rcode(dns.rcode.NXDOMAIN)
                return r
            owner = dns.name.from_text(name)
            if isinstance(value, tuple) and value[0] == "CNAME":
                r.answer.append(dns.rrset.from_text(owner, self.ttl, "IN", "CNAME", value[1]))
                name = value[1].lower().rstrip(".")
                continue
            values = value if isinstance(value, list) else [value]
            rtype = question.rdtype
            wanted = [v for v in values if (":" in v) == (rtype == dns.rdatatype.AAAA)]
            if rtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and wanted:
                r.answer.append(dns.rrset.from_text_list(owner, self.ttl, "IN", rtype, wanted))
            return r
        return r

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                q = dns.message.from_wire(data)
                name = q.question[0].name.to_text().lower().rstrip(".")
                fault = self.records.get(name)
                if fault == ("GARBAGE",):
                    self.asked.append(name)
                    self.sock.sendto(data[:2] + b"\x81\x80\xff\xff" + bytes(range(40)), peer)
                    continue
                r = self._answer(q)
                if fault == ("MISMATCH",):
                    self.records[name] = "127.0.0.1"  # answered, under the wrong ID
                    r = self._answer(q)
                    self.records[name] = fault
                    r.id = (q.id + 1) & 0xFFFF
                self.sock.sendto(r.to_wire(), peer)
            except Exception:  # a query it cannot read gets no answer, as from a lossy network
                continue
