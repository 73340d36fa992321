"""consolegate end to end: the real binary with its real peers, used the way the README shows."""
import json
import os
import signal
import unittest
import urllib.parse

from harness import (ELEVATED, FOREIGN, PROD, SANDBOX, SANDBOX_NESTED, Gateway, run, wait_until)


def user_info_cookie(account, role="Admin", session="alice"):
    info = {"arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role, session),
            "alias": "", "username": "assumed-role/%s/%s" % (role, session),
            "keybase": "", "issuer": "https://signin.aws.amazon.com", "signinType": "PUBLIC"}
    return "aws-userInfo=" + urllib.parse.quote(json.dumps(info, separators=(",", ":")))


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway().start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    # --- DNS ---
    def test_dns_steers_console_names_and_forwards_the_rest(self):
        self.assertIn("127.0.0.1", self.gw.dig("console.aws.amazon.com", "A", "+short"))
        self.assertIn("127.0.0.1", self.gw.dig("123456789012.signin.aws.amazon.com", "A", "+short"))
        # Upstream has a different answer for signin: the gateway's own must win.
        self.assertNotIn("198.51.100.1", self.gw.dig("signin.aws.amazon.com", "A", "+short"))
        self.assertIn("192.0.2.80", self.gw.dig("www.example.test", "A", "+short"))
        self.assertIn("192.0.2.44", self.gw.dig("docs.aws.amazon.com", "A", "+short"))  # exception
        self.assertIn("status: NXDOMAIN", self.gw.dig("use-application-dns.net"))
        aaaa = self.gw.dig("console.aws.amazon.com", "AAAA")
        self.assertIn("status: NOERROR", aaaa)
        self.assertIn("ANSWER: 0", aaaa)  # NODATA: no IPv6 steering address configured

    # --- proxy + policy + audit ---
    def test_allowed_account_reaches_the_origin_through_connect(self):
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX)
        self.assertEqual(code, 200, body)
        self.assertIn("demo origin", body)

    def test_nested_ou_account_with_leading_zero_is_allowed(self):
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX_NESTED)
        self.assertEqual(code, 200, body)

    def test_denied_account_gets_the_block_page_and_the_event_is_logged(self):
        code, headers, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % PROD,
                                           "-H", "Accept: text/html", "-H", "Sec-Fetch-Mode: navigate")
        self.assertEqual(code, 403, body)
        self.assertIn(PROD, body)
        self.assertNotIn("demo origin", body)
        events = [e for e in self.gw.events() if e["account"] == PROD]
        # The audit sink flushes every 200 ms; wait for it without sleeping blindly.
        for _ in range(100):
            if events:
                break
            import time
            time.sleep(0.05)
            events = [e for e in self.gw.events() if e["account"] == PROD]
        self.assertTrue(events, "no audit event for the blocked attempt")
        self.assertIn(events[-1]["id"], body)  # the block page shows the event ID
        self.assertEqual(events[-1]["effect"], "deny")
        self.assertEqual(events[-1]["rule"], "no-prod")

    def _same_request_on_one_connection(self, url, times):
        """curl fetches `url` `times` times over one keep-alive connection (then closes it)."""
        args = ["curl", "-sS", "--max-time", "20", "--cacert", os.path.join(self.gw.ca_dir, "ca.crt"),
                "-x", "http://127.0.0.1:%d" % self.gw.ports["connect"],
                "-w", "%{http_code} %{num_connects}\n"]
        r = run(args + ["-o", "/dev/null", url] * times, timeout=30)
        lines = r.stdout.split()
        return lines[0::2], [int(n) for n in lines[1::2]]

    def test_repeated_allowed_requests_are_counted_and_denials_written_each(self):
        # docs/audit.md "Repeated requests": N identical allowed requests on one connection make
        # two events (the first, then count N-1, written when the connection ends); each
        # identical denial is its own event.
        url = "https://%s.signin.aws.amazon.com/console?repeat-test=1" % SANDBOX
        codes, connects = self._same_request_on_one_connection(url, 5)
        self.assertEqual(codes, ["200"] * 5)
        self.assertEqual(sum(connects), 1, "curl did not reuse its connection")
        denied = "https://%s.signin.aws.amazon.com/console?repeat-test=1" % PROD
        codes, connects = self._same_request_on_one_connection(denied, 3)
        self.assertEqual(codes, ["403"] * 3)
        self.assertEqual(sum(connects), 1)

        def mine(account):
            return [e for e in self.gw.events() if e["account"] == account and "repeat-test" in e["query"]]
        wait_until(lambda: len(mine(SANDBOX)) == 2 and len(mine(PROD)) == 3, 10,
                   "the counted repeats and the denials in the record")
        first, counted = mine(SANDBOX)
        self.assertEqual((first["count"], first["time_last"]), (1, ""))
        self.assertEqual(counted["count"], 4)
        self.assertLessEqual(counted["time"], counted["time_last"])
        self.assertLessEqual(first["time"], counted["time"])
        self.assertNotEqual(first["id"], counted["id"])
        same = dict(counted, id=first["id"], time=first["time"], time_last="", count=1)
        self.assertEqual(same, first)
        self.assertTrue(all(e["count"] == 1 and e["effect"] == "deny" for e in mine(PROD)))
        self.assertEqual(len({e["id"] for e in mine(PROD)}), 3)
        # The SQLite store holds the count too, and `logs` shows it after the decision.
        wait_until(lambda: "allow x4" in self.gw.cli("logs", "--config", self.gw.config,
                                                      "--account", SANDBOX).stdout, 10,
                   "the count in `consolegate logs`")

    def test_unknown_account_is_denied_by_default_json_for_xhr(self):
        code, headers, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % FOREIGN,
                                           "-H", "Accept: application/json", "-H", "Sec-Fetch-Mode: cors")
        self.assertEqual(code, 403)
        doc = json.loads(body)
        self.assertEqual(doc["account"], FOREIGN)
        self.assertEqual(doc["reason_code"], "default-deny")
        self.assertIn("not on the list", doc["reason"])

    def test_form_post_with_alias_is_resolved(self):
        code, _, body = self.gw.curl("https://signin.aws.amazon.com/authenticate",
                                     "--data", "action=iam-user-authentication&account=prod-main&username=bob&password=hunter2")
        self.assertEqual(code, 403, body)
        code, _, body = self.gw.curl("https://signin.aws.amazon.com/authenticate",
                                     "--data", "action=iam-user-authentication&account=sandbox-main&username=bob&password=x")
        self.assertEqual(code, 200, body)
        # Secrets never reach the log.
        with open(os.path.join(self.gw.dir, "audit.jsonl")) as f:
            self.assertNotIn("hunter2", f.read())

    def test_post_auth_cookie_for_a_forbidden_account_is_blocked_and_expired(self):
        code, headers, body = self.gw.curl("https://console.aws.amazon.com/console/home",
                                           "-H", "Cookie: " + user_info_cookie(PROD))
        self.assertEqual(code, 403, body)
        lower = headers.lower()
        self.assertIn("set-cookie: aws-userinfo=", lower)
        self.assertIn("max-age=0", lower)
        code, _, body = self.gw.curl("https://console.aws.amazon.com/console/home",
                                     "-H", "Cookie: " + user_info_cookie(SANDBOX))
        self.assertEqual(code, 200, body)

    def test_elevation_gated_account_without_elevation_is_denied(self):
        code, _, body = self.gw.curl("https://console.aws.amazon.com/console/home",
                                     "-H", "Cookie: " + user_info_cookie(ELEVATED, "AWSReservedSSO_Admin_0123456789abcdef", "carol"))
        self.assertEqual(code, 403, body)
        self.assertIn("elevation", body.lower())

    def test_sni_listener_bumps_with_a_leaf_for_the_exact_host(self):
        host = "%s.signin.aws.amazon.com" % SANDBOX
        r = run(["sh", "-c", "echo | openssl s_client -connect 127.0.0.1:%d -servername %s 2>/dev/null "
                 "| openssl x509 -noout -ext subjectAltName -issuer" % (self.gw.ports["sni"], host)], timeout=20)
        self.assertIn("DNS:" + host, r.stdout)
        self.assertIn("e2e corporate CA", r.stdout)
        code, _, body = self.gw.curl("https://%s/console" % host, via="sni")
        self.assertEqual(code, 200, body)

    def test_not_inspected_host_is_resolved_upstream_and_spliced_untouched(self):
        # origin.example.test resolves (through the upstream resolver, via c-ares) to the demo
        # origin; it is not a console name, so the proxy relays bytes and the client sees the
        # origin's own certificate, which only the origin's CA verifies.
        port = self.gw.ports["origin"]
        r = run(["curl", "-sS", "--max-time", "20", "-x", "http://127.0.0.1:%d" % self.gw.ports["connect"],
                 "--cacert", os.path.join(self.gw.origin_dir, "upstream-ca.pem"),
                 "-w", "\n%{http_code}", "https://localhost:%d/x" % port,
                 "--connect-to", "localhost:%d:origin.example.test:%d" % (port, port)], timeout=30)
        self.assertTrue(r.stdout.endswith("200"), r.stdout + r.stderr)
        self.assertIn("demo origin", r.stdout)
        self.assertIn("consolegate_proxy_spliced_total", self.gw.metrics())

    def test_destination_resolving_to_a_refused_address_is_refused(self):
        # inside.example.test resolves to ::1, loopback but outside allow_destinations
        # (127.0.0.0/8 only): refused before any connection is made.
        r = run(["curl", "-sS", "--max-time", "20", "-x", "http://127.0.0.1:%d" % self.gw.ports["connect"],
                 "-o", "/dev/null", "-w", "%{http_connect}", "https://inside.example.test:%d/" % self.gw.ports["origin"]],
                timeout=30)
        self.assertEqual(r.stdout, "403", r.stderr)  # the CONNECT's own status

    def test_logs_and_metrics_show_the_blocked_attempt(self):
        self.gw.curl("https://%s.signin.aws.amazon.com/console" % PROD)
        import time
        for _ in range(100):
            r = self.gw.cli("logs", "--file", os.path.join(self.gw.dir, "audit.jsonl"), "--decision", "deny", "--format", "json")
            if PROD in r.stdout:
                break
            time.sleep(0.05)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(PROD, r.stdout)
        self.assertNotIn('"effect":"allow"', r.stdout)
        self.assertIn("consolegate_", self.gw.metrics())


class ElevationRecordTest(unittest.TestCase):
    """The record names the TEAM request that let a gated sign-in through, and the one that ended."""

    def test_events_carry_the_team_request_ticket_and_end(self):
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        items = [
            {"id": "req-active", "username": "idc_carol", "accountId": ELEVATED, "role": "Admin",
             "startTime": stamp(now - datetime.timedelta(hours=1)), "duration": "2",
             "status": "in progress", "ticketNo": "CHG-7"},
            # Ended half an hour ago: within team.expired_lookback, so "expired", not "missing".
            {"id": "req-ended", "username": "idc_dave", "accountId": ELEVATED, "role": "Admin",
             "startTime": stamp(now - datetime.timedelta(minutes=150)), "duration": "2",
             "status": "in progress", "ticketNo": "CHG-6"},
        ]
        gw = Gateway(team_items=items)
        try:
            gw.start()
            for user, want in (("carol", 200), ("dave", 403)):
                code, _, body = gw.curl(
                    "https://console.aws.amazon.com/console/home", "-H",
                    "Cookie: " + user_info_cookie(ELEVATED, "AWSReservedSSO_Admin_0123456789abcdef", user))
                self.assertEqual(code, want, body)
            self.assertEqual(gw.stop(signal.SIGTERM), 0, gw.log("consolegate"))
            by_user = {e["user"]: e for e in gw.events() if e["account"] == ELEVATED}
            self.assertEqual(by_user["carol"]["reason"], "elevation-active")
            self.assertEqual(by_user["carol"]["team_request_id"], "req-active")
            self.assertEqual(by_user["carol"]["team_ticket"], "CHG-7")
            self.assertEqual(by_user["carol"]["team_end"], stamp(now + datetime.timedelta(hours=1)))
            self.assertEqual(by_user["dave"]["reason"], "elevation-expired")
            self.assertEqual(by_user["dave"]["team_request_id"], "req-ended")
            self.assertEqual(by_user["dave"]["team_end"], stamp(now - datetime.timedelta(minutes=30)))
        finally:
            gw.close()


class ElevationViewTest(unittest.TestCase):
    """What the gateway believes about TEAM, as operators and reviewers see it: /api/elevations
    (reviewer token, filters, refusals), the feed's metrics and readiness."""

    def test_elevations_api_metrics_and_readiness(self):
        import datetime
        import urllib.error
        import urllib.request
        from harness import REVIEWER_TOKEN
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        items = [
            {"id": "req-carol", "username": "idc_carol", "accountId": ELEVATED, "role": "Admin",
             "startTime": stamp(now - datetime.timedelta(hours=1)), "duration": "2",
             "status": "in progress", "ticketNo": "CHG-7"},
            {"id": "req-erin", "username": "idc_erin", "accountId": SANDBOX, "role": "ReadOnly",
             "startTime": stamp(now - datetime.timedelta(minutes=5)), "duration": "1",
             "status": "in progress", "ticketNo": "CHG-8"},
            # Not in progress: TEAM grants nothing for it, so the gateway lists nothing either.
            {"id": "req-frank", "username": "idc_frank", "accountId": ELEVATED, "role": "Admin",
             "startTime": stamp(now - datetime.timedelta(minutes=5)), "duration": "1",
             "status": "approved", "ticketNo": "CHG-9"},
        ]
        gw = Gateway(team_items=items)
        try:
            gw.start()
            base = "http://127.0.0.1:%d/api/elevations" % gw.ports["admin"]

            def get(query="", token=REVIEWER_TOKEN):
                headers = {"Authorization": "Bearer " + token} if token else {}
                req = urllib.request.Request(base + query, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        return r.status, r.read().decode()
                except urllib.error.HTTPError as e:
                    return e.code, e.read().decode()

            self.assertEqual(get(token="")[0], 401)
            self.assertEqual(get(token="not-the-token")[0], 401)
            code, body = get()
            self.assertEqual(code, 200, body)
            report = json.loads(body)
            self.assertTrue(report["feed"]["available"], report)
            self.assertEqual(report["feed"]["in_progress"], 2, report)
            self.assertEqual(sorted(e["id"] for e in report["elevations"]),
                             ["req-carol", "req-erin"])
            carol = next(e for e in report["elevations"] if e["id"] == "req-carol")
            self.assertEqual((carol["user"], carol["account"], carol["permission_set"],
                              carol["ticket"]), ("carol", ELEVATED, "Admin", "CHG-7"))
            self.assertEqual(carol["end"], stamp(now + datetime.timedelta(hours=1)))
            code, body = get("?user=ERIN")  # user names compare without case
            self.assertEqual([e["id"] for e in json.loads(body)["elevations"]], ["req-erin"])
            code, body = get("?account=" + ELEVATED)
            self.assertEqual([e["id"] for e in json.loads(body)["elevations"]], ["req-carol"])
            self.assertEqual(get("?account=12345")[0], 400)

            metrics = gw.metrics()
            self.assertRegex(metrics, r"(?m)^consolegate_team_feed_available 1$")
            self.assertRegex(metrics, r"(?m)^consolegate_team_elevations_in_progress 2$")
            self.assertTrue(gw.ready())
        finally:
            gw.close()


class Dynalite:
    """dynalite (tests/support/team, npm) as TEAM's DynamoDB, with TEAM's `requests` table and
    its byStatus index. Requests carry a SigV4-shaped Authorization header: dynalite checks its
    form, not its signature (the gateway's own signer is tested against AWS's suite)."""

    def __init__(self):
        import subprocess
        here = os.path.dirname(os.path.abspath(__file__))
        script = os.path.join(here, "..", "..", "support", "team", "dynalite_serve.js")
        if not os.path.isdir(os.path.join(os.path.dirname(script), "node_modules", "dynalite")):
            raise unittest.SkipTest("dynalite is not installed: run scripts/setup.sh")
        self.proc = subprocess.Popen(["node", script, "0"], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = "http://127.0.0.1:%d" % self.port
        key = lambda n: {"AttributeName": n, "AttributeType": "S"}
        self.call("CreateTable", {
            "TableName": "requests",
            "AttributeDefinitions": [key("id"), key("status")],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{
                "IndexName": "byStatus",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}})
        # Usable once ACTIVE (dynalite creates in the background, as DynamoDB does).
        wait_until(lambda: self.call("DescribeTable", {"TableName": "requests"})
                   ["Table"]["TableStatus"] == "ACTIVE", 20, "the TEAM table ACTIVE")

    def call(self, op, body):
        import datetime
        import urllib.request
        now = datetime.datetime.now(datetime.timezone.utc)
        req = urllib.request.Request(self.url + "/", data=json.dumps(body).encode(), headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810." + op,
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/eu-west-1/dynamodb/"
                             "aws4_request, SignedHeaders=host;x-amz-date, Signature=%s"
                             % (now.strftime("%Y%m%d"), "0" * 64)})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def put(self, item):
        self.call("PutItem", {"TableName": "requests",
                              "Item": {k: {"S": v} for k, v in item.items()}})

    def set_status(self, request_id, status):
        self.call("UpdateItem", {"TableName": "requests", "Key": {"id": {"S": request_id}},
                                 "UpdateExpression": "SET #s = :s",
                                 "ExpressionAttributeNames": {"#s": "status"},
                                 "ExpressionAttributeValues": {":s": {"S": status}}})

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class TeamLiveTest(unittest.TestCase):
    """TEAM read live from its DynamoDB table: an elevated person's console session works; TEAM
    revokes the request (AWS's own console session would stay valid until it times out); the
    gateway cuts that session at its first request after the next poll, and says so."""

    def test_a_revoked_elevation_cuts_the_console_session_at_its_next_request(self):
        import datetime
        dyn = Dynalite()
        now = datetime.datetime.now(datetime.timezone.utc)
        dyn.put({"id": "req-live", "username": "idc_carol", "email": "carol@corp",
                 "accountId": ELEVATED, "accountName": "break-glass", "role": "Admin",
                 "startTime": (now - datetime.timedelta(minutes=10)).strftime(
                     "%Y-%m-%dT%H:%M:%S.000Z"),
                 "duration": "2", "status": "in progress", "ticketNo": "CHG-42"})

        class LiveTeamGateway(Gateway):
            def write_config(self):
                path = super().write_config()
                with open(path) as f:
                    text = f.read()
                old = 'snapshot_file = "team.json"\n'
                assert old in text, "harness config changed"
                text = text.replace(old, "").replace(
                    "[audit]", '[team.dynamodb]\nendpoint = "%s"\nregion = "eu-west-1"\n'
                    'poll_interval = "1s"\n\n[audit]' % dyn.url, 1)
                with open(path, "w") as f:
                    f.write(text)
                return path

        saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        os.environ.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="e2e-secret")
        gw = LiveTeamGateway()
        try:
            gw.start()
            cookie = "Cookie: " + user_info_cookie(
                ELEVATED, "AWSReservedSSO_Admin_0123456789abcdef", "carol")
            url = "https://console.aws.amazon.com/console/home"
            wait_until(lambda: gw.curl(url, "-H", cookie)[0] == 200, 15, "carol's elevation")
            dyn.set_status("req-live", "revoked")
            # The next poll (1 s) removes it; the very next request is then refused.
            wait_until(lambda: gw.curl(url, "-H", cookie)[0] == 403, 15, "the revocation")
            code, _, body = gw.curl(url, "-H", cookie)
            self.assertEqual(code, 403, body)
            # The block page says which elevation ended, and when (issue 13 point 5).
            self.assertIn("your elevation req-live (ticket CHG-42) ended at 20", body)
            # The feed lists only requests in progress: a revoked one is gone, and the gateway,
            # which saw it, names it as the elevation that ended (not "missing").
            def cut():
                return [e for e in gw.events() if e["user"] == "carol" and e["effect"] == "deny"]
            wait_until(cut, 10, "the refusal in the record")
            self.assertEqual(cut()[0]["reason"], "elevation-expired")
            self.assertEqual(cut()[0]["team_request_id"], "req-live")
            allowed = [e for e in gw.events() if e["user"] == "carol" and e["effect"] == "allow"]
            self.assertTrue(allowed)
            self.assertEqual(allowed[0]["reason"], "elevation-active")
            self.assertEqual(allowed[0]["team_request_id"], "req-live")
            self.assertEqual(allowed[0]["team_ticket"], "CHG-42")
            self.assertRegex(gw.metrics(), r"(?m)^consolegate_team_elevations_in_progress 0$")
        finally:
            gw.close()
            dyn.close()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


class ShutdownTest(unittest.TestCase):
    def test_invalid_config_is_refused_at_start_and_leaves_nothing_running(self):
        gw = Gateway(policy_toml='[[policy.rule]]\nname = "x"\neffect = "allow"\naccounts = ["1"]\n')
        with self.assertRaises(AssertionError) as failure:
            gw.start()
        self.assertIn("consolegate exited 2", str(failure.exception))
        self.assertIn("consolegate.toml:", str(failure.exception))  # FILE:LINE:COL diagnostics
        # No process started for this gateway (unbound, the origin, consolegate) is still alive:
        # each was started with a path inside gw.dir on its command line.
        alive = run(["pgrep", "-f", gw.dir]).stdout.split()
        self.assertEqual(alive, [])
        self.assertFalse(os.path.exists(gw.dir))

    def test_sigterm_flushes_every_event_and_exits_zero(self):
        gw = Gateway(extra_toml="")
        try:
            gw.start()
            for _ in range(5):
                gw.curl("https://%s.signin.aws.amazon.com/console" % PROD)
            self.assertEqual(gw.stop(signal.SIGTERM), 0, gw.log("consolegate"))
            self.assertEqual(len([e for e in gw.events() if e["account"] == PROD]), 5)
        finally:
            gw.close()

    def test_reload_refuses_a_bad_config_and_applies_a_good_one(self):
        gw = Gateway()
        try:
            gw.start()
            with open(gw.config) as f:
                good = f.read()
            # A broken rule: refused with file:line:col, and the running policy stays.
            with open(gw.config, "a") as f:
                f.write('\n[[policy.rule]]\nname = "broken"\neffect = "allow"\naccounts = ["12345"]\n')
            code, body = gw.admin_post("/reload")
            self.assertEqual(code, 409, body)
            self.assertIn(gw.config + ":", body)
            self.assertIn('consolegate_config_reloads_total{result="refused"} 1', gw.metrics())
            self.assertEqual(gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX)[0], 200)
            self.assertTrue(gw.ready())
            # A valid change through SIGHUP: the sandbox account is now denied.
            with open(gw.config, "w") as f:
                f.write(good + '\n[[policy.rule]]\nname = "sandbox-closed"\neffect = "deny"\n'
                        'accounts = ["%s"]\n' % SANDBOX)
            gw.gw.send_signal(signal.SIGHUP)
            import time
            deadline = time.monotonic() + 20
            while 'reloads_total{result="ok"} 1' not in gw.metrics():
                self.assertLess(time.monotonic(), deadline, "SIGHUP reload did not happen")
                time.sleep(0.05)
            code, _, body = gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX)
            self.assertEqual(code, 403, body)
            self.assertIn("sandbox-closed", body)
        finally:
            gw.close()

if __name__ == "__main__":
    unittest.main()
