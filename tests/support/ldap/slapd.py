"""A throwaway OpenLDAP directory for tests: slapd with the mdb backend on a free loopback port,
its slapd.conf, database and LDIF in a temporary directory, loaded with slapadd before it
starts.

    with Slapd(users={"alice": ["contractors"], "bob": ["engineers"]}) as d:
        d.uri, d.bind_dn, d.password_file, d.group_base ...
        d.set_groups("alice", [...])   # changes membership while slapd runs (ldapmodify)

    Slapd(users, tls=True)   # also ldaps:// (d.ldaps_uri) and StartTLS on d.uri, with a
                             # throwaway CA (d.ca_file) and a server certificate for 127.0.0.1

Users are uid=<name>,ou=people,<suffix> (inetOrgPerson, with a userPrincipalName-like `mail`
of <name>@CORP.EXAMPLE); groups are cn=<group>,ou=groups,<suffix> (groupOfNames, member = the
users' DNs). Every wait is bounded; close() stops slapd and removes the directory whatever
state the setup reached.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../common"))
from daemon import Daemon, free_port  # noqa: E402

SUFFIX = "dc=corp,dc=example"
ADMIN_PW = "directory-admin-pw"
READER_PW = "gateway-reader-pw"


class Slapd(Daemon):
    def __init__(self, users, realm="CORP.EXAMPLE", tls=False):
        self.realm = realm
        self.tls = tls
        self.ca_file = self.ldaps_uri = None
        self.bind_dn = "cn=gateway,%s" % SUFFIX
        self.admin_dn = "cn=admin,%s" % SUFFIX
        self.group_base = "ou=groups,%s" % SUFFIX
        self.user_base = "ou=people,%s" % SUFFIX
        super().__init__("cg-slapd-", users)

    def user_dn(self, name):
        return "uid=%s,%s" % (name, self.user_base)

    def _ldif(self, users):
        out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: corp\n" % SUFFIX,
               "dn: %s\nobjectClass: organizationalUnit\nou: people\n" % self.user_base,
               "dn: %s\nobjectClass: organizationalUnit\nou: groups\n" % self.group_base,
               "dn: %s\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
               "cn: gateway\nuserPassword: %s\n" % (self.bind_dn, READER_PW)]
        groups = {}
        for name, member_of in users.items():
            out.append("dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n"
                       "mail: %s@%s\n" % (self.user_dn(name), name, name, name, name, self.realm))
            for g in member_of:
                groups.setdefault(g, []).append(self.user_dn(name))
        for g, members in groups.items():
            out.append("dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\n%s" % (
                g, self.group_base, g, "".join("member: %s\n" % m for m in members)))
        return "\n".join(out)

    def _make_certificates(self):
        """A CA and a server certificate for 127.0.0.1 signed by it (openssl, in the directory)."""
        d = self.dir
        ca_key, self.ca_file = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
        self.key_file, self.cert_file = os.path.join(d, "server.key"), os.path.join(d, "server.pem")
        csr = os.path.join(d, "server.csr")
        self._tool(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", self.ca_file,
                    "-days", "2", "-subj", "/CN=consolegate test directory CA"])
        self._tool(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", self.key_file, "-out", csr, "-subj", "/CN=127.0.0.1"])
        ext = os.path.join(d, "server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                    "extendedKeyUsage = serverAuth\n")
        self._tool(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", self.cert_file, "-days", "2", "-extfile", ext])

    def _tls_conf(self):
        if not self.tls:
            return ""
        return ("TLSCACertificateFile {ca}\nTLSCertificateFile {cert}\n"
                "TLSCertificateKeyFile {key}\n").format(ca=self.ca_file, cert=self.cert_file,
                                                       key=self.key_file)

    def _start(self, users):
        d = self.dir
        self.password_file = self._write("reader.pw", READER_PW + "\n")
        os.chmod(self.password_file, 0o600)
        os.makedirs(os.path.join(d, "db"))
        if self.tls:
            self._make_certificates()
        self.conf = os.path.join(d, "slapd.conf")
        with open(self.conf, "w") as f:
            f.write("""\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
{tls}modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_pw}
directory {d}/db
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{reader}" read by anonymous auth by * none
""".format(d=d, suffix=SUFFIX, admin=self.admin_dn, admin_pw=ADMIN_PW, reader=self.bind_dn,
           tls=self._tls_conf()))
        ldif = os.path.join(d, "seed.ldif")
        with open(ldif, "w") as f:
            f.write(self._ldif(users))
        self._tool(["slapadd", "-f", self.conf, "-l", ldif])
        for attempt in range(3):
            self.port = free_port()
            self.uri = "ldap://127.0.0.1:%d" % self.port
            listen = self.uri + "/"
            if self.tls:
                self.ldaps_port = free_port()
                self.ldaps_uri = "ldaps://127.0.0.1:%d" % self.ldaps_port
                listen += " " + self.ldaps_uri + "/"
            # -d 0: stay in the foreground (so close() can stop it) and log nothing extra.
            self._spawn(["slapd", "-f", self.conf, "-h", listen, "-d", "0"], "slapd.log")
            if self._wait_listening(self.port) and (
                    not self.tls or self._wait_listening(self.ldaps_port)):
                return
            self._stop()
        raise RuntimeError("slapd did not start:\n" + self.log())

    def modify(self, ldif):
        """Applies an LDIF change to the running directory as its administrator."""
        return self._tool(["ldapmodify", "-x", "-H", self.uri, "-D", self.admin_dn, "-w", ADMIN_PW],
                          input=ldif)

    def log(self):
        return self._log_tail("slapd.log")
