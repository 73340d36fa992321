"""The consolegate CLI as a user runs it: explain (over the whole sign-in corpus), check-config,
logs. Every command is bounded by a timeout."""
import ipaddress
import json
import os
import re
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ["CG_SOURCE_DIR"]
BINARY = os.environ["CG_BINARY"]
CORPUS = os.path.join(SOURCE_DIR, "tests/corpus/signin")
POLICY = os.path.join(SOURCE_DIR, "tests/corpus/policy/policy.toml")
NOW = "2026-11-23T09:00:00Z"


def cg(*args, input=None):
    return subprocess.run([BINARY] + list(args), capture_output=True, text=True, timeout=60, input=input)


class ExplainTest(unittest.TestCase):
    def test_every_corpus_request_gets_its_reviewed_decision(self):
        with open(os.path.join(SOURCE_DIR, "tests/corpus/policy/decisions.json")) as f:
            expected = json.load(f)
        files = sorted(n for n in os.listdir(CORPUS) if n.endswith(".http"))
        self.assertEqual(sorted(expected), files, "decisions.json and the corpus disagree on the file list")
        r = cg("explain", "--config", POLICY, "--now", NOW, *[os.path.join(CORPUS, n) for n in files])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), len(files))  # one JSON object per request
        for name, line in zip(files, lines):
            got = json.loads(line)
            with self.subTest(request=name):
                self.assertEqual(got["request"].split("/")[-1], name)
                self.assertEqual({"effect": got["effect"], "reason": got["reason"]}, expected[name])
                for key in ("flow", "phase", "account", "alias", "user", "rule") if got["attempts"] else ():
                    self.assertIn(key, got)

    def test_explain_names_the_rule_and_the_rules_considered(self):
        r = cg("explain", "--config", POLICY, os.path.join(CORPUS, "iam-user-host-label-alias.http"))
        d = json.loads(r.stdout)
        self.assertEqual((d["effect"], d["reason"], d["rule"], d["account"]),
                         ("deny", "rule-deny", "no-production", "444455556666"))
        self.assertIn("no-production", d["attempts"][0]["rules_considered"])

    def test_session_flow_judges_a_console_cookie_as_the_sign_in_that_opened_its_session(self):
        # The corpus policy allows account 222233334444 for SAML sessions only: the cookie alone
        # is console-session (default-deny); a session SAML opened is judged as saml too, and
        # one another flow opened is not.
        req = os.path.join(CORPUS, "console-cookie-saml-only-account.http")
        for extra, want in (((), ("deny", "default-deny", "")),
                            (("--session-flow", "saml"), ("allow", "rule-allow", "saml-sessions-only")),
                            (("--session-flow", "root,iam-user"), ("deny", "default-deny", ""))):
            with self.subTest(extra=extra):
                r = cg("explain", "--config", POLICY, *extra, req)
                self.assertEqual(r.returncode, 0, r.stderr)
                d = json.loads(r.stdout)
                self.assertEqual((d["effect"], d["reason"], d["rule"], d["flow"]), want + ("console-session",))
                self.assertEqual(sorted(d["attempts"][0].get("also_flows", [])),
                                 sorted(extra[1].split(",")) if extra else [])
                # The deciding attempt's: why a console request met a rule of a sign-in flow.
                self.assertEqual(sorted(d.get("also_flows", [])),
                                 sorted(extra[1].split(",")) if extra else [])
        r = cg("explain", "--config", POLICY, "--session-flow", "sam1", req)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--session-flow takes sign-in flow names", r.stderr)

    def test_session_flow_alternatives_are_judged_as_the_gateway_judges_them(self):
        # A session whose sign-in was SAML or an IAM user, which one the gateway could not tell
        # (flows_either): a grant must name every alternative, so the SAML-only allow does not
        # reach it, while a session that is each (a,b) is reached by a rule naming one.
        req = os.path.join(CORPUS, "console-cookie-saml-only-account.http")
        for flows, want, either in (("saml,iam-user", ("allow", "rule-allow", "saml-sessions-only"), False),
                                    ("saml|iam-user", ("deny", "default-deny", ""), True),
                                    ("saml|saml", ("allow", "rule-allow", "saml-sessions-only"), True)):
            with self.subTest(flows=flows):
                r = cg("explain", "--config", POLICY, "--session-flow", flows, req)
                self.assertEqual(r.returncode, 0, r.stderr)
                d = json.loads(r.stdout)
                self.assertEqual((d["effect"], d["reason"], d["rule"]), want)
                self.assertEqual(sorted(d["also_flows"]), sorted(set(re.split("[,|]", flows))))
                self.assertEqual(d.get("also_flows_either", False), either)
                self.assertEqual(d["attempts"][0].get("also_flows_either", False), either)
        r = cg("explain", "--config", POLICY, "--session-flow", "saml,iam-user|root", req)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not both", r.stderr)

    def test_session_opened_by_refuses_another_persons_console_request(self):
        # The gateway keeps who opened a session; explain simulates it: the SAML session's
        # console request is allowed for its opener (any spelling of her) and refused for
        # another person, or for a request naming nobody.
        req = os.path.join(CORPUS, "console-cookie-saml-only-account.http")
        base = ("--session-flow", "saml", "--session-opened-by", "alice")
        for extra, want in ((("--corp-user", "alice"), ("allow", "rule-allow")),
                            (("--corp-user", "ALICE"), ("allow", "rule-allow")),
                            (("--corp-user", "bob"), ("deny", "session-user-mismatch")),
                            ((), ("deny", "session-user-mismatch"))):
            with self.subTest(extra=extra):
                r = cg("explain", "--config", POLICY, *(base + extra), req)
                self.assertEqual(r.returncode, 0, r.stderr)
                d = json.loads(r.stdout)
                self.assertEqual((d["effect"], d["reason"]), want)
                self.assertEqual(d["session_corp_user"], "alice")
                self.assertEqual(d["corp_user"], extra[1] if extra else "")
                if want[0] == "deny":
                    self.assertIn("opened by another person", d["reason_text"])

    def test_an_ipv6_client_network_never_matches_an_ipv4_client(self):
        # The corpus policy denies client_networks = ["::/0"]: IPv6 clients only, although an
        # IPv4 client is held IPv4-mapped (::ffff:a.b.c.d), inside the bits of ::/0.
        req = os.path.join(CORPUS, "iam-user-host-label-alias.http")
        for client, want in (("2001:db8::7", ("deny", "rule-deny", "no-ipv6-clients")),
                             ("::1", ("deny", "rule-deny", "no-ipv6-clients")),
                             ("192.0.2.7", ("deny", "rule-deny", "no-production")),
                             ("::ffff:192.0.2.7", ("deny", "rule-deny", "no-production")),
                             ("::FFFF:C000:0207", ("deny", "rule-deny", "no-production"))):
            with self.subTest(client=client):
                r = cg("explain", "--config", POLICY, "--client", client, req)
                self.assertEqual(r.returncode, 0, r.stderr)
                d = json.loads(r.stdout)
                self.assertEqual((d["effect"], d["reason"], d["rule"]), want)

    def test_a_client_address_that_could_be_another_is_refused_with_why(self):
        req = os.path.join(CORPUS, "iam-user-host-label-alias.http")
        for client, why in (("::192.0.2.7", "IPv4-compatible"), ("192.000.2.7", "leading zero"),
                            ("fe80::1%eth0", "zone id")):
            with self.subTest(client=client):
                r = cg("explain", "--config", POLICY, "--client", client, req)
                self.assertEqual(r.returncode, 2)
                self.assertIn(why, r.stderr)

    def test_requests_from_standard_input_and_secrets_never_echoed(self):
        req = ("POST /authenticate HTTP/1.1\nHost: signin.aws.amazon.com\n"
               "Content-Type: application/x-www-form-urlencoded\n\n"
               "account=acme-sandbox&username=bob&password=hunter2")
        r = cg("explain", "--config", POLICY, "-", input=req)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertEqual((d["effect"], d["account"], d["alias"], d["user"]), ("allow", "111122223333", "acme-sandbox", "bob"))
        self.assertNotIn("hunter2", r.stdout)

    def test_bytes_that_are_not_utf8_are_printed_as_valid_json(self):
        # A percent-decoded alias and role, and raw bytes in the user name, that are not UTF-8:
        # the line stays UTF-8 JSON (U+FFFD in their place) and the attempt is still recorded,
        # refused as unparsable (no account or alias is spelled so).
        req = (b"POST /authenticate HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
               b"account=%C0%B2prod%FF&roleName=Admin%FE&username=b\xffob")
        r = subprocess.run([BINARY, "explain", "--config", POLICY, "-"], capture_output=True,
                           timeout=60, input=req)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout.decode("utf-8"))  # strict: raises on any invalid byte
        self.assertEqual((d["effect"], d["reason"]), ("deny", "unparsable-request"))
        self.assertIn("\ufffd", d["alias"])
        self.assertTrue(d["alias"].endswith("prod\ufffd"))

    def test_bad_input_gets_a_clear_error(self):
        r = cg("explain", "--config", POLICY, "--now", "yesterday", os.path.join(CORPUS, "static-asset.http"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("RFC 3339", r.stderr)
        r = cg("explain", "--config", POLICY, "/nonexistent.http", os.path.join(CORPUS, "static-asset.http"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read /nonexistent.http", r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 1)  # the readable request is still judged
        r = cg("explain", "--config", POLICY, "-", input="this is not HTTP\n\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not an HTTP request", json.loads(r.stdout)["error"])
        r = cg("explain")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)


class DemoRequestsTest(unittest.TestCase):
    """The sample requests README.md shows with the demo configuration."""

    def test_demo_requests_get_the_decisions_the_readme_shows(self):
        demo = os.path.join(SOURCE_DIR, "config/demo.toml")
        cases = {
            "sandbox-console.http": ("allow", "rule-allow", "111111111111", ""),
            "production-sign-in.http": ("deny", "rule-deny", "222222222222", "bob"),
            "team-portal.http": ("allow", "elevation-active", "333333333333", ""),
            "team-console-session.http": ("deny", "elevation-missing", "333333333333", "bob"),
        }
        for name, (effect, reason, account, user) in cases.items():
            with self.subTest(request=name):
                r = cg("explain", "--config", demo, "--now", NOW,
                       os.path.join(SOURCE_DIR, "config/requests", name))
                self.assertEqual(r.returncode, 0, r.stderr)
                d = json.loads(r.stdout)
                self.assertEqual((d["effect"], d["reason"], d["account"], d["user"]),
                                 (effect, reason, account, user))
                self.assertNotIn("not-logged-ever", r.stdout)

    def test_user_option_checks_a_named_user_against_team(self):
        demo = os.path.join(SOURCE_DIR, "config/demo.toml")
        portal = os.path.join(SOURCE_DIR, "config/requests/team-portal.http")
        alice = json.loads(cg("explain", "--config", demo, "--now", NOW, "--user", "alice", portal).stdout)
        bob = json.loads(cg("explain", "--config", demo, "--now", NOW, "--user", "bob", portal).stdout)
        self.assertEqual((alice["effect"], alice["reason"]), ("allow", "elevation-active"))
        self.assertEqual((bob["effect"], bob["reason"]), ("deny", "elevation-missing"))

    def test_portal_user_judges_a_portal_token_as_the_gateway_learned_it(self):
        # The gateway learns a portal token's user from AWS's answer to GET /user, and the
        # token's opener from the connection it came on; explain --portal-user and
        # --portal-opened-by put that in the gateway's portal table. alice is elevated in the
        # demo snapshot, bob is not; a token nobody named leaves /federation/credentials
        # without a user.
        demo = os.path.join(SOURCE_DIR, "config/demo.toml")
        with tempfile.TemporaryDirectory() as d:
            creds = os.path.join(d, "creds.http")
            with open(creds, "w") as f:
                f.write("GET /federation/credentials/?account_id=333333333333&role_name=AdministratorAccess HTTP/1.1\r\n"
                        "Host: portal.sso.eu-west-1.amazonaws.com\r\n"
                        "x-amz-sso_bearer_token: aoaAAAAAGtokenOfAlicesPortal0123456789\r\n\r\n")
            for extra, want in (((), ("deny", "elevation-user-unknown", None, None)),
                                (("--portal-user", "alice"), ("allow", "elevation-active", "alice", None)),
                                (("--portal-user", "bob"), ("deny", "elevation-missing", "bob", None)),
                                (("--portal-user", "alice", "--portal-opened-by", "alice", "--corp-user", "alice"),
                                 ("allow", "elevation-active", "alice", "alice")),
                                (("--portal-user", "alice", "--portal-opened-by", "alice", "--corp-user", "bob"),
                                 ("deny", "session-user-mismatch", "alice", "alice")),
                                (("--portal-user", "alice", "--portal-opened-by", "alice"),
                                 ("deny", "session-user-mismatch", "alice", "alice"))):
                with self.subTest(extra=extra):
                    r = cg("explain", "--config", demo, "--now", NOW, *extra, creds)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    got = json.loads(r.stdout)
                    self.assertEqual((got["effect"], got["reason"], got.get("idc_user"),
                                      got.get("session_corp_user")), want)
                    if want[2]:
                        self.assertEqual(got["identity_source"], "portal-token")
            r = cg("explain", "--config", demo, "--portal-opened-by", "alice", creds)
            self.assertEqual(r.returncode, 2)
            self.assertIn("--portal-opened-by needs --portal-user", r.stderr)


class ExplainElevationTest(unittest.TestCase):
    """explain reads TEAM's own terminal statuses as the gateway does (core/elevation.hpp)."""

    def test_a_request_revoked_before_its_end_time_is_written_reads_expired(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "team.json"), "w") as f:
                json.dump([{"id": "REQ-bob", "username": "idc_bob", "accountId": "333333333333",
                            "role": "AdministratorAccess", "startTime": "2026-11-23T08:00:00Z",
                            "duration": "4", "status": "revoked"}], f)
            cfg = os.path.join(d, "c.toml")
            with open(cfg, "w") as f:
                f.write('[dns]\nenabled = false\n[proxy]\nenabled = false\n'
                        '[[policy.rule]]\nname = "gated"\neffect = "allow-with-elevation"\n'
                        'accounts = ["333333333333"]\n'
                        '[team]\nenabled = true\nsnapshot_file = "team.json"\n'
                        'staleness_limit = "3650d"\n')
            request = os.path.join(SOURCE_DIR, "config/requests/team-console-session.http")
            r = cg("explain", "--config", cfg, "--now", NOW, request)
            self.assertEqual(r.returncode, 0, r.stderr)
            a = json.loads(r.stdout)["attempts"][0]
            self.assertEqual((a["effect"], a["reason"], a["elevation_request"], a["elevation_end"]),
                             ("deny", "elevation-expired", "REQ-bob", ""))


class CheckConfigTest(unittest.TestCase):
    def test_every_problem_with_file_line_column(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.toml")
            with open(path, "w") as f:
                f.write('[dns]\nenabled = false\n[proxy]\nenabled = false\n[policy]\n'
                        '[[policy.rule]]\nname = "a"\neffect = "allow"\naccounts = ["12345"]\n'
                        '[[policy.rule]]\nname = "a"\neffect = "permit"\nou_pathz = ["x"]\n')
            r = cg("check-config", path)
            self.assertEqual(r.returncode, 2)
            problems = [l for l in r.stderr.splitlines() if l.startswith(path + ":")]
            self.assertGreaterEqual(len(problems), 4, r.stderr)  # bad ID, duplicate name, effect, unknown key
            self.assertTrue(any(l.startswith(path + ":9:") for l in problems), r.stderr)
            self.assertIn("ou_paths", r.stderr)  # the unknown key's suggestion

    def test_shipped_configs_are_valid(self):
        for name in ("demo.toml", "example.toml"):
            r = cg("check-config", os.path.join(SOURCE_DIR, "config", name))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(": ok", r.stdout)
            self.assertNotIn("note:", r.stdout)  # nothing in them that can never match

    def test_a_selector_that_can_never_match_is_a_note_at_its_place(self):
        # Valid (exit 0), but said: accounts AND OUs, not OR, so the production account beside
        # the sandbox OU never matches, and this deny would let its sign-ins through.
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "org.json"), "w") as f:
                json.dump({"organization_id": "o-corpus0001", "accounts": [
                    {"id": "111122223333", "path": "o-corpus0001/r-c0rp/ou-c0rp-sandbox1/"},
                    {"id": "444455556666", "path": "o-corpus0001/r-c0rp/ou-c0rp-prod0001/"}]}, f)
            path = os.path.join(d, "gw.toml")
            with open(path, "w") as f:
                f.write('[dns]\nenabled = false\n[proxy]\nenabled = false\n[policy]\n'
                        'org_export = "org.json"\n[[policy.rule]]\nname = "no-contractors"\n'
                        'effect = "deny"\naccounts = ["444455556666"]\n'
                        'ou_paths = ["o-corpus0001/r-c0rp/ou-c0rp-sandbox1/*"]\n')
            r = cg("check-config", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(path + ":10:13: note: policy.rule \"no-contractors\".accounts[0]: the org "
                          "export places 444455556666 at o-corpus0001/r-c0rp/ou-c0rp-prod0001/, "
                          "outside the rule's ou_paths", r.stdout)
            self.assertTrue(r.stdout.rstrip().endswith(path + ": ok"), r.stdout)


class LogsTest(unittest.TestCase):
    def test_filters_and_formats(self):
        events = [
            {"id": "e1", "time": "2026-11-23T08:00:00.000Z", "effect": "deny", "enforced": "deny",
             "account": "444455556666", "user": "mallory", "flow": "iam-user", "reason": "rule-deny"},
            {"id": "e2", "time": "2026-11-23T08:05:00.000Z", "effect": "allow", "enforced": "allow",
             "account": "111122223333", "user": "alice", "flow": "saml", "reason": "rule-allow"},
        ]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with open(path, "w") as f:
                for e in events:
                    f.write(json.dumps(e) + "\n")
                f.write('{"id": "torn')  # a crash mid-write leaves a partial last line
            r = cg("logs", "--file", path, "--decision", "deny", "--format", "json")
            self.assertEqual(r.returncode, 0)
            self.assertEqual([json.loads(l)["id"] for l in r.stdout.splitlines()], ["e1"])
            self.assertIn("skipped", r.stderr)
            r = cg("logs", "--file", path, "--since", "2026-11-23T08:01:00Z", "--format", "csv")
            self.assertEqual(r.stdout.splitlines()[0].split(",")[0], "time")
            self.assertEqual(len(r.stdout.splitlines()), 2)
            r = cg("logs", "--file", path)
            self.assertEqual(r.stdout.splitlines()[1].split()[0], "2026-11-23T08:05:00.000Z")  # newest first
            self.assertEqual(cg("logs", "--file", path, "--since", "soon").returncode, 2)

    def test_alternative_session_flows_are_shown_apart_and_found_under_each_name(self):
        # A console request of a session the sign-in of one of saml and iam-user opened (which one
        # the gateway could not tell: also_flows_either), beside one judged as each, and an event
        # written before the field existed (read as each).
        def ev(i, either):
            e = {"id": "s%d" % i, "time": "2026-11-23T08:%02d:00.000Z" % i, "effect": "deny",
                 "enforced": "deny", "account": "444455556666", "user": "u", "flow": "console-session",
                 "reason": "default-deny", "also_flows": "saml,iam-user"}
            if either is not None:
                e["also_flows_either"] = either
            return e
        ids = lambda r: [json.loads(l)["id"] for l in r.stdout.splitlines()]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with open(path, "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in [ev(1, True), ev(2, False), ev(3, None)])
            table = cg("logs", "--file", path).stdout.splitlines()
            self.assertIn("console-session+saml|iam-user", table[3])
            self.assertIn("console-session+saml,iam-user", table[2])
            self.assertIn("console-session+saml,iam-user", table[1])
            csv = cg("logs", "--file", path, "--format", "csv").stdout.splitlines()
            self.assertTrue(csv[0].endswith(",also_flows,oauth_action"), csv[0])
            self.assertEqual([l.rsplit(",", 2)[-2] if "|" in l else l[-18:-3] for l in csv[1:]],
                             ['"saml,iam-user"', '"saml,iam-user"', '"saml|iam-user"'])
            out = cg("logs", "--file", path, "--format", "json").stdout.splitlines()
            self.assertEqual([json.loads(l)["also_flows_either"] for l in out], [False, False, True])
            for flow in ("saml", "iam-user", "console-session"):
                self.assertEqual(ids(cg("logs", "--file", path, "--flow", flow, "--format", "json")),
                                 ["s3", "s2", "s1"], flow)
            # The shown form names no one flow: refused with what --flow takes, not an empty list.
            r = cg("logs", "--file", path, "--flow", "saml|iam-user")
            self.assertEqual(r.returncode, 2)
            self.assertIn("--flow takes one sign-in flow", r.stderr)
            self.assertEqual(cg("logs", "--file", path, "--flow", "refused").returncode, 0)

    def test_the_oauth_step_of_a_cli_sign_in_is_recorded_and_shown_with_its_flow(self):
        # explain names the step of `aws login` each request is (the record's oauth_action) ...
        for name, step in (("cli-authorize-signed-in", "authorize"), ("cli-token-refresh", "token"),
                           ("switchrole-get", None)):
            r = cg("explain", "--config", POLICY, os.path.join(CORPUS, name + ".http"))
            self.assertEqual(r.returncode, 0, r.stderr)
            d = json.loads(r.stdout)
            cli = [a for a in d["attempts"] if a["flow"] == "cli-sign-in"]
            self.assertEqual(len(cli) > 0, step is not None, name)
            self.assertEqual({a.get("oauth_action") for a in cli}, {step} if step else set(), name)
            self.assertTrue(all("oauth_action" not in a for a in d["attempts"] if a["flow"] != "cli-sign-in"))
            if d["flow"] == "cli-sign-in":  # the deciding attempt's, at the top
                self.assertEqual(d.get("oauth_action"), step, name)
        self.assertEqual(json.loads(cg("explain", "--config", POLICY,
                                       os.path.join(CORPUS, "cli-token-refresh.http")).stdout)["oauth_action"],
                         "token")
        # ... and logs shows it where the flow is: cli-sign-in:token in the table, its own CSV
        # column, the JSON field; an event written before the field existed has none.
        def ev(i, step):
            e = {"id": "o%d" % i, "time": "2026-11-23T08:%02d:00.000Z" % i, "effect": "deny",
                 "enforced": "deny", "account": "444455556666", "user": "u", "flow": "cli-sign-in",
                 "reason": "rule-deny"}
            if step is not None:
                e["oauth_action"] = step
            return e
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with open(path, "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in [ev(1, "authorize"), ev(2, "token"), ev(3, None)])
            table = cg("logs", "--file", path).stdout.splitlines()
            self.assertEqual([l.split()[4] for l in table[1:]],
                             ["cli-sign-in", "cli-sign-in:token", "cli-sign-in:authorize"], table)
            csv = cg("logs", "--file", path, "--format", "csv").stdout.splitlines()
            self.assertTrue(csv[0].endswith(",oauth_action"), csv[0])
            self.assertEqual([l.rsplit(",", 1)[-1] for l in csv[1:]], ['""', '"token"', '"authorize"'])
            out = cg("logs", "--file", path, "--format", "json").stdout.splitlines()
            self.assertEqual([json.loads(l)["oauth_action"] for l in out], ["", "token", "authorize"])
            self.assertEqual(len(cg("logs", "--file", path, "--flow", "cli-sign-in",
                                    "--format", "json").stdout.splitlines()), 3)

    def test_corp_user_filters_by_person_and_the_summary_counts_people(self):
        def ev(i, effect, corp_user, source):
            return {"id": "p%d" % i, "time": "2026-11-23T08:%02d:00.000Z" % i, "effect": effect,
                    "enforced": effect, "account": "444455556666", "user": "u", "flow": "iam-user",
                    "reason": "rule-deny" if effect == "deny" else "rule-allow",
                    "corp_user": corp_user, "corp_source": source}
        events = [ev(1, "deny", "alice@CORP.EXAMPLE", "kerberos"), ev(2, "deny", "alice@CORP.EXAMPLE", "header"),
                  ev(3, "deny", "CORP\\bob", "address-map"), ev(4, "allow", "", "none")]
        ids = lambda r: [json.loads(l)["id"] for l in r.stdout.splitlines()]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with open(path, "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in events)
            logs = lambda *a: cg("logs", "--file", path, "--format", "json", *a)
            self.assertEqual(ids(logs("--corp-user", "ALICE@corp.example")), ["p2", "p1"])
            self.assertEqual(ids(logs("--corp-user", "*@CORP.EXAMPLE")), ["p2", "p1"])
            self.assertEqual(ids(logs("--corp-user", "corp\\*")), ["p3"])
            self.assertEqual(ids(logs("--corp-user", "")), ["p4"])  # the unidentified
            summary = json.loads(logs("--summary").stdout)
            self.assertEqual(summary["top_denied_corp_users"][0], {"key": "alice@CORP.EXAMPLE", "count": 2})
            self.assertIn("most denied corp_users", cg("logs", "--file", path, "--summary").stdout)
            self.assertEqual(cg("logs", "--file", path, "--corp-user", "x" * 300).returncode, 2)

    def test_the_summary_shows_names_without_terminal_controls_and_defuses_formulas(self):
        # A user name is written by whoever signs in: in the summary's terminal table it must not
        # move the cursor, recolour or reverse the line, and in its CSV not be a formula.
        ev = {"id": "s1", "time": "2026-11-23T08:01:00.000Z", "effect": "deny", "enforced": "deny",
              "account": "444455556666", "user": "\u001b[2J\u009b31m\u202eevil", "flow": "iam-user",
              "reason": "rule-deny", "rule": "\t=HYPERLINK(\"x\")"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with open(path, "w") as f:
                f.write(json.dumps(ev) + "\n")
            r = cg("logs", "--file", path, "--summary")
            self.assertEqual(r.returncode, 0, r.stderr)
            for bad in ("\x1b", "\u009b", "\u202e"):
                self.assertNotIn(bad, r.stdout)
            self.assertIn("?[2J?31m?evil", r.stdout)
            r = cg("logs", "--file", path, "--summary", "--format", "csv")
            self.assertIn('rules,"\'\t=HYPERLINK(""x"")",1', r.stdout)

    def test_more_filters_summary_and_follow(self):
        def ev(i, minute, effect, report_only=False, reason="rule-deny", client="10.0.0.1", rule="no-prod"):
            return {"id": "f%d" % i, "time": "2026-11-23T08:%02d:00.000Z" % minute, "effect": effect,
                    "enforced": "allow" if report_only else effect, "report_only": report_only,
                    "account": "444455556666", "user": "u%d" % (i % 2), "flow": "iam-user",
                    "reason": reason, "client": client, "rule": rule}
        events = [ev(1, 0, "deny"), ev(2, 10, "deny", report_only=True), ev(3, 20, "allow", reason="rule-allow", rule="ok"),
                  ev(4, 30, "deny", client="10.0.0.9", reason="default-deny", rule="")]
        ids = lambda r: [json.loads(l)["id"] for l in r.stdout.splitlines()]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with open(path, "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in events)
            self.assertEqual(ids(cg("logs", "--file", path, "--until", "2026-11-23T08:20:00Z", "--format", "json")), ["f2", "f1"])
            self.assertEqual(ids(cg("logs", "--file", path, "--reason", "default-deny", "--format", "json")), ["f4"])
            self.assertEqual(ids(cg("logs", "--file", path, "--client", "10.0.0.9", "--format", "json")), ["f4"])
            self.assertEqual(ids(cg("logs", "--file", path, "--rule", "no-prod", "--format", "json")), ["f2", "f1"])
            self.assertEqual(ids(cg("logs", "--file", path, "--mode", "report-only", "--format", "json")), ["f2"])
            self.assertEqual(cg("logs", "--file", path, "--reason", "nonsense").returncode, 2)
            self.assertEqual(cg("logs", "--file", path, "--client", "not-an-ip").returncode, 2)
            # Any spelling of the client's address finds its events; an ambiguous one says why.
            self.assertEqual(ids(cg("logs", "--file", path, "--client", "::FFFF:10.0.0.9", "--format", "json")), ["f4"])
            r = cg("logs", "--file", path, "--client", "010.0.0.9")
            self.assertEqual(r.returncode, 2)
            self.assertIn("leading zero", r.stderr)
            r = cg("logs", "--file", path, "--summary", "--format", "json")
            self.assertEqual(r.returncode, 0, r.stderr)
            summary = json.loads(r.stdout)
            self.assertEqual((summary["attempts"], summary["blocked"], summary["report_only"], summary["allowed"]), (4, 2, 1, 1))
            self.assertEqual(summary["top_denied_clients"][0], {"key": "10.0.0.1", "count": 2})
            self.assertIn("most denied accounts", cg("logs", "--file", path, "--summary").stdout)

            # --follow: the existing match first, then lines appended later, as they arrive.
            p = subprocess.Popen([BINARY, "logs", "--file", path, "--follow", "--decision", "deny", "--format", "json",
                                  "--since", "2026-11-23T08:25:00Z"], stdout=subprocess.PIPE, text=True)
            try:
                self.assertEqual(json.loads(p.stdout.readline())["id"], "f4")
                with open(path, "a") as f:
                    f.write(json.dumps(ev(5, 40, "allow", reason="rule-allow")) + "\n")
                    f.write(json.dumps(ev(6, 50, "deny")) + "\n")
                # readline blocks until the line arrives; ctest's timeout bounds it.
                self.assertEqual(json.loads(p.stdout.readline())["id"], "f6")
            finally:
                p.kill()
                p.wait(timeout=10)
                p.stdout.close()


class ExplainCorporateIdentityTest(unittest.TestCase):
    """explain --corp-user / --corp-group against corp_users, corp_groups and unknown_corp_user."""

    CONFIG = """
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
[ca]
cert = "ca.crt"
key = "ca.key"
[policy]
unknown_corp_user = "%s"
[[policy.rule]]
name = "contractors-no-prod"
effect = "deny"
accounts = ["222222222222"]
corp_groups = ["contractors"]
[[policy.rule]]
name = "engineers"
effect = "allow"
corp_groups = ["eng-*"]
"""
    REQUEST = ("POST /authenticate HTTP/1.1\nHost: signin.aws.amazon.com\n"
               "Content-Type: application/x-www-form-urlencoded\n\n"
               "account=222222222222&username=bob&password=hunter2")

    def explain(self, mode, *args):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "gw.toml")
            with open(path, "w") as f:
                f.write(self.CONFIG % mode)
            r = cg("explain", "--config", path, *args, "-", input=self.REQUEST)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_corporate_groups_decide_as_documented(self):
        eng = self.explain("no-match", "--corp-user", "carol@CORP.EXAMPLE", "--corp-group", "ENG-web")
        self.assertEqual((eng["effect"], eng["rule"], eng["corp_user"]),
                         ("allow", "engineers", "carol@CORP.EXAMPLE"))
        self.assertEqual(eng["attempts"][0]["corp_groups"], ["ENG-web"])
        both = self.explain("no-match", "--corp-user", "dave@CORP.EXAMPLE", "--corp-group", "eng-web,contractors")
        self.assertEqual((both["effect"], both["rule"]), ("deny", "contractors-no-prod"))
        nobody = self.explain("no-match")
        self.assertEqual((nobody["effect"], nobody["reason"], nobody["corp_user"]), ("deny", "default-deny", ""))
        refused = self.explain("deny")
        self.assertEqual((refused["effect"], refused["reason"]), ("deny", "corp-user-unknown"))

    def test_without_corp_group_the_person_has_the_groups_file_s_groups_as_at_the_gateway(self):
        # The gateway gives an identified person the groups identity.groups_file lists (under
        # every spelling of a site user); explain without --corp-group gave none, so a
        # contractors deny decided there and not here.
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "groups.json"), "w") as f:
                json.dump({"alice@CORP.EXAMPLE": ["contractors"], "carol": ["eng-web"]}, f)
            path = os.path.join(d, "gw.toml")
            with open(path, "w") as f:
                f.write(self.CONFIG.replace("[policy]", '[identity]\ngroups_file = "groups.json"\n'
                                            'realms = ["CORP.EXAMPLE", "CORP"]\n[policy]') % "no-match")
            def explain(*args):
                r = cg("explain", "--config", path, *args, "-", input=self.REQUEST)
                self.assertEqual(r.returncode, 0, r.stderr)
                return json.loads(r.stdout)
            for alice in ("alice@CORP.EXAMPLE", "CORP\\alice", "alice"):
                got = explain("--corp-user", alice)
                self.assertEqual((got["effect"], got["rule"]), ("deny", "contractors-no-prod"), alice)
                self.assertEqual(got["attempts"][0]["corp_groups"], ["contractors"], alice)
            got = explain("--corp-user", "CORP\\carol")
            self.assertEqual((got["effect"], got["rule"]), ("allow", "engineers"))
            got = explain("--corp-user", "alice@PARTNER.EXAMPLE")  # not the site's alice
            self.assertEqual((got["effect"], got["reason"]), ("deny", "default-deny"))
            # --corp-group says the groups outright, as before.
            got = explain("--corp-user", "alice@CORP.EXAMPLE", "--corp-group", "eng-web")
            self.assertEqual((got["effect"], got["rule"]), ("allow", "engineers"))
            with open(os.path.join(d, "groups.json"), "w") as f:
                f.write("{not json")
            r = cg("explain", "--config", path, "--corp-user", "alice", "-", input=self.REQUEST)
            self.assertEqual(r.returncode, 2)
            self.assertIn("identity.groups_file", r.stderr)

    def test_a_group_without_a_user_is_a_usage_error(self):
        r = cg("explain", "--config", POLICY, "--corp-group", "eng", "-", input=self.REQUEST)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--corp-group needs --corp-user", r.stderr)


if __name__ == "__main__":
    unittest.main()


class ElevationsTest(unittest.TestCase):
    DEMO = os.path.join(SOURCE_DIR, "config/demo.toml")

    def test_shows_what_the_feed_says_with_filters_and_health(self):
        r = cg("elevations", "--config", self.DEMO, "--json", "--now", "2026-11-23T09:00:00Z")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertTrue(d["feed"]["available"])
        self.assertEqual(d["feed"]["skipped"], 0)
        self.assertIn("demo-team.json", d["feed"]["source"])
        self.assertEqual([(e["user"], e["account"], e["permission_set"]) for e in d["elevations"]],
                         [("alice", "333333333333", "AdministratorAccess")])
        self.assertEqual(d["elevations"][0]["id"], "7f3c1e2a-demo-0001")
        # --user takes what a policy `users` selector takes, TEAM's idc_ spelling too.
        for args, n in ((("--user", "ALICE"), 1), (("--user", "bob"), 0),
                        (("--user", "idc_alice"), 1), (("--user", "IDC_ALICE"), 1),
                        (("--user", "al*"), 1), (("--user", "idc_bob"), 0),
                        (("--account", "333333333333"), 1), (("--account", "444455556666"), 0)):
            r = cg("elevations", "--config", self.DEMO, "--json", "--now", "2026-11-23T09:00:00Z", *args)
            self.assertEqual(len(json.loads(r.stdout)["elevations"]), n, args)
        text = cg("elevations", "--config", self.DEMO, "--now", "2026-11-23T09:00:00Z")
        self.assertIn("alice  333333333333  AdministratorAccess", text.stdout)
        self.assertEqual(d["feed"]["partition"], "aws")
        self.assertIn("  partition: aws\n", text.stdout)

    def test_names_the_partition_team_runs_in(self):
        # A GovCloud TEAM's elevations are for GovCloud's accounts: the report says which
        # partition its twelve-digit account IDs are in (team.partition, else the table's Region).
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "c.toml")
            snap = os.path.join(SOURCE_DIR, "config/demo-team.json")
            with open(cfg, "w") as f:
                f.write('[dns]\nupstreams = ["192.0.2.1"]\nsteer_ipv4 = ["192.0.2.10"]\n'
                        '[ca]\ncert = "ca.crt"\nkey = "ca.key"\n'
                        f'[team]\nenabled = true\nsnapshot_file = "{snap}"\n'
                        'partition = "aws-us-gov"\n')
            r = cg("elevations", "--config", cfg, "--json", "--now", "2026-11-23T09:00:00Z")
            self.assertEqual(json.loads(r.stdout)["feed"]["partition"], "aws-us-gov", r.stderr)
            text = cg("elevations", "--config", cfg, "--now", "2026-11-23T09:00:00Z")
            self.assertIn("  partition: aws-us-gov\n", text.stdout)

    def test_an_unavailable_feed_exits_1_and_says_why(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "c.toml")
            with open(cfg, "w") as f:
                f.write('[dns]\nupstreams = ["192.0.2.1"]\nsteer_ipv4 = ["192.0.2.10"]\n'
                        '[ca]\ncert = "ca.crt"\nkey = "ca.key"\n'
                        '[team]\nenabled = true\nsnapshot_file = "missing.json"\n')
            r = cg("elevations", "--config", cfg, "--json")
            self.assertEqual(r.returncode, 1, r.stderr)
            out = json.loads(r.stdout)
            self.assertFalse(out["feed"]["available"])
            self.assertIn("missing.json", out["feed"]["problem"])
            self.assertEqual(out["elevations"], [])

    def test_usage_errors_exit_2(self):
        self.assertEqual(cg("elevations").returncode, 2)
        r = cg("elevations", "--config", self.DEMO, "--account", "12")
        self.assertEqual(r.returncode, 2)
        self.assertIn("12-digit", r.stderr)


class ExportTest(unittest.TestCase):
    PRE_AUTH = ["signin:Authenticate"]
    POST_AUTH = ["signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"]

    def check_endpoint_grammar(self, doc, kind):
        """IAM policy grammar of a Console Private Access endpoint policy as AWS documents it
        (AWS Management Console, "Trusted identities"): Principal and Resource "*"; on the Sign-In
        endpoint signin:Authenticate with aws:ResourceAccount / aws:ResourceOrgID only (before
        authentication), the OAuth 2.0 pair with aws:PrincipalAccount / aws:PrincipalOrgID, and
        signin:CreateAccount without conditions; on the console endpoint Action "*" with
        aws:Principal* keys."""
        self.assertLessEqual(set(doc), {"Version", "Id", "Statement"})
        self.assertEqual(doc["Version"], "2012-10-17")
        self.assertIsInstance(doc["Statement"], list)
        self.assertTrue(doc["Statement"])
        self.assertLessEqual(len(json.dumps(doc, separators=(",", ":"))), 20480)
        sids = [s["Sid"] for s in doc["Statement"]]
        self.assertEqual(len(sids), len(set(sids)), sids)
        for s in doc["Statement"]:
            self.assertLessEqual(set(s), {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})
            self.assertRegex(s["Sid"], r"^[A-Za-z0-9]+$")
            self.assertIn(s["Effect"], {"Allow", "Deny"})
            self.assertEqual((s["Principal"], s["Resource"]), ("*", "*"))
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            if kind == "console-endpoint" or actions == ["*"]:
                self.assertEqual(actions, ["*"], s)
                allowed = {"aws:PrincipalAccount", "aws:PrincipalOrgID"}
            elif actions == self.PRE_AUTH:
                allowed = {"aws:ResourceAccount", "aws:ResourceOrgID"}
            elif actions == self.POST_AUTH:
                allowed = {"aws:PrincipalAccount", "aws:PrincipalOrgID"}
            else:
                self.assertEqual((actions, s["Effect"]), (["signin:CreateAccount"], "Deny"))
                allowed = set()
            for op, keys in s.get("Condition", {}).items():
                self.assertEqual(op, "StringEquals", s)
                for key, values in keys.items():
                    self.assertIn(key, allowed, s)
                    self.assertIsInstance(values, list)
                    self.assertTrue(values)
                    for v in values:
                        self.assertRegex(v, r"^\d{12}$" if key.endswith("Account") else r"^o-[a-z0-9]{10,32}$")

    def test_every_shipped_config_exports_endpoint_policies_that_import_back(self):
        configs = self.shipped_configs() + [POLICY]
        for config in configs:
            for kind in (None, "sign-in-endpoint", "endpoint", "console-endpoint"):
                with self.subTest(config=config, kind=kind), tempfile.TemporaryDirectory() as d:
                    out = os.path.join(d, "endpoint.json")
                    args = ["export", "aws-policies", "--config", config, "--out", out]
                    if kind:
                        args += ["--policy", kind]
                    r = cg(*args)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertTrue(all(l.startswith("note: ") for l in r.stderr.splitlines()), r.stderr)
                    with open(out) as f:
                        doc = json.load(f)
                    self.check_endpoint_grammar(doc, kind or "sign-in-endpoint")
                    # check-config re-imports it as the endpoint policy of a policy of its own.
                    cfg = os.path.join(d, "reimport.toml")
                    with open(cfg, "w") as f:
                        f.write('[dns]\nenabled = false\n[proxy]\nenabled = false\n'
                                '[policy]\nendpoint_policies = ["endpoint.json"]\n')
                    r = cg("check-config", cfg)
                    self.assertEqual(r.returncode, 0, r.stderr)

    def test_an_old_style_sign_in_endpoint_policy_is_refused_naming_the_statement(self):
        """aws:PrincipalAccount before authentication, as this export wrote it before: AWS never
        matches it there, and check-config says which statement."""
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "old.json"), "w") as f:
                json.dump({"Version": "2012-10-17", "Statement": [
                    {"Sid": "ourPreAuth", "Effect": "Allow", "Principal": "*",
                     "Action": ["signin:Authenticate"], "Resource": "*",
                     "Condition": {"StringEquals": {"aws:PrincipalAccount": ["111122223333"]}}}]}, f)
            cfg = os.path.join(d, "c.toml")
            with open(cfg, "w") as f:
                f.write('[dns]\nenabled = false\n[proxy]\nenabled = false\n'
                        '[policy]\nendpoint_policies = ["old.json"]\n')
            r = cg("check-config", cfg)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('statement "ourPreAuth": aws:PrincipalAccount is not available before authentication',
                          r.stderr + r.stdout)

    @staticmethod
    def shipped_configs():
        """config/*.toml that are configurations (not alias files)."""
        d = os.path.join(SOURCE_DIR, "config")
        out = []
        for n in sorted(os.listdir(d)):
            path = os.path.join(d, n)
            if n.endswith(".toml") and re.search(r"^\[(dns|proxy|policy)\]", open(path).read(), re.M):
                out.append(path)
        return out

    def test_every_shipped_config_exports_a_sign_in_rcp_of_valid_grammar_or_says_why_not(self):
        """The AWS Sign-In resource control policy: IAM policy grammar, Sign-In actions only, the
        configured egress networks, endpoints and break-glass principals; a configuration without
        [policy.aws_side] networks exits 2 naming the key."""
        configs = self.shipped_configs()
        self.assertIn(os.path.join(SOURCE_DIR, "config", "example.toml"), configs)
        exported = 0
        for config in configs:
            with self.subTest(config=config), tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "rcp.json")
                r = cg("export", "aws-policies", "--config", config, "--policy", "sign-in-rcp", "--out", out)
                if r.returncode == 2:
                    self.assertIn("policy.aws_side", r.stderr)
                    self.assertFalse(os.path.exists(out))
                    continue
                self.assertEqual(r.returncode, 0, r.stderr)
                exported += 1
                self.assertTrue(all(l.startswith("note: ") for l in r.stderr.splitlines()), r.stderr)
                with open(out) as f:
                    doc = json.load(f)
                self.assertEqual(set(doc), {"Version", "Statement"})
                self.assertEqual(doc["Version"], "2012-10-17")
                actions = set()
                for st in doc["Statement"]:
                    self.assertLessEqual(set(st), {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})
                    self.assertEqual((st["Effect"], st["Principal"], st["Resource"]), ("Deny", "*", "*"))
                    actions |= set(st["Action"])
                    for op, keys in st["Condition"].items():
                        self.assertIn(op, {"NotIpAddress", "NotIpAddressIfExists", "StringNotEquals",
                                           "StringNotEqualsIfExists", "ArnNotEquals"})
                        for key, values in keys.items():
                            self.assertIn(key, {"aws:SourceIp", "aws:SourceVpce", "signin:PrincipalArn",
                                                "aws:PrincipalArn"})
                            for v in values:
                                if key == "aws:SourceIp":
                                    ipaddress.ip_network(v)  # raises on anything but a CIDR
                                elif key == "aws:SourceVpce":
                                    self.assertRegex(v, r"^vpce-[a-z0-9]{8,20}$")
                                else:
                                    self.assertRegex(v, r"^arn:aws:iam::\d{12}:(root|role/.+|user/.+)$")
                self.assertEqual(actions, {"signin:Authenticate", "signin:AuthorizeOAuth2Access",
                                           "signin:CreateOAuth2Token"})
        self.assertGreaterEqual(exported, 1)
        r = cg("export", "aws-policies", "--config", configs[0], "--policy", "iam")
        self.assertEqual(r.returncode, 2)
        self.assertIn("sign-in-endpoint, console-endpoint or sign-in-rcp", r.stderr)

    def test_usage_errors_exit_2(self):
        self.assertEqual(cg("export").returncode, 2)
        self.assertEqual(cg("export", "aws-policies").returncode, 2)
        r = cg("export", "iam", "--config", POLICY)
        self.assertEqual(r.returncode, 2)
        self.assertIn("aws-policies", r.stderr)
