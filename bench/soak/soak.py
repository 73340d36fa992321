"""Bounded soak of the gateway binary (issue 17 "Load and soak"): not a test, never run by ctest.

Starts the e2e harness's gateway (tests/e2e/gateway/harness.py: the real binary, the demo origin
as a stand-in AWS, its stand-in DNS from tests/e2e/evasion) with one pass-through host, then runs
CLIENTS threads round-robin over three kinds of traffic until REQUESTS requests or SECONDS seconds,
whichever comes first:
  inspected  an allowed sign-in (SANDBOX) on the SNI listener: judged, forwarded, 200 expected
  judged     a forbidden sign-in (PROD): judged, block page, 403 expected
  spliced    CONNECT to the pass-through host (a recorder at 127.0.0.2): 200 and bytes relayed
The admin endpoints (/metrics, /readyz) are polled every second and a reload is asked for half-way.
Prints the gateway's RSS before the load (after a warm-up), at its peak (VmHWM and the highest
sample) and after the load (once connections_active is back to 0, bounded wait), the proxy's
connection counters, and the outcomes by kind. Exit status 1 when any outcome was unexpected or
connections_active did not get back to 0."""
import collections
import os
import re
import socket
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "gateway"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "evasion"))
os.environ.setdefault("CG_SOURCE_DIR", ROOT)
from harness import PROD, SANDBOX  # noqa: E402
from test_evasion import (STANDIN_RECORDS, EvasionGateway, Recorder, form_request,  # noqa: E402
                          read_all, status_of)
from standin_dns import StandinDNS  # noqa: E402

SECONDS = float(os.environ.get("SECONDS_MAX", "120"))
REQUESTS = int(os.environ.get("REQUESTS_MAX", "100000"))
CLIENTS = int(os.environ.get("CLIENTS", "16"))
PASS = "elsewhere.evil.test"
TIMEOUT = 10


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def metric(text, name):
    m = re.search(r"^%s (\d+)" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


class Soak:
    def __init__(self, gw):
        self.gw = gw
        self.ctx = ssl.create_default_context(cafile=os.path.join(gw.ca_dir, "ca.crt"))
        self.outcomes = collections.Counter()
        self.lock = threading.Lock()
        self.issued = 0
        self.deadline = 0.0

    def take(self):
        with self.lock:
            if self.issued >= REQUESTS or time.monotonic() >= self.deadline:
                return None
            self.issued += 1
            return self.issued

    def note(self, what):
        with self.lock:
            self.outcomes[what] += 1

    def sni(self, account):
        with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]), timeout=TIMEOUT) as s:
            with self.ctx.wrap_socket(s, server_hostname="signin.aws.amazon.com") as t:
                t.sendall(form_request("/switchrole", "account=%s&roleName=Admin" % account))
                return status_of(read_all(t))

    def splice(self):
        with socket.create_connection(("127.0.0.1", self.gw.ports["connect"]),
                                      timeout=TIMEOUT) as s:
            s.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s\r\n\r\n"
                       % (PASS, self.gw.ports["origin"], PASS)).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(1)
                if not chunk:
                    break
                head += chunk
            if status_of(head) != 200:
                return status_of(head)
            # A real ClientHello (the gateway reads it before splicing); the recorder reads it
            # and closes, so the handshake ends without an answer. An alert is the gateway's.
            ctx = ssl.create_default_context()
            try:
                with ctx.wrap_socket(s, server_hostname=PASS):
                    pass
            except ssl.SSLError as e:
                if "ALERT" in str(e).upper():
                    return 0
            except OSError:
                pass
            return 200

    def client(self):
        while True:
            n = self.take()
            if n is None:
                return
            kind = ("inspected", "judged", "spliced")[n % 3]
            try:
                if kind == "inspected":
                    got, want = self.sni(SANDBOX), 200
                elif kind == "judged":
                    got, want = self.sni(PROD), 403
                else:
                    got, want = self.splice(), 200
                self.note("%s %s" % (kind, "ok" if got == want else "got %d" % got))
            except (OSError, ssl.SSLError) as e:
                self.note("%s error %s" % (kind, type(e).__name__))

    def run(self):
        pid = self.gw.gw.pid
        for _ in range(30):  # warm-up: leaves minted, pools and caches filled
            self.sni(SANDBOX)
        time.sleep(1)
        before = rss_kib(pid)
        self.deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=self.client, daemon=True) for _ in range(CLIENTS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        peak, reloaded, polls = before, None, collections.Counter()
        while any(t.is_alive() for t in threads):
            time.sleep(1)
            peak = max(peak, rss_kib(pid))
            polls["readyz " + ("ok" if self.gw.ready() else "not ready")] += 1
            polls["metrics " + ("ok" if metric(self.gw.metrics(), "consolegate_proxy_requests_total")
                                is not None else "missing")] += 1
            if reloaded is None and time.monotonic() - started >= SECONDS / 2:
                reloaded = self.gw.admin_post("/reload")[0]
        took = time.monotonic() - started
        for t in threads:
            t.join(timeout=TIMEOUT * 2)
        for _ in range(200):  # bounded: 20 s for the last connections to go
            if metric(self.gw.metrics(), "consolegate_proxy_connections_active") == 0:
                break
            time.sleep(0.1)
        time.sleep(2)
        after = rss_kib(pid)
        text = self.gw.metrics()
        print("requests      %d in %.1f s (%.0f/s), %d clients" % (self.issued, took,
                                                                     self.issued / took, CLIENTS))
        print("rss_kib       before %d  peak %d (VmHWM %d)  after %d  (after-before %+d)" % (
            before, peak, rss_kib(pid, "VmHWM"), after, after - before))
        for name in ("connections_accepted_total", "connections_active", "bumped_total",
                     "spliced_total", "bad_client_hello_total", "requests_total", "requests_denied_total",
                     "refused_limit_total", "timeouts_total", "upstream_connect_failures_total",
                     "upstream_body_failures_total", "bad_requests_total"):
            print("%-45s %s" % ("consolegate_proxy_" + name,
                                metric(text, "consolegate_proxy_" + name)))
        print("reload        %s" % reloaded)
        for k, v in sorted(polls.items()):
            print("poll          %-20s %d" % (k, v))
        for k, v in sorted(self.outcomes.items()):
            print("outcome       %-30s %d" % (k, v))
        bad = [k for k in self.outcomes if not k.endswith(" ok")]
        bad += [k for k in polls if not k.endswith(" ok")]
        if reloaded not in (None, 200):
            bad.append("reload %s" % reloaded)
        if metric(text, "consolegate_proxy_spliced_total") != self.outcomes["spliced ok"]:
            bad.append("spliced_total is not the spliced requests")
        if metric(text, "consolegate_proxy_connections_active") != 0:
            bad.append("connections_active not back to 0")
        print("result        %s" % ("ok" if not bad else "UNEXPECTED: " + ", ".join(bad)))
        return 0 if not bad else 1


def main():
    dns = StandinDNS(STANDIN_RECORDS)
    gw = None
    recorder = None
    try:
        gw = EvasionGateway(dns.port, proxy_extra='pass_through_hosts = ["%s"]' % PASS).start()
        recorder = Recorder(gw.ports["origin"])
        return Soak(gw).run()
    finally:
        if recorder:
            recorder.close()
        if gw:
            gw.close()
        dns.close()


if __name__ == "__main__":
    sys.exit(main())
