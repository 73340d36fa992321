"""Issue 17: routes around the gateway, tried as an attacker would against the live binary with a
stand-in AWS (scripts/demo-origin.py --record) that logs every request it receives. One test per
route class, several variants each. Every variant names the forbidden account (PROD, denied by the
harness policy's `no-prod` rule); the assertions are that no request of a variant reaches the
origin, and that every variant the inspector judged is in the audit record.

Runs on loopback (the harness's ports), not in a network namespace: the harness's peers need no
privileges that way, and every route tried here goes through the gateway's listeners.
Bounded: one gateway per test class (three), every socket operation with a timeout (about
45 s in all)."""
import json
import os
import re
import runpy
import socket
import ssl
import subprocess
import sys
import time
import unittest

import jsonschema

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import BINARY, PROD, SANDBOX, SOURCE_DIR, Gateway, wait_until  # noqa: E402
from standin_dns import StandinDNS  # noqa: E402

SIGNIN = "signin.aws.amazon.com"
# Access key IDs that encode an account (inspect/access_key.hpp): PROD's and SANDBOX's.
AKID_PROD = "ASIADHPL2AOHCWS4H4AN"
AKID_SANDBOX = "ASIABTXV5AHDSWS4H4AN"
TIMEOUT = 10


def form_request(target, body, host=SIGNIN, extra=(), ctype="application/x-www-form-urlencoded"):
    head = ["POST %s HTTP/1.1" % target, "Host: %s" % host]
    if ctype:
        head.append("Content-Type: %s" % ctype)
    head += list(extra)
    head += ["Content-Length: %d" % len(body), "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body.encode()


def client_hello(names):
    """A minimal TLS 1.2 ClientHello whose server_name list holds `names`: (type, name) pairs."""
    def u16(n):
        return n.to_bytes(2, "big")
    entries = b"".join(bytes([t]) + u16(len(n)) + n.encode() for t, n in names)
    ext = b"\x00\x00" + u16(len(entries) + 2) + u16(len(entries)) + entries
    body = (b"\x03\x03" + bytes(32) + b"\x00" + u16(2) + b"\x13\x01" + b"\x01\x00" +
            u16(len(ext)) + ext)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + u16(len(handshake)) + handshake


def tls12_hello(name, ech):
    """A ClientHello the gateway's TLS accepts (TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, P-256)
    with SNI `name`; with `ech`, an encrypted_client_hello extension (0xfe0d, type outer, an
    HPKE suite, config id, enc and payload) as a client with an ECH config sends it, its
    ClientHelloInner (another server name) encrypted: GREASE ECH has the same shape."""
    def u16(n):
        return n.to_bytes(2, "big")

    def ext(t, body):
        return u16(t) + u16(len(body)) + body
    sni = bytes([0]) + u16(len(name)) + name.encode()
    exts = (ext(0, u16(len(sni)) + sni) + ext(10, u16(2) + u16(0x17)) + ext(11, b"\x01\x00") +
            ext(13, u16(2) + u16(0x0403)))
    if ech:
        exts += ext(0xFE0D, b"\x00" + u16(1) + u16(1) + b"\x2a" + u16(32) + os.urandom(32) +
                    u16(176) + os.urandom(176))
    body = (b"\x03\x03" + os.urandom(32) + b"\x00" + u16(2) + u16(0xC02B) + b"\x01\x00" +
            u16(len(exts)) + exts)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + u16(len(handshake)) + handshake


def status_of(data):
    head = data.split(b"\r\n", 1)[0]
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def read_all(sock):
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError, ssl.SSLError):
        pass
    return data


# What the proxy's own resolver is told (standin_dns.py): the sign-in names live at the stand-in
# AWS's address (127.0.0.1, where the demo origin listens), attacker names are CNAMEs of them or
# share the address, and one name lives elsewhere (127.0.0.2, a plain TCP listener that records).
STANDIN_RECORDS = {
    "signin.aws.amazon.com": "127.0.0.1",
    "console.aws.amazon.com": "127.0.0.1",
    "portal.aws.amazon.com": "127.0.0.1",
    "login.evil.test": ("CNAME", "signin.aws.amazon.com."),
    "deep.evil.test": ("CNAME", "login.evil.test."),
    "shared.evil.test": "127.0.0.1",
    "v6.evil.test": "::ffff:127.0.0.1",
    # A name the stand-in AWS serves with a valid certificate (as AWS could serve sign-in under a
    # name the gateway does not know), at sign-in's address.
    "alias.evil.test": "127.0.0.1",
    "elsewhere.evil.test": "127.0.0.2",
    # An AWS name outside inspect_hosts, at an address the set does not know (as a CloudFront
    # front end is): an ECH public name AWS could publish for sign-in behind it.
    "ech.cloudfront.net": "127.0.0.2",
    "garbage.evil.test": ("GARBAGE",),
    "mismatch.evil.test": ("MISMATCH",),
}


class EvasionGateway(Gateway):
    """The harness's gateway with the proxy's upstream resolver pointed at the stand-in DNS."""

    def __init__(self, dns_port, **kw):
        super().__init__(**kw)
        self.dns_port = dns_port

    def write_config(self):
        path = super().write_config()
        with open(path) as f:
            text = f.read()
        old = 'upstream_resolvers = ["127.0.0.1:%d"]' % self.ports["unbound"]
        assert old in text, "harness config changed: %s" % old
        # The proxy resolves through the stand-in DNS, and has a site NAT64 prefix (RFC 6052
        # network-specific): [2001:db8:64::<IPv4>] reaches that IPv4 host through the translator.
        text = text.replace(old, 'upstream_resolvers = ["127.0.0.1:%d"]\n'
                            'nat64_prefixes = ["2001:db8:64::/96"]' % self.dns_port)
        with open(path, "w") as f:
            f.write(text)
        return path


SCHEMA = os.path.join(SOURCE_DIR, "docs/audit-event.schema.json")
with open(SCHEMA) as _f:
    RECORD_VALIDATOR = jsonschema.Draft202012Validator(json.load(_f))


class ValidRecord:
    """After every test, every event the class's gateway wrote so far (refusals before judgement
    and judged attempts, the shapes each test sends) validates against the audit schema."""

    def tearDown(self):
        for e in self.gw.events():
            errors = [err.message for err in RECORD_VALIDATOR.iter_errors(e)]
            self.assertEqual(errors, [], e)


class Recorder:
    """A plain TCP listener at 127.0.0.2 (a destination that is not AWS): records what arrives."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.2", port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.received = []
        self._stop = False
        import threading
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                pass
            conn.close()

    def close(self):
        self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()


# The stand-in AWS's certificate names (scripts/demo-origin.py), plus ALIAS: its upstream TLS
# verifies, so only judgement stands between a request for it and the origin.
ALIAS = "alias.evil.test"
ORIGIN_HOSTS = runpy.run_path(os.path.join(SOURCE_DIR, "scripts", "demo-origin.py"))[
    "DEFAULT_HOSTS"] + [ALIAS]


class evasion(ValidRecord, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = StandinDNS(STANDIN_RECORDS)
        try:
            cls.gw = EvasionGateway(cls.dns.port, override_hosts=(ALIAS,),
                                    origin_args=["--hosts", ",".join(ORIGIN_HOSTS)]).start()
        except Exception:
            cls.dns.close()
            raise
        try:
            cls.recorder = Recorder(cls.gw.ports["origin"])
        except OSError:
            cls.recorder = None

    @classmethod
    def tearDownClass(cls):
        if cls.recorder:
            cls.recorder.close()
        cls.gw.close()
        cls.dns.close()

    # ----- clients -----
    def connect_port(self):
        return socket.create_connection(("127.0.0.1", self.gw.ports["connect"]), timeout=TIMEOUT)

    def plain(self, request_bytes):
        """One request on the CONNECT listener (absolute-form plain HTTP or CONNECT)."""
        with self.connect_port() as s:
            s.sendall(request_bytes)
            return read_all(s)

    def tunnel(self, authority, sni, request_bytes):
        """CONNECT authority, TLS with `sni` (trusting the gateway's CA only), one request.
        Returns the CONNECT status and the inner answer (b"" when the tunnel or TLS failed)."""
        with self.connect_port() as s:
            s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (authority, authority)).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(1)
                if not chunk:
                    return status_of(head), b""
                head += chunk
            if status_of(head) != 200:
                return status_of(head), b""
            ctx = ssl.create_default_context(cafile=os.path.join(self.gw.ca_dir, "ca.crt"))
            ctx.check_hostname = False
            try:
                with ctx.wrap_socket(s, server_hostname=sni) as t:
                    t.sendall(request_bytes)
                    return 200, read_all(t)
            except (ssl.SSLError, OSError):
                return 200, b""

    def sni(self, request_bytes, host=SIGNIN):
        ctx = ssl.create_default_context(cafile=os.path.join(self.gw.ca_dir, "ca.crt"))
        with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]), timeout=TIMEOUT) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                t.sendall(request_bytes)
                return read_all(t)

    # ----- what the origin and the record saw -----
    def forbidden_reached_origin(self, since):
        """Requests after index `since` that name PROD (digits or access key) anywhere."""
        hits = []
        for r in self.gw.origin_requests()[since:]:
            text = json.dumps(r)
            if PROD in text or AKID_PROD in text or "%s" % int(PROD) in text:
                hits.append(r)
        return hits

    def assert_denied_and_recorded(self, name, send, statuses=(403,), recorded=True):
        origin_before = len(self.gw.origin_requests())
        events_before = len(self.gw.events())
        data = send()
        self.assertIn(status_of(data), statuses, "%s: %r" % (name, data[:300]))
        if recorded:
            # One request may make several events (one per attempt), and the record is written
            # in batches: wait for the deny itself, not just for the first event.
            def denied():
                return any(e["enforced"] == "deny" for e in self.gw.events()[events_before:])
            wait_until(denied, 10, "%s denied in the record" % name)
        # The origin answers quickly; a forwarded request would be recorded by now.
        time.sleep(0.2)
        self.assertEqual(self.forbidden_reached_origin(origin_before), [], name)
        self.assertEqual(len(self.gw.origin_requests()), origin_before, name)

    # ----- class 1: names that escape the matcher -----
    def test_names_that_escape_the_matcher_are_refused_everywhere(self):
        body = "account=%s&roleName=Admin" % PROD
        for bad in ("signin.aws.amazon.com..", "signin..aws.amazon.com", ".signin.aws.amazon.com",
                    "signin.aws.amazon.com...", "SIGNIN.AWS.AMAZON.COM..", "signin.aws.amazon.com%2e"):
            with self.subTest(connect=bad):
                self.assert_denied_and_recorded(
                    "CONNECT " + bad, lambda: self.plain(
                        ("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (bad, bad)).encode()),
                    statuses=(400,), recorded=False)
            with self.subTest(plain=bad):
                self.assert_denied_and_recorded(
                    "plain http " + bad, lambda: self.plain(form_request(
                        "http://%s/switchrole" % bad, body, host=bad)),
                    statuses=(400,), recorded=False)
            with self.subTest(host_in_tunnel=bad):
                # A valid tunnel and SNI, an invalid Host inside: 421 before anything is judged.
                _, inner = self.tunnel("%s:443" % SIGNIN, SIGNIN,
                                       form_request("/switchrole", body, host=bad))
                self.assertEqual(status_of(inner), 421, bad)
            with self.subTest(absolute_form_in_tunnel=bad):
                _, inner = self.tunnel("%s:443" % SIGNIN, SIGNIN,
                                       form_request("https://%s/switchrole" % bad, body))
                self.assertEqual(status_of(inner), 421, bad)
        self.assertEqual(self.forbidden_reached_origin(0), [])

    # ----- class 2: what is not recognised is spliced, wherever it goes -----
    def refused_events(self, before):
        return [e for e in self.gw.events()[before:] if e.get("flow") == "refused"]

    def assert_refused_and_recorded(self, name, send, statuses, reason):
        origin_before = len(self.gw.origin_requests())
        events_before = len(self.gw.events())
        data = send()
        self.assertIn(status_of(data), statuses, "%s: %r" % (name, data[:300]))
        # The record is written in batches: an earlier variant's refusal may land after
        # `events_before` was counted, so wait for this one's reason.
        def recorded():
            return [e for e in self.refused_events(events_before)
                    if e["reason"].startswith(reason) and e["enforced"] == "deny"]
        wait_until(recorded, 10, "%s in the record as %s" % (name, reason))
        time.sleep(0.2)
        self.assertEqual(len(self.gw.origin_requests()), origin_before, name)

    def connect_only(self, authority):
        return self.plain(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (authority, authority))
                          .encode())

    def test_a_tunnel_by_address_to_sign_in_is_refused(self):
        port = self.gw.ports["origin"]
        for literal in ("127.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]",
                        "[::127.0.0.1]", "[2002:7f00:1::]", "[2001:db8:64::7f00:1]"):
            with self.subTest(literal=literal):
                self.assert_refused_and_recorded(
                    "CONNECT " + literal, lambda: self.connect_only("%s:%d" % (literal, port)),
                    (403,), "inspected-address-literal")
        # The address with a trailing dot is the address: a resolver reads it so.
        for literal in ("127.0.0.1.",):
            with self.subTest(literal=literal):
                self.assert_refused_and_recorded(
                    "CONNECT " + literal, lambda: self.connect_only("%s:%d" % (literal, port)),
                    (403,), "inspected-address-literal")
        # Numbers that resolvers read as that address and the matcher as a name, and IPv6 zone
        # IDs (a link-local interface, never a destination): not hosts.
        for number in ("2130706433", "0x7f000001", "0X7F000001", "127.1", "0177.0.0.1",
                       "127.0.0.01", "127.0.1", "0x7f.0.0.1", "[::ffff:127.0.0.1%25lo]",
                       "[fe80::1%25lo]", "[::ffff:127.0.0.1%lo]"):
            with self.subTest(number=number):
                self.assert_refused_and_recorded(
                    "CONNECT " + number, lambda: self.connect_only("%s:%d" % (number, port)),
                    (400,), "not-a-host")

    def test_requests_that_are_not_for_a_path_are_refused_inside_a_tunnel(self):
        # A tunnel in the tunnel, server-wide OPTIONS, authority-form: the inspector has no path
        # to judge, so none of them may reach the sign-in origin.
        body = "account=%s&roleName=Admin" % PROD
        for head in ("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (SIGNIN, SIGNIN),
                     "CONNECT /switchrole HTTP/1.1\r\nHost: %s\r\n\r\n" % SIGNIN,
                     "OPTIONS * HTTP/1.1\r\nHost: %s\r\n\r\n" % SIGNIN):
            with self.subTest(head=head.split("\r\n")[0]):
                self.assert_refused_and_recorded(
                    head, lambda: self.tunnel("%s:443" % SIGNIN, SIGNIN, head.encode())[1],
                    (400,), "bad-request-target")
        for target in ("%s:443" % SIGNIN, "*", "switchrole"):
            with self.subTest(target=target):
                self.assert_refused_and_recorded(
                    "POST " + target, lambda: self.tunnel("%s:443" % SIGNIN, SIGNIN,
                                                          form_request(target, body))[1],
                    (400,), "bad-request-target")
        self.assertEqual(self.forbidden_reached_origin(0), [])

    def test_a_name_that_resolves_to_sign_in_is_inspected_whatever_it_is_called(self):
        port = self.gw.ports["origin"]
        body = "account=%s&roleName=Admin" % PROD
        for name in ("login.evil.test", "deep.evil.test", "shared.evil.test", "v6.evil.test"):
            with self.subTest(name=name, host="sign-in"):
                # The tunnel's name is not inspected, but where it goes is: bumped, and a Host
                # that is not the tunnel's name is misdirected (421), never forwarded.
                self.assert_refused_and_recorded(
                    name, lambda: self.tunnel("%s:%d" % (name, port), name,
                                              form_request("/switchrole", body))[1],
                    (421,), "misdirected")
            with self.subTest(name=name, host="absolute-form"):
                self.assert_refused_and_recorded(
                    name, lambda: self.tunnel("%s:%d" % (name, port), name, form_request(
                        "https://%s/switchrole" % SIGNIN, body, host=name))[1],
                    (421,), "misdirected")
            with self.subTest(name=name, host="its own"):
                # Judged under its own name, then refused upstream: the stand-in AWS holds no
                # certificate for it, so nothing reaches it.
                before = len(self.gw.origin_requests())
                status, inner = self.tunnel("%s:%d" % (name, port), name,
                                            form_request("/switchrole", body, host=name))
                self.assertEqual(status, 200)
                self.assertIn(status_of(inner), (403, 502), inner[:300])
                self.assertEqual(len(self.gw.origin_requests()), before)
            with self.subTest(name=name, sni="none"):
                self.assert_refused_and_recorded(
                    name, lambda: self.tunnel_without_sni("%s:%d" % (name, port)), (0,),
                    "inspected-address-unnamed")
            with self.subTest(name=name, sni="another name"):
                self.assert_refused_and_recorded(
                    name, lambda: self.tunnel("%s:%d" % (name, port), "elsewhere.evil.test",
                                              form_request("/switchrole", body))[1],
                    (0,), "names-disagree")
        with self.subTest(path="sni listener"):
            # A client whose DNS sends a CNAME of sign-in to the gateway's :443.
            self.assert_refused_and_recorded(
                "sni login.evil.test", lambda: self.sni(form_request("/switchrole", body),
                                                        host="login.evil.test"),
                (421,), "misdirected")

    def test_a_name_at_a_sign_in_address_is_judged_as_sign_in(self):
        # A name the gateway does not inspect, at an address a sign-in name resolves to, that the
        # origin serves with a valid certificate (an alias AWS serves sign-in under, a name the
        # gateway does not know yet). It is bumped by address; before, its requests were judged
        # under a host the inspector did not know ("no-sign-in") and forwarded: only upstream TLS
        # verification stood in the way. Now they are judged as on a sign-in host.
        port = self.gw.ports["origin"]
        forbidden = {
            "switch role": form_request("/switchrole", "account=%s&roleName=Admin" % PROD,
                                        host=ALIAS),
            "IAM user": form_request("/authenticate", "account=%s&username=bob&password=x"
                                     % PROD, host=ALIAS),
            "an unknown path": form_request("/v2/newflow", "account=%s&roleName=Admin" % PROD,
                                            host=ALIAS),
            "Identity Center": ("GET /federation/console?account_id=%s&role_name=Admin HTTP/1.1"
                                "\r\nHost: %s\r\nConnection: close\r\n\r\n"
                                % (PROD, ALIAS)).encode(),
            "a body it cannot read": form_request("/switchrole", "\x00account\x01%s" % PROD,
                                                  host=ALIAS, ctype="application/x-protobuf"),
        }
        for name, req in forbidden.items():
            with self.subTest(variant=name, via="connect"):
                self.assert_denied_and_recorded(
                    name, lambda: self.tunnel("%s:%d" % (ALIAS, port), ALIAS, req)[1])
            with self.subTest(variant=name, via="sni"):
                self.assert_denied_and_recorded(name, lambda: self.sni(req, host=ALIAS))
        events = [e for e in self.gw.events() if e.get("host") == ALIAS and e["account"] == PROD]
        self.assertTrue(events and all(e["enforced"] == "deny" for e in events), events)
        # An allowed account, and a page that carries no sign-in, still reach the origin: judged,
        # not refused.
        for req in (form_request("/switchrole", "account=%s&roleName=Admin" % SANDBOX,
                                 host=ALIAS),
                    ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % ALIAS)
                    .encode()):
            before = len(self.gw.origin_requests())
            status, inner = self.tunnel("%s:%d" % (ALIAS, port), ALIAS, req)
            self.assertEqual((status, status_of(inner)), (200, 200), inner[:300])
            self.assertEqual(len(self.gw.origin_requests()), before + 1)

    def test_plain_http_to_sign_in_by_address_or_alias_is_not_forwarded(self):
        port = self.gw.ports["origin"]
        body = "account=%s&roleName=Admin" % PROD
        for literal in ("127.0.0.1", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]"):
            with self.subTest(literal=literal):
                self.assert_refused_and_recorded(
                    "plain " + literal, lambda: self.plain(form_request(
                        "http://%s:%d/switchrole" % (literal, port), body)),
                    (403,), "inspected-address-literal")
        for number in ("2130706433", "0x7f000001", "127.1"):
            with self.subTest(number=number):
                self.assert_refused_and_recorded(
                    "plain " + number, lambda: self.plain(form_request(
                        "http://%s:%d/switchrole" % (number, port), body)),
                    (400,), "not-a-host")
        for name in ("login.evil.test", "shared.evil.test"):
            with self.subTest(name=name):
                before = len(self.gw.origin_requests())
                data = self.plain(form_request("http://%s:%d/switchrole" % (name, port), body))
                self.assertEqual(status_of(data), 308, data[:300])
                self.assertIn(b"Location: https://%s/switchrole" % name.encode(), data)
                self.assertEqual(len(self.gw.origin_requests()), before)
        # Sign-in and another partition's sign-in spelled with case or a trailing dot: the host
        # they spell, sent to https (and so inspected), never forwarded in the clear.
        for url in ("http://SIGNIN.AWS.AMAZON.COM./switchrole",
                    "http://Signin.Amazonaws-Eusc.Eu/switchrole",
                    "http://us-iso-east-1.signin.c2shome.ic.gov./switchrole"):
            with self.subTest(url=url):
                before = len(self.gw.origin_requests())
                host = url.split("/")[2]
                data = self.plain(form_request(url, body, host=host))
                self.assertEqual(status_of(data), 308, data[:300])
                self.assertIn(b"Location: https://%s/switchrole"
                              % host.lower().rstrip(".").encode(), data)
                self.assertEqual(len(self.gw.origin_requests()), before)

    def test_what_the_explicit_proxy_cannot_route_is_refused(self):
        # The CONNECT listener routes CONNECT and absolute http:// URLs only: HTTP/2 prior
        # knowledge (h2c), an https:// URL (a proxy never sees one in clear), an upper-case
        # scheme and origin-form with a sign-in Host get 400, and nothing reaches AWS.
        body = "account=%s&roleName=Admin" % PROD
        requests = {
            "h2c prior knowledge": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "https:// URL": form_request("https://%s/switchrole" % SIGNIN, body),
            "HTTP:// URL": form_request("HTTP://%s/switchrole" % SIGNIN, body),
            "origin-form": form_request("/switchrole", body),
        }
        for name, req in requests.items():
            with self.subTest(request=name):
                before = len(self.gw.origin_requests())
                data = self.plain(req)
                self.assertEqual(status_of(data), 400, "%s: %r" % (name, data[:300]))
                time.sleep(0.2)
                self.assertEqual(len(self.gw.origin_requests()), before, name)

    def test_what_is_not_aws_is_still_spliced(self):
        if not self.recorder:
            self.skipTest("cannot bind 127.0.0.2")
        port = self.gw.ports["origin"]
        before = len(self.recorder.received)
        status, _ = self.tunnel("elsewhere.evil.test:%d" % port, "elsewhere.evil.test", b"x")
        self.assertEqual(status, 200)
        wait_until(lambda: len(self.recorder.received) > before, 10, "the spliced ClientHello")
        self.assertEqual(self.recorder.received[before][:1], b"\x16")  # TLS, untouched

    def test_a_server_name_list_servers_read_differently_is_never_spliced(self):
        # RFC 6066 §3 defines host_name alone, once. A list with another type or a second name
        # is read one way by one server and another by the next (OpenSSL refuses it, Squid takes
        # the first host_name, others the first entry): the tunnel is refused, never spliced by
        # the name the gateway would pick.
        if not self.recorder:
            self.skipTest("cannot bind 127.0.0.2")
        port = self.gw.ports["origin"]
        for names in (((1, SIGNIN), (0, "elsewhere.evil.test")),
                      ((0, "elsewhere.evil.test"), (1, SIGNIN)),
                      ((0, "elsewhere.evil.test"), (0, SIGNIN))):
            with self.subTest(names=names):
                before = len(self.recorder.received)
                with self.connect_port() as s:
                    s.sendall(("CONNECT elsewhere.evil.test:%d HTTP/1.1\r\n\r\n" % port)
                              .encode())
                    head = b""
                    while b"\r\n\r\n" not in head:
                        chunk = s.recv(1)
                        self.assertTrue(chunk, head)
                        head += chunk
                    self.assertEqual(status_of(head), 200, head)
                    s.sendall(client_hello(names))
                    answer = read_all(s)
                # A fatal handshake_failure alert (40), and nothing reached the destination.
                self.assertEqual(answer[:1], b"\x15", answer[:20])
                self.assertEqual(answer[-1:], b"\x28", answer[:20])
                time.sleep(0.3)
                self.assertEqual(len(self.recorder.received), before, names)

    def test_a_connect_target_is_the_host_it_spells_or_refused(self):
        # Case, a trailing dot and a zero-padded port spell the same host and port (RFC 3986
        # §6.2.2.1, §3.2.3; resolvers and origins read them so): routed as that host, judged or
        # bumped by address, never spliced as "another name". What spells no host:port (a sign,
        # a space, userinfo, two ports) is refused before any resolving.
        port = self.gw.ports["origin"]
        body = "account=%s&roleName=Admin" % PROD
        for authority in ("SIGNIN.AWS.AMAZON.COM:443", "signin.aws.amazon.com.:443",
                          "Signin.Aws.Amazon.Com.:0443"):
            with self.subTest(authority=authority):
                self.assert_denied_and_recorded(authority, lambda: self.tunnel(
                    authority, SIGNIN, form_request("/switchrole", body))[1])
        for name in ("SHARED.EVIL.TEST", "shared.evil.test.", "Shared.Evil.Test."):
            with self.subTest(name=name):
                self.assert_refused_and_recorded(
                    name, lambda: self.tunnel("%s:%d" % (name, port), "shared.evil.test",
                                              form_request("/switchrole", body))[1],
                    (421,), "misdirected")
        for authority in ("signin.aws.amazon.com:+443", "signin.aws.amazon.com:-443",
                          "signin.aws.amazon.com:443 ", "user@signin.aws.amazon.com:443",
                          "signin.aws.amazon.com:443:443", "signin.aws.amazon.com:",
                          "signin.aws.amazon.com"):
            with self.subTest(authority=authority):
                data = self.plain(("CONNECT %s HTTP/1.1\r\n\r\n" % authority).encode())
                self.assertEqual(status_of(data), 400, data[:200])

    def test_an_upgrade_out_of_http_is_refused_and_a_websocket_one_judged(self):
        # After a 101 the proxy relays bytes it does not read: an upgrade to h2c (or anything
        # but WebSocket) would carry the next requests unjudged, so it is refused before it
        # reaches the origin; a WebSocket upgrade is judged like any request first.
        body = "account=%s&roleName=Admin" % PROD
        for name, fields in (("h2c", ["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c",
                                      "HTTP2-Settings: AAMAAABkAAQAAP__"]),
                             ("a made-up protocol", ["Connection: upgrade", "Upgrade: tunnel"]),
                             ("two protocols", ["Connection: upgrade",
                                                "Upgrade: websocket, h2c"])):
            req = form_request("/switchrole", body, extra=fields).replace(
                b"Connection: close\r\n", b"")
            for via, send in (("sni", lambda: self.sni(req)),
                              ("connect", lambda: self.tunnel("%s:443" % SIGNIN, SIGNIN,
                                                              req)[1])):
                with self.subTest(upgrade=name, via=via):
                    self.assert_refused_and_recorded(name, send, (400,), "upgrade-refused")
        websocket = ("GET /switchrole?account=%s&roleName=Admin HTTP/1.1\r\nHost: %s\r\n"
                     "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % (PROD, SIGNIN))
        self.assert_denied_and_recorded("websocket", lambda: self.sni(websocket.encode()))

    def test_pipelined_requests_are_each_judged(self):
        # HTTP/1.1 pipelining: an allowed request and, in the same write, one for a forbidden
        # account (or one naming another Host) behind it. Each is judged on its own: the second
        # never rides on the first's verdict or connection to the origin.
        def keep_alive(request):
            return request.replace(b"Connection: close", b"Connection: keep-alive")
        allowed = keep_alive(form_request("/switchrole", "account=%s&roleName=Admin" % SANDBOX))
        page = b"GET /console HTTP/1.1\r\nHost: %s\r\n\r\n" % SIGNIN.encode()
        forbidden = form_request("/switchrole", "account=%s&roleName=Admin" % PROD)
        elsewhere = form_request("/switchrole", "account=%s&roleName=Admin" % PROD,
                                 host="console.aws.amazon.com")
        for name, first, second, want in (("allowed, forbidden", allowed, forbidden, 403),
                                          ("page, page, forbidden", page + page, forbidden, 403),
                                          ("allowed, another host", allowed, elsewhere, 421)):
            with self.subTest(case=name):
                origin_before = len(self.gw.origin_requests())
                data = self.sni(first + second)
                statuses = [int(m) for m in re.findall(rb"(?m)^HTTP/1\.1 (\d{3}) ", data)]
                self.assertEqual(statuses, [200] * first.count(b"HTTP/1.1\r\n") + [want],
                                 data[:600])
                time.sleep(0.2)
                self.assertEqual(self.forbidden_reached_origin(origin_before), [], name)
                self.assertEqual(len(self.gw.origin_requests()),
                                 origin_before + first.count(b"HTTP/1.1\r\n"), name)

    def test_ech_under_an_aws_name_is_inspected_never_spliced(self):
        # ECH: the SNI is the public (outer) name, the server meant is encrypted inside. Under an
        # AWS name, a front end there may serve the sign-in name inside: the hello is bumped
        # under its outer name (the gateway's own ServerHello; it holds no ECH key, so a real ECH
        # client sees its ECH refused and stops), never spliced. The same name without ECH, and
        # a name of no AWS zone with ECH (GREASE from every Chromium), are spliced as before.
        if not self.recorder:
            self.skipTest("cannot bind 127.0.0.2")
        port = self.gw.ports["origin"]
        front = "ech.cloudfront.net"

        def through_connect(name, ech):
            before = len(self.recorder.received)
            with self.connect_port() as s:
                s.sendall(("CONNECT %s:%d HTTP/1.1\r\n\r\n" % (name, port)).encode())
                self.assertEqual(status_of(s.recv(4096)), 200, name)
                s.sendall(tls12_hello(name, ech))
                try:
                    answer = s.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    answer = b""
            time.sleep(0.2)
            return answer, self.recorder.received[before:]

        bumped = "consolegate_proxy_bumped_ech_total"
        before_metric = re.search(bumped + r" (\d+)", self.gw.metrics())
        answer, spliced = through_connect(front, True)
        self.assertEqual(spliced, [])
        self.assertEqual(answer[:1] + answer[5:6], b"\x16\x02", answer[:16])  # a ServerHello
        after_metric = re.search(bumped + r" (\d+)", self.gw.metrics())
        self.assertGreater(int(after_metric.group(1)),
                           int(before_metric.group(1)) if before_metric else 0)
        # On :443, steered by DNS: bumped too (a splice would go to 127.0.0.2:443, where nothing
        # listens: the alert internal_error).
        with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]), timeout=TIMEOUT) as s:
            s.sendall(tls12_hello(front, True))
            answer = s.recv(4096)
        self.assertEqual(answer[:1] + answer[5:6], b"\x16\x02", answer[:16])
        for name, ech in ((front, False), ("elsewhere.evil.test", True)):
            with self.subTest(name=name, ech=ech):
                _, spliced = through_connect(name, ech)
                self.assertEqual(len(spliced), 1)
                self.assertIn(name.encode(), spliced[0])

    def test_ech_outside_aws_zones_is_caught_by_the_address_alone(self):
        # An ECH public name outside AWS's zones whose inner name could be sign-in (a front end
        # serving both, or an operator's own domain in front of AWS): the gateway cannot see the
        # inner name, and Chromium sends GREASE ECH to every site, so the outer name alone decides
        # nothing (docs/proxy.md). What catches it is where it goes: at a sign-in address it is
        # bumped under its outer name like any name there (the gateway's ServerHello; a real ECH
        # client stops, GREASE goes on inspected), never spliced to sign-in; elsewhere it is
        # spliced (test_ech_under_an_aws_name_is_inspected_never_spliced).
        port = self.gw.ports["origin"]
        for name in ("shared.evil.test", "login.evil.test"):
            with self.subTest(name=name, via="connect"):
                before = len(self.gw.origin_requests())
                with self.connect_port() as s:
                    s.sendall(("CONNECT %s:%d HTTP/1.1\r\n\r\n" % (name, port)).encode())
                    self.assertEqual(status_of(s.recv(4096)), 200, name)
                    s.sendall(tls12_hello(name, True))
                    answer = s.recv(4096)
                self.assertEqual(answer[:1] + answer[5:6], b"\x16\x02", answer[:16])
                time.sleep(0.2)
                self.assertEqual(len(self.gw.origin_requests()), before)
        with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]), timeout=TIMEOUT) as s:
            s.sendall(tls12_hello("shared.evil.test", True))
            answer = s.recv(4096)
        self.assertEqual(answer[:1] + answer[5:6], b"\x16\x02", answer[:16])

    def test_a_server_name_spelled_another_way_is_refused_on_443(self):
        # RFC 6066 §3: a HostName is ASCII without a trailing dot; servers and resolvers read
        # case, a trailing dot or an escape as the same name. A hello for sign-in spelled so on
        # :443 is neither bumped under a name the matcher does not know nor spliced to wherever
        # that spelling resolves: refused with a TLS alert, nothing spliced.
        spliced = "consolegate_proxy_spliced_total"
        for name in ("SIGNIN.AWS.AMAZON.COM", "Signin.Aws.Amazon.Com", "signin.aws.amazon.com.",
                     "signin%2eaws.amazon.com", "signin.aws.amazon.com\\", "signin.aws.amazon.com:443"):
            with self.subTest(name=name):
                before = self.gw.metric(spliced)
                with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]),
                                              timeout=TIMEOUT) as s:
                    s.sendall(client_hello(((0, name),)))
                    answer = read_all(s)
                self.assertEqual(answer[:1], b"\x15", answer[:20])
                self.assertEqual(self.gw.metric(spliced), before, name)

    # ----- the other partitions: the European Sovereign Cloud and ISO -----
    def test_a_sign_in_to_another_partition_is_inspected_and_refused(self):
        # Before session 11 the European Sovereign Cloud's and the ISO partitions' names were
        # neither steered nor inspected: a tunnel or a :443 hello for them was spliced, and a
        # sign-in to any account there went unjudged. Each is now bumped, judged, refused
        # (partition-not-enabled: the harness enables the commercial partition alone) and
        # recorded; nothing reaches an upstream.
        body = "account=%s&roleName=Admin" % PROD
        requests = [(h, form_request("/switchrole", body, host=h)) for h in (
            "signin.amazonaws-eusc.eu", "eusc-de-east-1.signin.amazonaws-eusc.eu",
            "%s.signin.amazonaws-eusc.eu" % PROD, "us-iso-east-1.signin.c2shome.ic.gov",
            "signin.sc2shome.sgov.gov", "eu-isoe-west-1.signin.csphome.adc-e.uk",
            "signin.csphome.hci.ic.gov")]
        portal = "portal.sso.eusc-de-east-1.amazonaws.eu"
        requests.append((portal, ("GET /federation/console?account_id=%s&role_name=Admin HTTP/1.1"
                                  "\r\nHost: %s\r\nx-amz-sso_bearer_token: t\r\n"
                                  "Connection: close\r\n\r\n" % (PROD, portal)).encode()))
        for host, req in requests:
            for via in ("connect", "sni"):
                with self.subTest(host=host, via=via):
                    events_before = len(self.gw.events())
                    send = ((lambda: self.tunnel("%s:443" % host, host, req)[1]) if via == "connect"
                            else (lambda: self.sni(req, host=host)))
                    self.assert_denied_and_recorded(host, send)
                    reasons = [e["reason"] for e in self.gw.events()[events_before:]
                               if e.get("host") == host and e["enforced"] == "deny"]
                    self.assertTrue(any(r.startswith("partition-not-enabled") for r in reasons),
                                    reasons)

    def test_a_console_session_on_a_console_application_is_judged(self):
        # The Health Dashboard, Lightsail and QuickSight serve the signed-in console under the
        # console's session cookies (set on aws.amazon.com) outside console.aws.amazon.com.
        # Before session 11 they were not inspected (health. was not even steered): a console
        # session made off-network and carried in reached them spliced, unjudged. Each is now
        # bumped and its aws-userInfo judged like the console's: the forbidden account's is
        # refused and recorded, through both listeners, and nothing reaches an upstream.
        info = ("aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A" + PROD +
                "%3Auser%2Fbob%22%2C%22username%22%3A%22bob%22%7D")
        pages = (("health.aws.amazon.com", "/health/home"), ("phd.aws.amazon.com", "/phd/home"),
                 ("lightsail.aws.amazon.com", "/ls/webapp"),
                 ("quicksight.aws.amazon.com", "/sn/start"),
                 ("us-east-1.quicksight.aws.amazon.com", "/sn/start"))
        for host, path in pages:
            req = ("GET %s HTTP/1.1\r\nHost: %s\r\nCookie: a=1; %s\r\n"
                   "Connection: close\r\n\r\n" % (path, host, info)).encode()
            for via in ("connect", "sni"):
                with self.subTest(host=host, via=via):
                    events_before = len(self.gw.events())
                    send = ((lambda: self.tunnel("%s:443" % host, host, req)[1]) if via == "connect"
                            else (lambda: self.sni(req, host=host)))
                    self.assert_denied_and_recorded(host, send)
                    self.assertTrue(any(e.get("host") == host and e["enforced"] == "deny" and
                                        e["account"] == PROD
                                        for e in self.gw.events()[events_before:]))

    def test_a_session_resumes_only_for_the_name_it_was_made_for(self):
        # RFC 6066 §3: a session (or ticket) from a connection to one name is not resumed on a
        # connection to another: that one gets a full handshake and its own name's certificate.
        # Before, a console session resumed on a sign-in connection without a certificate for
        # sign-in (what was judged went by the SNI all the same: the request below is denied).
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = ssl.create_default_context(cafile=os.path.join(self.gw.ca_dir, "ca.crt"))
            ctx.check_hostname = False
            ctx.maximum_version = version

            def connect(name, request, session=None):
                with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]),
                                              timeout=TIMEOUT) as s:
                    with ctx.wrap_socket(s, server_hostname=name, session=session) as t:
                        # Kept alive: a TLS 1.2 session the server ends without close_notify
                        # is dropped from its cache. The answer's head is enough.
                        t.sendall(request)
                        answer = t.recv(65536)
                        return (t.session, t.session_reused,
                                dict(t.getpeercert()["subjectAltName"])["DNS"], answer)
            console = "console.aws.amazon.com"
            page = ("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % console).encode()
            with self.subTest(version=version):
                session = connect(console, page)[0]
                self.assertEqual(connect(console, page, session)[1:3], (True, console))
                forbidden = form_request("/switchrole", "account=%s&roleName=Admin" % PROD)
                _, reused, name, answer = connect(SIGNIN, forbidden.replace(
                    b"Connection: close", b"Connection: keep-alive"), session)
                self.assertEqual((reused, name), (False, SIGNIN))
                self.assertEqual(status_of(answer), 403, answer[:300])

    def tunnel_without_sni(self, authority):
        """CONNECT, then a ClientHello without server_name: the TLS alert or close (b"")."""
        with self.connect_port() as s:
            s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (authority, authority))
                      .encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(1)
                if not chunk:
                    return head
                head += chunk
            if status_of(head) != 200:
                return head
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            try:
                with ctx.wrap_socket(s, server_hostname=None) as t:
                    t.sendall(form_request("/switchrole", "account=%s" % PROD))
                    return read_all(t)
            except (ssl.SSLError, OSError):
                return b""

    # ----- faults, each with its documented answer -----
    def test_upstream_dns_garbage_or_a_mismatched_id_is_no_address(self):
        # c-ares drops both (an answer under another ID is what a spoofer sends): the name
        # does not resolve, the CONNECT gets 502 within the resolver's bounded retries, and the
        # gateway goes on serving.
        port = self.gw.ports["origin"]
        for name in ("garbage.evil.test", "mismatch.evil.test"):
            with self.subTest(name=name):
                started = time.monotonic()
                data = self.connect_only("%s:%d" % (name, port))
                self.assertEqual(status_of(data), 502, data[:300])
                self.assertIn(b"cannot resolve", data)
                self.assertLess(time.monotonic() - started, 15)
        self.assertEqual(status_of(self.sni(form_request(
            "/switchrole", "account=%s&roleName=Admin" % PROD))), 403)

    def test_a_reload_with_an_include_that_cannot_be_read_is_refused_at_once(self):
        with open(self.gw.config) as f:
            good = f.read()
        fifo = os.path.join(self.gw.dir, "pipe.toml")
        os.mkfifo(fifo)
        folder = os.path.join(self.gw.dir, "folder.toml")
        os.mkdir(folder)
        try:
            for include, why in ((fifo, "not a regular file"), (folder, "Is a directory"),
                                 (os.path.join(self.gw.dir, "missing.toml"), "No such file")):
                with self.subTest(include=include):
                    with open(self.gw.config, "w") as f:
                        f.write('include = ["%s"]\n' % include + good)
                    started = time.monotonic()
                    code, body = self.gw.admin_post("/reload")
                    self.assertLess(time.monotonic() - started, 10)
                    self.assertEqual(code, 409, body)
                    self.assertIn(why, body)
                    # The running configuration stays: the forbidden account is still denied.
                    self.assertEqual(status_of(self.sni(form_request(
                        "/switchrole", "account=%s&roleName=Admin" % PROD))), 403)
                    self.assertTrue(self.gw.ready())
        finally:
            with open(self.gw.config, "w") as f:
                f.write(good)

    def test_a_ca_key_that_cannot_be_read_stops_the_start_with_its_reason(self):
        with open(self.gw.config) as f:
            text = f.read()
        for name, make in (("key-dir", os.mkdir), ("key-missing", lambda p: None)):
            with self.subTest(key=name):
                key = os.path.join(self.gw.dir, name)
                make(key)
                config = os.path.join(self.gw.dir, name + ".toml")
                with open(config, "w") as f:
                    f.write(text.replace('key = "ca/ca.key"', 'key = "%s"' % key))
                r = subprocess.run([BINARY, "run", "--config", config], capture_output=True,
                                   text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0, r.stderr)
                self.assertIn(key, r.stdout + r.stderr)

    # ----- class 3: the gateway and AWS read the same bytes differently -----
    def test_requests_that_could_be_read_two_ways_are_denied_and_recorded(self):
        form = "account=%s&roleName=Admin" % PROD
        allowed_form = "account=%s&roleName=Admin" % SANDBOX
        chunk = "account=%s&roleName=Admin" % SANDBOX
        variants = {
            "two Host headers": form_request("/switchrole", allowed_form,
                                             extra=["Host: %s.signin.aws.amazon.com" % PROD]),
            "Host as a chunked trailer": (
                "POST /switchrole HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n%x\r\n%s\r\n0\r\nHost: %s.signin.aws.amazon.com\r\n\r\n"
                % (SIGNIN, len(chunk), chunk, PROD)).encode(),
            "fragment in the target": form_request(
                "/switchrole#?account=%s&roleName=Admin" % PROD, allowed_form),
            "semicolon in the query": (
                "GET /switchrole?account=%s;account=%s&roleName=Admin HTTP/1.1\r\nHost: %s\r\n"
                "Connection: close\r\n\r\n" % (SANDBOX, PROD, SIGNIN)).encode(),
            "multipart with a form-like boundary": form_request(
                "/authenticate", "account=%s&username=bob" % PROD,
                ctype="multipart/form-data; boundary=x-www-form-urlencoded"),
            "two Content-Types": form_request(
                "/switchrole", form, extra=["Content-Type: application/json"]),
            "JSON number with an exponent": form_request(
                "/sessions/5d0e1f2a/v1/switchrole",
                '{"accountId":%se11,"roleName":"Admin"}' % (PROD[0] + "." + PROD[1:]),
                ctype="application/json"),
            "JSON number with a fraction": form_request(
                "/sessions/5d0e1f2a/v1/switchrole", '{"accountId":%s.0001,"roleName":"Admin"}'
                % PROD, ctype="application/json"),
            "roleName an ARN in another account": form_request(
                "/switchrole", "account=%s&roleName=arn%%3Aaws%%3Aiam%%3A%%3A%s%%3Arole%%2FAdmin"
                % (SANDBOX, PROD)),
            "roleArn in multi-session switch role": form_request(
                "/sessions/5d0e1f2a/v1/switchrole",
                '{"roleArn":"arn:aws:iam::%s:role/Admin"}' % PROD, ctype="application/json"),
            "SigV4 Credential after a lookalike parameter": (
                "GET /b/k HTTP/1.1\r\nHost: %s\r\nAuthorization: AWS4-HMAC-SHA256 "
                "XCredential=%s/20261123/us-east-1/s3/aws4_request, Credential=%s/20261123/"
                "us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n"
                "Connection: close\r\n\r\n" % (SIGNIN, AKID_SANDBOX, AKID_PROD)).encode(),
        }
        # RFC 9112 §3.2: servers differ in which Host they read, so two are denied wherever the
        # inspector judges, the same name twice and on the console too (a front end could route
        # the second); the proxy would refuse them after an allow (duplicate-host).
        variants["the same Host twice"] = form_request("/switchrole", allowed_form,
                                                       extra=["Host: %s" % SIGNIN])
        console = "console.aws.amazon.com"
        two_hosts = ("GET /console HTTP/1.1\r\nHost: %s\r\nHost: %s\r\nConnection: close"
                     "\r\n\r\n" % (console, SIGNIN)).encode()
        with self.subTest(variant="two Host headers on the console"):
            self.assert_denied_and_recorded("two Hosts", lambda: self.sni(two_hosts, host=console))
        for name, req in variants.items():
            with self.subTest(variant=name, via="sni"):
                self.assert_denied_and_recorded(name, lambda: self.sni(req))
            with self.subTest(variant=name, via="connect"):
                self.assert_denied_and_recorded(
                    name, lambda: self.tunnel("%s:443" % SIGNIN, SIGNIN, req)[1])

    def test_what_is_forwarded_is_what_was_judged(self):
        # Connection naming Content-Type no longer removes it after inspection: the origin reads
        # the JSON body the inspector read (SANDBOX), not a form (PROD).
        body = '{"accountId":"%s","roleName":"Admin","x":"&account=%s&"}' % (SANDBOX, PROD)
        before = len(self.gw.origin_requests())
        data = self.sni(form_request("/sessions/5d0e1f2a/v1/switchrole", body,
                                     ctype="application/json",
                                     extra=["Connection: Content-Type, Content-Encoding"]))
        self.assertEqual(status_of(data), 200, data[:300])
        got = self.gw.origin_requests()[before:]
        self.assertEqual(len(got), 1)
        headers = {k.lower(): v for k, v in got[0]["headers"]}
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertNotIn("alt-svc", data.split(b"\r\n\r\n")[0].decode().lower())
        # An unknown transfer coding: one 501, the body never parsed as a second request (a
        # second Transfer-Encoding after chunked the parser refuses itself: one 400).
        for te, want in (("gzip", 501), ("gzip, chunked", 501), ("chunked, chunked", 501),
                         ("identity", 501), ("chunked, identity", 501), ("xchunked", 501),
                         ("identity\r\nTransfer-Encoding: chunked", 501),
                         ("chunked\r\nTransfer-Encoding: identity", 400)):
            with self.subTest(te=te):
                req = ("POST /switchrole HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: %s\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                       "POST /switchrole?account=%s&roleName=Admin HTTP/1.1\r\nHost: %s\r\n\r\n"
                       % (SIGNIN, te, PROD, SIGNIN)).encode()
                before = len(self.gw.origin_requests())
                data = self.sni(req)
                self.assertEqual(data.count(b"HTTP/1.1 "), 1, data[:300])
                self.assertEqual(status_of(data), want, data[:300])
                self.assertEqual(len(self.gw.origin_requests()), before)

    def test_ambiguous_framing_never_carries_an_unjudged_sign_in(self):
        # Request smuggling: the first request (SANDBOX, allowed) is framed so that a reader could
        # end it elsewhere; what follows is a switch-role into PROD. Each variant is either
        # refused before its body is read (400, 501, recorded), or read one way only: the PROD
        # request is then judged on its own and denied. PROD never reaches the origin, whatever
        # the gateway's keep-alive to it (a smuggled request would ride on it).
        allowed = "account=%s&roleName=Admin" % SANDBOX
        smuggled = ("POST /switchrole HTTP/1.1\r\nHost: %s\r\nContent-Type: application/"
                    "x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                    % (SIGNIN, len("account=%s&roleName=Admin" % PROD),
                       "account=%s&roleName=Admin" % PROD))
        chunked = "%x\r\n%s\r\n0\r\n\r\n" % (len(allowed), allowed)
        head = ("POST /switchrole HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\n" % SIGNIN)
        variants = {
            "Content-Length then Transfer-Encoding": head + "Content-Length: %d\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" % len(chunked) + chunked,
            "Transfer-Encoding then Content-Length": head + "Transfer-Encoding: chunked\r\n"
            "Content-Length: %d\r\n\r\n" % len(allowed) + chunked,
            "two Content-Lengths": head + "Content-Length: %d\r\nContent-Length: %d\r\n\r\n"
            % (len(allowed), len(allowed) + len(smuggled)) + allowed,
            "a Content-Length list": head + "Content-Length: %d, %d\r\n\r\n"
            % (len(allowed), len(allowed) + len(smuggled)) + allowed,
            "Content-Length with a sign": head + "Content-Length: +%d\r\n\r\n" % len(allowed)
            + allowed,
            "two Transfer-Encodings": head + "Transfer-Encoding: chunked\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" + chunked,
            "Transfer-Encoding not quite chunked": head + "Transfer-Encoding: xchunked\r\n\r\n"
            + chunked,
            "Transfer-Encoding with a space before the colon": head + "Transfer-Encoding : "
            "chunked\r\nContent-Length: %d\r\n\r\n" % len(chunked) + chunked,
            "Transfer-Encoding folded (obs-fold)": head + "Transfer-Encoding:\r\n chunked\r\n\r\n"
            + chunked,
            "bare LF line ends": head.replace("\r\n", "\n") + "Content-Length: %d\n\n"
            % len(allowed) + allowed,
            "bare CR in a field": head + "X-A: 1\rTransfer-Encoding: chunked\r\n"
            "Content-Length: %d\r\n\r\n" % len(allowed) + allowed,
            "NUL in a field": head + "X-A: 1\x00\r\nContent-Length: %d\r\n\r\n" % len(allowed)
            + allowed,
            "a chunk size that overflows": head + "Transfer-Encoding: chunked\r\n\r\n"
            "1000000000000000%x\r\n%s\r\n0\r\n\r\n" % (len(allowed), allowed),
            "a chunk size in 0x": head + "Transfer-Encoding: chunked\r\n\r\n0x%x\r\n%s\r\n"
            "0\r\n\r\n" % (len(allowed), allowed),
            "a chunk extension with a line end inside quotes": head + "Transfer-Encoding: chunked"
            "\r\n\r\n%x;a=\"x\r\n0\r\n\r\n\"\r\n%s\r\n0\r\n\r\n" % (len(allowed), allowed),
            "Content-Length as a chunked trailer": head + "Transfer-Encoding: chunked\r\n\r\n"
            "%x\r\n%s\r\n0\r\nContent-Length: %d\r\n\r\n"
            % (len(allowed), allowed, len(allowed) + len(smuggled)),
        }
        for name, first in variants.items():
            with self.subTest(variant=name):
                origin_before = len(self.gw.origin_requests())
                events_before = len(self.gw.events())
                data = self.sni(first.encode("latin-1") + smuggled.encode())
                statuses = [int(c) for c in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", data)]
                self.assertTrue(statuses, "%s: %r" % (name, data[:300]))
                if statuses[0] in (400, 413, 501):
                    # Refused before its body was read: nothing after it is read either.
                    self.assertEqual(len(statuses), 1, "%s: %r" % (name, data[:600]))
                else:
                    # Read one way: the first judged as SANDBOX, then PROD judged and denied.
                    self.assertEqual(statuses, [200, 403], "%s: %r" % (name, data[:600]))

                def denied():
                    return any(e["enforced"] == "deny" for e in self.gw.events()[events_before:])
                wait_until(denied, 10, "%s denied in the record" % name)
                self.assertEqual(self.forbidden_reached_origin(origin_before), [], name)

    def test_framing_another_server_could_read_otherwise_is_refused_and_recorded(self):
        # Desync shapes the gateway's parser reads one way and a server after it could read
        # another: each is refused before its body is read (400, or 421 for a request naming
        # another authority than the connection's), recorded with its reason, and the PROD
        # switch-role written behind it in the same write is never read, judged or forwarded.
        allowed = "account=%s&roleName=Admin" % SANDBOX
        smuggled = form_request("/switchrole", "account=%s&roleName=Admin" % PROD).decode()
        head = ("POST /switchrole HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\n" % SIGNIN)
        head10 = head.replace("HTTP/1.1", "HTTP/1.0")
        chunked = "%x\r\n%s\r\n0\r\n\r\n" % (len(allowed), allowed)
        n = len(allowed)
        variants = {
            # Equal values a server may take as one, or refuse, or read the first of: under a
            # streamed body they went upstream as the client wrote them.
            "two equal Content-Lengths": (
                head + "Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (n, n) + allowed,
                400, "ambiguous-framing"),
            "a list of equal Content-Lengths": (
                head + "Content-Length: %d, %d\r\n\r\n" % (n, n) + allowed, 400,
                "ambiguous-framing"),
            # RFC 9112 §6.1: faulty framing; an HTTP/1.0 server reads no chunked body.
            "Transfer-Encoding in HTTP/1.0": (
                head10 + "Transfer-Encoding: chunked\r\n\r\n" + chunked, 400,
                "ambiguous-framing"),
            "Transfer-Encoding and Content-Length in HTTP/1.0": (
                head10 + "Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n"
                % len(chunked) + chunked, 400, "unreadable-request"),
            # Judged under the connection's name and port: another authority is another request.
            "Host with another port": (
                form_request("/switchrole", allowed, host=SIGNIN + ":8443").decode(), 421,
                "misdirected"),
            "Host with userinfo": (
                form_request("/switchrole", allowed, host="x@" + SIGNIN).decode(), 421,
                "misdirected"),
            "absolute-form with another port": (
                form_request("https://%s:8443/switchrole" % SIGNIN, allowed).decode(), 421,
                "misdirected"),
            "absolute-form naming another host than Host and SNI": (
                form_request("https://console.aws.amazon.com/switchrole", allowed).decode(), 421,
                "misdirected"),
            # A body on GET or HEAD: an origin that ends such a request at its head (CL.0) reads
            # the body (here the PROD switch-role) as the next request on its connection.
            "a GET with a body": (
                "GET /console HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                % (SIGNIN, len(smuggled)), 400, "ambiguous-framing"),
            "a HEAD with a chunked body": (
                "HEAD /console HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n"
                % (SIGNIN, len(smuggled)), 400, "ambiguous-framing"),
            # Versions and line shapes the parser refuses itself.
            "HTTP/2.0 in an HTTP/1.1 request line": (
                head.replace("HTTP/1.1", "HTTP/2.0") + "Content-Length: %d\r\n\r\n" % n
                + allowed, 400, "unreadable-request"),
            "the HTTP/2 preface": ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "unreadable-request"),
            "HTTP/0.9": ("GET /switchrole?%s\r\n" % allowed, 400, "unreadable-request"),
            "a space before the colon": (
                head + "Content-Length : %d\r\n\r\n" % n + allowed, 400, "unreadable-request"),
            "bare LF in the request line": (
                "POST /switchrole HTTP/1.1\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                % (SIGNIN, n) + allowed, 400, "unreadable-request"),
            "bare CR in a value": (
                head + "X-A: 1\rContent-Length: 0\r\nContent-Length: %d\r\n\r\n" % n
                + allowed, 400, "unreadable-request"),
            "a control byte in a value": (
                head + "X-A: a\x01b\r\nContent-Length: %d\r\n\r\n" % n + allowed, 400,
                "unreadable-request"),
            "a chunk size of 17 hex digits that overflows": (
                head + "Transfer-Encoding: chunked\r\n\r\n1%016x\r\n%s\r\n0\r\n\r\n"
                % (n, allowed), 400, "unreadable-request"),
        }
        for name, (first, status, reason) in variants.items():
            req = first.encode("latin-1") + smuggled.encode()
            for via, send in (("sni", lambda: self.sni(req)),
                              ("connect", lambda: self.tunnel("%s:443" % SIGNIN, SIGNIN, req)[1])):
                with self.subTest(variant=name, via=via):
                    answers = []

                    def sent():
                        data = send()
                        answers.append(data)
                        return data
                    self.assert_refused_and_recorded(name, sent, (status,), reason)
                    # One answer: nothing behind the refused head was read as a request.
                    self.assertEqual(len(re.findall(rb"(?:^|\n)HTTP/1\.1 \d{3} ", answers[0])), 1,
                                     "%s: %r" % (name, answers[0][:600]))

    def test_framing_read_one_way_is_forwarded_as_it_was_read(self):
        # Shapes with one reading (RFC 9112 allows them, and the parser reads them as any
        # server does): served, and what the stand-in AWS (a parser of its own: Python's
        # http.server) receives is the request as judged, re-framed with one Content-Length;
        # the PROD switch-role behind it is judged on its own and denied, never forwarded.
        allowed = "account=%s&roleName=Admin" % SANDBOX
        smuggled = form_request("/switchrole", "account=%s&roleName=Admin" % PROD).decode()
        head = ("POST /switchrole HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\n" % SIGNIN)
        n = len(allowed)
        half = n // 2
        variants = {
            "a Content-Length with leading zeros": head + "Content-Length: 000%d\r\n\r\n" % n
            + allowed,
            "chunk sizes with leading zeros": head + "Transfer-Encoding: chunked\r\n\r\n"
            "0000%x\r\n%s\r\n0000%x\r\n%s\r\n000\r\n\r\n"
            % (half, allowed[:half], n - half, allowed[half:]),
            "chunk extensions": head + "Transfer-Encoding: chunked\r\n\r\n"
            "%x;ext=1;q=\"a b\"\r\n%s\r\n0;last\r\n\r\n" % (n, allowed),
            "Transfer-Encoding chunked with whitespace": head + "Transfer-Encoding:  chunked \t"
            "\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (n, allowed),
            "a folded field (obs-fold)": head + "X-Folded: a\r\n b\r\nContent-Length: %d"
            "\r\n\r\n" % n + allowed,
            "Host with the connection's port": head.replace(SIGNIN, SIGNIN + ":443")
            + "Content-Length: %d\r\n\r\n" % n + allowed,
        }
        for name, first in variants.items():
            with self.subTest(variant=name):
                origin_before = len(self.gw.origin_requests())
                events_before = len(self.gw.events())
                data = self.sni(first.replace("\r\n\r\n", "\r\nConnection: keep-alive\r\n\r\n", 1)
                                .encode("latin-1") + smuggled.encode())
                statuses = [int(c) for c in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", data)]
                self.assertEqual(statuses, [200, 403], "%s: %r" % (name, data[:600]))

                def denied():
                    return any(e["enforced"] == "deny" for e in self.gw.events()[events_before:])
                wait_until(denied, 10, "%s denied in the record" % name)
                got = self.gw.origin_requests()[origin_before:]
                self.assertEqual(len(got), 1, "%s: %r" % (name, got))
                self.assertEqual(got[0]["body"], allowed, name)
                fields = [(k.lower(), v) for k, v in got[0]["headers"]]
                self.assertEqual([v for k, v in fields if k == "content-length"], [str(n)], name)
                self.assertEqual([k for k, v in fields if k == "transfer-encoding"], [], name)
                self.assertEqual([v for k, v in fields if k == "host"],
                                 [dict(fields)["host"]], name)
                if name.startswith("a folded"):
                    self.assertEqual(dict(fields).get("x-folded"), "a b", name)

    def test_a_request_after_connection_close_is_never_read(self):
        # Connection: close ends the exchange: a PROD switch-role written behind it in the same
        # write is neither answered, judged nor forwarded, whether the first was served or
        # denied.
        smuggled = form_request("/switchrole", "account=%s&roleName=Admin" % PROD)
        for name, first, want in (
                ("served", b"GET /console HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                 % SIGNIN.encode(), 200),
                ("denied", form_request("/switchrole", "account=%s&roleName=Admin" % PROD), 403),
                ("HTTP/1.0 without keep-alive", b"GET /console HTTP/1.0\r\nHost: %s\r\n\r\n"
                 % SIGNIN.encode(), 200)):
            with self.subTest(first=name):
                origin_before = len(self.gw.origin_requests())
                data = self.sni(first + smuggled)
                statuses = [int(c) for c in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", data)]
                self.assertEqual(statuses, [want], "%s: %r" % (name, data[:600]))
                time.sleep(0.2)
                self.assertEqual(self.forbidden_reached_origin(origin_before), [], name)
                self.assertEqual(len(self.gw.origin_requests()),
                                 origin_before + (1 if want == 200 else 0), name)

    # ----- class 4: the record cannot be dodged -----
    def test_invalid_utf8_cannot_hide_an_attempt_from_the_record(self):
        events_before = len(self.gw.events())
        for user in ("%FF%FE", "%C0%AF", "%ED%A0%80", "bob%80"):
            with self.subTest(user=user):
                data = self.sni(form_request(
                    "/authenticate", "account=%s&username=%s&password=x" % (PROD, user)))
                self.assertEqual(status_of(data), 403, data[:300])
        wait_until(lambda: len(self.gw.events()) >= events_before + 4, 10, "four events")
        with open(os.path.join(self.gw.dir, "audit.jsonl"), "rb") as f:
            for raw in f:
                raw.decode("utf-8")  # every line valid UTF-8
                json.loads(raw)
        new = self.gw.events()[events_before:]
        self.assertTrue(all(e["flagged"] for e in new if e["account"] == PROD), new)
        r = subprocess.run([BINARY, "logs", "--file", os.path.join(self.gw.dir, "audit.jsonl"),
                            "--account", PROD], capture_output=True, text=True, timeout=30)
        self.assertNotIn("skipped", r.stderr)
        self.assertEqual(r.returncode, 0, r.stderr)


class evasion_http2(ValidRecord, unittest.TestCase):
    """HTTP/2 to the browser, HTTP/1.1 to AWS (proxy.http2 = true): a stream whose fields would
    read otherwise once written as HTTP/1.1 (CR, LF or NUL in a value, a name that is no token),
    a Content-Length the DATA does not match (the rest a second request), a target that is not a
    path, a tunnel, a second :path, an :authority that Host contradicts. Each is refused on its
    stream (reset or 4xx) and recorded; PROD never reaches the origin."""

    @classmethod
    def setUpClass(cls):
        cls.dns = StandinDNS(STANDIN_RECORDS)
        try:
            cls.gw = EvasionGateway(cls.dns.port, proxy_extra="http2 = true").start()
        except Exception:
            cls.dns.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        cls.dns.close()

    def test_streams_that_would_downgrade_two_ways_are_refused_and_recorded(self):
        from h2client import Connection, request_fields
        prod = "account=%s&roleName=Admin" % PROD
        sandbox = "account=%s&roleName=Admin" % SANDBOX
        form = [("content-type", "application/x-www-form-urlencoded")]
        smuggled = ("POST /switchrole HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s"
                    % (SIGNIN, len(prod), prod))

        def post(headers=(), target="/switchrole", authority=SIGNIN, method="POST"):
            return request_fields(method, target, authority, list(form) + list(headers))
        variants = {
            "CRLF in a value": (post([("x-a", "1\r\nContent-Length: 0\r\n\r\n" + smuggled)]),
                                sandbox),
            "LF in a value": (post([("x-a", "1\nHost: %s.signin.aws.amazon.com" % PROD)]), sandbox),
            "NUL in a value": (post([("x-a", "1\x00")]), prod),
            "a name with a colon": (post([("content-length:0\r\nx", "1")]), sandbox),
            "a name with a space": (post([("x a", "1")]), prod),
            "Content-Length shorter than the DATA": (
                post([("content-length", str(len(sandbox)))]), sandbox + smuggled),
            "Transfer-Encoding": (post([("transfer-encoding", "chunked")]),
                                  "%x\r\n%s\r\n0\r\n\r\n" % (len(prod), prod)),
            "an absolute :path": (post(target="https://%s/switchrole" % SIGNIN), prod),
            "a * :path": (post(target="*", method="OPTIONS"), prod),
            "a :path without a slash": (post(target="switchrole"), prod),
            "CONNECT": ([(":method", "CONNECT"), (":authority", "%s:443" % SIGNIN)], b""),
            "extended CONNECT": (post(method="CONNECT") + [(":protocol", "websocket")], prod),
            "a second :path": ([(":method", "POST"), (":scheme", "https"), (":authority", SIGNIN),
                                (":path", "/switchrole?%s" % sandbox),
                                (":path", "/switchrole?%s" % prod)], b""),
            "Host against :authority": (post([("host", "%s.signin.aws.amazon.com" % PROD)]), prod),
        }
        for name, (fields, body) in variants.items():
            with self.subTest(variant=name):
                origin_before = len(self.gw.origin_requests())
                events_before = len(self.gw.events())
                c = Connection(self.gw.ports["sni"], SIGNIN,
                               os.path.join(self.gw.ca_dir, "ca.crt"), timeout=TIMEOUT)
                try:
                    self.assertEqual(c.alpn, "h2")
                    body = body.encode("latin-1") if isinstance(body, str) else body
                    sid = c.request([(k.encode("latin-1"), v.encode("latin-1"))
                                     for k, v in fields], body)
                    r = c.wait_all(timeout=TIMEOUT)[sid]
                finally:
                    c.close()
                self.assertTrue(r["reset"] is not None or r["status"] in (400, 403, 421),
                                "%s: %r" % (name, r))
                self.assertNotIn(b"demo origin", r["body"], name)

                def recorded():
                    return any(e["enforced"] == "deny" for e in self.gw.events()[events_before:])
                wait_until(recorded, 10, "%s denied in the record" % name)
                hits = [q for q in self.gw.origin_requests()[origin_before:] if PROD in json.dumps(q)]
                self.assertEqual(hits, [], name)

    def test_a_cookie_in_crumbs_or_in_a_trailer_is_judged(self):
        # RFC 9113 §8.2.3: a browser may split Cookie into one field per cookie, and a cookie
        # field may come in the trailer block. The forbidden session's aws-userInfo is judged in
        # whichever crumb or block it is (the harness judges unbound sessions on the cookie).
        from h2client import Connection, request_fields
        console = "console.aws.amazon.com"
        info = ("aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A" + PROD +
                "%3Auser%2Fbob%22%2C%22username%22%3A%22bob%22%7D")
        variants = {
            "crumbs": (request_fields("GET", "/console/home", console,
                                      [("cookie", "a=1"), ("cookie", "b=2"), ("cookie", info)]),
                       b"", None),
            "a trailer": (request_fields("POST", "/console/home", console,
                                         [("content-type", "application/json")]),
                          b"{}", [(b"cookie", info.encode())]),
        }
        for name, (fields, body, trailers) in variants.items():
            with self.subTest(variant=name):
                origin_before = len(self.gw.origin_requests())
                events_before = len(self.gw.events())
                c = Connection(self.gw.ports["sni"], console,
                               os.path.join(self.gw.ca_dir, "ca.crt"), timeout=TIMEOUT)
                try:
                    sid = c.request([(k.encode("latin-1"), v.encode("latin-1"))
                                     for k, v in fields], body, trailers=trailers)
                    r = c.wait_all(timeout=TIMEOUT)[sid]
                finally:
                    c.close()
                self.assertEqual(r["status"], 403, "%s: %r" % (name, r))

                def recorded():
                    return any(e["enforced"] == "deny" and e["account"] == PROD
                               for e in self.gw.events()[events_before:])
                wait_until(recorded, 10, "%s denied in the record" % name)
                self.assertEqual(len(self.gw.origin_requests()), origin_before, name)


    def h2_stream(self, fields, body):
        from h2client import Connection
        c = Connection(self.gw.ports["sni"], SIGNIN, os.path.join(self.gw.ca_dir, "ca.crt"),
                       timeout=TIMEOUT)
        try:
            self.assertEqual(c.alpn, "h2")
            sid = c.request([(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields],
                            body.encode("latin-1"))
            return c.wait_all(timeout=TIMEOUT)[sid]
        finally:
            c.close()

    def test_streams_an_http1_origin_could_read_otherwise_are_refused(self):
        # Each stream carries SANDBOX's switch-role, which the policy allows: forwarded, it would
        # be answered 200 by the stand-in AWS. Each is instead refused on its stream (a reset by
        # nghttp2, or 400/421 by the proxy), recorded, and never reaches the origin: what would
        # go upstream as HTTP/1.1 could be read as another request line, other fields, another
        # authority or another body there.
        from h2client import request_fields
        sandbox = "account=%s&roleName=Admin" % SANDBOX
        form = [("content-type", "application/x-www-form-urlencoded")]

        def post(headers=(), target="/switchrole", authority=SIGNIN, method="POST"):
            return request_fields(method, target, authority, list(form) + list(headers))
        variants = {
            "a pseudo-field after a regular one": (
                [(":method", "POST"), (":scheme", "https"), (":authority", SIGNIN)] + form
                + [(":path", "/switchrole")], "h2-malformed"),
            "an upper-case name": (post([("X-Account", "1")]), "h2-malformed"),
            "a name with a tab": (post([("x\ta", "1")]), "h2-malformed"),
            "connection": (post([("connection", "keep-alive")]), "h2-"),
            "te other than trailers": (post([("te", "gzip")]), "h2-"),
            "two content-lengths": (post([("content-length", str(len(sandbox)))] * 2), "h2-"),
            "a content-length longer than the DATA": (
                post([("content-length", str(len(sandbox) + 40))]), "h2-"),
            "a content-length list": (
                post([("content-length", "%d, %d" % (len(sandbox), len(sandbox)))]), "h2-"),
            "a :path with a space": (post(target="/switchrole HTTP/1.1"), "h2-malformed"),
            "a :path with a tab": (post(target="/switchrole\tHTTP/1.1"), "h2-malformed"),
            "a :method with a space": (post(method="POST /switchrole"), "h2-malformed"),
            "a GET with DATA": (post(method="GET"), "ambiguous-framing"),
            "a HEAD with a content-length": (
                post([("content-length", str(len(sandbox)))], method="HEAD"), "ambiguous-framing"),
            "an :authority with another port": (post(authority=SIGNIN + ":8443"), "misdirected"),
            "an :authority with userinfo": (post(authority="x@" + SIGNIN), ""),
            "a host with another port than :authority": (
                post([("host", SIGNIN + ":8443")]), "h2-authority-conflict"),
            "a host with another port and no :authority": (
                [(":method", "POST"), (":scheme", "https"), (":path", "/switchrole"),
                 ("host", SIGNIN + ":8443")] + form, "misdirected"),
        }
        for name, (fields, reason) in variants.items():
            with self.subTest(variant=name):
                origin_before = len(self.gw.origin_requests())
                events_before = len(self.gw.events())
                r = self.h2_stream(fields, sandbox)
                self.assertTrue(r["reset"] is not None or r["status"] in (400, 421),
                                "%s: %r" % (name, r))
                self.assertNotIn(b"demo origin", r["body"], name)

                def recorded():
                    return [e for e in self.gw.events()[events_before:]
                            if e.get("flow") == "refused" and e["reason"].startswith(reason)]
                wait_until(recorded, 10, "%s refused in the record" % name)
                time.sleep(0.2)
                self.assertEqual(len(self.gw.origin_requests()), origin_before, name)
        # The same stream, well formed, is served: the refusals above are the shapes, not SANDBOX.
        r = self.h2_stream(post(), sandbox)
        self.assertEqual(r["status"], 200, r)

    def test_a_continuation_flood_closes_the_connection(self):
        # A header block that never ends (CONTINUATION frames without END_HEADERS, the 2024
        # "CONTINUATION flood"): nghttp2 stops it after 8 frames and the connection is closed
        # with GOAWAY; nothing reaches the origin, and the next connection is served.
        import hpack
        from h2client import Connection, request_fields
        origin_before = len(self.gw.origin_requests())
        c = Connection(self.gw.ports["sni"], SIGNIN, os.path.join(self.gw.ca_dir, "ca.crt"),
                       timeout=TIMEOUT)
        try:
            self.assertEqual(c.alpn, "h2")

            def frame(ftype, flags, payload, sid=1):
                return (len(payload).to_bytes(3, "big") + bytes([ftype, flags]) +
                        sid.to_bytes(4, "big") + payload)
            block = hpack.Encoder().encode(
                [(k.encode(), v.encode()) for k, v in request_fields("GET", "/console", SIGNIN)])
            wire = frame(0x1, 0x0, block)  # HEADERS, no END_HEADERS, no END_STREAM
            pad = hpack.Encoder().encode([(b"x-pad", b"a")])
            sent = 0
            c.sock.settimeout(TIMEOUT)
            try:
                c.sock.sendall(wire)
                for _ in range(2000):
                    c.sock.sendall(frame(0x9, 0x0, pad if sent % 2 else b""))
                    sent += 1
            except OSError:
                pass  # the gateway closed the connection while frames were still going out
            data = b""
            try:
                while True:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except (OSError, ssl.SSLError):
                pass
            # Frames from the server: find a GOAWAY (type 7) among them.
            types, at = [], 0
            while at + 9 <= len(data):
                n = int.from_bytes(data[at:at + 3], "big")
                types.append(data[at + 3])
                at += 9 + n
            self.assertIn(7, types, "no GOAWAY after %d CONTINUATION frames: %r" % (sent, types))
        finally:
            c.close()
        self.assertEqual(len(self.gw.origin_requests()), origin_before)
        r = self.h2_stream(request_fields("GET", "/console", SIGNIN), "")
        self.assertEqual(r["status"], 200, r)


# The domains of the names the proxy watches: the resolver below fails for them alone.
AWS_DOMAINS = ("amazon.com", "amazonaws.com", "amazonaws-us-gov.com", "amazonaws.cn")


class evasion_resolver_failing(ValidRecord, unittest.TestCase):
    """The proxy's resolver fails from the start for AWS's names (SERVFAIL) and answers every
    other: the gateway cannot learn the sign-in names' addresses, so it cannot tell whether a
    destination is AWS sign-in, while an attacker's names still resolve (to sign-in's address,
    here). Every connection it would splice is refused with 503 or a TLS alert (fail closed),
    counted and recorded, by address or by name; only a pass-through name is still spliced.
    Nothing reaches the stand-in AWS."""

    PASS = "elsewhere.evil.test"

    @classmethod
    def setUpClass(cls):
        cls.dns = StandinDNS(STANDIN_RECORDS, failing=AWS_DOMAINS)
        try:
            cls.gw = EvasionGateway(cls.dns.port,
                                    proxy_extra='pass_through_hosts = ["%s"]' % cls.PASS).start()
        except Exception:
            cls.dns.close()
            raise
        try:
            cls.recorder = Recorder(cls.gw.ports["origin"])
        except OSError:
            cls.recorder = None

    @classmethod
    def tearDownClass(cls):
        if cls.recorder:
            cls.recorder.close()
        cls.gw.close()
        cls.dns.close()

    def refused_unknown(self, events_before):
        return [e for e in self.gw.events()[events_before:]
                if e.get("flow") == "refused"
                and e["reason"].startswith("inspected-addresses-unknown")]

    def test_destinations_known_only_by_address_are_refused(self):
        port = self.gw.ports["origin"]
        attempt = form_request("http://127.0.0.1:%d/switchrole" % port,
                               "account=%s&roleName=Admin" % PROD)
        cases = [
            ("CONNECT sign-in's address", ("CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n" % port)
             .encode()),
            ("CONNECT another address", ("CONNECT 127.0.0.2:%d HTTP/1.1\r\n\r\n" % port)
             .encode()),
            ("CONNECT a v4-mapped address",
             ("CONNECT [::ffff:127.0.0.1]:%d HTTP/1.1\r\n\r\n" % port).encode()),
            ("plain http by address", attempt),
            # By name: the attacker's names resolve while sign-in's do not. shared.evil.test
            # is at sign-in's address; login.evil.test is a CNAME of sign-in; a name elsewhere
            # cannot be shown not to serve sign-in either.
            ("CONNECT a name at sign-in's address",
             ("CONNECT shared.evil.test:%d HTTP/1.1\r\n\r\n" % port).encode()),
            ("CONNECT a CNAME of sign-in",
             ("CONNECT login.evil.test:%d HTTP/1.1\r\n\r\n" % port).encode()),
            ("CONNECT another name", ("CONNECT www.evil.test:%d HTTP/1.1\r\n\r\n" % port)
             .encode()),
            ("plain http by name",
             form_request("http://shared.evil.test:%d/switchrole" % port,
                          "account=%s&roleName=Admin" % PROD, host="shared.evil.test")),
        ]
        events_before = len(self.gw.events())
        origin_before = len(self.gw.origin_requests())
        for name, request in cases:
            with self.subTest(case=name):
                with socket.create_connection(("127.0.0.1", self.gw.ports["connect"]),
                                              timeout=TIMEOUT) as s:
                    s.sendall(request)
                    data = read_all(s)
                self.assertEqual(status_of(data), 503, data[:300])

        wait_until(lambda: len(self.refused_unknown(events_before)) >= len(cases), 10,
                   "every refusal in the record")
        self.assertEqual(len(self.gw.origin_requests()), origin_before)
        metrics = self.gw.metrics()
        self.assertRegex(metrics, r"consolegate_proxy_inspected_addresses_unknown_total [1-9]")

    def test_a_server_name_that_would_be_spliced_is_refused_with_a_tls_alert(self):
        # The SNI listener splices to port 443 of the name's address: shared.evil.test is at
        # sign-in's (127.0.0.1).
        events_before = len(self.gw.events())
        ctx = ssl.create_default_context(cafile=os.path.join(self.gw.ca_dir, "ca.crt"))
        with socket.create_connection(("127.0.0.1", self.gw.ports["sni"]), timeout=TIMEOUT) as s:
            with self.assertRaises(ssl.SSLError) as alert:
                ctx.wrap_socket(s, server_hostname="shared.evil.test")
        self.assertIn("INTERNAL_ERROR", str(alert.exception).upper())
        wait_until(lambda: [e for e in self.refused_unknown(events_before)
                            if e["host"] == "shared.evil.test"], 10, "the refusal in the record")

    def test_a_pass_through_name_is_still_spliced(self):
        if not self.recorder:
            self.skipTest("cannot bind 127.0.0.2")
        port = self.gw.ports["origin"]
        before = len(self.recorder.received)
        with socket.create_connection(("127.0.0.1", self.gw.ports["connect"]),
                                      timeout=TIMEOUT) as s:
            s.sendall(("CONNECT %s:%d HTTP/1.1\r\n\r\n" % (self.PASS, port)).encode())
            self.assertEqual(status_of(s.recv(4096)), 200)
            s.sendall(client_hello([(0, self.PASS)]))
            wait_until(lambda: len(self.recorder.received) > before, 10, "the spliced hello")
        self.assertIn(self.PASS.encode(), self.recorder.received[before])



# The air-gapped partitions' domains (core::partition_names::isolated): a resolver outside them
# may not answer for them at all.
ISOLATED_DOMAINS = ("ic.gov", "sgov.gov", "adc-e.uk", "aws.scloud")


class evasion_isolated_partitions_unanswered(ValidRecord, unittest.TestCase):
    """The proxy's resolver gets no answer for the ISO partitions' names (SERVFAIL), as a site
    outside them may not, and answers every other. Their sign-in names are inspected and steered
    by default since session 11; were they names whose answers the address set needs, every
    connection the gateway splices would be refused from the start (the fail-closed rule of
    evasion_resolver_failing). They are resolved as the regional names are: unanswered, they
    leave their own addresses out and are counted; the set stays known, splices go on, and a
    sign-in by their names is still inspected and judged."""

    @classmethod
    def setUpClass(cls):
        cls.dns = StandinDNS(STANDIN_RECORDS, failing=ISOLATED_DOMAINS)
        try:
            cls.gw = EvasionGateway(cls.dns.port).start()
        except Exception:
            cls.dns.close()
            raise
        try:
            cls.recorder = Recorder(cls.gw.ports["origin"])
        except OSError:
            cls.recorder = None

    @classmethod
    def tearDownClass(cls):
        if cls.recorder:
            cls.recorder.close()
        cls.gw.close()
        cls.dns.close()

    connect_port = evasion.connect_port
    plain = evasion.plain
    tunnel = evasion.tunnel
    forbidden_reached_origin = evasion.forbidden_reached_origin
    assert_denied_and_recorded = evasion.assert_denied_and_recorded

    def test_splices_go_on_and_the_iso_names_are_resolved_best_effort(self):
        if not self.recorder:
            self.skipTest("cannot bind 127.0.0.2")
        wait_until(lambda: self.gw.metric("consolegate_proxy_regional_names_unresolved_total") > 0,
                   20, "the ISO names asked and counted unanswered")
        self.assertTrue(any(n.endswith(ISOLATED_DOMAINS) for n in self.dns.asked))
        port = self.gw.ports["origin"]
        before = len(self.recorder.received)
        status, _ = self.tunnel("elsewhere.evil.test:%d" % port, "elsewhere.evil.test", b"x")
        self.assertEqual(status, 200)
        wait_until(lambda: len(self.recorder.received) > before, 10, "the spliced ClientHello")
        self.assertEqual(self.gw.metric("consolegate_proxy_inspected_addresses_unknown_total"), 0)

    def test_a_sign_in_by_an_iso_name_is_still_judged(self):
        host = "us-iso-east-1.signin.c2shome.ic.gov"
        req = form_request("/switchrole", "account=%s&roleName=Admin" % PROD, host=host)
        self.assert_denied_and_recorded(host, lambda: self.tunnel("%s:443" % host, host, req)[1])


class evasion_splice_only_listed(ValidRecord, unittest.TestCase):
    """`not_inspected = "refuse"` ("splice only listed destinations", config/README.md "Which
    connections are inspected") through the live binary: every CONNECT (403), `http://` URL (403)
    and SNI (TLS alert) naming a host outside `inspect_hosts` and `pass_through_hosts` is refused
    and recorded, whatever its addresses; the listed destination is still spliced, and the sign-in
    names are still inspected and judged."""

    PASS = "elsewhere.evil.test"  # at 127.0.0.2, where the recorder listens
    # Unlisted names: one that resolves nowhere the stand-in DNS knows, a CNAME of sign-in, one
    # sharing sign-in's address, and one that lives at the pass-through host's address.
    UNLISTED = ("unlisted.evil.test", "login.evil.test", "shared.evil.test",
                "sibling.elsewhere.evil.test")

    @classmethod
    def setUpClass(cls):
        records = dict(STANDIN_RECORDS)
        records["sibling.elsewhere.evil.test"] = "127.0.0.2"
        cls.dns = StandinDNS(records)
        try:
            cls.gw = EvasionGateway(cls.dns.port, proxy_extra='not_inspected = "refuse"\n'
                                    'pass_through_hosts = ["%s"]' % cls.PASS).start()
        except Exception:
            cls.dns.close()
            raise
        try:
            cls.recorder = Recorder(cls.gw.ports["origin"])
        except OSError:
            cls.recorder = None

    @classmethod
    def tearDownClass(cls):
        if cls.recorder:
            cls.recorder.close()
        cls.gw.close()
        cls.dns.close()

    # The clients and record checks of the splice-everything-else suite, on this gateway.
    connect_port = evasion.connect_port
    plain = evasion.plain
    tunnel = evasion.tunnel
    sni = evasion.sni
    connect_only = evasion.connect_only
    refused_events = evasion.refused_events
    forbidden_reached_origin = evasion.forbidden_reached_origin
    assert_denied_and_recorded = evasion.assert_denied_and_recorded

    def assert_refused(self, name, send, status, host):
        """`send` answers `status`, one not-inspected-refused event names `host`, and nothing
        reaches the stand-in AWS or the recorder."""
        origin_before = len(self.gw.origin_requests())
        recorded_before = len(self.recorder.received) if self.recorder else 0
        events_before = len(self.gw.events())
        data = send()
        self.assertEqual(status_of(data), status, "%s: %r" % (name, data[:300]))

        def recorded():
            return [e for e in self.refused_events(events_before)
                    if e["reason"].startswith("not-inspected-refused")
                    and e["enforced"] == "deny"
                    and e["host"] == host]
        wait_until(recorded, 10, "%s in the record as not-inspected-refused" % name)
        time.sleep(0.2)
        self.assertEqual(len(self.gw.origin_requests()), origin_before, name)
        if self.recorder:
            self.assertEqual(len(self.recorder.received), recorded_before, name)

    def test_a_connect_to_an_unlisted_name_is_refused(self):
        port = self.gw.ports["origin"]
        for name in self.UNLISTED:
            with self.subTest(name=name):
                data_of = lambda: self.connect_only("%s:%d" % (name, port))  # noqa: E731
                self.assert_refused("CONNECT " + name, data_of, 403, name)
                self.assertIn(b"not allowed", data_of())
        self.assertRegex(self.gw.metrics(), r"consolegate_proxy_refused_host_total [1-9]")

    def test_an_unlisted_sni_is_refused_with_a_tls_alert(self):
        for name in self.UNLISTED:
            with self.subTest(name=name):
                alerts = []

                def handshake():
                    try:
                        self.sni(form_request("/switchrole", "account=%s" % PROD), host=name)
                    except ssl.SSLError as e:
                        alerts.append(e)
                    return b""
                self.assert_refused("SNI " + name, handshake, 0, name)
                self.assertEqual(len(alerts), 1, name)
                self.assertIn("ACCESS_DENIED", str(alerts[0]).upper(), alerts[0])

    def test_plain_http_to_an_unlisted_name_is_refused(self):
        port = self.gw.ports["origin"]
        for name in self.UNLISTED:
            for url in ("http://%s/" % name, "http://%s:%d/switchrole" % (name, port)):
                with self.subTest(url=url):
                    self.assert_refused("plain " + url, lambda: self.plain(
                        ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                         % (url, name)).encode()), 403, name)

    def test_the_listed_destination_is_spliced(self):
        if not self.recorder:
            self.skipTest("cannot bind 127.0.0.2")
        port = self.gw.ports["origin"]
        events_before = len(self.gw.events())
        before = len(self.recorder.received)
        status, _ = self.tunnel("%s:%d" % (self.PASS, port), self.PASS, b"x")
        self.assertEqual(status, 200)
        wait_until(lambda: len(self.recorder.received) > before, 10, "the spliced ClientHello")
        hello = self.recorder.received[before]
        self.assertEqual(hello[:1], b"\x16")  # TLS, untouched: the client's own ClientHello
        self.assertIn(self.PASS.encode(), hello)  # its SNI, as the client sent it
        self.assertEqual(self.refused_events(events_before), [])

    def test_sign_in_is_still_inspected_and_judged(self):
        forbidden = form_request("/switchrole", "account=%s&roleName=Admin" % PROD)
        for via, send in (("sni", lambda: self.sni(forbidden)),
                          ("connect", lambda: self.tunnel("%s:443" % SIGNIN, SIGNIN,
                                                          forbidden)[1])):
            with self.subTest(via=via):
                data = send()
                self.assertEqual(status_of(data), 403, data[:300])
                # The block page (JSON for a client that does not ask for HTML), naming the rule
                # that judged it and the event that records it.
                page = json.loads(data.split(b"\r\n\r\n", 1)[1])
                self.assertEqual((page["blocked"], page["account"], page["rule"]),
                                 (True, PROD, "no-prod"), page)
                wait_until(lambda: [e for e in self.gw.events() if e["id"] == page["event_id"]
                                    and e["account"] == PROD and e["enforced"] == "deny"],
                           10, "the judged attempt in the record")
        # An allowed account goes through to the stand-in AWS.
        before = len(self.gw.origin_requests())
        data = self.sni(form_request("/switchrole", "account=%s&roleName=Admin" % SANDBOX))
        self.assertEqual(status_of(data), 200, data[:300])
        self.assertEqual(len(self.gw.origin_requests()), before + 1)
        self.assertEqual(self.forbidden_reached_origin(0), [])


if __name__ == "__main__":
    unittest.main()
