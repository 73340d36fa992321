"""The review page in headless Chromium against the live gateway's SQLite store: a token is
required, seeded attempts over several days fill the table, the chart and the summaries, a filter
narrows the table, pagination walks the whole store, the detail view opens, report-only rows are
marked. Screenshots go to $CG_ARTIFACT_DIR (the build tree's test-artifacts/review/)."""
import json
import os
import random
import sqlite3
import time
import unittest
from datetime import datetime, timedelta, timezone

from cdp import CHROMIUM, Browser
from harness import BINARY, FOREIGN, PROD, REVIEWER_TOKEN, SANDBOX, Gateway, wait_until

ARTIFACTS = os.environ.get("CG_ARTIFACT_DIR", os.path.join(os.path.dirname(os.path.dirname(BINARY)),
                                                           "test-artifacts", "review"))
DAYS = 5
SEEDED = 360


def seed(db_file, template, now):
    """SEEDED attempts over DAYS days, derived from a real event of this gateway."""
    rng = random.Random(14)
    accounts = [PROD, SANDBOX, FOREIGN]
    rows = []
    for i in range(SEEDED):
        e = dict(template)
        t = now - timedelta(seconds=rng.randrange(DAYS * 86400 - 600) + 60)
        e["id"] = "%032x" % (0xabc000 + i)
        e["time"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        e["account"] = accounts[i % 3]
        e["user"] = "user%d" % (i % 7)
        e["client"] = "10.9.0.%d" % (i % 5)
        deny = e["account"] != SANDBOX
        e["effect"] = "deny" if deny else "allow"
        e["report_only"] = deny and i % 4 == 0
        e["enforced"] = "allow" if e["report_only"] or not deny else "deny"
        e["reason"] = "rule-deny" if e["account"] == PROD else ("default-deny" if deny else "rule-allow")
        e["rule"] = {"rule-deny": "no-prod", "rule-allow": "sandbox-ou"}.get(e["reason"], "")
        rows.append(e)
    # One column per field (schema 4, docs/audit.md), time_ms the sort key.
    fields = [k for k in template if k != "schema"]
    with sqlite3.connect(db_file) as db:
        db.executemany(
            "INSERT INTO events (time_ms, %s) VALUES (?%s)" % (
                ", ".join('"%s"' % k for k in fields), ", ?" * len(fields)),
            [(int(datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
                  .timestamp() * 1000),) + tuple(int(e[k]) if isinstance(e[k], bool) else e[k] for k in fields)
             for e in rows])
    return rows


@unittest.skipIf(CHROMIUM is None, "chromium is not installed (scripts/setup.sh installs it)")
class ReviewPageInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway().start()
        # One real blocked attempt: its event is the template of the seeded ones.
        code, _, _ = cls.gw.curl("https://%s.signin.aws.amazon.com/console" % PROD)
        assert code == 403, code
        db_file = os.path.join(cls.gw.dir, "audit.sqlite")

        def stored():
            with sqlite3.connect(db_file) as db:
                return [json.loads(r[0]) for r in db.execute("SELECT event FROM events_json")]
        wait_until(lambda: stored(), 10, "the blocked attempt in the SQLite store")
        cls.real = stored()[0]
        cls.seeded = seed(db_file, cls.real, datetime.now(timezone.utc))
        cls.admin = "http://127.0.0.1:%d" % cls.gw.ports["admin"]
        cls.browser = Browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.gw.close()

    def dom(self):
        return self.browser.eval("document.documentElement.outerHTML")

    def rows(self):
        return self.browser.eval("Array.from(document.querySelectorAll('table.events tbody tr'))"
                                 ".map(r => Array.from(r.cells).map(c => c.textContent))")

    def sign_in(self):
        self.browser.navigate(self.admin + "/review")
        if "name=\"token\"" in self.dom():
            self.browser.submit("document.querySelector('input[name=token]').value = %r;"
                                "document.forms[0].submit()" % REVIEWER_TOKEN)

    def test_1_a_token_is_required(self):
        self.browser.navigate(self.admin + "/review?range=7d")
        self.browser.screenshot(os.path.join(ARTIFACTS, "1-token-required.png"))
        dom = self.dom()
        self.assertIn("needs a token", dom)
        self.assertNotIn(self.real["id"], dom)
        self.assertEqual(self.rows(), [])
        self.browser.submit("document.querySelector('input[name=token]').value = 'not-the-token';"
                            "document.forms[0].submit()")
        self.assertIn("not valid", self.dom())

    def test_2_seeded_days_fill_table_chart_and_summaries(self):
        self.sign_in()
        self.browser.navigate(self.admin + "/review?range=7d")
        self.browser.screenshot(os.path.join(ARTIFACTS, "2-seven-days.png"))
        dom = self.dom()
        total = SEEDED + 1
        self.assertIn("%d attempts." % total, dom)
        self.assertEqual(len(self.rows()), 100)  # one page
        bars = self.browser.eval("document.querySelectorAll('svg rect.blocked').length")
        report_bars = self.browser.eval("document.querySelectorAll('svg rect.report-only').length")
        self.assertGreater(bars, DAYS * 2)  # bars across the days, not one lump
        self.assertGreater(report_bars, 0)
        drawn = self.browser.eval("Array.from(document.querySelectorAll('svg rect'))"
                                  ".reduce((n, r) => n + r.getBBox().height, 0)")
        self.assertGreater(drawn, 0)  # rendered with a real height
        # Report-only rows look different from enforced ones.
        colours = self.browser.eval(
            "[getComputedStyle(document.querySelector('tr.report-only')).backgroundColor,"
            " getComputedStyle(document.querySelector('tr.deny:not(.report-only)')).backgroundColor]")
        self.assertNotEqual(colours[0], colours[1])
        # Summaries: PROD is the most denied account (a third of the attempts, plus the real one).
        top = self.browser.eval("document.querySelector('.summaries table tbody td').textContent")
        self.assertIn(top, (PROD, FOREIGN))
        # Pagination walks the whole store: every seeded event appears on exactly one page.
        seen = set()
        page = 0
        while True:
            self.browser.navigate(self.admin + "/review?range=7d&page=%d" % page)
            ids = [r[-1] for r in self.rows()]
            if not ids:
                break
            seen.update(ids)
            page += 1
        self.assertEqual(page, 4)
        self.assertEqual(seen, {e["id"] for e in self.seeded} | {self.real["id"]})

    def test_3_a_filter_narrows_the_table(self):
        self.sign_in()
        self.browser.navigate(self.admin + "/review?range=7d")
        self.browser.submit("document.querySelector('input[name=account]').value = %r;"
                            "document.querySelector('select[name=mode]').value = 'report-only';"
                            "document.querySelector('form[aria-label]').submit()" % FOREIGN)
        self.browser.screenshot(os.path.join(ARTIFACTS, "3-filtered.png"))
        rows = self.rows()
        expected = [e for e in self.seeded if e["account"] == FOREIGN and e["report_only"]]
        self.assertEqual(len(rows), len(expected))
        self.assertTrue(0 < len(rows) < 100)
        for r in rows:
            self.assertIn(FOREIGN, r)
            self.assertIn("report-only", r[1])
        self.assertIn("account=" + FOREIGN, self.browser.eval("location.search"))

    def test_4_the_detail_view_opens(self):
        self.sign_in()
        self.browser.navigate(self.admin + "/review?range=1h")
        self.browser.submit("document.querySelector('table.events tbody a').click()")
        self.browser.screenshot(os.path.join(ARTIFACTS, "4-detail.png"))
        dom = self.dom()
        self.assertIn("Sign-in attempt <code>%s</code>" % self.real["id"], dom)
        for field in ("Principal ARN", "OU path", self.real["ou_path"], self.real["gateway"], "no-prod"):
            self.assertIn(field, dom)


if __name__ == "__main__":
    unittest.main()
