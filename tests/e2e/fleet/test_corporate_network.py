"""The corporate network in miniature (issue 16, point 6), in network namespaces on one Ethernet
segment (tests/e2e/fleet/netns.py), every piece the real Debian program:

    client    10.77.0.10   headless Chromium trusting the corporate CA from its NSS database,
                           dig, curl; its resolv.conf names the corporate resolver; no route out
    resolver  10.77.0.53   the corporate unbound: deploy/dns/README.md's forward-zones to both
                           gateway replicas
    lb        10.77.0.20   HAProxy, the VIP: TCP to both replicas with PROXY protocol v2
    gw1, gw2  10.77.0.31/32  two gateway replicas (the real binary), one CA, one PostgreSQL record
    internet  203.0.113.10 HTTPS origins for signin.aws.amazon.com, <region>.console.aws.amazon.com
                           and portal.sso.<region>.amazonaws.com (their CA trusted by the gateways
                           only) and nsd, authoritative for their zones
    PostgreSQL            the shared record (a throwaway cluster on a unix socket)

From the client, in DNS-steered mode and in explicit-proxy (PAC) mode: an allowed account reaches
the origin, a foreign and a forbidden account get the block page, and so do a SAML post, an
Identity Center portal federation and a regional console session into an allowed and a foreign
account; AAAA and HTTPS records and the
DoH canary do not get around the gateway; each case's event is in the shared record under the
client's own address. Screenshots go to $CG_ARTIFACT_DIR. The namespaces are removed at the end,
also when a step fails or the test is killed by ctest's timeout.
"""
import base64
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import urllib.parse

import netns
from pg_cluster import Cluster, Replica, pg_bin

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from cdp import CHROMIUM, Browser  # noqa: E402
from harness import FOREIGN, PROD, SANDBOX, SOURCE_DIR, run, unbound_conf, wait_until  # noqa: E402

CLIENT, RESOLVER, VIP = "10.77.0.10", "10.77.0.53", "10.77.0.20"
GATEWAYS = {"gw1": "10.77.0.31", "gw2": "10.77.0.32"}
CORP = "10.77.0.0/24"
INTERNET, INTERNET_NET, INTERNET_V6 = "203.0.113.10", "203.0.113.0/24", "2001:db8:113::10"
REGION = "eu-west-1"
ARTIFACTS = os.environ.get("CG_ARTIFACT_DIR", os.path.join(tempfile.gettempdir(), "cg-fleet-artifacts"))


def zone(origin, names):
    lines = ["$ORIGIN %s." % origin, "$TTL 300",
             "@ IN SOA ns.internet.test. hostmaster.internet.test. 1 3600 600 86400 300",
             "@ IN NS ns.internet.test."]
    for name in names:
        lines += ["%s IN A %s" % (name, INTERNET), "%s IN AAAA %s" % (name, INTERNET_V6),
                  "%s IN HTTPS 1 . alpn=h2 ipv4hint=%s ipv6hint=%s" % (name, INTERNET, INTERNET_V6)]
    lines.append("docs IN A 203.0.113.44" if origin == "aws.amazon.com" else "")
    return "\n".join(lines) + "\n"


def saml_response(account):
    """A minimal SAML response, as an IdP posts it, naming one role of `account` (the gateway
    reads the role; AWS would check the signature)."""
    role = "arn:aws:iam::%s:role/Admin,arn:aws:iam::%s:saml-provider/Corp" % (account, account)
    xml = ('<?xml version="1.0" encoding="UTF-8"?><saml2p:Response xmlns:saml2p="urn:oasis:names:'
           'tc:SAML:2.0:protocol" ID="_r1" Destination="https://signin.aws.amazon.com/saml" Version='
           '"2.0" IssueInstant="2026-11-23T04:00:00Z"><saml2:Assertion xmlns:saml2="urn:oasis:names:'
           'tc:SAML:2.0:assertion" ID="_a1" Version="2.0"><saml2:Issuer>https://idp.corp.example/'
           '</saml2:Issuer><saml2:AttributeStatement><saml2:Attribute Name="https://aws.amazon.com/'
           'SAML/Attributes/Role"><saml2:AttributeValue>%s</saml2:AttributeValue></saml2:Attribute>'
           '<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
           '<saml2:AttributeValue>alice@corp.example</saml2:AttributeValue></saml2:Attribute>'
           '</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>' % role)
    return base64.b64encode(xml.encode()).decode()


def resolver_snippet():
    """deploy/dns/README.md's Unbound snippet, as written there, pointed at both replicas."""
    with open(os.path.join(SOURCE_DIR, "deploy/dns/README.md")) as f:
        section = f.read().split("## Unbound", 1)[1]
    snippet = re.search(r"```\n(.*?)```", section, re.S).group(1)
    return snippet.replace("forward-addr: 192.0.2.10", "\n    ".join(
        "forward-addr: %s" % a for a in GATEWAYS.values()))


class NetnsReplica(Replica):
    """A replica of the shared-record test, run on a host of the network: it listens on its own
    address, requires PROXY protocol v2 from the balancer, resolves AWS through the internet's
    nsd and trusts the internet's origins through their CA alone."""

    def __init__(self, cluster, net, host, origin_ca):
        super().__init__(cluster)
        self.net, self.host, self.address = net, host, GATEWAYS[host]
        self.proxy_extra = textwrap.dedent("""\
            upstream_ca_bundle = "%s"
            sni_proxy_protocol = "required"
            connect_proxy_protocol = "required"
            proxy_protocol_from = ["%s/32"]""") % (origin_ca, VIP)

    def start_origin(self):  # the internet host serves AWS
        pass

    def start_unbound(self):  # the internet's nsd answers the gateway
        pass

    def _overrides(self):  # no overrides: the names resolve on the internet
        return ""

    def write_config(self):
        path = super().write_config()
        with open(path) as f:
            text = f.read()
        p, a = self.ports, self.address
        for old, new in (
                ('listen = ["127.0.0.1:%d"]' % p["dns"], 'listen = ["%s:53"]\nallow_clients = ["%s"]' % (a, CORP)),
                ('upstreams = ["127.0.0.1:%d"]' % p["unbound"], 'upstreams = ["%s:53"]' % INTERNET),
                ('steer_ipv4 = ["127.0.0.1"]', 'steer_ipv4 = ["%s"]' % VIP),
                ('sni_listen = ["127.0.0.1:%d"]' % p["sni"], 'sni_listen = ["%s:443"]' % a),
                ('connect_listen = ["127.0.0.1:%d"]' % p["connect"], 'connect_listen = ["%s:3128"]' % a),
                ('allow_clients = ["127.0.0.0/8"]', 'allow_clients = ["%s"]' % CORP),
                ('upstream_resolvers = ["127.0.0.1:%d"]' % p["unbound"],
                 'upstream_resolvers = ["%s:53"]' % INTERNET)):
            if old not in text:
                raise AssertionError("the harness configuration has no %r" % old)
            text = text.replace(old, new, 1)
        with open(path, "w") as f:
            f.write(text)
        return path

    def gateway_command(self):
        return self.net.exec(self.host) + super().gateway_command()

    def ready(self):
        return self.net.call(self.host, super().ready)

    def metrics(self):
        return self.net.call(self.host, super().metrics)

    def api_events(self):
        return self.net.call(self.host, super().api_events)


@unittest.skipUnless(pg_bin(), "Debian's postgresql package is not installed (scripts/setup.sh)")
class CorporateNetworkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.procs, cls.replicas, cls.cluster = [], [], None
        cls.net = netns.Network()
        cls.dir = tempfile.mkdtemp(prefix="cg-corp-")
        try:
            cls.build()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for r in cls.replicas:
            r.close()
        for name, p in reversed(cls.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        if cls.cluster:
            cls.cluster.close()
        cls.net.close()
        if os.environ.get("CG_E2E_KEEP"):
            print("kept", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def start(cls, name, host, args):
        log = open(os.path.join(cls.dir, name + ".log"), "w")
        p = subprocess.Popen(cls.net.exec(host) + args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        cls.procs.append((name, p))
        return p

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def build(cls):
        net = cls.net
        net.host("client", CLIENT + "/24", nameserver=RESOLVER)
        net.host("resolver", RESOLVER + "/24")
        net.host("lb", VIP + "/24")
        for host, address in GATEWAYS.items():
            net.host(host, address + "/24", routes=[INTERNET_NET])
        net.host("internet", INTERNET + "/24", routes=[CORP])

        # The internet: AWS's origins and its authoritative DNS.
        origin_dir = os.path.join(cls.dir, "origin")
        cls.origin_record = os.path.join(cls.dir, "origin-requests.jsonl")
        cls.start("origin", "internet", ["/usr/bin/python3", os.path.join(SOURCE_DIR, "scripts/demo-origin.py"),
                                         "--dir", origin_dir, "--bind", INTERNET, "--port", "443",
                                         "--record", cls.origin_record])
        zones = {"aws.amazon.com": ["signin", "*.signin", "console", "*.console", REGION + ".console",
                                    "*.%s.console" % REGION],
                 "amazonaws.com": ["portal.sso." + REGION, "signin." + REGION]}
        conf = "server:\n  ip-address: %s\n  port: 53\n  zonesdir: \"%s\"\n  pidfile: \"\"\n" \
               "  username: \"\"\n  xfrdfile: \"%s/xfrd.state\"\n  zonelistfile: \"%s/zone.list\"\n" \
               "  database: \"\"\n  chroot: \"\"\n  server-count: 1\n  verbosity: 1\n" \
               "remote-control:\n  control-enable: no\n" % (INTERNET, cls.dir, cls.dir, cls.dir)
        for origin, names in zones.items():
            conf += "zone:\n  name: \"%s\"\n  zonefile: \"%s\"\n" % (origin, cls.write(origin + ".zone", zone(origin, names)))
        cls.start("nsd", "internet", ["/usr/sbin/nsd", "-d", "-c", cls.write("nsd.conf", conf)])
        wait_until(lambda: os.path.exists(os.path.join(origin_dir, "upstream-ca.pem")), 30, "the origin's CA")

        # The shared record and two replicas with one CA.
        cls.cluster = Cluster()
        for host in GATEWAYS:
            replica = NetnsReplica(cls.cluster, net, host, os.path.join(origin_dir, "upstream-ca.pem"))
            if cls.replicas:
                shutil.copytree(cls.replicas[0].ca_dir, os.path.join(replica.dir, "ca"))
            cls.replicas.append(replica)
            replica.start(attempts=1)
        cls.ca = cls.replicas[0].ca_dir + "/ca.crt"

        # The balancer and the corporate resolver.
        servers = "\n".join("    server %s %s:%%d send-proxy-v2 check check-send-proxy inter 1s" % (h, a)
                            for h, a in GATEWAYS.items())
        cls.start("haproxy", "lb", ["haproxy", "-db", "-f", cls.write("haproxy.cfg", textwrap.dedent("""\
            global
                maxconn 500
                stats socket %(sock)s
            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s
            frontend sni
                bind %(vip)s:443
                default_backend gateways_sni
            backend gateways_sni
                balance roundrobin
            %(sni)s
            frontend connect
                bind %(vip)s:3128
                default_backend gateways_connect
            backend gateways_connect
                balance roundrobin
            %(connect)s
            """) % {"vip": VIP, "sock": os.path.join(cls.dir, "haproxy.sock"), "sni": servers.replace("%d", "443"), "connect": servers.replace("%d", "3128")})])
        cls.start("corporate-unbound", "resolver", ["unbound", "-d", "-c", cls.write(
            "unbound.conf", unbound_conf(53, cls.dir, "", RESOLVER, CORP) + resolver_snippet())])
        wait_until(lambda: "status: NOERROR" in cls.dig("console.aws.amazon.com"), 30, "the corporate resolver")
        wait_until(lambda: cls.curl("https://console.aws.amazon.com/")[0] != 0, 30, "the VIP")

        # The client's NSS database trusts the corporate CA (and nothing of the internet's).
        cls.home = os.path.join(cls.dir, "client-home")
        nssdb = "sql:" + os.path.join(cls.home, ".pki", "nssdb")
        os.makedirs(os.path.join(cls.home, ".pki", "nssdb"))
        run(["certutil", "-N", "-d", nssdb, "--empty-password"], check=True)
        run(["certutil", "-A", "-d", nssdb, "-n", "corporate CA", "-t", "C,,", "-i", cls.ca], check=True)

    # ----- the client's tools -----
    @classmethod
    def dig(cls, name, rtype="A"):
        return run(cls.net.exec("client") + ["dig", "+time=3", "+tries=1", name, rtype], timeout=15).stdout

    @classmethod
    def curl(cls, url, *extra):
        r = run(cls.net.exec("client") + ["curl", "-sS", "--max-time", "10", "--cacert", cls.replicas[0].ca_dir +
                                          "/ca.crt", "-o", "-", "-w", "\n%{http_code}"] + list(extra) + [url],
                timeout=20)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body + r.stderr

    def browser(self, *args):
        env = dict(os.environ, HOME=self.home)
        return self.net.call("client", Browser, list(args), prefix=self.net.exec("client"), env=env)

    def visit(self, browser, url, shot):
        browser.navigate(url)
        text = browser.eval("document.body ? document.body.innerText : ''")
        browser.screenshot(os.path.join(ARTIFACTS, shot + ".png"))
        return text

    def sessions(self, frontend):
        """Connections HAProxy's frontend has taken so far (its stats socket, `show stat`)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(os.path.join(self.dir, "haproxy.sock"))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        rows = list(csv.reader(data.decode().lstrip("# ").splitlines()))
        column = rows[0].index("stot")
        return next(int(r[column]) for r in rows[1:] if r[:2] == [frontend, "FRONTEND"])

    @staticmethod
    def metric(replica, name):
        for line in replica.metrics().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError("no metric " + name)

    def shared_events(self):
        """The shared record, read through the first replica's configuration."""
        r = self.replicas[0].cli("logs", "--config", self.replicas[0].config, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def event_in_record(self, account, event_id=None, flow=None, seen=()):
        """The shared record's event for `account` from the client (this ID, this flow, not one
        of `seen`), waited for: the replicas write in batches."""
        found = []

        def look():
            found[:] = [e for e in self.shared_events() if e["account"] == account and e["client"] == CLIENT
                        and (event_id is None or e["id"] == event_id)
                        and (flow is None or e["flow"] == flow) and e["id"] not in seen]
            return bool(found)
        wait_until(look, 20, "the %s event for %s from %s in PostgreSQL" % (flow or "", account, CLIENT))
        return found[-1]

    def origin_saw(self, host):
        if not os.path.exists(self.origin_record):
            return False
        with open(self.origin_record) as f:
            return any('"%s"' % host in line for line in f)

    # ----- the cases -----
    def check_cases(self, browser, mode, frontend):
        """The cases through one of HAProxy's frontends: the SNI listener (DNS-steered) or the
        CONNECT listener (PAC); the other frontend takes no connection meanwhile."""
        other = "connect" if frontend == "sni" else "sni"
        before, other_before = self.sessions(frontend), self.sessions(other)
        allowed = "%s.signin.aws.amazon.com" % SANDBOX
        seen = {e["id"] for e in self.shared_events()}
        text = self.visit(browser, "https://%s/console" % allowed, mode + "-allowed")
        self.assertIn("demo origin", text)
        self.assertTrue(self.origin_saw(allowed))
        self.assertEqual(self.event_in_record(SANDBOX, seen=seen)["effect"], "allow")
        for account, shot in ((FOREIGN, "foreign"), (PROD, "forbidden")):
            text = self.visit(browser, "https://%s.signin.aws.amazon.com/console" % account, mode + "-" + shot)
            self.assertIn("This AWS sign-in was blocked", text)
            ids = re.findall(r"\b[0-9a-f]{32}\b", text)
            self.assertTrue(ids, text)
            self.assertEqual(self.event_in_record(account, ids[0])["effect"], "deny")
            # Whichever replica blocked it, every replica's review API finds the block page's ID.
            for replica in self.replicas:
                self.assertIn(ids[0], {e["id"] for e in replica.api_events()}, replica.host)
        self.check_federation(browser, mode)
        self.assertGreaterEqual(self.sessions(frontend), before + 3)
        self.assertEqual(self.sessions(other), other_before)

    def check_federation(self, browser, mode):
        """A SAML post from the IdP with an allowed and with a foreign role, an Identity Center
        portal federation and a regional console session, each into an allowed and a foreign
        account."""
        for account, expect in ((SANDBOX, "allowed"), (FOREIGN, "blocked")):
            seen = {e["id"] for e in self.shared_events()}
            browser.navigate("about:blank")
            browser.submit(
                "const f = document.createElement('form'); f.method = 'POST';"
                "f.action = 'https://signin.aws.amazon.com/saml';"
                "const i = document.createElement('input'); i.name = 'SAMLResponse'; i.value = %r;"
                "f.appendChild(i); document.body.appendChild(f); f.submit()" % saml_response(account))
            self.assert_page(browser, "%s-saml-%s" % (mode, expect), account, expect, "saml", seen)
            portal = ("https://portal.sso.%s.amazonaws.com/federation/console?account_id=%s&role_name="
                      "AdministratorAccess" % (REGION, account))
            browser.navigate(portal)
            self.assert_page(browser, "%s-portal-%s" % (mode, expect), account, expect, "identity-center",
                             seen)
            # The regional console with the session cookie AWS sets at sign-in (judged on it:
            # the harness's policy.unbound_sessions = "cookie").
            info = urllib.parse.quote(json.dumps({
                "arn": "arn:aws:iam::%s:user/alice" % account, "alias": "", "username": "alice",
                "issuer": "https://signin.aws.amazon.com/", "signinType": "PUBLIC"}), safe="")
            browser.call("Network.setCookie", name="aws-userInfo", value=info, domain=".aws.amazon.com",
                         path="/", secure=True)
            browser.navigate("https://%s.console.aws.amazon.com/console/home?region=%s" % (REGION, REGION))
            self.assert_page(browser, "%s-console-%s" % (mode, expect), account, expect, "console-session",
                             seen)
            browser.call("Network.clearBrowserCookies")

    def assert_page(self, browser, shot, account, expect, flow, seen):
        text = browser.eval("document.body ? document.body.innerText : ''")
        browser.screenshot(os.path.join(ARTIFACTS, shot + ".png"))
        if expect == "allowed":
            self.assertIn("demo origin", text, shot)
            self.assertEqual(self.event_in_record(account, flow=flow, seen=seen)["effect"], "allow")
        else:
            self.assertIn("This AWS sign-in was blocked", text, shot)
            ids = re.findall(r"\b[0-9a-f]{32}\b", text)
            self.assertTrue(ids, text)
            self.assertEqual(self.event_in_record(account, ids[0], flow)["effect"], "deny")

    def test_dns_steered_chromium(self):
        browser = self.browser()
        try:
            self.check_cases(browser, "steered", "sni")
        finally:
            browser.close()

    def test_explicit_proxy_pac_chromium(self):
        with open(os.path.join(SOURCE_DIR, "deploy/proxy.pac")) as f:
            pac = f.read().replace("gateway.corp.example:3128", "%s:3128" % VIP)
        url = "data:application/x-ns-proxy-autoconfig;base64," + base64.b64encode(pac.encode()).decode()
        browser = self.browser("--proxy-pac-url=" + url)
        try:
            self.check_cases(browser, "pac", "connect")
        finally:
            browser.close()

    def test_aaaa_https_records_and_the_doh_canary_do_not_get_around(self):
        for name in ("signin.aws.amazon.com", "%s.signin.aws.amazon.com" % FOREIGN,
                     "%s.console.aws.amazon.com" % REGION, "portal.sso.%s.amazonaws.com" % REGION):
            a = self.dig(name)
            self.assertRegex(a, r"(?m)^%s\.\s+\d+\s+IN\s+A\s+%s$" % (re.escape(name), re.escape(VIP)))
            for rtype in ("AAAA", "HTTPS"):
                out = self.dig(name, rtype)
                self.assertIn("status: NOERROR", out)
                self.assertNotIn(INTERNET_V6, out, rtype + " " + name)
                self.assertNotIn(INTERNET, out, rtype + " " + name)
        canaries = sum(self.metric(r, "consolegate_dns_doh_canary_total") for r in self.replicas)
        self.assertIn("status: NXDOMAIN", self.dig("use-application-dns.net"))
        self.assertGreater(sum(self.metric(r, "consolegate_dns_doh_canary_total") for r in self.replicas),
                           canaries)
        # The rest of the zone is answered from the internet, unsteered.
        self.assertIn("203.0.113.44", self.dig("docs.aws.amazon.com"))
        # And the client has no way around the VIP: no route to the internet.
        code, out = self.curl("https://%s/" % INTERNET, "--connect-timeout", "3")
        self.assertEqual(code, 0, out)

    def test_the_balancer_spreads_connections_over_both_replicas(self):
        before = [len(r.events()) for r in self.replicas]
        for _ in range(2):
            code, body = self.curl("https://%s.signin.aws.amazon.com/console" % PROD)
            self.assertEqual(code, 403, body)
        wait_until(lambda: all(len(r.events()) > b for r, b in zip(self.replicas, before)), 20,
                   "an event on each replica")
        for r in self.replicas:
            self.assertEqual(r.events()[-1]["client"], CLIENT)


def skip_reason():
    if CHROMIUM is None:
        return "chromium is not installed (scripts/setup.sh)"
    for tool in ("haproxy", "unbound", "nsd", "certutil", "dig", "curl"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            return "%s is not installed (scripts/setup.sh)" % tool
    return netns.unavailable()


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print("SKIP: " + reason)
        sys.exit(77)
    started = time.monotonic()
    try:
        unittest.main(verbosity=2)
    finally:
        print("%.0f s" % (time.monotonic() - started), file=sys.stderr)
