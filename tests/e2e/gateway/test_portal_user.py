"""The IAM Identity Center portal's user through the live gateway (issue 13 point 4, issue 15
point 6). The portal's /federation/credentials hands out API keys for an account and permission
set but names no user; the gateway judges it for the person signed in to the portal, learned from
AWS's answer to the portal's own GET /user for the same bearer token (the demo origin answers as
the portal does), else for the corporate user mapped through identity.idc_user. carol is elevated
for the gated account, dave is not."""
import datetime
import json
import unittest

from harness import ELEVATED, Gateway, wait_until

PORTAL = "portal.sso.eu-west-1.amazonaws.com"
CREDENTIALS = "https://%s/federation/credentials?account_id=%s&role_name=Admin" % (PORTAL, ELEVATED)
CONSOLE = "https://%s/federation/console?account_id=%s&role_name=Admin" % (PORTAL, ELEVATED)


def team_items():
    now = datetime.datetime.now(datetime.timezone.utc)
    return [{"id": "req-carol", "username": "idc_carol", "email": "carol@corp",
             "accountId": ELEVATED, "accountName": "break-glass", "role": "Admin",
             "startTime": (now - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
             "duration": "4", "status": "in progress", "ticketNo": "CHG-7"}]


def token(user, n=1):
    # The demo origin's convention (scripts/demo-origin.py); the real portal's tokens are opaque.
    return "demo.portal.%s.%d-7c1e0b9d2a4f" % (user, n)


class PortalUserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(
            team_items=team_items(), override_hosts=[PORTAL],
            extra_toml='[identity]\ntrusted_header = "X-Authenticated-User"\n'
                       'trusted_header_from = ["127.0.0.0/8"]\nidc_user = "{name}"\n'
                       'realms = ["CORP.EXAMPLE", "CORP"]\n')
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def portal(self, url, tok=None, corp=None, *extra):
        args = ["-H", "Accept: application/json"] + list(extra)
        if tok:
            args += ["-H", "x-amz-sso_bearer_token: " + tok]
        if corp:
            args += ["-H", "X-Authenticated-User: " + corp]
        return self.gw.curl(url, *args)

    def sign_in_to_portal(self, tok):
        """The portal's page load: GET /user with the token; AWS's answer names the user."""
        code, _, body = self.portal("https://%s/user" % PORTAL, tok, None,
                                    "-H", "Accept-Encoding: gzip, br")
        self.assertEqual(code, 200, body)
        return json.loads(body)

    def event_of(self, marker):
        """The event of the one request whose query carried the parameter `marker` (events keep
        parameter names, never values)."""
        marker = "mark_" + marker

        def found():
            return [e for e in self.gw.events() if e.get("flow") == "identity-center" and
                    marker in e.get("query", "").split("&")]
        wait_until(lambda: len(found()) >= 1, 10, "the event of " + marker)
        self.assertEqual(len(found()), 1)
        return found()[0]

    def test_credentials_follow_the_portal_user_aws_named(self):
        dave, carol = token("dave"), token("carol")
        self.sign_in_to_portal(dave)
        self.sign_in_to_portal(carol)
        # The /user request reached AWS without Accept-Encoding, so its answer could be read.
        user_calls = [r for r in self.gw.origin_requests() if r["target"].startswith("/user")]
        self.assertTrue(user_calls)
        for r in user_calls:
            self.assertNotIn("accept-encoding", [k.lower() for k, _ in r["headers"]])
        self.assertRegex(self.gw.metrics(),
                         r"(?m)^consolegate_signin_portal_users_learned_total [1-9]")

        # dave is not elevated while carol is: his API keys are refused.
        code, _, body = self.portal(CREDENTIALS + "&mark_dave", dave)
        self.assertEqual(code, 403, body)
        e = self.event_of("dave")
        self.assertEqual(e["reason"], "elevation-missing")
        self.assertEqual(e["user"], "dave")
        self.assertEqual(e["identity_source"], "portal-token")
        self.assertEqual(e["team_request_id"], "")

        # carol is: hers pass, naming her request.
        code, _, body = self.portal(CREDENTIALS + "&mark_carol", carol)
        self.assertEqual(code, 200, body)
        self.assertIn('"origin": "demo"', body)
        e = self.event_of("carol")
        self.assertEqual(e["reason"], "elevation-active")
        self.assertEqual(e["user"], "carol")
        self.assertEqual(e["team_request_id"], "req-carol")

        # The console link too is judged for the user, not for "anyone elevated".
        code, _, body = self.portal(CONSOLE + "&mark_dave-console", dave)
        self.assertEqual(code, 403, body)
        self.assertEqual(self.event_of("dave-console")["reason"], "elevation-missing")

        # AWS's user wins over the corporate mapping: dave's token with carol's corporate name.
        code, _, body = self.portal(CREDENTIALS + "&mark_dave-as-carol", dave, "carol@CORP.EXAMPLE")
        self.assertEqual(code, 403, body)
        self.assertEqual(self.event_of("dave-as-carol")["user"], "dave")

    def test_a_copied_token_is_refused_to_anyone_but_its_opener(self):
        """A portal token is its opener's, as a console session is (docs/inspection.md "The
        portal's user", "The person"): carol's token learned on her connection, copied to bob,
        is refused session-user-mismatch on both federation paths, never judged on her
        elevation; bob's own portal page load with the copy does not make it his."""
        carol = token("carol", 11)
        code, _, body = self.portal("https://%s/user" % PORTAL, carol, "carol@CORP.EXAMPLE")
        self.assertEqual(code, 200, body)
        # carol on another machine, named by bare name within the site's realms.
        code, _, body = self.portal(CREDENTIALS + "&mark_opener", carol, "CORP\\carol")
        self.assertEqual(code, 200, body)
        e = self.event_of("opener")
        self.assertEqual(e["reason"], "elevation-active")
        self.assertEqual(e["session_corp_user"], "carol@CORP.EXAMPLE")
        code, _, body = self.portal("https://%s/user" % PORTAL, carol, "bob@CORP.EXAMPLE")
        self.assertEqual(code, 200, body)
        for mark, url, corp in (("bob-credentials", CREDENTIALS, "bob@CORP.EXAMPLE"),
                                ("bob-console", CONSOLE, "bob@CORP.EXAMPLE"),
                                ("nobody-credentials", CREDENTIALS, None)):
            code, _, body = self.portal(url + "&mark_" + mark, carol, corp)
            self.assertEqual(code, 403, mark + ": " + body)
            self.assertIn("session-user-mismatch", body, mark)
            e = self.event_of(mark)
            self.assertEqual(e["reason"], "session-user-mismatch", mark)
            self.assertEqual(e["session_corp_user"], "carol@CORP.EXAMPLE", mark)
            self.assertEqual(e["corp_user"], corp or "", mark)
            self.assertEqual(e["team_request_id"], "", mark)

    def test_a_token_nobody_named_is_refused_without_claiming_an_elevation(self):
        code, _, body = self.portal(CREDENTIALS + "&mark_unknown", token("erin", 9))
        self.assertEqual(code, 403, body)
        self.assertIn("elevation-user-unknown", body)
        self.assertNotIn("you hold", body.lower())
        self.assertNotIn("your elevation", body.lower())
        e = self.event_of("unknown")
        self.assertEqual(e["reason"], "elevation-user-unknown")
        self.assertEqual(e["user"], "")
        # A token AWS refused (401 to /user) teaches nothing either.
        code, _, _ = self.portal("https://%s/user" % PORTAL, "not-a-demo-token-0123456789")
        self.assertEqual(code, 401)
        code, _, body = self.portal(CREDENTIALS + "&mark_refused", "not-a-demo-token-0123456789")
        self.assertEqual(code, 403, body)
        self.assertEqual(self.event_of("refused")["reason"], "elevation-user-unknown")
        # The HTML block page says the same.
        code, _, body = self.gw.curl(CREDENTIALS + "&mark_html", "-H", "Accept: text/html",
                                     "-H", "Sec-Fetch-Mode: navigate")
        self.assertEqual(code, 403, body)
        self.assertNotIn("you hold", body.lower())

    def test_credentials_follow_the_mapped_corporate_user_without_a_portal_user(self):
        code, _, body = self.portal(CREDENTIALS + "&mark_corp-carol", token("nobody", 3),
                                    "carol@CORP.EXAMPLE")
        self.assertEqual(code, 200, body)
        e = self.event_of("corp-carol")
        self.assertEqual(e["reason"], "elevation-active")
        self.assertEqual(e["user"], "carol")
        self.assertEqual(e["identity_source"], "corp-mapping")
        self.assertEqual(e["corp_user"], "carol@CORP.EXAMPLE")
        code, _, body = self.portal(CREDENTIALS + "&mark_corp-dave", None, "CORP\\dave")
        self.assertEqual(code, 403, body)
        e = self.event_of("corp-dave")
        self.assertEqual(e["reason"], "elevation-missing")
        self.assertEqual(e["user"], "dave")

    def test_another_realms_namesake_is_not_mapped_to_the_sites_user(self):
        """idc_user "{name}" drops the realm: carol of a trusted partner realm (or another
        Windows domain) must not be taken for the site's carol and pass on her elevation."""
        for i, foreign in enumerate(("carol@PARTNER.EXAMPLE", "PARTNER\\carol",
                                     "carol@CORP.EXAMPLE.PARTNER.EXAMPLE")):
            mark = "foreign-carol-%d" % i
            code, _, body = self.portal(CREDENTIALS + "&mark_" + mark, token("nobody", 4 + i),
                                        foreign)
            self.assertEqual(code, 403, foreign + ": " + body)
            e = self.event_of(mark)
            self.assertEqual(e["reason"], "elevation-user-unknown", foreign)
            self.assertEqual(e["user"], "", foreign)
            self.assertEqual(e["corp_user"], foreign)
        # The site's realm in another case is the site's carol.
        code, _, body = self.portal(CREDENTIALS + "&mark_lower-carol", token("nobody", 8),
                                    "carol@corp.example")
        self.assertEqual(code, 200, body)
        self.assertEqual(self.event_of("lower-carol")["user"], "carol")


if __name__ == "__main__":
    unittest.main()
