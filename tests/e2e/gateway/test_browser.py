"""Headless Chromium through the gateway, as an employee's browser would go: the block page is
rendered for a forbidden account, the origin for an allowed one, and the review page lists the
blocked attempt under the event ID the block page showed. BrowserOverHttp2Test runs the same with
proxy.http2 on, where Chromium speaks HTTP/2 to the gateway (ALPN h2), and checks that it did."""
import re
import shutil
import tempfile
import unittest

from cdp import Browser
from harness import PROD, REVIEWER_TOKEN, SANDBOX, Gateway, run

CHROMIUM = shutil.which("chromium")


@unittest.skipIf(CHROMIUM is None, "chromium is not installed (scripts/setup.sh installs it)")
class BrowserTest(unittest.TestCase):
    proxy_extra = ""

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(proxy_extra=cls.proxy_extra).start()
        cls.pin = cls.gw.spki_pin()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def dump_dom(self, url, proxy=True):
        profile = tempfile.mkdtemp(prefix="cg-chromium-")
        try:
            args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--user-data-dir=" + profile, "--dump-dom", url]
            if proxy:
                args[1:1] = ["--proxy-server=127.0.0.1:%d" % self.gw.ports["connect"],
                             "--ignore-certificate-errors-spki-list=" + self.pin]
            return run(args, timeout=90).stdout
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    def test_block_page_renders_with_the_event_id_of_the_log(self):
        dom = self.dump_dom("https://%s.signin.aws.amazon.com/console" % PROD)
        self.assertIn("This AWS sign-in was blocked", dom)
        self.assertIn(PROD, dom)
        self.assertIn("no-prod", dom)
        ids = re.findall(r"\b[0-9a-f]{32}\b", dom)
        self.assertTrue(ids, dom)
        # The review page needs a token: a reviewer signs in through its form first.
        browser = Browser()
        try:
            admin = "http://127.0.0.1:%d" % self.gw.ports["admin"]
            browser.navigate(admin + "/review?decision=deny")
            self.assertNotIn(ids[0], browser.eval("document.documentElement.outerHTML"))
            browser.submit("document.querySelector('input[name=token]').value = %r;"
                           "document.forms[0].submit()" % REVIEWER_TOKEN)
            browser.navigate(admin + "/review?decision=deny")
            review = browser.eval("document.documentElement.outerHTML")
        finally:
            browser.close()
        self.assertIn(ids[0], review)

    def test_allowed_account_renders_the_origin(self):
        dom = self.dump_dom("https://%s.signin.aws.amazon.com/console" % SANDBOX)
        self.assertIn("demo origin", dom)
        self.assertNotIn("blocked", dom)


class BrowserOverHttp2Test(BrowserTest):
    """The same pages with HTTP/2 offered: Chromium takes it, and the block page and the origin
    come back over h2 exactly as over HTTP/1.1."""
    proxy_extra = "http2 = true"

    def test_chromium_speaks_http2_to_the_gateway(self):
        series = "consolegate_proxy_http2_connections_total"
        before = self.gw.metric(series)
        dom = self.dump_dom("https://%s.signin.aws.amazon.com/console?h2" % PROD)
        self.assertIn("This AWS sign-in was blocked", dom)
        self.assertGreater(self.gw.metric(series), before)


if __name__ == "__main__":
    unittest.main()
