"""app/service_manager.cpp against a service manager of our own: NOTIFY_SOCKET points at a unix
datagram socket this test owns, so the real binary's sd_notify(3) messages can be read in the
order they were sent (what systemd sees for Type=notify with WatchdogSec=)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("CG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BINARY = os.environ.get("CG_BINARY", os.path.join(SOURCE_DIR, "build/app/consolegate"))


def free_port(taken=()):
    """A port free for TCP and UDP on 127.0.0.1 (DNS binds both) and not in `taken`."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            if port in taken:
                continue
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class Exited(Exception):
    """The gateway exited while the test waited for a message."""


class ServiceManagerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cg-notify-")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(os.path.join(self.dir, "notify"))
        self.sock.settimeout(0.5)
        self.config = os.path.join(self.dir, "consolegate.toml")
        self.proc = None

    def write_config(self):
        # Ports are free when picked but released before the gateway binds them, so a test
        # running in parallel can take one in between: start() retries with new ones.
        self.dns_port = free_port()
        with open(self.config, "w") as f:
            f.write('[dns]\nlisten = ["127.0.0.1:%d"]\nupstreams = ["127.0.0.1:9"]\n'
                    'steer_ipv4 = ["127.0.0.1"]\n[proxy]\nenabled = false\n'
                    '[admin]\nlisten = "127.0.0.1:%d"\n' % (self.dns_port, free_port({self.dns_port})))

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, watchdog_usec=None, attempts=3):
        """Starts the gateway and returns its first message (READY=1 expected)."""
        env = dict(os.environ, NOTIFY_SOCKET=os.path.join(self.dir, "notify"))
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        for attempt in range(attempts):
            self.write_config()
            log_path = os.path.join(self.dir, "consolegate.log")
            with open(log_path, "w") as log:
                self.proc = subprocess.Popen([BINARY, "run", "--config", self.config], env=env,
                                             stdout=log, stderr=subprocess.STDOUT)
            try:
                return self.next_message()
            except Exited:
                with open(log_path) as f:
                    text = f.read()
                if attempt + 1 == attempts or "in use" not in text.lower():
                    self.fail("consolegate exited %s:\n%s" % (self.proc.returncode, text))

    def next_message(self, skip_watchdog=True):
        """The next datagram as a dict of its KEY=VALUE lines (15 s at most)."""
        deadline = time.monotonic() + 15
        while True:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                if self.proc.poll() is not None:
                    raise Exited()
                if time.monotonic() < deadline:
                    continue
                with open(os.path.join(self.dir, "consolegate.log")) as f:
                    self.fail("no sd_notify message within 15 s; log:\n" + f.read())
            msg = dict(line.split("=", 1) for line in data.splitlines() if "=" in line)
            if skip_watchdog and set(msg) == {"WATCHDOG"}:
                continue
            return msg

    def test_ready_after_the_listeners_then_reloading_ready_and_stopping_in_order(self):
        ready = self.start()
        self.assertEqual(ready.get("READY"), "1", ready)
        # READY=1 promises the listeners are bound: a connection succeeds at once.
        with socket.create_connection(("127.0.0.1", self.dns_port), timeout=2):
            pass
        before = time.monotonic_ns() // 1000
        self.proc.send_signal(signal.SIGHUP)
        reloading = self.next_message()
        self.assertEqual(reloading.get("RELOADING"), "1", reloading)
        usec = int(reloading["MONOTONIC_USEC"])  # the same CLOCK_MONOTONIC as Python's
        self.assertGreaterEqual(usec, before)
        self.assertLess(usec, time.monotonic_ns() // 1000 + 1)
        self.assertEqual(self.next_message().get("READY"), "1")
        self.proc.send_signal(signal.SIGTERM)
        stopping = self.next_message()
        self.assertEqual(stopping.get("STOPPING"), "1", stopping)
        self.assertEqual(self.proc.wait(timeout=30), 0)

    def test_a_refused_reload_still_ends_with_ready(self):
        self.assertEqual(self.start().get("READY"), "1")
        with open(self.config, "a") as f:
            f.write("[general]\nworkrs = 2\n")  # invalid: the running config stays
        self.proc.send_signal(signal.SIGHUP)
        self.assertEqual(self.next_message().get("RELOADING"), "1")
        self.assertEqual(self.next_message().get("READY"), "1")

    def test_watchdog_pings_at_half_the_interval(self):
        self.assertEqual(self.start(watchdog_usec=400000).get("READY"), "1")
        t0 = time.monotonic()
        pings = 0
        while pings < 3:
            if set(self.next_message(skip_watchdog=False)) == {"WATCHDOG"}:
                pings += 1
        # At 200 ms apart three pings take about 0.6 s; the bound only allows for a busy host.
        self.assertLess(time.monotonic() - t0, 5)

    def test_without_notify_socket_nothing_is_sent_and_the_gateway_runs(self):
        # First a run that tells us when it is up, so the ports are known to be its own; then
        # the same configuration without NOTIFY_SOCKET.
        self.assertEqual(self.start().get("READY"), "1")
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.next_message().get("STOPPING"), "1")
        self.assertEqual(self.proc.wait(timeout=30), 0)
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        self.proc = subprocess.Popen([BINARY, "run", "--config", self.config], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.dns_port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            self.fail("gateway did not listen (exit %s)" % self.proc.poll())
        self.assertIsNone(self.proc.poll())
        with self.assertRaises(socket.timeout):
            self.sock.recv(4096)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
