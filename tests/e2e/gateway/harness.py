"""End-to-end harness: starts the real consolegate binary, the demo origin (a stand-in for AWS) and
an unbound instance serving a small zone (a stand-in for the internet's DNS) on free loopback ports,
and offers the clients a user would use: dig, curl, openssl, chromium, consolegate's own CLI.

Every wait is bounded; every process is stopped in tearDown (and killed if it does not stop).
"""
import base64
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import textwrap
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("CG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BINARY = os.environ.get("CG_BINARY", os.path.join(SOURCE_DIR, "build/app/consolegate"))
# What the harness's DNS says portal.aws.amazon.com is at: an address of an inspected name, so a
# CONNECT to it by IP literal is refused (inspected-address-literal). Nothing listens there.
SIGNIN_FRONT_END = "198.51.100.2"

# The admin listener's bearer tokens (admin.reviewer_token_file / operator_token_file).
REVIEWER_TOKEN = "e2e-reviewer-token-7f3a9c"
OPERATOR_TOKEN = "e2e-operator-token-41d2b8"

# How much slower than a plain build this run may be (cmake/Testing.cmake: 3 under ASan+UBSan,
# where scripts/test.sh sets it). Every bounded wait here is multiplied by it; what a test asserts
# about the gateway's own timing is not.
TIME_SCALE = float(os.environ.get("CG_TEST_TIME_SCALE", "1"))

ORG = "o-aaaaaaaaaa"
ROOT = "r-abcd"
OU_SANDBOX = "ou-abcd-11111111"
OU_SANDBOX_TEAM = "ou-abcd-33333333"  # nested in sandbox
OU_PROD = "ou-abcd-22222222"
SANDBOX = "111111111111"
SANDBOX_NESTED = "012345678901"  # leading zero, in the nested OU
PROD = "222222222222"
ELEVATED = "333333333333"
FOREIGN = "999999999999"


_handed_out = set()  # ports free_port() returned in this process: never the same one twice


def _below_ephemeral_range():
    """Ports below the kernel's ephemeral range (ip_local_port_range). A port from that range is
    free only until an outgoing connection anywhere on the machine is given it as its source port
    (under load, before the server the test starts binds it), and a readiness probe that connects
    to such a port before its server listens can connect to itself (a TCP self-connect). Below
    the range only an explicit bind() takes a port."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return range(10000, max(low, 11000))


def free_port(kind=socket.SOCK_STREAM):
    """A port free for both TCP and UDP on 127.0.0.1 (DNS listens on both), below the ephemeral
    range, not handed out before in this process (so two listeners of one gateway are never given
    the same port)."""
    candidates = _below_ephemeral_range()
    for _ in range(200):
        port = random.choice(candidates)
        if port in _handed_out:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                t.bind(("127.0.0.1", port))
                u.bind(("127.0.0.1", port))
        except OSError:
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port")


def wait_until(predicate, seconds, what):
    seconds *= TIME_SCALE
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s" % (seconds, what))


def unbound_conf(port, directory, server_lines="", address="127.0.0.1", clients="127.0.0.0/8"):
    """A foreground, unprivileged unbound on address@port for a test, answering `clients`;
    server_lines (indented as the block below is, dedented together) go into its server: clause."""
    return textwrap.dedent("""\
                server:
                    interface: %s@%d
                    port: %d
                    do-daemonize: no
                    chroot: ""
                    username: ""
                    directory: "%s"
                    pidfile: ""
                    use-syslog: no
                    logfile: ""
                    verbosity: 0
                    access-control: %s allow
                    do-ip6: no
                    so-reuseport: no
                """ % (address, port, port, directory, clients)) + textwrap.indent(textwrap.dedent(server_lines), "    ") + \
        "remote-control:\n    control-enable: no\n"


def run(args, timeout=30, check=False, input=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout * TIME_SCALE,
                          check=check, input=input)


class Gateway:
    """One gateway with its peers in a temporary directory."""

    def __init__(self, extra_toml="", policy_toml=None, team_items=None, policy_section=None,
                 org_file=None, proxy_extra="", override_hosts=(), unbound_sessions="cookie",
                 origin_args=(), general_extra=""):
        self.dir = tempfile.mkdtemp(prefix="cg-e2e-")
        self.procs = []
        self.ports = {k: free_port() for k in ("dns", "sni", "connect", "admin", "origin", "unbound")}
        self.extra_toml = extra_toml
        self.policy_toml = policy_toml
        self.team_items = team_items
        self.policy_section = policy_section
        self.org_file = org_file
        self.proxy_extra = proxy_extra
        self.override_hosts = list(override_hosts)
        # The default policy's policy.unbound_sessions: "cookie" (judged on the cookie, as the
        # tests written before session binding expect), or None for the gateway's default.
        self.unbound_sessions = unbound_sessions
        self.origin_args = list(origin_args)
        self.general_extra = general_extra  # lines added to [general]

    # ----- peers -----
    def _start(self, name, args, **kw):
        log = open(os.path.join(self.dir, name + ".log"), "w")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, **kw)
        self.procs.append((name, p))
        return p

    def start_origin(self):
        self.origin_dir = os.path.join(self.dir, "origin")
        self.origin_record = os.path.join(self.dir, "origin-requests.jsonl")
        p = self._start("origin", ["python3", os.path.join(SOURCE_DIR, "scripts/demo-origin.py"),
                                   "--dir", self.origin_dir, "--port", str(self.ports["origin"]),
                                   "--record", self.origin_record] + self.origin_args)
        wait_until(lambda: self._peer_up(p, "origin", self._port_open, self.ports["origin"]), 20,
                   "demo origin")

    def start_unbound(self):
        conf = os.path.join(self.dir, "unbound.conf")
        with open(conf, "w") as f:
            f.write(unbound_conf(self.ports["unbound"], self.dir, """\
                local-zone: "example.test." static
                local-data: "www.example.test. 300 IN A 192.0.2.80"
                local-data: "www.example.test. 300 IN AAAA 2001:db8::80"
                local-data: "origin.example.test. 300 IN A 127.0.0.1"
                local-data: "inside.example.test. 300 IN AAAA ::1"
                local-zone: "aws.amazon.com." transparent
                local-data: "docs.aws.amazon.com. 300 IN A 192.0.2.44"
                local-data: "signin.aws.amazon.com. 300 IN A 198.51.100.1"
                # The literal inspected names the proxy watches (proxy/destination_watch.hpp)
                # get an answer, as the internet's DNS would give them one: while they go
                # unanswered the proxy refuses every splice (fail closed). The portal's address
                # (SIGNIN_FRONT_END, where nothing listens) is a sign-in front end's to the proxy.
                local-data: "portal.aws.amazon.com. 300 IN A %s"
                local-zone: "amazonaws-us-gov.com." static
                local-zone: "amazonaws.cn." static
                local-zone: "amazonaws-eusc.eu." static
                local-zone: "health.aws.amazon.com." static
                local-zone: "phd.aws.amazon.com." static
                local-zone: "lightsail.aws.amazon.com." static
                local-zone: "quicksight.aws.amazon.com." static
                """ % SIGNIN_FRONT_END))
        p = self._start("unbound", ["unbound", "-d", "-c", conf])
        wait_until(lambda: self._peer_up(p, "unbound", self._dns_ok, self.ports["unbound"]), 20,
                   "unbound")

    # ----- the gateway -----
    def write_config(self):
        self.ca_dir = os.path.join(self.dir, "ca")
        if not os.path.exists(self.ca_dir):
            run([BINARY, "ca", "init", "--dir", self.ca_dir, "--name", "e2e corporate CA"], check=True)
        org = {
            "organization_id": ORG,
            "accounts": [
                {"id": SANDBOX, "name": "sandbox", "path": "%s/%s/%s/" % (ORG, ROOT, OU_SANDBOX)},
                {"id": SANDBOX_NESTED, "name": "sandbox-team",
                 "path": "%s/%s/%s/%s/" % (ORG, ROOT, OU_SANDBOX, OU_SANDBOX_TEAM)},
                {"id": PROD, "name": "prod", "path": "%s/%s/%s/" % (ORG, ROOT, OU_PROD)},
                {"id": ELEVATED, "name": "break-glass", "path": "%s/%s/%s/" % (ORG, ROOT, OU_PROD)},
            ],
        }
        with open(os.path.join(self.dir, "org.json"), "w") as f:
            if self.org_file:
                with open(self.org_file) as src:
                    f.write(src.read())
            else:
                json.dump(org, f)
        team_file = os.path.join(self.dir, "team.json")
        with open(team_file, "w") as f:
            json.dump(self.team_items if self.team_items is not None else [], f)
        policy = self.policy_toml if self.policy_toml is not None else textwrap.dedent("""\
            [[policy.rule]]
            name = "sandbox-ou"
            effect = "allow"
            ou_paths = ["%(org)s/%(root)s/%(sb)s/*"]

            [[policy.rule]]
            name = "no-prod"
            effect = "deny"
            accounts = ["%(prod)s"]

            [[policy.rule]]
            name = "break-glass"
            effect = "allow-with-elevation"
            accounts = ["%(elev)s"]
            """ % {"org": ORG, "root": ROOT, "sb": OU_SANDBOX, "prod": PROD, "elev": ELEVATED})
        p = self.ports
        cfg = textwrap.dedent("""\
            [general]
            workers = 2
            %(general_extra)s

            [dns]
            listen = ["127.0.0.1:%(dns)d"]
            upstreams = ["127.0.0.1:%(unbound)d"]
            upstream_timeout = "1s"
            upstream_retries = 1
            steer_ipv4 = ["127.0.0.1"]

            [proxy]
            sni_listen = ["127.0.0.1:%(sni)d"]
            connect_listen = ["127.0.0.1:%(connect)d"]
            connect_ports = [443, %(origin)d]
            allow_clients = ["127.0.0.0/8"]
            allow_destinations = ["127.0.0.0/8"]
            upstream_resolvers = ["127.0.0.1:%(unbound)d"]
            %(proxy_extra)s

%(overrides)s
            [proxy.block_page]
            team_url = "https://team.corp.example/requests"
            contact = "the cloud security team"

            [ca]
            cert = "ca/ca.crt"
            key = "ca/ca.key"

            %(policy_section)s

            [team]
            enabled = true
            snapshot_file = "team.json"
            staleness_limit = "1h"

            [audit]
            jsonl_path = "audit.jsonl"
            sqlite_path = "audit.sqlite"
            flush_interval = "200ms"

            [admin]
            listen = "127.0.0.1:%(admin)d"
            reviewer_token_file = "reviewer.token"
            operator_token_file = "operator.token"
            """ % dict(p, sandbox=SANDBOX, prod=PROD, overrides=self._overrides(),
                                                       proxy_extra=self.proxy_extra,
                                                       general_extra=self.general_extra,
                                                       policy_section=self._policy_section()))
        for role, token in (("reviewer", REVIEWER_TOKEN), ("operator", OPERATOR_TOKEN)):
            with open(os.path.join(self.dir, role + ".token"), "w") as f:
                f.write(token + "\n")
        self.config = os.path.join(self.dir, "consolegate.toml")
        with open(self.config, "w") as f:
            f.write(cfg + "\n" + self.extra_toml + "\n" + policy)
        return self.config

    def _policy_section(self):
        if self.policy_section is not None:
            return self.policy_section
        unbound = ('unbound_sessions = "%s"\n' % self.unbound_sessions
                   if self.unbound_sessions else "")
        return ('[policy]\n' + unbound + 'org_export = "org.json"\n\n[policy.aliases]\n'
                'sandbox-main = "%s"\nprod-main = "%s"\n' % (SANDBOX, PROD))

    def _overrides(self):
        # Overrides name exact hosts: every host the tests reach goes to the demo origin.
        hosts = ["signin.aws.amazon.com", "console.aws.amazon.com"] + [
            "%s.signin.aws.amazon.com" % a for a in (SANDBOX, SANDBOX_NESTED, PROD, ELEVATED, FOREIGN)]
        hosts += [h for h in self.override_hosts if h not in hosts]
        return "\n".join(
            '[[proxy.upstream_override]]\nhost = "%s"\naddress = "127.0.0.1:%d"\n'
            'ca_bundle = "origin/upstream-ca.pem"\n' % (h, self.ports["origin"]) for h in hosts)

    def start(self, attempts=3):
        """Starts the peers and the gateway. Ports are picked free but released before the
        servers bind them, so a test running in parallel can take one in between: a start that
        fails on a bind is retried with new ports (bounded); any other failure is raised."""
        for attempt in range(attempts):
            try:
                self.start_origin()
                self.start_unbound()
                self.write_config()
                self.gw = self._start("consolegate", self.gateway_command())
                wait_until(self.ready, 30, "consolegate /readyz")
                return self
            except Exception as e:
                logs = "".join(self.log(n) for n, _ in self.procs if os.path.exists(
                    os.path.join(self.dir, n + ".log")))
                # unittest never calls tearDownClass when setUpClass raises: stop the peers
                # here, or they outlive the test run.
                self._stop_all()
                if attempt + 1 == attempts or "in use" not in logs.lower():
                    self.close()
                    raise e
                self.ports = {k: free_port() for k in self.ports}

    def gateway_command(self):
        """How the gateway is started: the binary here; a subclass may run it elsewhere (in a
        container, in a network namespace) with the same configuration."""
        return [BINARY, "run", "--config", self.config]

    def _stop_all(self):
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        self.procs = []

    def ready(self):
        if self.gw.poll() is not None:
            raise AssertionError("consolegate exited %s:\n%s" % (self.gw.returncode, self.log("consolegate")))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.ports["admin"], timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops consolegate with `sig` and returns its exit code."""
        self.gw.send_signal(sig)
        return self.gw.wait(timeout=timeout * TIME_SCALE)

    def close(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    # Under ASan the leak check runs at exit: killed, its report would be lost.
                    p.wait(timeout=10 * TIME_SCALE)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        if os.environ.get("CG_E2E_KEEP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log")) as f:
            return f.read()

    # ----- clients -----
    def dig(self, name, rtype="A", *extra):
        r = run(["dig", "@127.0.0.1", "-p", str(self.ports["dns"]), "+time=3", "+tries=1", name, rtype] + list(extra))
        return r.stdout

    def curl(self, url, *extra, via="connect", timeout=20):
        """curl through the CONNECT proxy (via="connect") or the SNI listener (via="sni"),
        trusting only the gateway's CA. Returns (status, headers, body)."""
        hdr = os.path.join(self.dir, "headers.txt")
        args = ["curl", "-sS", "--max-time", str(timeout), "--cacert", os.path.join(self.ca_dir, "ca.crt"),
                "-D", hdr, "-o", "-", "-w", "\n%{http_code}"]
        if via == "connect":
            args += ["-x", "http://127.0.0.1:%d" % self.ports["connect"]]
        else:
            host = url.split("/")[2]
            args += ["--connect-to", "%s:443:127.0.0.1:%d" % (host, self.ports["sni"])]
        r = run(args + list(extra) + [url], timeout=timeout + 5)
        body, _, code = r.stdout.rpartition("\n")
        headers = open(hdr).read() if os.path.exists(hdr) else ""
        return int(code or 0), headers, body

    def raw_https(self, host, request_bytes, timeout=20):
        """Sends one raw HTTP request over TLS to the SNI listener with SNI = host (trusting only
        the gateway's CA); returns (status, body)."""
        ctx = ssl.create_default_context(cafile=os.path.join(self.ca_dir, "ca.crt"))
        with socket.create_connection(("127.0.0.1", self.ports["sni"]), timeout=timeout) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                t.sendall(request_bytes)
                data = b""
                while True:
                    chunk = t.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        return status, body.decode("utf-8", "replace")

    def origin_requests(self):
        """Every request the stand-in AWS received, in order (see scripts/demo-origin.py)."""
        if not os.path.exists(self.origin_record):
            return []
        with open(self.origin_record) as f:
            return [json.loads(line) for line in f if line.strip()]

    def cli(self, *args, input=None):
        return run([BINARY] + list(args), input=input)

    def spki_pin(self, host="signin.aws.amazon.com"):
        """SHA-256 of a minted leaf's public key (base64): the gateway mints every leaf with one
        key pair, so this one pin (Chromium's --ignore-certificate-errors-spki-list) lets a
        browser trust the gateway without touching any trust store."""
        pem = run(["sh", "-c", "echo | openssl s_client -connect 127.0.0.1:%d -servername %s "
                   "2>/dev/null | openssl x509 -pubkey -noout" % (self.ports["sni"], host)],
                  timeout=20).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem.encode(),
                             capture_output=True, timeout=20).stdout
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    def events(self):
        path = os.path.join(self.dir, "audit.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def admin_post(self, path):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.ports["admin"], path), method="POST", data=b"",
                                     headers={"Authorization": "Bearer " + OPERATOR_TOKEN})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.ports["admin"], timeout=5) as r:
                return r.read().decode()
        except urllib.error.URLError as e:
            # Say why: a gateway that exited (its status and log) or one that stopped answering.
            state = "running" if self.gw.poll() is None else "exited %s" % self.gw.returncode
            raise AssertionError("metrics: %s; consolegate %s; its log ends:\n%s" % (
                e, state, self.log("consolegate")[-4000:])) from e

    def metric(self, series):
        """One unlabelled series' value (or a labelled one written out in full); a series the
        gateway does not export fails the test."""
        for line in self.metrics().splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError("no metric " + series)

    # ----- internals -----
    def _peer_up(self, proc, name, check, port):
        """check(port), but a peer that exited (its port taken after all) fails at once, with its
        log, rather than at the end of the wait: start() then retries on new ports."""
        if proc.poll() is not None:
            raise AssertionError("%s exited %s:\n%s" % (name, proc.returncode, self.log(name)))
        return check(port)

    @staticmethod
    def _port_open(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    @staticmethod
    def _dns_ok(port):
        r = run(["dig", "@127.0.0.1", "-p", str(port), "+time=1", "+tries=1", "www.example.test", "A", "+short"], timeout=5)
        return "192.0.2.80" in r.stdout
