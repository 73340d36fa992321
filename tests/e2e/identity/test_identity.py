"""Who tried: the corporate identity of sign-in attempts through the live gateway.

The address map (admin API with the operator token, the watched file) names the person behind a
client address on the SNI listener; a trusted upstream proxy's header names it on the CONNECT
listener and inside tunnels, only from the configured network, and never reaches the origin. The
identity flows into the policy (a corp_users rule) and into every audit event.
"""
import json
import os
import time
import unittest
import urllib.error
import urllib.request

from harness import (FOREIGN, OPERATOR_TOKEN, ORG, OU_SANDBOX, REVIEWER_TOKEN, ROOT, SANDBOX, Gateway,
                     wait_until)

ALICE = "alice@CORP.EXAMPLE"
HEADER = "X-Authenticated-User"

# FOREIGN is outside the organisation: denied by default, allowed to alice alone.
POLICY = """
[[policy.rule]]
name = "sandbox"
effect = "allow"
accounts = ["%s"]

[[policy.rule]]
name = "alice-foreign"
effect = "allow"
accounts = ["%s"]
corp_users = ["alice@corp.example"]

[[policy.rule]]
name = "no-contractors-in-sandbox"
effect = "deny"
accounts = ["%s"]
corp_groups = ["Contractors"]

# Never matches: FOREIGN is outside the org export, and a rule's selectors are ANDed. Valid; the
# gateway logs check-config's note about it.
[[policy.rule]]
name = "foreign-in-sandbox"
effect = "deny"
accounts = ["%s"]
ou_paths = ["%s/%s/%s/*"]
""" % (SANDBOX, FOREIGN, SANDBOX, FOREIGN, ORG, ROOT, OU_SANDBOX)

IDENTITY = """
[identity]
address_map_file = "address-map.txt"
address_map_max = 3
trusted_header = "%s"
trusted_header_from = ["127.0.0.2/32"]
groups_file = "groups.json"
realms = ["CORP.EXAMPLE", "CORP"]
""" % HEADER


class IdentityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(extra_toml=IDENTITY, policy_toml=POLICY)
        os.makedirs(cls.gw.dir, exist_ok=True)
        with open(os.path.join(cls.gw.dir, "address-map.txt"), "w") as f:
            f.write("# written by the NAC\n127.0.0.9 filed@CORP.EXAMPLE\n")
        with open(os.path.join(cls.gw.dir, "groups.json"), "w") as f:
            json.dump({"CAROL@corp.example": ["contractors"], ALICE: ["engineers"]}, f)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    # ----- helpers -----
    def api(self, method, path, body=None, token=OPERATOR_TOKEN):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.gw.ports["admin"], path),
                                     method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def foreign(self, *extra, via="sni"):
        """A sign-in page request for the foreign account; returns (status, body, event)."""
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % FOREIGN,
                                     "-H", "Accept: application/json", *extra, via=via)
        return code, body, self.event_of(code, body)

    def event_of(self, code, body):
        """The audit event of the attempt just made: the block page names its ID; an allowed
        attempt is the newest event for the account."""
        event_id = json.loads(body).get("event_id") if code == 403 else None
        found = []

        def seen():
            evs = [e for e in self.gw.events() if e["account"] == FOREIGN]
            if event_id:
                evs = [e for e in evs if e["id"] == event_id]
            found[:] = evs
            return bool(evs) and (event_id or len(evs) > self.count_before)
        wait_until(seen, 10, "the attempt's audit event")
        self.count_before = len([e for e in self.gw.events() if e["account"] == FOREIGN])
        return found[-1]

    def setUp(self):
        self.count_before = len([e for e in self.gw.events() if e["account"] == FOREIGN])

    # ----- the address map -----
    def test_a_pushed_mapping_identifies_the_sni_client_until_it_is_removed(self):
        code, body, ev = self.foreign()
        self.assertEqual(code, 403, body)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), ("", "none"))

        code, body = self.api("POST", "/api/address-map",
                              {"address": "127.0.0.1", "user": ALICE, "ttl_seconds": 600})
        self.assertEqual(code, 200, body)
        try:
            code, body, ev = self.foreign()
            self.assertEqual(code, 200, body)  # the corp_users rule allows alice
            self.assertEqual((ev["corp_user"], ev["corp_source"]), (ALICE, "address-map"))
            self.assertEqual(ev["rule"], "alice-foreign")
            # A newer push for the address replaces the mapping.
            code, body = self.api("POST", "/api/address-map",
                                  {"address": "127.0.0.1", "user": "bob@CORP.EXAMPLE",
                                   "ttl_seconds": 600})
            self.assertIn('"replaced":1', body)
            code, body, ev = self.foreign()
            self.assertEqual(code, 403, body)
            self.assertEqual((ev["corp_user"], ev["corp_source"]), ("bob@CORP.EXAMPLE", "address-map"))
            # The listing is reviewer material; both origins show.
            code, listing = self.api("GET", "/api/address-map", token=REVIEWER_TOKEN)
            self.assertEqual(code, 200)
            rows = [json.loads(line) for line in listing.splitlines()]
            self.assertIn({"address": "127.0.0.1", "user": "bob@CORP.EXAMPLE", "origin": "api"},
                          [{k: r[k] for k in ("address", "user", "origin")} for r in rows])
            self.assertIn("filed@CORP.EXAMPLE", listing)
        finally:
            code, body = self.api("DELETE", "/api/address-map/127.0.0.1")
        self.assertEqual(code, 200, body)
        code, body, ev = self.foreign()
        self.assertEqual(code, 403, body)
        self.assertEqual(ev["corp_source"], "none")

    def test_forwarding_headers_from_a_client_never_change_who_or_where_it_is(self):
        # 127.0.0.9 is filed@CORP.EXAMPLE in the watched file; a client at 127.0.0.1 naming that
        # address in every forwarding header a server might read stays itself (kept closed: the
        # client address comes from the socket or a balancer's PROXY header, never a request).
        spoof = ["-H", "X-Forwarded-For: 127.0.0.9", "-H", "X-Real-IP: 127.0.0.9",
                 "-H", "Forwarded: for=127.0.0.9", "-H", "True-Client-IP: 127.0.0.9",
                 "-H", "Client-IP: 127.0.0.9", "-H", "X-Client-IP: 127.0.0.9"]
        for via in ("sni", "connect"):
            code, body, ev = self.foreign(*spoof, via=via)
            self.assertEqual(code, 403, via + ": " + body)
            self.assertEqual((ev["corp_user"], ev["corp_source"]), ("", "none"), via)
            self.assertEqual(ev["client"], "127.0.0.1", via)

    def test_changes_need_the_operator_token_in_the_header(self):
        push = {"address": "127.0.0.1", "user": ALICE, "ttl_seconds": 60}
        self.assertEqual(self.api("POST", "/api/address-map", push, token=None)[0], 401)
        self.assertEqual(self.api("POST", "/api/address-map", push, token=REVIEWER_TOKEN)[0], 401)
        self.assertEqual(self.api("DELETE", "/api/address-map/127.0.0.1", token=REVIEWER_TOKEN)[0], 401)
        self.assertEqual(self.api("GET", "/api/address-map", token=None)[0], 401)
        code, body = self.api("POST", "/api/address-map", {"address": "127.0.0.1", "user": ALICE})
        self.assertEqual(code, 400)
        self.assertIn("ttl_seconds", body)
        code, body = self.api("POST", "/api/address-map", dict(push, ttl_seconds=30 * 86400))
        self.assertEqual(code, 400)  # beyond address_map_max_ttl (7 days)
        code, _ = self.api("GET", "/api/address-map", token=REVIEWER_TOKEN)
        self.assertEqual(code, 200)

    def test_a_full_map_refuses_new_addresses_and_counts_them(self):
        # address_map_max = 3 and the file holds one mapping: room for two pushes.
        pushes = [{"address": "127.0.1.%d" % i, "user": "u%d" % i, "ttl_seconds": 60} for i in range(3)]
        code, body = self.api("POST", "/api/address-map", pushes)
        try:
            self.assertEqual(code, 507, body)
            self.assertIn('"refused_full":1', body)
            self.assertRegex(self.gw.metrics(), r"consolegate_identity_address_map_refused_full_total [1-9]")
            self.assertIn("address map full", self.gw.log("consolegate"))
        finally:
            for p in pushes:
                self.api("DELETE", "/api/address-map/" + p["address"])

    def test_the_watched_file_is_reloaded_when_it_changes_and_survives_a_reload(self):
        path = os.path.join(self.gw.dir, "address-map.txt")
        with open(path, "w") as f:
            f.write("127.0.0.1 %s\n127.0.0.9 filed@CORP.EXAMPLE\n" % ALICE)
        os.utime(path, (time.time() + 5, time.time() + 5))  # a distinct modification time
        try:
            def listed():
                return ALICE in self.api("GET", "/api/address-map", token=REVIEWER_TOKEN)[1]
            wait_until(listed, 10, "the changed file to be loaded")
            code, body, ev = self.foreign()
            self.assertEqual(code, 200, body)
            self.assertEqual((ev["corp_user"], ev["corp_source"]), (ALICE, "address-map"))
            # A reload keeps the map.
            self.assertEqual(self.gw.admin_post("/reload")[0], 200)
            code, body, ev = self.foreign()
            self.assertEqual(ev["corp_source"], "address-map")
            # A broken file is refused whole; what was loaded stays.
            with open(path, "w") as f:
                f.write("127.0.0.1 two words\n")
            os.utime(path, (time.time() + 10, time.time() + 10))
            wait_until(lambda: "address map file refused" in self.gw.log("consolegate"), 10,
                       "the broken file to be refused")
            self.assertTrue(listed())
        finally:
            with open(path, "w") as f:
                f.write("127.0.0.9 filed@CORP.EXAMPLE\n")
            os.utime(path, (time.time() + 15, time.time() + 15))
            wait_until(lambda: ALICE not in self.api("GET", "/api/address-map", token=REVIEWER_TOKEN)[1],
                       10, "the file to be restored")

    # ----- the trusted header -----
    def test_the_header_on_connect_identifies_a_trusted_proxy_only(self):
        code, body, ev = self.foreign("--interface", "127.0.0.2", "--proxy-header",
                                      "%s: %s" % (HEADER, ALICE), via="connect")
        self.assertEqual(code, 200, body)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), (ALICE, "header"))
        code, body, ev = self.foreign("--proxy-header", "%s: %s" % (HEADER, ALICE), via="connect")
        self.assertEqual(code, 403, body)  # 127.0.0.1 is not the trusted proxy
        self.assertEqual(ev["corp_source"], "none")
        self.assertIn("outside identity.trusted_header_from", self.gw.log("consolegate"))

    def test_the_header_inside_a_tunnel_is_honoured_from_the_trusted_proxy_and_never_forwarded(self):
        before = len(self.gw.origin_requests())
        code, body, ev = self.foreign("--interface", "127.0.0.2", "-H", "%s: %s" % (HEADER, ALICE),
                                      via="connect")
        self.assertEqual(code, 200, body)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), (ALICE, "header"))
        code, body, _ = self.foreign("-H", "%s: %s" % (HEADER, ALICE), via="connect")
        self.assertEqual(code, 403, body)
        # Allowed requests to the sandbox from anyone: the header never reaches the origin.
        for extra in (["--interface", "127.0.0.2"], []):
            code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX,
                                         "-H", "%s: %s" % (HEADER, ALICE), *extra)
            self.assertEqual(code, 200, body)
        received = self.gw.origin_requests()[before:]
        self.assertGreaterEqual(len(received), 3)
        for r in received:
            self.assertNotIn(HEADER.lower(), [k.lower() for k, _ in r["headers"]])

    def test_the_header_on_the_sni_listener_names_nobody_even_from_the_trusted_network(self):
        # Evasion: on :443 the request arrives inside TLS from whoever opened the connection; a
        # NAT or relay in trusted_header_from in front of :443 forwards clients' own TLS, so a
        # header there was the client naming itself. 127.0.0.2 is the trusted network: alice's
        # rule must not apply, and the header never reaches the origin.
        # Each such request is counted (consolegate_proxy_user_header_ignored_total), so a site
        # sees clients, or a relay in front of :443, sending it; one believed on a CONNECT is not.
        def ignored_count():
            return int(self.gw.metric("consolegate_proxy_user_header_ignored_total"))
        before = len(self.gw.origin_requests())
        count_before = ignored_count()
        code, body, ev = self.foreign("--interface", "127.0.0.2", "-H",
                                      "%s: %s" % (HEADER, ALICE), via="sni")
        self.assertEqual(code, 403, body)
        self.assertNotEqual(ev["corp_source"], "header")
        self.assertNotEqual(ev["corp_user"], ALICE)
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX,
                                     "--interface", "127.0.0.2", "-H",
                                     "%s: %s" % (HEADER, ALICE), via="sni")
        self.assertEqual(code, 200, body)
        for r in self.gw.origin_requests()[before:]:
            self.assertNotIn(HEADER.lower(), [k.lower() for k, _ in r["headers"]])
        self.assertEqual(ignored_count(), count_before + 2)
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX,
                                     "--interface", "127.0.0.2", "--proxy-header",
                                     "%s: %s" % (HEADER, ALICE), "-H",
                                     "%s: %s" % (HEADER, ALICE), via="connect")
        self.assertEqual(code, 200, body)
        self.assertEqual(ignored_count(), count_before + 2)

    def test_a_tunnel_the_connect_named_stays_that_users_inside(self):
        # Evasion: a chaining proxy that does not inspect writes the header on the CONNECT and
        # relays the tunnel's TLS, which it cannot read: a header the browser puts on a request
        # inside spoke for anyone, because the bytes came from the trusted proxy's address. Such
        # a request naming another user is refused and recorded; the same user is that user.
        bob = "bob@CORP.EXAMPLE"
        before = len(self.gw.origin_requests())
        events_before = len(self.gw.events())
        for inner in (ALICE, "ALICE@corp.example"):
            with self.subTest(inner=inner):
                code, _, body = self.gw.curl(
                    "https://%s.signin.aws.amazon.com/console" % FOREIGN, "--interface",
                    "127.0.0.2", "--proxy-header", "%s: %s" % (HEADER, bob), "-H",
                    "%s: %s" % (HEADER, inner))
                self.assertEqual(code, 403, body)
                self.assertIn("another user", body)

        def refused():
            return [e for e in self.gw.events()[events_before:]
                    if e.get("flow") == "refused" and e["reason"].startswith("identity-conflict")]
        wait_until(lambda: len(refused()) == 2, 10, "both refusals in the record")
        self.assertEqual({(e["corp_user"], e["corp_source"]) for e in refused()}, {(bob, "header")})
        self.assertEqual(len(self.gw.origin_requests()), before)
        # The tunnel's own user inside it (any case) is that user: alice's rule allows her.
        code, body, ev = self.foreign("--interface", "127.0.0.2", "--proxy-header",
                                      "%s: %s" % (HEADER, ALICE), "-H",
                                      "%s: alice@corp.example" % HEADER, via="connect")
        self.assertEqual(code, 200, body)
        self.assertEqual((ev["corp_user"], ev["corp_source"]), (ALICE, "header"))

    def test_no_spelling_of_the_header_reaches_the_origin_or_names_anyone(self):
        # Evasion round 2: '_' for '-' and any case name the same field to a CGI-style server
        # (HTTP_X_AUTHENTICATED_USER), so every spelling is stripped; only the configured name is
        # believed, even from the trusted proxy.
        spellings = ("X_Authenticated_User", "x-authenticated_user", "X-AUTHENTICATED-USER")
        before = len(self.gw.origin_requests())
        for spelling in spellings:
            for extra in (["--interface", "127.0.0.2"], []):
                code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX,
                                             "-H", "%s: %s" % (spelling, ALICE), *extra)
                self.assertEqual(code, 200, body)
        received = self.gw.origin_requests()[before:]
        self.assertGreaterEqual(len(received), 2 * len(spellings))
        for r in received:
            names = [k.lower().replace("_", "-") for k, _ in r["headers"]]
            self.assertNotIn(HEADER.lower(), names, r["headers"])
        code, body, ev = self.foreign("--interface", "127.0.0.2", "-H",
                                      "X_Authenticated_User: %s" % ALICE, via="connect")
        self.assertEqual(code, 403, body)
        self.assertEqual(ev["corp_source"], "none")

    # ----- groups -----
    def test_a_corp_groups_rule_decides_for_the_members_of_the_group(self):
        sandbox = "https://%s.signin.aws.amazon.com/console" % SANDBOX
        code, _, body = self.gw.curl(sandbox, "-H", "Accept: application/json", "--interface",
                                     "127.0.0.2", "--proxy-header", "%s: carol@CORP.EXAMPLE" % HEADER)
        self.assertEqual(code, 403, body)
        doc = json.loads(body)
        self.assertEqual(doc["rule"], "no-contractors-in-sandbox")
        wait_until(lambda: [e for e in self.gw.events() if e["id"] == doc["event_id"]], 10,
                   "the event")
        ev = [e for e in self.gw.events() if e["id"] == doc["event_id"]][0]
        self.assertEqual((ev["corp_user"], ev["corp_source"]), ("carol@CORP.EXAMPLE", "header"))
        # Another group's member, and a user the file does not list, are not caught by it.
        for user in (ALICE, "dave@CORP.EXAMPLE"):
            code, _, body = self.gw.curl(sandbox, "--interface", "127.0.0.2", "--proxy-header",
                                         "%s: %s" % (HEADER, user))
            self.assertEqual(code, 200, body)
        self.assertIn("consolegate_identity_group_users 2", self.gw.metrics())

    def test_a_site_user_is_one_person_under_every_spelling(self):
        # The NAC writes CORP\carol or a bare name where Kerberos says carol@CORP.EXAMPLE: the
        # groups file's contractors entry and alice's corp_users allow reach every spelling of a
        # site user on the SNI listener; a partner realm's alice is not the site's.
        sandbox = "https://%s.signin.aws.amazon.com/console" % SANDBOX
        try:
            for user, want, rule in (("CORP\\alice", 200, "alice-foreign"),
                                     ("alice", 200, "alice-foreign"),
                                     ("alice@PARTNER.EXAMPLE", 403, "")):
                code, body = self.api("POST", "/api/address-map",
                                      {"address": "127.0.0.1", "user": user, "ttl_seconds": 600})
                self.assertEqual(code, 200, body)
                code, body, ev = self.foreign()
                self.assertEqual((code, ev["rule"], ev["corp_user"]), (want, rule, user), body)
            for carol in ("CORP\\carol", "carol"):
                code, body = self.api("POST", "/api/address-map",
                                      {"address": "127.0.0.1", "user": carol, "ttl_seconds": 600})
                self.assertEqual(code, 200, body)
                code, _, body = self.gw.curl(sandbox, "-H", "Accept: application/json")
                self.assertEqual(code, 403, carol + ": " + body)
                self.assertEqual(json.loads(body)["rule"], "no-contractors-in-sandbox", carol)
        finally:
            self.api("DELETE", "/api/address-map/127.0.0.1")

    def test_a_selector_that_cannot_match_is_logged_at_start_and_reload(self):
        def notes():
            return [l for l in self.gw.log("consolegate").splitlines()
                    if "configuration note" in l and "foreign-in-sandbox" in l]
        before = len(notes())  # at start, and once per reload another test made
        self.assertGreaterEqual(before, 1, self.gw.log("consolegate"))
        self.assertIn("is not in the org export", notes()[0])
        self.assertEqual(self.gw.admin_post("/reload")[0], 200)
        wait_until(lambda: len(notes()) == before + 1, 10, "the note logged again on reload")

    def test_metrics_count_identities(self):
        text = self.gw.metrics()
        self.assertIn("consolegate_identity_address_mappings", text)
        self.assertIn('consolegate_identity_trusted_header_total{outcome="untrusted"}', text)


if __name__ == "__main__":
    unittest.main()
