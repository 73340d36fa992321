"""A throwaway MIT Kerberos realm for tests: krb5kdc on a free loopback port, its database,
stash, kdc.conf and krb5.conf in a temporary directory, principals and keytabs made with
kadmin.local, tickets with kinit into one credential cache per user.

    with Kdc() as kdc:                       # or kdc = Kdc(); try: ... finally: kdc.close()
        kdc.add_service("HTTP/proxy.test", keytab)  # -> keytab path
        kdc.add_user("alice", "pw"); cc = kdc.kinit("alice", "pw")
        subprocess.run([...], env=kdc.env(KRB5CCNAME=cc))

Every wait is bounded; close() stops the KDC and removes the directory whatever state the setup
reached (a test calls it from addClassCleanup/finally, so a failing step never leaves a KDC).
Nothing here touches /etc: KRB5_CONFIG and KRB5_KDC_PROFILE point into the directory.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../common"))
from daemon import Daemon, free_port  # noqa: E402

REALM = "TEST.REALM"
MASTER = "kdc-master-password"


class Kdc(Daemon):
    def __init__(self, realm=REALM, hosts=("proxy.test", "other.test")):
        self.realm = realm
        super().__init__("cg-kdc-", hosts)

    # ----- setup -----
    def _start(self, hosts):
        d, realm = self.dir, self.realm
        for attempt in range(3):
            self.port = free_port(udp_too=True)  # the KDC binds both
            self.kdc_conf = self._write("kdc.conf", """\
[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}
[realms]
    {realm} = {{
        database_name = {d}/principal
        key_stash_file = {d}/stash
        acl_file = {d}/kadm5.acl
        kdc_listen = 127.0.0.1:{port}
        kdc_tcp_listen = 127.0.0.1:{port}
        max_life = 10h
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}
[logging]
    kdc = FILE:{d}/krb5kdc.log
""".format(port=self.port, realm=realm, d=d))
            self.krb5_conf = self._write("krb5.conf", """\
[libdefaults]
    default_realm = {realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
    default_ccache_name = FILE:{d}/ccache-default
    default_keytab_name = FILE:{d}/no-default.keytab
[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
    }}
[domain_realm]
{mapping}
""".format(realm=realm, d=d, port=self.port,
           mapping="".join("    %s = %s\n" % (h, realm) for h in hosts)))
            self._write("kadm5.acl", "")
            if not os.path.exists(os.path.join(d, "principal")):
                self._tool(["kdb5_util", "create", "-s", "-r", realm, "-P", MASTER])
            self._spawn(["krb5kdc", "-n", "-r", realm], "krb5kdc.stdout", env=self.env())
            if self._wait_listening(self.port):
                return
            self._stop()
        raise RuntimeError("krb5kdc did not start:\n" + self.log())

    def _tool(self, args, input=None, env=None):
        return super()._tool(args, input=input, env=env or self.env())

    # ----- what tests use -----
    def env(self, **extra):
        """The environment for a Kerberos tool, client or acceptor of this realm."""
        e = dict(os.environ)
        e.update(KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self.kdc_conf,
                 KRB5RCACHEDIR=self.dir, KRB5_TRACE="/dev/null")
        e.pop("KRB5CCNAME", None)
        e.pop("KRB5_KTNAME", None)
        e.update(extra)
        return e

    def kadmin(self, query):
        return self._tool(["kadmin.local", "-r", self.realm, "-q", query])

    def principal(self, name):
        return name if "@" in name else "%s@%s" % (name, self.realm)

    def add_user(self, name, password):
        self.kadmin("addprinc -pw %s %s" % (password, self.principal(name)))
        return self.principal(name)

    def add_service(self, name, keytab=None):
        """A service principal with a random key, exported to `keytab` (default: in the
        directory, mode 0600). Returns the keytab's path."""
        keytab = keytab or os.path.join(self.dir, name.replace("/", "_") + ".keytab")
        self.kadmin("addprinc -randkey %s" % self.principal(name))
        self.kadmin("ktadd -k %s %s" % (keytab, self.principal(name)))
        os.chmod(keytab, 0o600)
        return keytab

    def kinit(self, name, password, lifetime=None):
        """A ticket-granting ticket for `name` in a credential cache of its own; returns the
        KRB5CCNAME value."""
        cc = "FILE:" + os.path.join(self.dir, "cc-" + name.replace("/", "_"))
        args = ["kinit"] + (["-l", lifetime] if lifetime else []) + [self.principal(name)]
        self._tool(args, input=password + "\n", env=self.env(KRB5CCNAME=cc))
        return cc

    def log(self):
        return self._log_tail("krb5kdc.log", "krb5kdc.stdout")
