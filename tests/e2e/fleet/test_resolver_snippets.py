"""deploy/dns/README.md's Unbound snippet, as written there, in a real corporate Unbound that
forwards to a real gateway: the console and sign-in names come back steered, the exceptions
unsteered, through the corporate resolver a client would use."""
import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import SOURCE_DIR, Gateway, free_port, run, unbound_conf, wait_until  # noqa: E402

README = os.path.join(SOURCE_DIR, "deploy/dns/README.md")


def unbound_snippet():
    with open(README) as f:
        text = f.read()
    section = text.split("## Unbound", 1)[1]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


class UnboundForwardZoneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway().start()
        cls.port = free_port()
        # The snippet names the gateway as 192.0.2.10 (port 53); here it is on loopback.
        snippet = unbound_snippet().replace("192.0.2.10", "127.0.0.1@%d" % cls.gw.ports["dns"])
        conf = os.path.join(cls.gw.dir, "corporate-unbound.conf")
        with open(conf, "w") as f:
            f.write(unbound_conf(cls.port, cls.gw.dir, "do-not-query-localhost: no\n") + snippet)
        cls.gw._start("corporate-unbound", ["unbound", "-d", "-c", conf])
        wait_until(lambda: "status:" in cls.dig("docs.aws.amazon.com"), 20, "corporate unbound")

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    @classmethod
    def dig(cls, name, rtype="A"):
        return run(["dig", "@127.0.0.1", "-p", str(cls.port), "+time=3", "+tries=1", name, rtype],
                   timeout=10).stdout

    def test_console_and_sign_in_names_come_back_steered(self):
        for name in ("console.aws.amazon.com", "eu-west-1.console.aws.amazon.com",
                     "signin.aws.amazon.com", "123456789012.signin.aws.amazon.com"):
            out = self.dig(name)
            self.assertIn("status: NOERROR", out, name)
            self.assertRegex(out, r"(?m)^%s\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1$" % re.escape(name))

    def test_exceptions_and_the_rest_of_the_zone_come_from_upstream(self):
        self.assertIn("192.0.2.44", self.dig("docs.aws.amazon.com"))
        # The upstream's own answer for signin never leaks through the corporate resolver.
        self.assertNotIn("198.51.100.1", self.dig("signin.aws.amazon.com"))


if __name__ == "__main__":
    if not shutil.which("unbound"):
        print("SKIP: unbound is not installed (Debian package `unbound`)")
        sys.exit(77)
    unittest.main(verbosity=2)
