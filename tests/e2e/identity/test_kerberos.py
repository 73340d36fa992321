"""Kerberos on the CONNECT listener through the live gateway (docs/identity.md "Kerberos").

A throwaway MIT realm (tests/support/kerberos/kdc.py) issues tickets for two users; curl
authenticates with --proxy-negotiate after the gateway's 407, and the sign-in attempts inside
the tunnel carry the Kerberos principal (corp_source "kerberos") in their audit events, over an
address mapping for the same client. Loopback source addresses pick the client network's mode:
127.0.0.1 required, 127.0.0.2 optional, 127.0.0.3 off. A ticket for another service, a garbage
token and no ticket where required get 407, and the log names no token material.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import (BINARY, FOREIGN, OPERATOR_TOKEN, SIGNIN_FRONT_END, Gateway, run,
                     wait_until)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../support/kerberos"))
import kdc as kdc_fixture  # noqa: E402

SERVICE = "HTTP/proxy.test"
# libfaketime's thread-safe build (the gateway runs threads), from Debian's faketime package.
LIBFAKETIME = next(iter(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1")), None)


class LateGateway(Gateway):
    """A gateway whose wall clock is 11 hours ahead (libfaketime, Debian's faketime package). The
    monotonic clock is left alone: the gateway's timers and its audit writer's waits run on it,
    and libfaketime's shifting of timed waits is not what is under test. The library is preloaded
    by `env`, which execs: the process started is the gateway itself, so close() stops it (the
    `faketime` wrapper would fork it and leave it running). Under ASan (build-asan) the preloaded
    library comes before ASan's runtime, which ASan refuses by default; libfaketime replaces only
    time functions (no allocator), so that check is turned off for this process alone."""

    def gateway_command(self):
        asan = os.environ.get("ASAN_OPTIONS", "")
        return (["env", "LD_PRELOAD=" + LIBFAKETIME, "FAKETIME=+11h",
                 "FAKETIME_DONT_FAKE_MONOTONIC=1",
                 "ASAN_OPTIONS=" + (asan + ":" if asan else "") + "verify_asan_link_order=0"]
                + super().gateway_command())


class KerberosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kdc = kdc_fixture.Kdc()
        cls.addClassCleanup(cls.kdc.close)
        cls.keytab = cls.kdc.add_service(SERVICE)
        cls.kdc.add_service("HTTP/other.test")  # a real service, but not the gateway's
        cls.kdc.add_user("alice", "alice-pw")
        cls.kdc.add_user("bob", "bob-pw")
        cls.cc = {u: cls.kdc.kinit(u, u + "-pw") for u in ("alice", "bob")}
        # The gateway's own libkrb5 reads the realm's krb5.conf and keeps its replay cache in
        # the realm's directory; the gateway inherits this process's environment.
        for k in ("KRB5_CONFIG", "KRB5RCACHEDIR"):
            os.environ[k] = cls.kdc.env()[k]
        cls.identity = """
[identity]
kerberos_keytab = "%s"
kerberos_principal = "%s@%s"
kerberos_required = ["127.0.0.1/32"]
kerberos_optional = ["127.0.0.2/32"]
""" % (cls.keytab, SERVICE, cls.kdc.realm)
        cls.gw = Gateway(extra_toml=cls.identity)
        cls.addClassCleanup(cls.gw.close)
        cls.gw.start()

    # ----- helpers -----
    def curl(self, user=None, proxy_host="proxy.test", source="127.0.0.1", extra=()):
        """A sign-in page request for the foreign account through the CONNECT listener as `user`
        (None: no ticket). Returns (CONNECT status, final status, body)."""
        port = self.gw.ports["connect"]
        cc = self.cc[user] if user else "FILE:" + os.path.join(self.kdc.dir, "no-such-cache")
        args = ["curl", "-sS", "--max-time", "20", "--cacert",
                os.path.join(self.gw.ca_dir, "ca.crt"), "--interface", source,
                "-x", "http://%s:%d" % (proxy_host, port),
                "--resolve", "%s:%d:127.0.0.1" % (proxy_host, port),
                "-H", "Accept: application/json",
                "-o", "-", "-w", "\n%{http_connect} %{http_code}"]
        if user is not None or not extra:
            args += ["--proxy-negotiate", "-U", ":"]
        args += list(extra) + ["https://%s.signin.aws.amazon.com/console" % FOREIGN]
        r = subprocess.run(args, capture_output=True, text=True, timeout=30,
                           env=self.kdc.env(KRB5CCNAME=cc))
        body, _, codes = r.stdout.rpartition("\n")
        connect, _, final = codes.partition(" ")
        if not connect or connect == "000":
            body += "\ncurl: " + r.stderr  # why curl got no answer, for the assertion
        return int(connect or 0), int(final or 0), body

    def event(self, body):
        event_id = json.loads(body)["event_id"]
        found = []

        def seen():
            found[:] = [e for e in self.gw.events() if e["id"] == event_id]
            return bool(found)
        wait_until(seen, 10, "the attempt's audit event")
        return found[0]

    def assert_no_token_in_log(self, *tokens):
        log = self.gw.log("consolegate")
        # A SPNEGO token's base64 starts "YII" (an ASN.1 application tag with a long length).
        self.assertNotIn("Negotiate YII", log)
        for t in tokens:
            self.assertNotIn(t, log)

    # ----- identified -----
    def test_each_user_is_identified_by_their_ticket(self):
        for user in ("alice", "bob"):
            connect, code, body = self.curl(user)
            self.assertEqual((connect, code), (200, 403), body)  # the foreign account: blocked
            ev = self.event(body)
            self.assertEqual((ev["corp_user"], ev["corp_source"]),
                             ("%s@%s" % (user, self.kdc.realm), "kerberos"))
        self.assert_no_token_in_log()
        # The accept step runs on a worker: it must stay short (docs/identity.md gives the
        # figure; the bound here is loose for a loaded test machine).
        m = self.gw.metrics()
        micros = int(re.search(r"^consolegate_identity_kerberos_accept_microseconds_total (\d+)",
                               m, re.M).group(1))
        accepts = int(re.search(r"^consolegate_identity_kerberos_accepts_total (\d+)", m,
                                re.M).group(1))
        self.assertGreaterEqual(accepts, 2)
        print("\nKerberos accept: %d accepts, %.0f us each on average"
              % (accepts, micros / accepts), file=sys.stderr)
        self.assertLess(micros / accepts, 100000)

    def test_kerberos_wins_over_the_address_map(self):
        push = json.dumps({"address": "127.0.0.1", "user": "mapped@CORP.EXAMPLE",
                           "ttl_seconds": 600}).encode()
        import urllib.request
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/address-map" % self.gw.ports["admin"], data=push,
            method="POST", headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
        try:
            connect, code, body = self.curl("alice")
            self.assertEqual(code, 403, body)
            ev = self.event(body)
            self.assertEqual((ev["corp_user"], ev["corp_source"]),
                             ("alice@" + self.kdc.realm, "kerberos"))
            # Off for 127.0.0.3: the address map names nobody there, so nobody.
            connect, code, body = self.curl(None, source="127.0.0.3")
            self.assertEqual((connect, code), (200, 403), body)
            self.assertEqual(self.event(body)["corp_source"], "none")
        finally:
            req = urllib.request.Request(
                "http://127.0.0.1:%d/api/address-map/127.0.0.1" % self.gw.ports["admin"],
                method="DELETE", headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
            urllib.request.urlopen(req, timeout=10).close()

    def refused_event(self, reason, before):
        found = []

        def seen():
            found[:] = [e for e in self.gw.events()[before:]
                        if e["flow"] == "refused" and e["reason"].startswith(reason)]
            return bool(found)
        wait_until(seen, 10, "a %s refusal in the record" % reason)
        return found[-1]

    def test_refusals_name_the_person_the_gateway_knew(self):
        # A tunnel by address to a sign-in server, from an authenticated connection: refused
        # before anything is judged, and the record names who asked.
        before = len(self.gw.events())
        r = subprocess.run(
            ["curl", "-sS", "--max-time", "20", "-o", "/dev/null", "-w", "%{http_connect}",
             "--interface", "127.0.0.1", "-x", "http://proxy.test:%d" % self.gw.ports["connect"],
             "--resolve", "proxy.test:%d:127.0.0.1" % self.gw.ports["connect"],
             "--proxy-negotiate", "-U", ":",
             "https://%s:%d/" % (SIGNIN_FRONT_END, self.gw.ports["origin"])],
            capture_output=True, text=True, timeout=30, env=self.kdc.env(KRB5CCNAME=self.cc["bob"]))
        # The harness's DNS puts a sign-in name there: inspected-address-literal.
        self.assertEqual(r.stdout, "403", r.stderr)
        ev = self.refused_event("inspected-address", before)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), ("bob@" + self.kdc.realm,
                                                                "kerberos"))
        # A refused token establishes nobody: the record says so, or names the address map's
        # person for the client when there is one.
        garbage = ["--proxy-header", "Proxy-Authorization: Negotiate Z2FyYmFnZQ=="]
        before = len(self.gw.events())
        self.assertEqual(self.curl(None, extra=garbage)[0], 407)
        ev = self.refused_event("proxy-auth-refused", before)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), ("", "none"))
        push = json.dumps({"address": "127.0.0.1", "user": "mapped@CORP.EXAMPLE",
                           "ttl_seconds": 600}).encode()
        import urllib.request
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/address-map" % self.gw.ports["admin"], data=push,
            method="POST", headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
        urllib.request.urlopen(req, timeout=10).close()
        try:
            before = len(self.gw.events())
            self.assertEqual(self.curl(None, extra=garbage)[0], 407)
            ev = self.refused_event("proxy-auth-refused", before)
            self.assertEqual((ev["corp_user"], ev["corp_source"]),
                             ("mapped@CORP.EXAMPLE", "address-map"))
        finally:
            req = urllib.request.Request(
                "http://127.0.0.1:%d/api/address-map/127.0.0.1" % self.gw.ports["admin"],
                method="DELETE", headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
            urllib.request.urlopen(req, timeout=10).close()

    # ----- refused -----
    def test_no_ticket_where_required_gets_407(self):
        connect, code, body = self.curl(None)
        self.assertEqual(connect, 407, body)
        self.assertNotEqual(code, 403)  # no tunnel, no sign-in page

    def test_a_ticket_for_another_service_gets_407(self):
        connect, _, body = self.curl("alice", proxy_host="other.test")
        self.assertEqual(connect, 407, body)
        wait_until(lambda: "Kerberos authentication refused" in self.gw.log("consolegate"), 10,
                   "the refusal logged")
        self.assert_no_token_in_log()

    def test_a_garbage_token_gets_407_and_is_never_logged(self):
        for token in ("Z2FyYmFnZS10b2tlbi1jb250ZW50", "not*base64"):
            connect, _, body = self.curl(
                None, extra=["--proxy-header", "Proxy-Authorization: Negotiate " + token])
            self.assertEqual(connect, 407, (token, body))
            self.assert_no_token_in_log(token)
        metrics = self.gw.metrics()
        self.assertRegex(metrics, r'consolegate_identity_kerberos_total\{outcome="refused"\} [1-9]')

    @unittest.skipIf(LIBFAKETIME is None, "libfaketime is not installed (scripts/setup.sh)")
    def test_an_expired_ticket_gets_407(self):
        # The gateway's clock runs 11 h ahead of the realm's (libfaketime), past the tickets'
        # 10 h lifetime and the 5 min skew: alice's ticket, valid to her and her KDC, has
        # expired where it is accepted. A client will not send a ticket it knows has expired,
        # so this is how an expired one reaches the acceptor.
        late = LateGateway(extra_toml=self.identity)
        self.addCleanup(late.close)
        late.start()
        saved, self.gw = self.gw, late
        try:
            before = len(late.events())
            connect, code, body = self.curl("alice")
            self.assertEqual(connect, 407, body)
            self.assertNotEqual(code, 403)  # no tunnel, no sign-in page
            ev = self.refused_event("proxy-auth-refused", before)
            self.assertEqual(ev["corp_source"], "none")
            self.assertRegex(late.metrics(),
                             r'consolegate_identity_kerberos_total\{outcome="refused"\} [1-9]')
            # GSSAPI's own words name the cause ("Ticket expired").
            wait_until(lambda: any("Kerberos authentication refused" in line and
                                   "xpired" in line for line in
                                   late.log("consolegate").splitlines()), 10,
                       "the refusal logged as an expired ticket")
            self.assert_no_token_in_log()
        finally:
            self.gw = saved
        # The same ticket, to the gateway on the realm's time, is fine.
        self.assertEqual(self.curl("alice")[:2], (200, 403))

    # ----- optional -----
    def test_optional_network_goes_on_unidentified_without_a_ticket(self):
        connect, code, body = self.curl(None, source="127.0.0.2")
        self.assertEqual((connect, code), (200, 403), body)
        ev = self.event(body)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), ("", "none"))


@unittest.skipIf(shutil.which("chromium") is None, "chromium is not installed (scripts/setup.sh)")
class KerberosBrowserTest(unittest.TestCase):
    """Headless Chromium with its own GSSAPI (libgssapi_krb5) and a user's ticket cache,
    through the gateway as its explicit proxy, reaches the block page as that user.

    Chromium names the proxy's service by the name it resolves the proxy to (HTTP@127.0.0.1
    under --host-resolver-rules, even with the CNAME lookup off), so this gateway's principal
    is HTTP/localhost and Chromium is pointed at http://localhost:PORT, which resolves to
    itself. The first 407 can pass while Chromium loads the GSSAPI library (it then asks
    again); the page is what counts."""

    @classmethod
    def setUpClass(cls):
        cls.kdc = kdc_fixture.Kdc(hosts=("localhost",))
        cls.addClassCleanup(cls.kdc.close)
        keytab = cls.kdc.add_service("HTTP/localhost")
        cls.kdc.add_user("carol", "carol-pw")
        cls.cc = cls.kdc.kinit("carol", "carol-pw")
        for k in ("KRB5_CONFIG", "KRB5RCACHEDIR"):
            os.environ[k] = cls.kdc.env()[k]
        cls.gw = Gateway(extra_toml="""
[identity]
kerberos_keytab = "%s"
kerberos_principal = "HTTP/localhost@%s"
kerberos_required = ["127.0.0.0/8", "::1/128"]
""" % (keytab, cls.kdc.realm))
        cls.addClassCleanup(cls.gw.close)
        cls.gw.start()

    def test_chromium_reaches_the_block_page_as_the_kerberos_user(self):
        profile = tempfile.mkdtemp(prefix="cg-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        args = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile,
                "--proxy-server=http://localhost:%d" % self.gw.ports["connect"],
                "--auth-server-allowlist=localhost", "--disable-auth-negotiate-cname-lookup",
                "--ignore-certificate-errors-spki-list=" + self.gw.spki_pin(),
                "--dump-dom", "https://%s.signin.aws.amazon.com/console" % FOREIGN]
        before = len(self.gw.events())
        r = subprocess.run(args, capture_output=True, text=True, timeout=90,
                           env=self.kdc.env(KRB5CCNAME=self.cc, HOME=profile))
        dom = r.stdout
        self.assertIn("AWS sign-in blocked", dom, r.stderr[-2000:])
        self.assertIn("signed in to the network as <strong>carol@%s" % self.kdc.realm, dom)
        ids = re.findall(r"\b[0-9a-f]{32}\b", dom)
        self.assertTrue(ids, dom)
        found = []

        def seen():
            found[:] = [e for e in self.gw.events()[before:] if e["id"] in ids]
            return bool(found)
        wait_until(seen, 10, "the block page's audit event")
        self.assertEqual((found[0]["corp_user"], found[0]["corp_source"]),
                         ("carol@" + self.kdc.realm, "kerberos"))
        self.assertEqual(found[0]["enforced"], "deny")
        log = self.gw.log("consolegate")
        self.assertNotIn("Negotiate YII", log)


class KerberosCheckConfigTest(unittest.TestCase):
    """check-config reads the keytab: readable, not world-readable, holding the principal; the
    problem is named at the key's file:line:col with its fix."""

    @classmethod
    def setUpClass(cls):
        cls.kdc = kdc_fixture.Kdc()
        cls.addClassCleanup(cls.kdc.close)
        cls.keytab = cls.kdc.add_service(SERVICE)
        cls.other = cls.kdc.add_service("HTTP/other.test")
        cls.gw = Gateway()
        cls.addClassCleanup(cls.gw.close)
        cls.gw.write_config()

    def check(self, keytab, principal=SERVICE + "@TEST.REALM"):
        with open(self.gw.config) as f:
            base = f.read()
        path = os.path.join(self.gw.dir, "kerberos.toml")
        with open(path, "w") as f:
            f.write(base + '\n[identity]\nkerberos_keytab = "%s"\nkerberos_principal = "%s"\n'
                    'kerberos_required = ["10.0.0.0/8"]\n' % (keytab, principal))
        r = run([BINARY, "check-config", path], timeout=30)
        return r.returncode, r.stdout + r.stderr, path

    def key_line(self, path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if line.startswith("kerberos_keytab"):
                    return n
        return 0

    def test_a_good_keytab_passes(self):
        code, out, _ = self.check(self.keytab)
        self.assertEqual(code, 0, out)

    def test_a_world_readable_keytab_is_refused_with_the_fix(self):
        os.chmod(self.keytab, 0o644)
        try:
            code, out, path = self.check(self.keytab)
        finally:
            os.chmod(self.keytab, 0o600)
        self.assertEqual(code, 2, out)
        self.assertIn("%s:%d:" % (path, self.key_line(path)), out)
        self.assertIn("readable or writable by everyone", out)
        self.assertIn("chmod 600", out)

    def test_a_keytab_without_the_principal_is_refused_naming_what_it_holds(self):
        code, out, path = self.check(self.other)
        self.assertEqual(code, 2, out)
        self.assertIn("%s:%d:" % (path, self.key_line(path)), out)
        self.assertIn("holds no key for HTTP/proxy.test@TEST.REALM", out)
        self.assertIn("HTTP/other.test@TEST.REALM", out)
        self.assertIn("ktadd", out)

    def test_a_missing_keytab_is_refused(self):
        code, out, _ = self.check(os.path.join(self.kdc.dir, "absent.keytab"))
        self.assertEqual(code, 2, out)
        self.assertIn("cannot read the keytab", out)

    def test_a_principal_that_is_no_service_principal_is_refused(self):
        code, out, _ = self.check(self.keytab, principal="alice@TEST.REALM")
        self.assertEqual(code, 2, out)
        self.assertIn("identity.kerberos_principal: not an HTTP service principal", out)


if __name__ == "__main__":
    unittest.main()
