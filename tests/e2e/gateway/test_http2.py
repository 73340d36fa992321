"""HTTP/2 to browsers (proxy.http2): the sign-in corpus replayed over h2, many streams at once on
one connection, gets the decisions it gets over HTTP/1.1 (test_corpus_live.py), and no denied
request reaches the origin; curl --http2 speaks h2 through the gateway; the h2 limits hold
against a client that floods or oversends."""
import json
import os
import re
import subprocess
import unittest
import urllib.parse

from h2client import Connection, request_fields
from harness import SANDBOX, Gateway, wait_until
from test_corpus_live import CORPUS, PROXY_EXTRA, corpus_fixture

# Hop-by-hop on HTTP/1.1, forbidden on HTTP/2 (RFC 9113 §8.2.2): a browser never sends them.
CONNECTION_FIELDS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"}


def dechunk(body):
    """The chunked body's data and its trailer fields (sent as an HTTP/2 trailer block)."""
    out, rest = b"", body
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    trailers = []
    for line in rest.split(b"\n"):
        name, sep, value = line.rstrip(b"\r").partition(b":")
        if sep:
            trailers.append((name.strip().lower(), value.strip()))
    return out, trailers


def h2_request(text):
    """A corpus file as a browser would send it over HTTP/2: pseudo-fields from the request line
    and Host, each cookie in its own `cookie` field (RFC 9113 §8.2.3), a chunked body de-chunked
    with its length and its trailer fields as a trailer block, the connection-specific fields
    left out."""
    raw = text.encode("utf-8", "surrogateescape")
    m = re.search(rb"\r?\n\r?\n", raw)
    head, body = (raw[:m.start()], raw[m.end():]) if m else (raw.rstrip(b"\r\n"), b"")
    lines = [l.rstrip(b"\r") for l in head.split(b"\n")]
    method, target = lines[0].split(b" ")[:2]
    fields, host, chunked, has_length, trailers = [], None, False, False, []
    for l in lines[1:]:
        name, _, value = l.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"host" and host is None:
            host = value
            continue
        if name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        if name.decode() in CONNECTION_FIELDS:
            continue
        if name == b"content-length":
            has_length = True
        if name == b"cookie":
            fields += [(b"cookie", c.strip()) for c in value.split(b";") if c.strip()]
            continue
        fields.append((name, value))
    if target.startswith((b"https://", b"http://")):
        authority = target.split(b"/")[2]
        target = b"/" + b"/".join(target.split(b"/")[3:])
        host = authority
    if chunked:
        body, trailers = dechunk(body)
    elif not has_length:
        body = body.rstrip(b"\r\n")
    if body and not has_length:
        fields.append((b"content-length", str(len(body)).encode()))
    return ([(b":method", method), (b":scheme", b"https"), (b":authority", host), (b":path", target)] + fields,
            body, trailers)


class CorpusOverHttp2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.expected, cls.files, cls.hosts, cls.gw = corpus_fixture(PROXY_EXTRA + "\nhttp2 = true")

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def connect(self, host):
        c = Connection(self.gw.ports["sni"], host, os.path.join(self.gw.ca_dir, "ca.crt"))
        self.addCleanup(c.close)
        self.assertEqual(c.alpn, "h2")
        return c

    def test_every_request_gets_the_reviewed_decision_over_h2(self):
        """Per host one connection, its requests as concurrent streams: allowed and denied ones
        side by side. The origin sees exactly the allowed ones."""
        by_host = {}
        for name in self.files:
            by_host.setdefault(self.hosts[name], []).append(name)
        before = len(self.gw.origin_requests())
        allowed = 0
        for host, names in sorted(by_host.items()):
            c = self.connect(host)
            streams = {}
            for name in names:
                with open(os.path.join(CORPUS, name), encoding="utf-8", errors="surrogateescape",
                          newline="") as f:
                    fields, body, trailers = h2_request(f.read())
                streams[name] = c.request(fields, body, trailers=trailers)
            responses = c.wait_all()
            for name in names:
                r = responses[streams[name]]
                body = r["body"].decode("utf-8", "replace")
                with self.subTest(request=name):
                    self.assertTrue(r["done"], name)
                    if self.expected[name]["effect"] == "allow":
                        allowed += 1
                        self.assertEqual(r["status"], 200, body[:300])
                        self.assertIn("demo origin", body)
                    else:
                        self.assertIn(r["status"], (400, 403), body[:300])
                        self.assertNotIn("demo origin", body)
                        if r["status"] == 403:
                            self.assertIn(self.expected[name]["reason"], body)
        wait_until(lambda: len(self.gw.origin_requests()) >= before + allowed, 10, "the allowed requests")
        self.assertEqual(len(self.gw.origin_requests()), before + allowed)

    def test_cookies_split_over_fields_reach_the_origin_as_one(self):
        c = self.connect("signin.aws.amazon.com")
        sid = c.request(request_fields("GET", "/h2-cookie-join", "signin.aws.amazon.com",
                                       [("cookie", "a=1"), ("accept", "*/*"), ("cookie", "b=2")]))
        r = c.wait_all()[sid]
        self.assertEqual(r["status"], 200, r["body"][:300])
        seen = [q for q in self.gw.origin_requests() if q.get("target") == "/h2-cookie-join"]
        self.assertEqual(len(seen), 1)
        cookies = [v for k, v in seen[0]["headers"] if k.lower() == "cookie"]
        self.assertEqual(cookies, ["a=1; b=2"])
        hdrs = dict(r["headers"])
        self.assertNotIn("alt-svc", hdrs)
        self.assertIn("consolegate", hdrs.get("via", ""))

    def test_malformed_streams_are_refused_alone(self):
        """An :authority/Host conflict, a connection-specific field, another host: each refused on
        its own stream, never forwarded; the connection serves the next stream."""
        c = self.connect("signin.aws.amazon.com")
        host = "signin.aws.amazon.com"
        conflict = c.request(request_fields("GET", "/h2-conflict", host, [("host", "evil.example")]))
        conn_field = c.request(request_fields("GET", "/h2-conn-field", host, [("connection", "close")]))
        other = c.request(request_fields("GET", "/h2-other-host", "console.aws.amazon.com"))
        fine = c.request(request_fields("GET", "/h2-fine", host))
        r = c.wait_all()
        self.assertEqual(r[conflict]["status"], 400)
        self.assertTrue(r[conn_field]["status"] == 400 or r[conn_field]["reset"] is not None)
        self.assertEqual(r[other]["status"], 421)
        self.assertEqual(r[fine]["status"], 200)
        targets = [q.get("target") for q in self.gw.origin_requests()]
        for t in ("/h2-conflict", "/h2-conn-field", "/h2-other-host"):
            self.assertNotIn(t, targets)
        self.assertIn("/h2-fine", targets)

    def test_content_length_larger_than_the_data_is_never_forwarded(self):
        c = self.connect("signin.aws.amazon.com")
        sid = c.request(request_fields("POST", "/h2-short-body", "signin.aws.amazon.com",
                                       [("content-length", "100")]), b"only-this")
        r = c.wait_all()[sid]
        self.assertTrue(r["reset"] is not None or r["status"] == 400, r)
        self.assertNotIn("/h2-short-body", [q.get("target") for q in self.gw.origin_requests()])

    def test_curl_speaks_http2_through_the_gateway(self):
        status, headers, body = self.gw.curl("https://signin.aws.amazon.com/h2-curl", "--http2",
                                             via="sni")
        self.assertEqual(status, 200, body[:300])
        self.assertTrue(headers.startswith("HTTP/2 200"), headers[:200])
        self.assertIn("demo origin", body)
        status, headers, body = self.gw.curl("https://signin.aws.amazon.com/h2-curl-h1", "--http1.1",
                                             via="sni")
        self.assertEqual(status, 200)
        self.assertTrue(headers.startswith("HTTP/1.1 200"), headers[:200])

    def test_h2load_multiplexes_streams_through_the_gateway(self):
        """nghttp2's own load client: 2 connections, 10 streams at once each, every answer 2xx."""
        r = subprocess.run(["h2load", "-n", "60", "-c", "2", "-m", "10", "-t", "1",
                            "--connect-to=127.0.0.1:%d" % self.gw.ports["sni"],
                            "https://signin.aws.amazon.com/h2load"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("Application protocol: h2", r.stdout, r.stdout[-2000:])
        self.assertRegex(r.stdout, r"status codes: 60 2xx", r.stdout[-2000:])


class Http2Limits(unittest.TestCase):
    """proxy.http2_* limits against a client that misbehaves on purpose."""

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(proxy_extra="\n".join([
            "http2 = true", "http2_max_concurrent_streams = 4", 'http2_max_header_list_size = "4KiB"',
            "http2_resets_per_second = 20", "http2_pings_per_second = 10",
            "http2_settings_per_second = 10"])).start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def connect(self, settled=True):
        c = Connection(self.gw.ports["sni"], "signin.aws.amazon.com",
                       os.path.join(self.gw.ca_dir, "ca.crt"))
        self.addCleanup(c.close)
        self.assertEqual(c.alpn, "h2")
        if settled:
            c.pump(lambda: c.conn.remote_settings.max_concurrent_streams == 4, 10)
        return c

    def floods(self):
        return self.gw.metric("consolegate_proxy_http2_flood_closes_total")

    def test_rapid_reset_closes_the_connection_with_enhance_your_calm(self):
        before = self.floods()
        c = self.connect()
        for _ in range(40):
            sid = c.request(request_fields("GET", "/h2-rapid-reset", "signin.aws.amazon.com"))
            c.conn.reset_stream(sid)
            c.flush()
        c.pump(lambda: c.goaway is not None, 10)
        self.assertEqual(c.goaway, 11)  # ENHANCE_YOUR_CALM
        self.assertEqual(self.floods(), before + 1)

    def test_a_ping_flood_closes_the_connection(self):
        before = self.floods()
        c = self.connect()
        for i in range(30):
            c.conn.ping(bytes([i]) * 8)
        c.flush()
        c.pump(lambda: c.goaway is not None, 10)
        self.assertEqual(c.goaway, 11)
        self.assertEqual(self.floods(), before + 1)

    def test_a_header_list_over_the_limit_gets_431(self):
        c = self.connect()
        sid = c.request(request_fields("GET", "/h2-big-header", "signin.aws.amazon.com",
                                       [("cookie", "x=" + "a" * 6000)]))
        r = c.wait_all()[sid]
        self.assertEqual(r["status"], 431)
        self.assertNotIn("/h2-big-header", [q.get("target") for q in self.gw.origin_requests()])

    def test_streams_over_the_limit_are_refused_and_the_rest_served(self):
        # Sent before our SETTINGS were read, as a client may (RFC 9113 §6.5.3): the streams
        # over the limit are refused (REFUSED_STREAM: safe to retry), the rest served.
        c = self.connect(settled=False)
        ids = [c.request(request_fields("GET", "/h2-many-%d" % i, "signin.aws.amazon.com"))
               for i in range(8)]
        r = c.wait_all()
        served = [i for i in ids if r[i]["status"] == 200]
        refused = [i for i in ids if r[i]["reset"] == 7]  # REFUSED_STREAM
        self.assertGreaterEqual(len(served), 4)
        self.assertGreaterEqual(len(refused), 1)
        self.assertEqual(len(served) + len(refused), 8)

    def test_an_idle_connection_gives_its_buffers_back(self):
        """A client that sends its preface and SETTINGS and then nothing (not even the SETTINGS
        acknowledgement): the connection is idle once the proxy's SETTINGS are out, and after a
        second its TLS and read buffers are given back (parked) though the read pending since
        the start never returned."""
        import socket
        import ssl

        import h2.config
        import h2.connection

        def releases():
            return self.gw.metric("consolegate_proxy_idle_buffer_releases_total")

        before = releases()
        ctx = ssl.create_default_context(cafile=os.path.join(self.gw.ca_dir, "ca.crt"))
        ctx.set_alpn_protocols(["h2"])
        tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.gw.ports["sni"]), timeout=10),
                              server_hostname="signin.aws.amazon.com")
        self.addCleanup(tls.close)
        self.assertEqual(tls.selected_alpn_protocol(), "h2")
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        tls.sendall(conn.data_to_send())
        wait_until(lambda: releases() > before, 10, "an idle buffer release")

    def test_http2_off_falls_back_to_http1(self):
        gw = Gateway(proxy_extra="http2 = false").start()
        try:
            c = Connection(gw.ports["sni"], "signin.aws.amazon.com", os.path.join(gw.ca_dir, "ca.crt"))
            self.assertEqual(c.alpn, "http/1.1")
            c.close()
        finally:
            gw.close()


class Http2Trailers(unittest.TestCase):
    """Evasion round 2: a request's trailer block joins its fields before judgement and goes
    through what its head went through: hop-by-hop fields, Expect and the trusted user header
    (never believed there) do not reach the origin from a trailer. The user header on a stream
    is believed as on HTTP/1.1 (docs/identity.md "Order")."""

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(proxy_extra="http2 = true", extra_toml="[identity]\n"
                         'trusted_header = "X-Authenticated-User"\n'
                         'trusted_header_from = ["127.0.0.2/32"]\n').start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def test_trailers_carry_nothing_the_head_could_not(self):
        # A console request in an allowed session (a sign-in request with trailer fields is
        # refused: the corpus's hostile-field-in-trailer, replayed over h2 above).
        body = b"action=x"
        cookie = "aws-userInfo=" + urllib.parse.quote(json.dumps({
            "arn": "arn:aws:sts::%s:assumed-role/Admin/alice" % SANDBOX, "alias": "",
            "issuer": "https://signin.aws.amazon.com/", "signinType": "PUBLIC",
            "username": ""}, separators=(",", ":")), safe="")
        stripped = [("proxy-authorization", "Basic eDp5"), ("expect", "100-continue"),
                    ("x-authenticated-user", "alice@CORP.EXAMPLE"),
                    ("x_authenticated_user", "alice@CORP.EXAMPLE")]
        c = Connection(self.gw.ports["sni"], "console.aws.amazon.com",
                       os.path.join(self.gw.ca_dir, "ca.crt"))
        self.addCleanup(c.close)
        before = len(self.gw.origin_requests())
        events_before = len(self.gw.events())
        sids = [c.request(request_fields("POST", "/console/home", "console.aws.amazon.com",
                                         [("content-type", "application/x-www-form-urlencoded"),
                                          ("cookie", cookie)]),
                          body=body, trailers=[field, ("x-kept", "1")]) for field in stripped]
        res = c.wait_all(timeout=15)
        for sid, field in zip(sids, stripped):
            self.assertEqual(res[sid]["status"], 200, (field, res[sid]))
        received = self.gw.origin_requests()[before:]
        self.assertEqual(len(received), len(stripped))
        for r in received:
            names = [k.lower() for k, _ in r["headers"]]
            self.assertIn("x-kept", names)  # the trailer block did arrive
            for name, _ in stripped:
                self.assertNotIn(name, names, r["headers"])
        # Allowed repeats on one connection may be counted into one event (audit.repeats).
        wait_until(lambda: len(self.gw.events()) > events_before, 10, "an event")
        for e in self.gw.events()[events_before:]:
            self.assertEqual(e["corp_source"], "none", e)

    def test_a_stream_in_a_tunnel_the_connect_named_cannot_name_another_user(self):
        # As on HTTP/1.1 (test_identity.py): a chaining proxy that names the user on the CONNECT
        # relays the tunnel's TLS; a header the browser sends on a stream inside is its own.
        before = len(self.gw.origin_requests())
        events_before = len(self.gw.events())
        args = ["curl", "-sS", "--http2", "--max-time", "15", "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}", "--cacert", os.path.join(self.gw.ca_dir, "ca.crt"),
                "-x", "http://127.0.0.1:%d" % self.gw.ports["connect"], "--interface", "127.0.0.2",
                "--proxy-header", "X-Authenticated-User: bob@CORP.EXAMPLE",
                "https://%s.signin.aws.amazon.com/console" % SANDBOX]
        for inner, want in (("alice@CORP.EXAMPLE", "2 403"), ("BOB@corp.example", "2 200")):
            with self.subTest(inner=inner):
                r = subprocess.run(args[:-1] + ["-H", "X-Authenticated-User: " + inner, args[-1]],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.stdout, want, r.stderr)

        def refused():
            return [e for e in self.gw.events()[events_before:]
                    if e.get("flow") == "refused" and e["reason"].startswith("identity-conflict")]
        wait_until(refused, 10, "the refusal in the record")
        self.assertEqual(refused()[0]["corp_user"], "bob@CORP.EXAMPLE")
        self.assertEqual(len(self.gw.origin_requests()), before + 1)


if __name__ == "__main__":
    unittest.main()
