"""deploy/dns/README.md's snippets, as written there, in the real corporate resolvers Debian ships
(Unbound, BIND 9, dnsmasq), each forwarding to one real gateway on loopback: the console, sign-in
and Identity Center names come back steered, the DoH canary NXDOMAIN, the rest of the zone
unsteered from upstream, through the corporate resolver a client would use. A server that is not
installed is skipped with its package named."""
import os
import re
import shutil
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import SOURCE_DIR, Gateway, free_port, run, unbound_conf, wait_until  # noqa: E402

README = os.path.join(SOURCE_DIR, "deploy/dns/README.md")
GATEWAY = None


def setUpModule():
    global GATEWAY
    GATEWAY = Gateway().start()


def tearDownModule():
    if GATEWAY:
        GATEWAY.close()


def snippet(heading):
    """The first code block under the README's `## <heading>` section."""
    with open(README) as f:
        section = f.read().split("## " + heading, 1)[1]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


def canaries(kind="doh"):
    series = "consolegate_dns_%s_canary_total " % kind
    for line in GATEWAY.metrics().splitlines():
        if line.startswith(series):
            return float(line.split()[1])
    raise AssertionError("no " + series)


def installed(program):
    return shutil.which(program) or next(
        (p for p in ("/usr/sbin/" + program, "/sbin/" + program) if os.path.exists(p)), None)


class SnippetCase:
    """The checks every resolver passes; a subclass starts its server with the snippet."""
    heading = None   # README section
    program = None

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.dir = os.path.join(GATEWAY.dir, cls.program)
        os.makedirs(cls.dir)
        cls.start(snippet(cls.heading))
        wait_until(lambda: "status:" in cls.dig("docs.aws.amazon.com"), 20, "corporate " + cls.program)

    @classmethod
    def dig(cls, name, rtype="A"):
        return run(["dig", "@127.0.0.1", "-p", str(cls.port), "+time=3", "+tries=1", name, rtype],
                   timeout=10).stdout

    # One steered name of every zone the snippets forward (test_every_forwarded_zone_is_asked
    # holds this list to the snippets): a zone missing from a snippet leaves its name resolved
    # by the corporate resolver alone, around the gateway.
    STEERED = (
        "console.aws.amazon.com", "eu-west-1.console.aws.amazon.com",
        "signin.aws.amazon.com", "123456789012.signin.aws.amazon.com",
        "portal.sso.eu-west-1.amazonaws.com", "portal.sso.us-gov-west-1.amazonaws.com",
        "signin.eu-west-1.amazonaws.com",
        # AWS GovCloud (US) and China: steered by default, judged or refused there.
        "signin.amazonaws-us-gov.com", "123456789012.signin.amazonaws-us-gov.com",
        "us-gov-west-1.console.amazonaws-us-gov.com", "signin.amazonaws.cn",
        "cn-north-1.console.amazonaws.cn",
        # Regional and dual-stack access portals, GovCloud's FIPS sign-in, Sign-In's OAuth
        # endpoints (issue 19).
        "ssoins-111111h2222j33pp.eu-west-1.portal.amazonaws.com",
        "ssoins-7223753b6943f944.portal.us-east-1.app.aws",
        "us-gov-west-1.signin-fips.amazonaws-us-gov.com", "us-east-1.oauth.signin.aws",
        # Identity Center start URLs, the dual-stack portal API and Sign-In names, China's
        # portal, start URLs and dual-stack names: zones the snippets once left out.
        "d-1234567890.awsapps.com", "portal.sso.eu-west-1.api.aws", "signin.us-east-1.api.aws",
        "portal.sso.cn-north-1.amazonaws.com.cn", "signin.cn-north-1.amazonaws.com.cn",
        "d-9067000000.awsapps.cn",
        "signin.cn-north-1.api.amazonwebservices.com.cn",
        "ssoins-1111111111111111.portal.cn-north-1.app.amazonwebservices.com.cn",
        # The European Sovereign Cloud and the ISO partitions: each one's sign-in, console,
        # portal API and dual-stack Sign-In names (core/partition.hpp).
        "eusc-de-east-1.signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu",
        "portal.sso.eusc-de-east-1.amazonaws.eu",
        "signin.eusc-de-east-1.api.amazonwebservices.eu",
        "us-iso-east-1.signin.c2shome.ic.gov", "portal.sso.us-iso-east-1.c2s.ic.gov",
        "signin.us-iso-east-1.api.aws.ic.gov",
        "us-isob-east-1.signin.sc2shome.sgov.gov", "portal.sso.us-isob-east-1.sc2s.sgov.gov",
        "signin.us-isob-east-1.api.aws.scloud",
        "eu-isoe-west-1.signin.csphome.adc-e.uk", "portal.sso.eu-isoe-west-1.cloud.adc-e.uk",
        "signin.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
        "us-isof-south-1.signin.csphome.hci.ic.gov", "portal.sso.us-isof-south-1.csp.hci.ic.gov",
        "signin.us-isof-south-1.api.aws.hci.ic.gov")

    def test_every_forwarded_zone_is_asked(self):
        zones = ["".join(m) for m in re.findall(r'zone "([^"]+)"|name: "([^"]+)\."|server=/([^/]+)/',
                                                snippet(self.heading))]
        self.assertIn("api.aws", zones)
        for zone in zones:
            if zone not in ("use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"):
                self.assertTrue(any(n == zone or n.endswith("." + zone) for n in self.STEERED), zone)

    def test_console_sign_in_and_portal_names_come_back_steered(self):
        for name in self.STEERED:
            out = self.dig(name)
            self.assertIn("status: NOERROR", out, name)
            self.assertRegex(out, r"(?m)^%s\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1$" % re.escape(name))

    def test_each_partitions_portal_has_no_https_record_or_address_of_upstream(self):
        # docs/dns.md: a steered name's HTTPS/SVCB answer is the gateway's NODATA, so no browser
        # learns a real address from ipv4hint/ipv6hint; AAAA is NODATA without steer_ipv6.
        for name in ("portal.sso.eu-west-1.amazonaws.com", "portal.sso.us-gov-west-1.amazonaws.com",
                     "portal.sso.cn-north-1.amazonaws.com.cn", "portal.sso.eu-west-1.api.aws",
                     "eusc-de-east-1.signin.amazonaws-eusc.eu",
                     "portal.sso.eusc-de-east-1.api.amazonwebservices.eu",
                     "us-iso-east-1.signin.c2shome.ic.gov", "signin.eu-isoe-west-1.cloud.adc-e.uk"):
            for rtype in ("HTTPS", "AAAA"):
                out = self.dig(name, rtype)
                self.assertIn("status: NOERROR", out, (name, rtype))
                self.assertIn("ANSWER: 0,", out, (name, rtype))

    def test_the_doh_canary_is_nxdomain(self):
        before = canaries()
        self.assertIn("status: NXDOMAIN", self.dig("use-application-dns.net"))
        self.assertGreater(canaries(), before)  # the gateway's answer, not the resolver's own

    def test_the_private_relay_canaries_are_nxdomain(self):
        for name in ("mask.icloud.com", "mask-h2.icloud.com"):
            before = canaries("private_relay")
            self.assertIn("status: NXDOMAIN", self.dig(name), name)
            self.assertGreater(canaries("private_relay"), before, name)

    def test_exceptions_and_the_rest_of_the_zone_come_from_upstream(self):
        self.assertIn("192.0.2.44", self.dig("docs.aws.amazon.com"))
        # The upstream's own answer for signin never leaks through the corporate resolver.
        self.assertNotIn("198.51.100.1", self.dig("signin.aws.amazon.com"))


@unittest.skipUnless(installed("unbound"), "unbound is not installed (Debian package `unbound`)")
class UnboundForwardZoneTest(SnippetCase, unittest.TestCase):
    heading, program = "Unbound", "unbound"

    @classmethod
    def start(cls, text):
        conf = os.path.join(cls.dir, "unbound.conf")
        with open(conf, "w") as f:
            f.write(unbound_conf(cls.port, cls.dir, "do-not-query-localhost: no\n") +
                    text.replace("192.0.2.10", "127.0.0.1@%d" % GATEWAY.ports["dns"]))
        GATEWAY._start("corporate-unbound", ["unbound", "-d", "-c", conf])


@unittest.skipUnless(installed("named"), "BIND is not installed (Debian package `bind9`)")
class BindForwardZoneTest(SnippetCase, unittest.TestCase):
    heading, program = "BIND 9", "named"

    @classmethod
    def start(cls, text):
        conf = os.path.join(cls.dir, "named.conf")
        with open(conf, "w") as f:
            f.write(textwrap.dedent("""\
                options {
                    directory "%(dir)s";
                    pid-file "%(dir)s/named.pid";
                    session-keyfile "%(dir)s/session.key";
                    listen-on port %(port)d { 127.0.0.1; };
                    listen-on-v6 { none; };
                    recursion yes;
                    allow-query { 127.0.0.0/8; };
                    dnssec-validation no;
                };
                controls { };
                """) % {"dir": cls.dir, "port": cls.port} +
                text.replace("192.0.2.10", "127.0.0.1 port %d" % GATEWAY.ports["dns"]))
        GATEWAY._start("corporate-named", [installed("named"), "-g", "-4", "-c", conf])


@unittest.skipUnless(installed("dnsmasq"), "dnsmasq is not installed (Debian package `dnsmasq-base`)")
class DnsmasqServerTest(SnippetCase, unittest.TestCase):
    heading, program = "dnsmasq", "dnsmasq"

    @classmethod
    def start(cls, text):
        conf = os.path.join(cls.dir, "dnsmasq.conf")
        with open(conf, "w") as f:
            f.write(text.replace("192.0.2.10", "127.0.0.1#%d" % GATEWAY.ports["dns"]))
        GATEWAY._start("corporate-dnsmasq", [
            installed("dnsmasq"), "--keep-in-foreground", "--conf-file=" + conf, "--no-resolv",
            "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port=%d" % cls.port,
            "--pid-file=", "--user=root", "--log-facility=-"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
