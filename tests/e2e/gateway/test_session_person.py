"""The person behind a console session, through the live gateway: a session is bound to the
corporate user whose connection AWS's sign-in answer came on, and its cookies presented by another
corporate user (copied, shared, a kiosk, a stolen jar) are refused (session-user-mismatch), never
judged on the opener's TEAM elevation. The corporate user is the trusted header from a trusted
address on the CONNECT listener; the demo origin stands in for AWS's sign-in (--issue-sessions),
naming every token's session broker-user, whom TEAM elevates for the break-glass account (the
harness's default policy gates it with allow-with-elevation)."""
import datetime
import unittest

from harness import ELEVATED, Gateway, wait_until

ROLE = "AWSReservedSSO_Admin_0123456789abcdef"


def team_items():
    now = datetime.datetime.now(datetime.timezone.utc)
    return [{"id": "req-alice", "username": "broker-user", "email": "alice@corp",
             "accountId": ELEVATED, "accountName": "break-glass", "role": "Admin",
             "startTime": (now - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
             "duration": "4", "status": "in progress", "ticketNo": "CHG-9"}]


def set_cookies(headers):
    out = {}
    for line in headers.splitlines():
        if line.lower().startswith("set-cookie:"):
            name, _, value = line.split(":", 1)[1].split(";", 1)[0].strip().partition("=")
            out[name] = value
    return out


class SessionPersonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(
            team_items=team_items(), origin_args=["--issue-sessions"],
            extra_toml='[identity]\ntrusted_header = "X-Authenticated-User"\n'
                       'trusted_header_from = ["127.0.0.0/8"]\n')
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def as_user(self, corp):
        return ["-H", "X-Authenticated-User: " + corp] if corp else []

    def sign_in(self, corp):
        code, headers, _ = self.gw.curl(
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=demo.%s.%s"
            % (ELEVATED, ROLE), *self.as_user(corp))
        self.assertEqual(code, 302, headers)
        jar = set_cookies(headers)
        self.assertIn("aws-creds", jar)
        return jar

    def console(self, jar, corp, marker):
        cookie = "Cookie: " + "; ".join("%s=%s" % kv for kv in jar.items())
        return self.gw.curl("https://console.aws.amazon.com/console/home?mark_%s" % marker,
                            "-H", cookie, *self.as_user(corp))

    def event_of(self, marker):
        found = []

        def seen():
            found[:] = [e for e in self.gw.events() if e.get("flow") == "console-session"
                        and "mark_" + marker in e.get("query", "").split("&")]
            return bool(found)
        wait_until(seen, 10, "the event of " + marker)
        return found[-1]

    def test_another_persons_session_is_refused_and_recorded_with_both(self):
        jar = self.sign_in("alice")
        # The opener, and the opener on another machine (another connection, her name spelt in
        # capitals): her session and her elevation.
        for who, marker in (("alice", "opener"), ("ALICE", "caps")):
            code, _, body = self.console(jar, who, marker)
            self.assertEqual(code, 200, body)
            e = self.event_of(marker)
            self.assertEqual((e["reason"], e["corp_user"]), ("elevation-active", who))
            self.assertEqual(e["session_corp_user"], "alice")
        # bob presents her cookies: never judged on her session (and her elevation).
        for jar_sent, marker in ((jar, "bob"),
                                 ({k: v for k, v in jar.items() if k != "aws-userInfo"},
                                  "bob_bare")):
            code, _, body = self.console(jar_sent, "bob", marker)
            self.assertEqual(code, 403, body)
            self.assertIn("session-user-mismatch", body)
            self.assertIn("opened by another person", body)
            e = self.event_of(marker)
            self.assertEqual((e["enforced"], e["reason"]), ("deny", "session-user-mismatch"))
            self.assertEqual((e["corp_user"], e["session_corp_user"]), ("bob", "alice"))
            self.assertEqual((e["user"], e["identity_source"]), ("broker-user", "bound"))
        # A request whose connection names nobody cannot be shown to be hers: fail closed.
        code, _, body = self.console(jar, None, "nobody")
        self.assertEqual(code, 403, body)
        e = self.event_of("nobody")
        self.assertEqual((e["corp_user"], e["session_corp_user"]), ("", "alice"))
        self.assertEqual(e["reason"], "session-user-mismatch")

    def test_a_session_opened_by_nobody_known_is_judged_as_before(self):
        jar = self.sign_in(None)
        for who, marker in (("bob", "unknown_bob"), (None, "unknown_nobody")):
            code, _, body = self.console(jar, who, marker)
            self.assertEqual(code, 200, body)
            e = self.event_of(marker)
            self.assertEqual((e["reason"], e["session_corp_user"]), ("elevation-active", ""))


if __name__ == "__main__":
    unittest.main()
