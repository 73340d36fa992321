"""Console sessions shared by a fleet through PostgreSQL (issue 20, docs/inspection.md "A fleet"):
a real PostgreSQL (the throwaway cluster of pg_cluster.py) and two gateway processes with
sessions.store = "postgres" and one sessions.key_file. Each replica has its own demo origin
standing in for AWS (--issue-sessions: a federation login answers with fresh session cookies and
aws-userInfo). A session AWS opened through replica A is honoured and enforced on replica B
(removed, forged, unbound cookies denied there); a replica with another key is refused at start;
with PostgreSQL stopped, the documented behaviour: a binding is kept locally (and written once the
store is back), and B judges what it cannot look up as unbound (fail closed). The access portal's
token -> user table is shared the same way: a portal user AWS named through replica A names the
token's federation requests on replica B. The person who opened a session (the trusted header on
the CONNECT listener) travels with its row: another person presenting it on B is refused."""
import os
import subprocess
import sys
import time
import unittest

from pg_cluster import PASSWORD, Replica, TwoReplicas

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import BINARY, ELEVATED, FOREIGN, PROD, SANDBOX, wait_until  # noqa: E402
# The policy, the aws-userInfo a broker's answer carries and the Set-Cookie reader of the
# one-gateway binding test: the fleet test plays the same sign-ins across two replicas.
from test_session_binding import POLICY, set_cookies, user_info  # noqa: E402
# The portal's user test: its TEAM items (carol elevated for ELEVATED, dave not) and tokens.
from test_portal_user import CREDENTIALS, PORTAL, team_items, token  # noqa: E402

FLEET_KEY = "6b1f0c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"
OTHER_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
STORE_TIMEOUT = 1.0  # sessions.store_timeout below, in seconds


class SessionReplica(Replica):
    """A replica sharing its session table through the cluster, under `key`."""

    def __init__(self, cluster, key=FLEET_KEY):
        super().__init__(cluster, policy_toml=POLICY, unbound_sessions=None,
                         origin_args=["--issue-sessions"],
                         extra_toml='[sessions]\nstore = "postgres"\nkey_file = "sessions.key"\n'
                                    'store_timeout = "%dms"\nnegative_ttl = "1s"\n'
                                    '[identity]\ntrusted_header = "X-Authenticated-User"\n'
                                    'trusted_header_from = ["127.0.0.0/8"]\n'
                                    % int(STORE_TIMEOUT * 1000))
        self.key = key

    def write_config(self):
        with open(os.path.join(self.dir, "sessions.key"), "w") as f:
            f.write(self.key + "\n")
        os.chmod(os.path.join(self.dir, "sessions.key"), 0o600)
        return super().write_config()

    def sign_in(self, account, corp=None):
        code, headers, _ = self.curl(
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=demo.%s.Admin"
            % account, *(["-H", "X-Authenticated-User: " + corp] if corp else []))
        return code, set_cookies(headers)

    def console(self, cookies, corp=None):
        return self.curl("https://console.aws.amazon.com/console/home", "-H",
                         "Cookie: " + "; ".join("%s=%s" % kv for kv in cookies.items()),
                         *(["-H", "X-Authenticated-User: " + corp] if corp else []))

    def metric(self, series):
        for line in self.metrics().splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError("no metric " + series)


class SharedSessionsTest(TwoReplicas):
    replica_class = SessionReplica

    def test_a_session_bound_on_one_replica_is_honoured_and_enforced_on_the_other(self):
        a, b = self.replicas
        code, jar = a.sign_in(SANDBOX)
        self.assertEqual(code, 302)
        self.assertIn("aws-creds", jar)
        # Written through before A released the answer: B finds it at the browser's next request.
        code, _, body = b.console(jar)
        self.assertEqual(code, 200, body)
        self.assertGreaterEqual(
            b.metric('consolegate_sessions_store_lookup_digests_total{result="hit"}'), 1)
        self.assertGreaterEqual(a.metric("consolegate_sessions_store_rows_written_total"), 2)
        # aws-userInfo removed on B: judged on what AWS said through A.
        code, _, body = b.console({k: v for k, v in jar.items() if k != "aws-userInfo"})
        self.assertEqual(code, 200, body)
        wait_until(lambda: any(e["source"] == "session-binding" and e["identity_source"] == "bound"
                               and e["account"] == SANDBOX for e in b.events()), 10,
                   "B's event judged on the binding")
        # Forged on B, to another account and to another user.
        for forged in (user_info(PROD), user_info(SANDBOX, session="colleague")):
            code, _, body = b.console(dict(jar, **{"aws-userInfo": forged}))
            self.assertEqual(code, 403, body)
            self.assertIn("session-identity-forged", body)
        # A session that may sign in but not use the console (break-glass-no-console), signed in
        # through B, is refused on A without its aws-userInfo.
        code, foreign = b.sign_in(FOREIGN)
        self.assertEqual(code, 302)
        code, _, body = a.console({k: v for k, v in foreign.items() if k != "aws-userInfo"})
        self.assertEqual(code, 403, body)
        self.assertIn(FOREIGN, body)
        self.assertIn("rule-deny", body)
        # A session neither replica saw signed in: unbound on both.
        code, _, body = b.console({"aws-userInfo": user_info(SANDBOX), "aws-creds": "c0ffee" * 8})
        self.assertEqual(code, 403, body)
        self.assertIn("session-unbound", body)
        self.assertIn("consolegate_sessions_store_lookup_seconds_count", b.metrics())

    def test_a_sessions_flows_cross_the_fleet_with_it(self):
        # ELEVATED is allowed for flows = ["custom-broker"] only: its console requests pass only
        # as the sign-in that opened the session. The flow is carried in the store's row, so B,
        # which never saw the sign-in, judges the session as A did.
        a, b = self.replicas
        code, jar = a.sign_in(ELEVATED)
        self.assertEqual(code, 302)
        for cookies in (jar, {k: v for k, v in jar.items() if k != "aws-userInfo"}):
            code, _, body = b.console(cookies)
            self.assertEqual(code, 200, body)
        seen = []

        def console_event():
            seen[:] = [e for e in b.events() if e["account"] == ELEVATED
                       and e["effect"] == "allow" and e["flow"] == "console-session"]
            return seen
        wait_until(console_event, 10, "B's console event for the broker session")
        e = seen[0]
        self.assertEqual((e["rule"], e["also_flows"]), ("broker-sessions", "custom-broker"))
        # A session of that account nobody saw signed in has no flow but console-session, on
        # either replica: unbound, refused.
        for replica in (a, b):
            code, _, body = replica.console({"aws-userInfo": user_info(ELEVATED),
                                             "aws-creds": "c0ffee" * 8})
            self.assertEqual(code, 403, body)
            self.assertIn("session-unbound", body)

    def test_a_sessions_opener_travels_to_the_other_replica(self):
        # alice signs in through A; her cookies presented on B by bob are refused there, since
        # the row A wrote names her as the session's opener; alice herself is let through on B.
        a, b = self.replicas
        code, jar = a.sign_in(SANDBOX, corp="alice")
        self.assertEqual(code, 302)
        code, _, body = b.console(jar, corp="bob")
        self.assertEqual(code, 403, body)
        self.assertIn("session-user-mismatch", body)
        found = []

        def seen():
            found[:] = [e for e in b.events() if e["reason"] == "session-user-mismatch"]
            return bool(found)
        wait_until(seen, 10, "B's event of bob presenting alice's session")
        self.assertEqual((found[-1]["corp_user"], found[-1]["session_corp_user"]),
                         ("bob", "alice"))
        code, _, body = b.console(jar, corp="alice")
        self.assertEqual(code, 200, body)

    def test_a_sign_in_started_on_one_replica_is_continued_on_the_other(self):
        # docs/inspection.md "Session binding" rule 5 across the fleet: the browser signed in to
        # an allowed account and used the session on B; it signs in again through A with a token
        # answered by a bare redirect (demo-oauth), and the console's /oauth callback, which sets
        # the new session's cookies without aws-userInfo, reaches B. B knew the old session
        # unmarked, so it must find A's mark in the store before letting those cookies inherit.
        a, b = self.replicas
        code, jar = a.sign_in(SANDBOX)
        self.assertEqual(code, 302)
        code, _, body = b.console(jar)
        self.assertEqual(code, 200, body)
        cookie = "Cookie: " + "; ".join("%s=%s" % kv for kv in jar.items())
        code, headers, _ = a.curl(
            "https://signin.aws.amazon.com/federation?Action=login&SigninToken=demo-oauth.%s.Admin"
            % PROD, "-H", cookie)
        self.assertEqual(code, 302, headers)
        self.assertEqual(set_cookies(headers), {})
        location = [h.split(":", 1)[1].strip() for h in headers.splitlines()
                    if h.lower().startswith("location:")][0]
        code, headers, _ = b.curl(location, "-H", cookie)
        self.assertEqual(code, 302, headers)
        new = set_cookies(headers)
        self.assertIn("aws-creds", new)
        self.assertNotIn("aws-userInfo", new)
        after = dict(jar, **new)
        for replica in (b, a):
            code, _, body = replica.console(after)
            self.assertEqual(code, 403, body)
            self.assertIn("session-unbound", body)
        # The first session is still what AWS said it was, on both.
        for replica in (a, b):
            code, _, body = replica.console(jar)
            self.assertEqual(code, 200, body)

    def test_a_replica_with_another_key_is_refused_at_start(self):
        c = SessionReplica(self.cluster, key=OTHER_KEY)
        try:
            c.start_origin()
            c.start_unbound()
            c.write_config()
            r = subprocess.run([BINARY, "run", "--config", c.config], capture_output=True,
                               text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("sessions.key_file", r.stderr)
            self.assertIn("never match", r.stderr)
        finally:
            c.close()

    def test_zz_with_postgresql_stopped_bindings_hold_locally_and_others_fail_closed(self):
        a, b = self.replicas
        code, before = a.sign_in(SANDBOX)
        self.assertEqual(code, 302)
        self.assertEqual(b.console(before)[0], 200)  # B has it now
        r = self.cluster.pg_ctl("-m", "fast", "stop")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            # A sign-in through A: answered after at most the store's deadline, bound on A.
            t0 = time.monotonic()
            code, jar = a.sign_in(SANDBOX)
            self.assertEqual(code, 302)
            self.assertLess(time.monotonic() - t0, STORE_TIMEOUT + 5)
            self.assertEqual(a.console(jar)[0], 200)
            wait_until(lambda: a.metric('consolegate_sessions_store_failures_total'
                                        '{operation="write",why="error"}') +
                       a.metric('consolegate_sessions_store_failures_total'
                                '{operation="write",why="timeout"}') >= 1, 10,
                       "A's failed write counted")
            self.assertGreaterEqual(a.metric("consolegate_sessions_store_backlog"), 1)
            # B cannot look it up: unbound there (fail closed), counted.
            code, _, body = b.console({k: v for k, v in jar.items() if k != "aws-userInfo"})
            self.assertEqual(code, 403, body)
            self.assertIn("session-unbound", body)
            self.assertGreaterEqual(
                b.metric('consolegate_sessions_store_failures_total'
                         '{operation="lookup",why="error"}') +
                b.metric('consolegate_sessions_store_failures_total'
                         '{operation="lookup",why="timeout"}'), 1)
            # What B had already learned still holds.
            self.assertEqual(b.console(before)[0], 200)
        finally:
            r = self.cluster.pg_ctl("start")
            self.assertEqual(r.returncode, 0, r.stderr)
        # Back: A writes its backlog, and B then honours the session (after its negative TTL).
        wait_until(lambda: a.metric("consolegate_sessions_store_backlog") == 0, 20,
                   "A's backlog written")

        def honoured():
            return b.console({k: v for k, v in jar.items() if k != "aws-userInfo"})[0] == 200
        wait_until(honoured, 20, "B honouring the session once the store is back")


class PortalReplica(SessionReplica):
    """A replica sharing its sessions, and so its portal users, with the access portal's API host
    answered by its demo origin and TEAM items for carol."""

    def __init__(self, cluster):
        Replica.__init__(self, cluster, team_items=team_items(), override_hosts=[PORTAL],
                         extra_toml='[sessions]\nstore = "postgres"\nkey_file = "sessions.key"\n'
                                    'store_timeout = "%dms"\nnegative_ttl = "10m"\n'
                                    '[identity]\ntrusted_header = "X-Authenticated-User"\n'
                                    'trusted_header_from = ["127.0.0.0/8"]\n'
                                    % int(STORE_TIMEOUT * 1000))
        self.key = FLEET_KEY

    def portal(self, url, tok, corp=None):
        return self.curl(url, "-H", "Accept: application/json", "-H",
                         "x-amz-sso_bearer_token: " + tok,
                         *(["-H", "X-Authenticated-User: " + corp] if corp else []))

    def event_of(self, marker):
        found = []

        def seen():
            found[:] = [e for e in self.events() if e.get("flow") == "identity-center"
                        and "mark_" + marker in e.get("query", "").split("&")]
            return len(found) == 1
        wait_until(seen, 10, "the event of " + marker)
        return found[0]


class SharedPortalUsersTest(TwoReplicas):
    replica_class = PortalReplica

    def test_a_portal_user_learned_through_one_replica_names_the_token_on_the_other(self):
        a, b = self.replicas
        carol, dave = token("carol", 5), token("dave", 5)
        # The portal's first calls reach B before anyone named the token (found absent there;
        # negative_ttl is ten minutes, and must not hide what A learns next).
        code, _, body = b.portal(CREDENTIALS + "&mark_before", carol)
        self.assertEqual(code, 403, body)
        self.assertEqual(b.event_of("before")["reason"], "elevation-user-unknown")
        # The page load's GET /user goes through A, which learns carol from AWS's answer.
        for tok in (carol, dave):
            code, _, body = a.portal("https://%s/user" % PORTAL, tok)
            self.assertEqual(code, 200, body)
        self.assertGreaterEqual(a.metric("consolegate_sessions_store_rows_written_total"), 2)
        # The federation clicks go through B: judged for the user AWS named through A.
        code, _, body = b.portal(CREDENTIALS + "&mark_carol", carol)
        self.assertEqual(code, 200, body)
        e = b.event_of("carol")
        self.assertEqual((e["reason"], e["user"], e["identity_source"]),
                         ("elevation-active", "carol", "portal-token"))
        code, _, body = b.portal(CREDENTIALS + "&mark_dave", dave)
        self.assertEqual(code, 403, body)
        e = b.event_of("dave")
        self.assertEqual((e["reason"], e["user"]), ("elevation-missing", "dave"))
        self.assertGreaterEqual(
            b.metric('consolegate_sessions_store_lookup_digests_total{result="hit"}'), 2)
        # The store holds digests and users, never a token.
        rows = self.cluster_rows()
        self.assertTrue(any('"portal_user":"carol"' in r for r in rows), rows)
        self.assertFalse(any(carol in r or dave in r for r in rows), rows)

    def test_a_copied_token_stays_its_openers_on_the_other_replica(self):
        """carol loads the portal through A; bob, with her copied token, loads it through B
        (whose first /user of the token looks it up, so it learns carol as the opener, not bob)
        and clicks through B: refused session-user-mismatch; carol's own click there passes."""
        a, b = self.replicas
        copied = token("carol", 6)
        code, _, body = a.portal("https://%s/user" % PORTAL, copied, "carol")
        self.assertEqual(code, 200, body)
        code, _, body = b.portal("https://%s/user" % PORTAL, copied, "bob")
        self.assertEqual(code, 200, body)
        code, _, body = b.portal(CREDENTIALS + "&mark_copied-bob", copied, "bob")
        self.assertEqual(code, 403, body)
        e = b.event_of("copied-bob")
        self.assertEqual((e["reason"], e["corp_user"], e["session_corp_user"]),
                         ("session-user-mismatch", "bob", "carol"))
        code, _, body = b.portal(CREDENTIALS + "&mark_copied-carol", copied, "carol")
        self.assertEqual(code, 200, body)
        self.assertEqual(b.event_of("copied-carol")["reason"], "elevation-active")
        rows = self.cluster_rows()
        self.assertTrue(any('"corp_user":"carol"' in r for r in rows), rows)
        self.assertFalse(any('"corp_user":"bob"' in r for r in rows), rows)

    def cluster_rows(self):
        r = subprocess.run(self.cluster.as_user + [os.path.join(self.cluster.bin, "psql"), "-h",
                                                   self.cluster.dir, "-U", "consolegate", "-d",
                                                   "postgres", "-At", "-c",
                                                   "SELECT entry FROM consolegate_session_bindings"],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PGPASSWORD=PASSWORD))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines()


if __name__ == "__main__":
    unittest.main(verbosity=2)
