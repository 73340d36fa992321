"""deploy/dns/README.md against the gateway: every snippet (BIND, Unbound, dnsmasq, Windows DNS)
forwards exactly the zones its table lists, and those are the zones `consolegate dns-zones` says
the default configuration needs, so no name the gateway steers, inspects or answers as a canary
lies outside what a site that deployed the snippets sends to it. The shipped example
configurations need no other zone either."""
import os
import re
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get("CG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BINARY = os.environ["CG_BINARY"]
README = os.path.join(SOURCE_DIR, "deploy/dns/README.md")

MINIMAL = """\
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
[ca]
cert = "ca.crt"
key = "ca.key"
"""

# How each snippet names one forwarded zone.
SNIPPETS = {
    "BIND 9": r'zone "([^"]+)" \{ type forward; forward only; forwarders \{ 192\.0\.2\.10; \}; \};',
    "Unbound": r'forward-zone:\n    name: "([^"]+)\."\n    forward-addr: 192\.0\.2\.10',
    "dnsmasq": r"server=/([^/]+)/192\.0\.2\.10",
    "Windows Server DNS": r'Add-DnsServerConditionalForwarderZone -Name "([^"]+)" -MasterServers 192\.0\.2\.10 -ReplicationScope Forest',
}


def readme():
    with open(README) as f:
        return f.read()


def snippet(heading):
    section = readme().split("## " + heading, 1)[1]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


def dns_zones(config_text, *extra):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "gateway.toml")
        with open(path, "w") as f:
            f.write(config_text)
        out = subprocess.run([BINARY, "dns-zones", "--config", path] + list(extra),
                             capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError("dns-zones: %d\n%s" % (out.returncode, out.stderr))
    return out.stdout.splitlines()


class DnsSnippetsTest(unittest.TestCase):
    def test_every_snippet_forwards_the_zones_the_default_configuration_needs(self):
        needed = dns_zones(MINIMAL)
        for zone in ("aws.amazon.com", "amazonaws.com", "api.aws", "awsapps.com",
                     "amazonaws.com.cn", "amazonwebservices.com.cn", "use-application-dns.net"):
            self.assertIn(zone, needed)
        for heading, form in SNIPPETS.items():
            text = snippet(heading)
            zones = re.findall(form, text)
            self.assertEqual(zones, needed, heading)
            # Nothing else in the block: every line is one of the forms above.
            self.assertEqual(re.sub(form, "", text).strip(), "", heading)

    def test_the_table_lists_the_same_zones(self):
        table = readme().split("| zone |", 1)[1].split("\n\n", 1)[0]
        listed = [z for row in table.splitlines()[2:] for z in re.findall(r"`([^`]+)`", row.split("|")[1])]
        self.assertEqual(listed, dns_zones(MINIMAL))

    def test_a_site_name_outside_the_documented_zones_is_its_own_zone(self):
        site = MINIMAL + '[proxy]\ninspect_hosts = ["signin.aws.amazon.com", "*.sso.corp.example"]\n'
        self.assertEqual(dns_zones(site, "--why")[-1], "sso.corp.example\t*.sso.corp.example")
        out = subprocess.run([BINARY, "check-config", "/dev/stdin"], input=site,
                             capture_output=True, text=True, timeout=30)
        self.assertIn('note: zone "sso.corp.example"', out.stdout)

    def test_the_shipped_configurations_need_no_other_zone(self):
        documented = dns_zones(MINIMAL)
        for name in ("example.toml", "demo.toml"):
            path = os.path.join(SOURCE_DIR, "config", name)
            out = subprocess.run([BINARY, "dns-zones", "--config", path], capture_output=True,
                                 text=True, timeout=30, cwd=os.path.join(SOURCE_DIR, "config"))
            if out.returncode != 0:
                self.fail("%s: %s" % (name, out.stderr))
            for zone in out.stdout.splitlines():
                self.assertIn(zone, documented, name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
