"""Session binding through the live gateway (issue 20): console sessions are judged on what AWS
said when the gateway saw them signed in, never on the aws-userInfo cookie alone. The demo origin
stands in for AWS's sign-in (--issue-sessions: fresh session cookies and aws-userInfo on a
successful sign-in); the gateway runs with the default policy.unbound_sessions ("deny") and a
session file, and is restarted once."""
import json
import os
import signal
import time
import unittest
import urllib.parse

from harness import BINARY, ELEVATED, FOREIGN, PROD, SANDBOX, SANDBOX_NESTED, Gateway, wait_until

POLICY = """
[[policy.rule]]
name = "sandbox"
effect = "allow"
accounts = ["%s"]

# May sign in through the broker, but not use the console: a session AWS opens that the gateway
# must then refuse on its binding.
[[policy.rule]]
name = "break-glass-sign-in-only"
effect = "allow"
accounts = ["%s"]
flows = ["custom-broker"]

[[policy.rule]]
name = "break-glass-no-console"
effect = "deny"
accounts = ["%s"]
flows = ["console-session"]

# Broker sessions only: the sign-in and the console requests of the sessions it opens.
[[policy.rule]]
name = "broker-sessions"
effect = "allow"
accounts = ["%s"]
flows = ["custom-broker"]

# Identity Center sessions only: the portal signs in through the federation endpoint.
[[policy.rule]]
name = "identity-center-sessions"
effect = "allow"
accounts = ["%s"]
flows = ["identity-center"]
""" % (SANDBOX, FOREIGN, FOREIGN, ELEVATED, SANDBOX_NESTED)


def user_info(account, role="Admin", session="broker-user"):
    arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role, session)
    info = {"arn": arn, "alias": "", "username": arn.split(":", 5)[5], "issuer": "",
            "signinType": "PUBLIC"}
    return urllib.parse.quote(json.dumps(info, separators=(",", ":")), safe="")


def set_cookies(headers):
    """name -> value of every Set-Cookie in a response head."""
    out = {}
    for line in headers.splitlines():
        if line.lower().startswith("set-cookie:"):
            pair = line.split(":", 1)[1].split(";", 1)[0].strip()
            name, _, value = pair.partition("=")
            out[name] = value
    return out


def cookie_header(cookies):
    return "Cookie: " + "; ".join("%s=%s" % kv for kv in cookies.items())


class SessionBindingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(policy_toml=POLICY, unbound_sessions=None,
                         origin_args=["--issue-sessions"],
                         extra_toml='[sessions]\nfile = "sessions.jsonl"\nsave_interval = "1h"\n')
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def sign_in_with_token(self, account, role="Admin"):
        code, headers, body = self.gw.curl(
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=demo.%s.%s"
            % (account, role))
        return code, headers, set_cookies(headers)

    def console(self, cookies):
        # Not a navigation: the block page comes as JSON, with its reason code.
        return self.gw.curl("https://console.aws.amazon.com/console/home",
                            "-H", cookie_header(cookies))

    def event_for(self, predicate, what):
        found = []

        def seen():
            found[:] = [e for e in self.gw.events() if predicate(e)]
            return bool(found)
        wait_until(seen, 10, what)
        return found[-1]

    def test_a_session_the_gateway_saw_signed_in_is_judged_on_its_binding(self):
        code, headers, jar = self.sign_in_with_token(SANDBOX)
        self.assertEqual(code, 302, headers)
        self.assertIn("aws-creds", jar)
        code, _, body = self.console(jar)
        self.assertEqual(code, 200, body)
        self.assertIn("demo origin", body)
        # aws-userInfo removed: still the bound session, judged on what AWS said.
        bare = {k: v for k, v in jar.items() if k != "aws-userInfo"}
        code, _, body = self.console(bare)
        self.assertEqual(code, 200, body)
        e = self.event_for(lambda e: e["source"] == "session-binding" and e["account"] == SANDBOX,
                           "an event judged on the binding")
        self.assertEqual(e["identity_source"], "bound")
        self.assertEqual(e["user"], "broker-user")
        self.assertRegex(self.gw.metrics(), r"consolegate_sessions_bound [1-9]")

    def test_forged_removed_and_ambiguous_cookies_are_denied(self):
        code, headers, jar = self.sign_in_with_token(SANDBOX)
        self.assertEqual(code, 302, headers)
        # Forged to another account, and to another user of the same account.
        for forged in (user_info(PROD), user_info(SANDBOX, session="colleague")):
            code, _, body = self.console(dict(jar, **{"aws-userInfo": forged}))
            self.assertEqual(code, 403, body)
            self.assertIn("session-identity-forged", body)
        # A repeated key: two readings of who the session is.
        arn = "arn:aws:sts::%s:assumed-role/Admin/broker-user"
        twice = urllib.parse.quote('{"arn":"%s","arn":"%s"}' % (arn % SANDBOX, arn % PROD), safe="")
        code, _, body = self.console(dict(jar, **{"aws-userInfo": twice}))
        self.assertEqual(code, 403, body)
        self.assertIn("ambiguous-identity", body)
        e = self.event_for(lambda e: e["reason"] == "session-identity-forged",
                           "the forged cookie's event")
        self.assertEqual(e["identity_source"], "cookie")
        # A session AWS opened that may sign in but not use the console: without aws-userInfo
        # it is still judged on its account, and denied.
        code, headers, elevated = self.sign_in_with_token(FOREIGN)
        self.assertEqual(code, 302, headers)
        code, _, body = self.console({k: v for k, v in elevated.items() if k != "aws-userInfo"})
        self.assertEqual(code, 403, body)
        self.assertIn(FOREIGN, body)
        self.assertIn("rule-deny", body)
        # Its cookies beside one bound cookie of the allowed session: conflicting, never "bound".
        spliced = dict(elevated)
        spliced["JSESSIONID"] = jar["JSESSIONID"]
        code, _, body = self.console(spliced)
        self.assertEqual(code, 403, body)
        self.assertIn("session-conflicting", body)

    def test_a_sessions_console_is_judged_as_the_sign_in_that_opened_it(self):
        # flows = ["custom-broker"] alone: the broker's sign-in and its session's console.
        code, headers, jar = self.sign_in_with_token(ELEVATED)
        self.assertEqual(code, 302, headers)
        code, _, body = self.console(jar)
        self.assertEqual(code, 200, body)
        e = self.event_for(lambda e: e["source"] == "cookie:aws-userInfo"
                           and e["account"] == ELEVATED, "the broker session's console event")
        self.assertEqual(e["rule"], "broker-sessions")
        # The record says why a console request met a rule of a sign-in flow, in the JSON line
        # and as `consolegate logs` reads it back from the SQLite store.
        self.assertEqual((e["flow"], e["also_flows"]), ("console-session", "custom-broker"))
        stored = []

        def in_store():
            r = self.gw.cli("logs", "--config", self.gw.config, "--format", "json")
            stored[:] = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
            return any(x["id"] == e["id"] for x in stored)
        wait_until(in_store, 10, "the event in the SQLite store")
        self.assertEqual([x["also_flows"] for x in stored if x["id"] == e["id"]], ["custom-broker"])
        # flows = ["identity-center"] alone: the portal's federation sign-in (AWS names an
        # AWSReservedSSO_ role) and its session's console.
        code, headers, jar = self.sign_in_with_token(
            SANDBOX_NESTED, role="AWSReservedSSO_Admin_0123456789abcdef")
        self.assertEqual(code, 302, headers)
        code, _, body = self.console({k: v for k, v in jar.items() if k != "aws-userInfo"})
        self.assertEqual(code, 200, body)
        # A flow's allow reaches its own sessions only: a root sign-in to the broker-only
        # account is refused on AWS's answer.
        code, _, body = self.gw.curl(
            "https://signin.aws.amazon.com/signin", "-H", "Accept: application/json", "--data",
            "action=authenticateRoot&email=root%%2B%s%%40example.com&password=x" % ELEVATED)
        self.assertEqual(code, 403, body)
        self.assertIn("default-deny", body)

    def test_an_unbound_session_is_asked_to_sign_in_again(self):
        code, _, body = self.console({"aws-userInfo": user_info(SANDBOX),
                                      "aws-creds": "c0ffee" * 8})
        self.assertEqual(code, 403, body)
        self.assertIn("session-unbound", body)
        self.assertIn("sign in again", body)

    def test_root_and_token_sign_ins_to_a_forbidden_account_are_refused_on_awss_answer(self):
        code, headers, body = self.gw.curl(
            "https://signin.aws.amazon.com/signin", "--data",
            "action=authenticateRoot&email=root%%2B%s%%40example.com&password=x" % PROD)
        self.assertEqual(code, 403, body)
        live = [h for h in headers.splitlines() if h.lower().startswith("set-cookie:")
                and "max-age=0" not in h.lower()]
        self.assertEqual(live, [], headers)  # the session's cookies never reach the browser
        self.assertIn(PROD, body)
        e = self.event_for(lambda e: e["flow"] == "root" and e["account"] == PROD,
                           "the root sign-in's event naming the account AWS named")
        self.assertEqual(e["source"], "response:aws-userInfo")
        self.assertEqual(e["enforced"], "deny")
        code, headers, _ = self.sign_in_with_token(PROD)
        self.assertEqual(code, 403, headers)
        live = [h for h in headers.splitlines() if h.lower().startswith("set-cookie:")
                and "max-age=0" not in h.lower()]
        self.assertEqual(live, [], headers)  # the session's cookies never reach the browser
        e = self.event_for(lambda e: e["flow"] == "custom-broker" and e["account"] == PROD,
                           "the token sign-in's event")
        self.assertEqual(e["identity_source"], "bound")

    def test_a_second_sign_in_never_takes_the_first_sessions_identity(self):
        # Signed in to an allowed account, the browser signs in to a forbidden one with a token
        # (the request names no account). AWS's answer sets the new session's cookies but not
        # aws-userInfo (demo-late): they belong to the new session, so they must not inherit
        # the binding of the old cookies the sign-in request carried.
        code, headers, jar = self.sign_in_with_token(SANDBOX)
        self.assertEqual(code, 302, headers)
        code, headers, _ = self.gw.curl(
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=demo-late.%s.Admin"
            % PROD, "-H", cookie_header(jar))
        self.assertEqual(code, 302, headers)
        new = set_cookies(headers)
        self.assertNotIn("aws-userInfo", new)
        self.assertIn("aws-creds", new)
        # The browser's jar: the new session's cookies over the old, the old aws-userInfo kept.
        after = dict(jar, **new)
        for cookies in (after, {k: v for k, v in after.items() if k != "aws-userInfo"}):
            code, _, body = self.console(cookies)
            self.assertEqual(code, 403, body)
            self.assertIn("session-unbound", body)
        # The first session itself is still what AWS said it was.
        code, _, body = self.console(jar)
        self.assertEqual(code, 200, body)

    def test_a_later_step_of_a_second_sign_in_never_takes_the_first_sessions_identity(self):
        # As above, but the sign-in's own answer is a bare redirect (no cookie) to the console's
        # /oauth callback, a request that carries no sign-in parameter, presents the old
        # session's cookies and is answered with the new session's cookies without aws-userInfo
        # (demo-oauth). The sign-in let through ended the old cookies' lineage: what that later
        # step sets is pending, never the allowed session's identity.
        code, headers, jar = self.sign_in_with_token(SANDBOX)
        self.assertEqual(code, 302, headers)
        code, headers, _ = self.gw.curl(
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=demo-oauth.%s.Admin"
            % PROD, "-H", cookie_header(jar))
        self.assertEqual(code, 302, headers)
        self.assertEqual(set_cookies(headers), {})
        location = [h.split(":", 1)[1].strip() for h in headers.splitlines()
                    if h.lower().startswith("location:")][0]
        self.assertIn("/oauth?code=", location)
        code, headers, _ = self.gw.curl(location, "-H", cookie_header(jar))
        self.assertEqual(code, 302, headers)
        self.assertRegex(self.gw.metrics(), r"consolegate_sessions_pending [1-9]")
        new = set_cookies(headers)
        self.assertNotIn("aws-userInfo", new)
        self.assertIn("aws-creds", new)
        after = dict(jar, **new)
        for cookies in (after, {k: v for k, v in after.items() if k != "aws-userInfo"}):
            code, _, body = self.console(cookies)
            self.assertEqual(code, 403, body)
            self.assertIn("session-unbound", body)
        # The first session itself is still what AWS said it was.
        code, _, body = self.console(jar)
        self.assertEqual(code, 200, body)

    def test_zz_a_session_survives_a_restart(self):
        code, headers, jar = self.sign_in_with_token(SANDBOX)
        self.assertEqual(code, 302, headers)
        # A broker-only account's session: the flow that opened it is kept with its binding.
        code, headers, broker = self.sign_in_with_token(ELEVATED)
        self.assertEqual(code, 302, headers)
        gw = self.gw
        self.assertEqual(gw.stop(signal.SIGTERM), 0, gw.log("consolegate"))
        path = os.path.join(gw.dir, "sessions.jsonl")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            text = f.read()
        for value in jar.values():
            self.assertNotIn(value, text)  # digests only, never a usable cookie
        deadline = time.monotonic() + 30
        while True:  # the listeners' ports are this gateway's; retry while the old ones close
            gw.gw = gw._start("consolegate", [BINARY, "run", "--config", gw.config])
            try:
                wait_until(gw.ready, 15, "consolegate /readyz after a restart")
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                gw.gw.kill()
                gw.gw.wait()
        self.assertIn("bindings restored", gw.log("consolegate"))
        bare = {k: v for k, v in jar.items() if k != "aws-userInfo"}
        code, _, body = self.console(bare)
        self.assertEqual(code, 200, body)
        code, _, body = self.console({k: v for k, v in broker.items() if k != "aws-userInfo"})
        self.assertEqual(code, 200, body)


if __name__ == "__main__":
    unittest.main()
