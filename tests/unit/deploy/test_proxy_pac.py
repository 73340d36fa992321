"""deploy/proxy.pac against the gateway: the PAC sends every name the default configuration
inspects and steers to the CONNECT listener. A name the PAC sends DIRECT reaches AWS around the
gateway wherever DNS does not steer it (a site that deploys the PAC alone): before session 11 the
PAC listed the console and sign-in names and a few others, and sent the Identity Center start
URLs, Sign-In's regional names (`aws login`), the dual-stack names, China's portals and the
European Sovereign Cloud and ISO partitions direct."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get("CG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BINARY = os.environ["CG_BINARY"]
PAC = os.path.join(SOURCE_DIR, "deploy/proxy.pac")
CANARIES = {"use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"}

MINIMAL = """\
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
[ca]
cert = "ca.crt"
key = "ca.key"
"""


def pac_text():
    with open(PAC) as f:
        return f.read()


def pac_names():
    listed = re.search(r"var inspected = \[(.*?)\];", pac_text(), re.S).group(1)
    return re.findall(r'"([^"]+)"', listed)


def steered_names():
    """Every name the default configuration steers (its inspect_hosts: dns.steer_names unwritten
    is proxy.inspect_hosts), from `consolegate dns-zones --why`, the canaries left out."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "gateway.toml")
        with open(path, "w") as f:
            f.write(MINIMAL)
        out = subprocess.run([BINARY, "dns-zones", "--config", path, "--why"],
                             capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError("dns-zones: %d\n%s" % (out.returncode, out.stderr))
    names = set()
    for line in out.stdout.splitlines():
        zone, _, why = line.partition("\t")
        names.update(n for n in why.split() if n not in CANARIES)
    return names


class ProxyPacTest(unittest.TestCase):
    def test_the_pac_lists_every_name_the_gateway_inspects_and_steers(self):
        listed = pac_names()
        self.assertEqual(len(listed), len(set(listed)))
        self.assertEqual(set(listed), steered_names())
        for name in ("*.awsapps.com", "signin.*.amazonaws.com", "signin.amazonaws-eusc.eu",
                     "portal.sso.*.c2s.ic.gov"):
            self.assertIn(name, listed)

    @unittest.skipUnless(shutil.which("node"), "node is not installed")
    def test_the_pac_sends_a_name_of_each_pattern_to_the_proxy_and_the_rest_direct(self):
        # The PAC run as a browser runs it (dnsDomainIs and shExpMatch as PAC engines define
        # them), over one name of every pattern ("*" a Region label or an account label).
        hosts = [n.replace("*", "eu-west-1") for n in pac_names()]
        hosts += [h.upper() for h in hosts[:4]] + [hosts[0] + "."]
        direct = ["www.example.com", "s3.eu-west-1.amazonaws.com", "docs.aws.amazon.com",
                  "signin.aws.amazon.com.evil.example", "c2s.ic.gov.example"]
        script = """
function shExpMatch(s, p) {
  var re = "^" + p.replace(/[.+^${}()|[\\]\\\\]/g, "\\\\$&").replace(/\\*/g, ".*")
                  .replace(/\\?/g, ".") + "$";
  return new RegExp(re).test(s);
}
function dnsDomainIs(h, d) { return h.length >= d.length && h.substring(h.length - d.length) == d; }
%s
var hosts = %s;
for (var i = 0; i < hosts.length; i++)
  console.log(hosts[i] + " " + FindProxyForURL("https://" + hosts[i] + "/", hosts[i]));
""" % (pac_text(), repr(hosts + direct).replace("'", '"'))
        out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        answers = dict(line.split(" ", 1) for line in out.stdout.splitlines())
        for h in hosts:
            self.assertEqual(answers[h], "PROXY gateway.corp.example:3128", h)
        for h in direct:
            self.assertEqual(answers[h], "DIRECT", h)


if __name__ == "__main__":
    unittest.main(verbosity=2)
