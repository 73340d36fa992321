"""Network namespaces for the fleet tests: hosts on one Ethernet segment (a bridge in a hub
namespace of its own, so the machine's own namespace gets no interface), each host a namespace
with a veth `eth0`, its addresses and on-link routes.

Everything made here carries the prefix `cgm<pid>-`: close() removes it (processes inside are
killed first), an atexit hook and SIGTERM (ctest's timeout) call close() too, and the next run
removes what a killed run (SIGKILL) left behind, recognising it by a prefix whose pid is gone.

    net = Network()
    net.host("client", "10.77.0.10/24")
    subprocess.run(net.exec("client") + ["ip", "addr"])
    net.call("client", urllib.request.urlopen, "http://127.0.0.1:8461/readyz")   # in its namespace
    net.close()
"""
import atexit
import ctypes
import os
import re
import shutil
import signal
import subprocess
import threading

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
RESOLV_DIR = "/etc/netns"  # `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def unavailable():
    """Why network namespaces cannot be used here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if not shutil.which("ip"):
        return "iproute2 is not installed"
    probe = "cgm%d-probe" % os.getpid()
    r = _ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return "the kernel or sandbox forbids network namespaces: " + r.stderr.strip()
    try:
        r = _ip("-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1", check=False)
        if r.returncode != 0:
            return "veth pairs cannot be made here: " + r.stderr.strip()
        r = _ip("-n", probe, "link", "add", "b0", "type", "bridge", check=False)
        if r.returncode != 0:
            return "bridges cannot be made here: " + r.stderr.strip()
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def _remove(name):
    r = _ip("netns", "pids", name, check=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    _ip("netns", "del", name, check=False)
    shutil.rmtree(os.path.join(RESOLV_DIR, name), ignore_errors=True)


def remove_leftovers():
    """Namespaces of earlier runs whose process is gone (killed before its clean-up ran)."""
    names = os.listdir(NETNS_DIR) if os.path.isdir(NETNS_DIR) else []
    for name in names:
        m = re.match(r"cgm(\d+)-", name)
        if m and not os.path.exists("/proc/" + m.group(1)):
            _remove(name)


class Network:
    def __init__(self):
        remove_leftovers()
        self.prefix = "cgm%d-" % os.getpid()
        self.names = []
        self.closed = False
        atexit.register(self.close)
        self._previous_term = signal.signal(signal.SIGTERM, self._on_term)
        self.hub = self._add("hub")
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")

    def _on_term(self, signum, frame):
        self.close()
        raise SystemExit(128 + signum)

    def _add(self, short):
        name = self.prefix + short
        _ip("netns", "add", name)
        self.names.append(name)
        # No IPv6 duplicate address detection: an interface's link-local address would be
        # tentative for a second or two after it comes up and then change state, a netlink
        # address change that makes Chromium abort its requests (ERR_NETWORK_CHANGED) when the
        # browser started meanwhile. Interfaces take the namespace's default when created.
        _ip("netns", "exec", name, "sh", "-c",
            "for c in all default; do echo 0 > /proc/sys/net/ipv6/conf/$c/accept_dad; done"
            " 2>/dev/null; true")
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def name(self, short):
        return self.prefix + short

    def host(self, short, *addresses, routes=(), nameserver=None):
        """A host on the segment: eth0 with these addresses (CIDR), on-link routes to these
        networks, and (nameserver) the resolv.conf that `exec` gives its processes."""
        name = self._add(short)
        _ip("link", "add", "eth0", "netns", name, "type", "veth", "peer", "name", short, "netns", self.hub)
        _ip("-n", self.hub, "link", "set", "dev", short, "master", "br0", "up")
        for address in addresses:
            _ip("-n", name, "addr", "add", address, "dev", "eth0", "nodad")
        _ip("-n", name, "link", "set", "eth0", "up")
        for network in routes:
            _ip("-n", name, "route", "add", network, "dev", "eth0")
        if nameserver:
            os.makedirs(os.path.join(RESOLV_DIR, name), exist_ok=True)
            with open(os.path.join(RESOLV_DIR, name, "resolv.conf"), "w") as f:
                f.write("nameserver %s\noptions timeout:3 attempts:1\n" % nameserver)
        return name

    def exec(self, short):
        """The command prefix that runs a program on that host."""
        return ["ip", "netns", "exec", self.name(short)]

    def call(self, short, fn, *args, **kwargs):
        """fn(*args) in a thread that has joined that host's network namespace: sockets it opens
        (and processes it starts) belong to that host; returns fn's result or raises its error."""
        out = {}

        def body():
            try:
                fd = os.open(os.path.join(NETNS_DIR, self.name(short)), os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns " + self.name(short))
                finally:
                    os.close(fd)
                out["value"] = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller
                out["error"] = e
        t = threading.Thread(target=body)
        t.start()
        t.join()
        if "error" in out:
            raise out["error"]
        return out["value"]

    def close(self):
        if self.closed:
            return
        self.closed = True
        for name in reversed(self.names):
            _remove(name)
        self.names = []
        try:
            os.rmdir(RESOLV_DIR)  # only when no other namespace has a resolv.conf there
        except OSError:
            pass
        if signal.getsignal(signal.SIGTERM) == self._on_term:
            signal.signal(signal.SIGTERM, self._previous_term)
