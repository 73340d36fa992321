"""LDAP groups through the live gateway (docs/identity.md "Groups from LDAP").

A throwaway slapd (tests/support/ldap/slapd.py) holds two users and their groups; the address
map names the person behind 127.0.0.1 and a corp_groups rule on "contractors" decides. The
directory is asked by the gateway's background thread, never while a connection waits: a
person's first connection carries no LDAP groups (a miss queues the lookup), the next ones the
groups the directory answered, refreshed after ldap_cache_ttl.
"""
import json
import os
import re
import sys
import unittest
import urllib.request

from harness import BINARY, OPERATOR_TOKEN, SANDBOX, Gateway, run, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../support/ldap"))
import slapd as slapd_fixture  # noqa: E402

POLICY = """
[[policy.rule]]
name = "no-contractors-in-sandbox"
effect = "deny"
accounts = ["%s"]
corp_groups = ["Contractors"]

[[policy.rule]]
name = "sandbox"
effect = "allow"
accounts = ["%s"]
""" % (SANDBOX, SANDBOX)


def identity_toml(d, uri, extra=""):
    """[identity] for the directory `d` at `uri`: the gateway binds as its reader, finds the
    person by mail and their groups by member DN."""
    return """
[identity]
ldap_uri = "%s"
ldap_bind_dn = "%s"
ldap_password_file = "%s"
ldap_user_base = "%s"
ldap_user_filter = "(mail={user})"
ldap_group_base = "%s"
ldap_group_filter = "(&(objectClass=groupOfNames)(member={dn}))"
ldap_timeout = "2s"
%s
""" % (uri, d.bind_dn, d.password_file, d.user_base, d.group_base, extra)


class LdapGroupsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # carol keeps the contractors group non-empty (groupOfNames needs a member) when alice leaves.
        cls.dir = slapd_fixture.Slapd({"alice": ["contractors", "engineers"], "bob": ["engineers"],
                                       "carol": ["contractors"]})
        cls.addClassCleanup(cls.dir.close)
        d = cls.dir
        cls.identity = identity_toml(d, d.uri, 'ldap_cache_ttl = "2s"')
        cls.gw = Gateway(extra_toml=cls.identity, policy_toml=POLICY)
        cls.addClassCleanup(cls.gw.close)
        cls.gw.start()

    def map_client(self, user):
        body = json.dumps({"address": "127.0.0.1", "user": user, "ttl_seconds": 600}).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/address-map" % self.gw.ports["admin"], data=body,
            method="POST", headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def attempt(self):
        """A sandbox sign-in page request on the SNI listener: (status, rule of its event)."""
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX,
                                     "-H", "Accept: application/json", via="sni")
        return code

    def ldap_metric(self, outcome):
        m = re.search(r'^consolegate_identity_ldap_total\{outcome="%s"\} (\d+)' % outcome,
                      self.gw.metrics(), re.M)
        return int(m.group(1)) if m else -1

    def test_groups_land_after_the_first_connection_and_follow_the_directory(self):
        self.map_client("alice@CORP.EXAMPLE")
        lookups = self.ldap_metric("lookup")
        misses = self.ldap_metric("miss")
        # First connection: the groups are unknown, the deny rule cannot match yet (documented).
        self.assertEqual(self.attempt(), 200)
        self.assertGreater(self.ldap_metric("miss"), misses)
        wait_until(lambda: self.ldap_metric("lookup") > lookups, 10, "the LDAP lookup")
        # Now the directory's answer: alice is a contractor.
        self.assertEqual(self.attempt(), 403)

        # The directory changes: alice leaves the contractors. After the TTL the next connection
        # (served from the stale entry) queues a refresh; once it lands she is allowed.
        self.dir.modify("dn: cn=contractors,%s\nchangetype: modify\ndelete: member\nmember: %s\n"
                        % (self.dir.group_base, self.dir.user_dn("alice")))
        lookups = self.ldap_metric("lookup")

        def allowed():
            return self.attempt() == 200
        wait_until(allowed, 15, "the refreshed groups")
        self.assertGreater(self.ldap_metric("lookup"), lookups)

    def test_a_user_without_the_group_is_not_denied(self):
        self.map_client("bob@CORP.EXAMPLE")
        self.attempt()
        wait_until(lambda: self.ldap_metric("lookup") >= 1, 10, "the LDAP lookup")
        for _ in range(2):
            self.assertEqual(self.attempt(), 200)
        self.assertEqual(self.ldap_metric("failure"), 0)

    def test_the_log_never_holds_the_bind_password(self):
        self.attempt()
        self.assertNotIn(slapd_fixture.READER_PW, self.gw.log("consolegate"))


class LdapTlsTest(unittest.TestCase):
    """The directory over ldaps:// and over ldap:// with StartTLS, verified against the CA named
    in ldap_ca_file; a directory whose certificate that CA did not sign is never asked (no
    groups, failures counted and logged)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = slapd_fixture.Slapd({"alice": ["contractors"]}, tls=True)
        cls.addClassCleanup(cls.dir.close)

    def gateway(self, uri, ca_file, starttls=False):
        gw = Gateway(extra_toml=identity_toml(
            self.dir, uri, 'ldap_starttls = %s\nldap_ca_file = "%s"' % (
                "true" if starttls else "false", ca_file)), policy_toml=POLICY)
        self.addCleanup(gw.close)
        gw.start()
        body = json.dumps({"address": "127.0.0.1", "user": "alice@CORP.EXAMPLE",
                           "ttl_seconds": 600}).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/address-map" % gw.ports["admin"], data=body,
            method="POST", headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
        urllib.request.urlopen(req, timeout=10).close()
        return gw

    @staticmethod
    def attempt(gw):
        code, _, _ = gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX,
                             "-H", "Accept: application/json", via="sni")
        return code

    @staticmethod
    def metric(gw, outcome):
        m = re.search(r'^consolegate_identity_ldap_total\{outcome="%s"\} (\d+)' % outcome,
                      gw.metrics(), re.M)
        return int(m.group(1)) if m else -1

    def assert_groups_arrive(self, gw):
        self.assertEqual(self.attempt(gw), 200)  # the first connection: a miss, no groups yet
        wait_until(lambda: self.metric(gw, "lookup") >= 1 or self.metric(gw, "failure") >= 1,
                   10, "the LDAP lookup")
        self.assertEqual(self.metric(gw, "failure"), 0, gw.log("consolegate"))
        self.assertEqual(self.attempt(gw), 403)  # alice is a contractor: denied in the sandbox

    def test_ldaps_with_the_directory_ca(self):
        self.assert_groups_arrive(self.gateway(self.dir.ldaps_uri, self.dir.ca_file))

    def test_starttls_with_the_directory_ca(self):
        self.assert_groups_arrive(self.gateway(self.dir.uri, self.dir.ca_file, starttls=True))

    def test_a_directory_certificate_the_ca_did_not_sign_is_never_asked(self):
        for uri, starttls in ((self.dir.ldaps_uri, False), (self.dir.uri, True)):
            with self.subTest(uri=uri):
                # The gateway's own CA: a real CA, but not the directory's.
                probe = Gateway()
                self.addCleanup(probe.close)
                probe.write_config()
                other_ca = os.path.join(probe.ca_dir, "ca.crt")
                self.assertTrue(os.path.isfile(other_ca), other_ca)
                gw = self.gateway(uri, other_ca, starttls)
                self.assertEqual(self.attempt(gw), 200)
                wait_until(lambda: self.metric(gw, "failure") >= 1, 10, "the failed lookup")
                self.assertEqual(self.metric(gw, "lookup"), 0)
                for _ in range(2):
                    self.assertEqual(self.attempt(gw), 200)  # no groups: the rule cannot match
                wait_until(lambda: "LDAP group lookup failed" in gw.log("consolegate"), 10,
                           "the failure logged")
                self.assertNotIn(slapd_fixture.READER_PW, gw.log("consolegate"))


class LdapBareNameTest(unittest.TestCase):
    """{name} in a filter drops the user's realm: the directory's alice must not be found for
    another realm's alice (a trusted realm's principal, another domain's CORP2\\alice), or she
    would carry the site's alice's groups into corp_groups rules. identity.realms names the
    site's own; a user of any other realm has no directory groups."""

    @classmethod
    def setUpClass(cls):
        cls.dir = slapd_fixture.Slapd({"alice": ["contractors"], "bob": ["engineers"]})
        cls.addClassCleanup(cls.dir.close)
        d = cls.dir
        identity = """
[identity]
realms = ["CORP.EXAMPLE", "CORP"]
ldap_uri = "%s"
ldap_bind_dn = "%s"
ldap_password_file = "%s"
ldap_user_base = "%s"
ldap_user_filter = "(uid={name})"
ldap_group_base = "%s"
ldap_group_filter = "(&(objectClass=groupOfNames)(member={dn}))"
ldap_timeout = "2s"
""" % (d.uri, d.bind_dn, d.password_file, d.user_base, d.group_base)
        cls.gw = Gateway(extra_toml=identity, policy_toml=POLICY)
        cls.addClassCleanup(cls.gw.close)
        cls.gw.start()

    map_client = LdapGroupsTest.map_client
    attempt = LdapGroupsTest.attempt
    ldap_metric = LdapGroupsTest.ldap_metric

    def settled(self, user):
        """The attempt once the directory has been asked about `user` (the first connection
        only queues the lookup)."""
        self.map_client(user)
        lookups = self.ldap_metric("lookup")
        self.attempt()
        wait_until(lambda: self.ldap_metric("lookup") > lookups, 10, "the LDAP lookup of " + user)
        return self.attempt()

    def test_another_realms_namesake_never_gets_the_sites_users_groups(self):
        for foreign in ("alice@PARTNER.EXAMPLE", "PARTNER\\alice", "alice@CORP.EXAMPLE.EVIL"):
            self.assertEqual(self.settled(foreign), 200, foreign)
        # The site's alice, in either spelling and any case, is the contractor the rule denies.
        for own in ("alice@corp.example", "CORP\\alice"):
            self.assertEqual(self.settled(own), 403, own)
        self.assertEqual(self.ldap_metric("failure"), 0)


class LdapCheckConfigTest(unittest.TestCase):
    def test_a_bare_name_filter_without_the_sites_realms_is_refused(self):
        gw = Gateway(extra_toml="""
[identity]
ldap_uri = "ldap://127.0.0.1:1"
ldap_group_base = "ou=groups,dc=corp,dc=example"
ldap_group_filter = "(memberUid={name})"
""")
        self.addCleanup(gw.close)
        gw.write_config()
        r = run([BINARY, "check-config", gw.config], timeout=30)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("identity.ldap_group_filter uses {name}, which drops the user's realm",
                      r.stderr)

    def test_an_unreadable_password_file_is_refused(self):
        gw = Gateway(extra_toml="""
[identity]
ldap_uri = "ldap://127.0.0.1:1"
ldap_bind_dn = "cn=gateway,dc=corp,dc=example"
ldap_password_file = "/nonexistent/ldap.pw"
ldap_group_base = "ou=groups,dc=corp,dc=example"
ldap_group_filter = "(memberUid={name})"
realms = ["CORP.EXAMPLE"]
""")
        self.addCleanup(gw.close)
        gw.write_config()
        r = run([BINARY, "check-config", gw.config], timeout=30)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("identity.ldap_password_file: cannot read /nonexistent/ldap.pw", r.stderr)


if __name__ == "__main__":
    unittest.main()
