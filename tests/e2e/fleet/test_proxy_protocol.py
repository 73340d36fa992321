"""PROXY protocol end to end: a real HAProxy (Debian's) in front of the real gateway on loopback.

Addresses on 127.0.0.0/8 stand for hosts: 127.0.0.2 is the load balancer (HAProxy's `source`),
clients connect from 127.0.0.3.. with curl --interface / dig -b. The gateway requires the header
from 127.0.0.2/32 on the SNI, CONNECT and DNS-over-TCP listeners; the tests check that the real
client, not the balancer, reaches the audit event and the allow lists, and that a header from
anywhere else is refused."""
import os
import shutil
import socket
import struct
import sys
import textwrap
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import FOREIGN, PROD, SANDBOX, Gateway, free_port, run, wait_until  # noqa: E402

BALANCER = "127.0.0.2"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_header(src, dst, sport, dport):
    block = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack(">H", len(block)) + block


def v2_header6(src, dst, sport, dport):
    block = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
             struct.pack(">HH", sport, dport))
    return V2_SIG + bytes([0x21, 0x21]) + struct.pack(">H", len(block)) + block


class ProxiedGateway(Gateway):
    """The harness's gateway with the PROXY protocol required on every TCP listener and narrow
    allow lists, so that policy decided on the balancer's address would show."""

    def write_config(self):
        path = super().write_config()
        with open(path) as f:
            text = f.read()
        text = text.replace("[dns]\n", textwrap.dedent("""\
            [dns]
            tcp_proxy_protocol = "required"
            proxy_protocol_from = ["%s/32"]
            allow_clients = ["127.0.0.1/32", "127.0.0.5/32"]
            """) % BALANCER, 1)
        text = text.replace('allow_clients = ["127.0.0.0/8"]', textwrap.dedent("""\
            allow_clients = ["127.0.0.1/32", "127.0.0.3/32", "127.0.0.4/32"]
            sni_proxy_protocol = "required"
            connect_proxy_protocol = "required"
            proxy_protocol_from = ["%s/32"]""") % BALANCER, 1)
        with open(path, "w") as f:
            f.write(text)
        return path


class ProxyProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = ProxiedGateway().start()
        cls.hp = {k: free_port() for k in ("sni", "connect", "dns")}
        p = cls.gw.ports
        conf = os.path.join(cls.gw.dir, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(textwrap.dedent("""\
                global
                    maxconn 200
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend sni
                    bind 127.0.0.1:%(hp_sni)d
                    default_backend gw_sni
                backend gw_sni
                    server gw 127.0.0.1:%(sni)d send-proxy-v2 source %(lb)s check inter 300ms check-send-proxy
                frontend connect
                    bind 127.0.0.1:%(hp_connect)d
                    default_backend gw_connect
                backend gw_connect
                    server gw 127.0.0.1:%(connect)d send-proxy source %(lb)s
                frontend dns
                    bind 127.0.0.1:%(hp_dns)d
                    default_backend gw_dns
                backend gw_dns
                    server gw 127.0.0.1:%(dns)d send-proxy-v2 source %(lb)s
                """ % dict(hp_sni=cls.hp["sni"], hp_connect=cls.hp["connect"], hp_dns=cls.hp["dns"],
                           sni=p["sni"], connect=p["connect"], dns=p["dns"], lb=BALANCER)))
        cls.gw._start("haproxy", ["haproxy", "-db", "-f", conf])
        wait_until(lambda: all(cls.gw._port_open(port) for port in cls.hp.values()), 20, "haproxy")

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def curl_via(self, url, frontend, source, *extra):
        args = ["curl", "-sS", "--max-time", "15", "--interface", source,
                "--cacert", os.path.join(self.gw.ca_dir, "ca.crt"), "-o", "-", "-w", "\n%{http_code}"]
        if frontend == "connect":
            args += ["-x", "http://127.0.0.1:%d" % self.hp["connect"]]
        else:
            host = url.split("/")[2]
            args += ["--connect-to", "%s:443:127.0.0.1:%d" % (host, self.hp["sni"])]
        r = run(args + list(extra) + [url], timeout=25)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body + r.stderr

    def event_for(self, account, client):
        found = []

        def look():
            found[:] = [e for e in self.gw.events() if e["account"] == account and e["client"] == client]
            return bool(found)
        wait_until(look, 10, "an audit event for %s from %s" % (account, client))
        return found[-1]

    def metric(self, name):
        return self.gw.metric(name)

    def test_connect_through_haproxy_v1_records_the_real_client(self):
        code, body = self.curl_via("https://%s.signin.aws.amazon.com/console" % PROD, "connect", "127.0.0.3")
        self.assertEqual(code, 403, body)
        event = self.event_for(PROD, "127.0.0.3")
        self.assertIn(event["id"], body)
        self.assertFalse([e for e in self.gw.events() if e["client"] == BALANCER])

    def test_sni_through_haproxy_v2_records_the_real_client(self):
        code, body = self.curl_via("https://%s.signin.aws.amazon.com/console" % FOREIGN, "sni", "127.0.0.4")
        self.assertEqual(code, 403, body)
        self.event_for(FOREIGN, "127.0.0.4")
        code, body = self.curl_via("https://%s.signin.aws.amazon.com/console" % SANDBOX, "sni", "127.0.0.4")
        self.assertEqual(code, 200, body)

    def test_allow_clients_judges_the_real_client_not_the_balancer(self):
        before = self.metric("consolegate_proxy_refused_client_total")
        code, body = self.curl_via("https://%s.signin.aws.amazon.com/console" % SANDBOX, "connect", "127.0.0.7")
        self.assertEqual(code, 0, body)  # closed without a byte
        self.assertGreater(self.metric("consolegate_proxy_refused_client_total"), before)

    def test_dns_over_tcp_through_haproxy_uses_the_real_client(self):
        def dig(source):
            return run(["dig", "+tcp", "-b", source, "@127.0.0.1", "-p", str(self.hp["dns"]),
                        "+time=5", "+tries=1", "console.aws.amazon.com", "A"], timeout=15).stdout
        allowed = dig("127.0.0.5")
        self.assertIn("status: NOERROR", allowed)
        self.assertIn("127.0.0.1", allowed)
        self.assertIn("status: REFUSED", dig("127.0.0.6"))
        self.assertGreaterEqual(self.metric("consolegate_dns_proxy_protocol_relayed_total"), 2)

    def test_a_header_from_outside_the_balancer_networks_is_refused(self):
        for port, metric in ((self.gw.ports["sni"], "consolegate_proxy_proxy_protocol_refused_total"),
                             (self.gw.ports["dns"], "consolegate_dns_proxy_protocol_refused_total")):
            before = self.metric(metric)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(v2_header("203.0.113.9", "127.0.0.1", 40000, port))
                self.assertEqual(s.recv(100), b"")  # closed, nothing said
            wait_until(lambda: self.metric(metric) > before, 10, metric)
        # The same listener still serves a direct client without a header as itself.
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % PROD, via="sni")
        self.assertEqual(code, 403, body)
        self.event_for(PROD, "127.0.0.1")

    def test_a_clients_own_header_behind_the_balancer_names_nobody(self):
        # Evasion: a client behind the balancer opens its stream with a PROXY header of its own
        # (v2, or v1 split over TCP segments) naming another client (127.0.0.4: allowed, where
        # 127.0.0.3 is too, so a believed header would show as a 200), hoping the gateway reads a
        # second header after the balancer's and takes it as the client's address. Only the
        # first header, from the balancer's address, is read: the client's is bytes of its
        # stream, no CONNECT or ClientHello; nothing is judged under the forged address.
        forged = "127.0.0.4"
        v1 = b"PROXY TCP4 %s 127.0.0.1 40000 443\r\n" % forged.encode()
        events_before = len(self.gw.events())
        for name, port, parts in (
                ("connect, v2", self.hp["connect"],
                 [v2_header(forged, "127.0.0.1", 40000, 3128) +
                  b"CONNECT %s.signin.aws.amazon.com:443 HTTP/1.1\r\n\r\n" % PROD.encode()]),
                ("connect, v1 split", self.hp["connect"],
                 [v1[:9], v1[9:] + b"CONNECT %s.signin.aws.amazon.com:443 HTTP/1.1\r\n\r\n"
                  % PROD.encode()]),
                ("sni, v1", self.hp["sni"], [v1])):
            with self.subTest(case=name):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.settimeout(10)
                    s.bind(("127.0.0.3", 0))
                    s.connect(("127.0.0.1", port))
                    for part in parts:
                        s.sendall(part)
                        time.sleep(0.1)  # separate segments
                    answer = b""
                    try:
                        while True:
                            chunk = s.recv(4096)
                            if not chunk:
                                break
                            answer += chunk
                    except (socket.timeout, ConnectionResetError):
                        pass
                self.assertFalse(answer.startswith(b"HTTP/1.1 200"), answer[:200])
        time.sleep(0.5)
        self.assertFalse([e for e in self.gw.events()[events_before:] if e["client"] == forged])

    def test_a_balancer_without_a_header_is_refused(self):
        before = self.metric("consolegate_proxy_proxy_protocol_bad_total")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.bind((BALANCER, 0))
            s.connect(("127.0.0.1", self.gw.ports["connect"]))
            s.sendall(b"CONNECT signin.aws.amazon.com:443 HTTP/1.1\r\n\r\n")
            self.assertEqual(s.recv(100), b"")
        wait_until(lambda: self.metric("consolegate_proxy_proxy_protocol_bad_total") > before, 10,
                   "proxy_protocol_bad_total")

    def test_an_ipv4_client_in_ipv6_spelling_is_that_client(self):
        # A dual-stack balancer names an IPv4 client ::ffff:a.b.c.d (v1 TCP6, v2 AF_INET6): the
        # gateway holds it as the IPv4 client, so allow_clients' 127.0.0.3/32 lets it in and
        # 127.0.0.7 stays out. An IPv4-compatible source (::127.0.0.3) is neither that client
        # nor a routed IPv6 one: the header is malformed and the connection closed unanswered.
        def connect(header):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.bind((BALANCER, 0))
                s.connect(("127.0.0.1", self.gw.ports["connect"]))
                s.sendall(header + b"CONNECT %s.signin.aws.amazon.com:443 HTTP/1.1\r\n"
                          b"Host: %s.signin.aws.amazon.com:443\r\n\r\n" % (PROD.encode(), PROD.encode()))
                try:
                    return s.recv(200)
                except (socket.timeout, ConnectionResetError):
                    return b""
        port = self.gw.ports["connect"]
        for header in (v2_header6("::ffff:127.0.0.3", "::ffff:127.0.0.1", 40000, port),
                       b"PROXY TCP6 ::FFFF:127.0.0.3 ::1 40000 %d\r\n" % port):
            with self.subTest(header=header[:40]):
                self.assertTrue(connect(header).startswith(b"HTTP/1.1 200"))
        refused = self.metric("consolegate_proxy_refused_client_total")
        self.assertEqual(connect(v2_header6("::ffff:127.0.0.7", "::1", 40000, port)), b"")
        wait_until(lambda: self.metric("consolegate_proxy_refused_client_total") > refused, 10,
                   "refused_client_total")
        for header in (v2_header6("::127.0.0.3", "::1", 40000, port),
                       b"PROXY TCP6 ::127.0.0.3 ::1 40000 %d\r\n" % port):
            with self.subTest(header=header[:40]):
                bad = self.metric("consolegate_proxy_proxy_protocol_bad_total")
                self.assertEqual(connect(header), b"")
                wait_until(lambda: self.metric("consolegate_proxy_proxy_protocol_bad_total") > bad,
                           10, "proxy_protocol_bad_total")

    def test_haproxy_health_checks_with_local_headers_are_not_errors(self):
        # check-send-proxy makes HAProxy's checks open with a v2 LOCAL header every 300 ms: the
        # gateway takes them as the balancer speaking for itself, never as a bad header.
        bad = self.metric("consolegate_proxy_proxy_protocol_bad_total")
        refused = self.metric("consolegate_proxy_proxy_protocol_refused_total")
        accepted = self.metric("consolegate_proxy_connections_accepted_total")
        wait_until(lambda: self.metric("consolegate_proxy_connections_accepted_total") >= accepted + 3,
                   10, "three health checks")
        self.assertEqual(self.metric("consolegate_proxy_proxy_protocol_bad_total"), bad)
        self.assertEqual(self.metric("consolegate_proxy_proxy_protocol_refused_total"), refused)


if __name__ == "__main__":
    if not shutil.which("haproxy"):
        print("SKIP: haproxy is not installed (Debian package `haproxy`; scripts/setup.sh installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
