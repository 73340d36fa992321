"""What every throwaway server fixture of the tests shares (tests/support/kerberos/kdc.py,
tests/support/ldap/slapd.py): a temporary directory of its own, one foreground process started in
it, bounded waits for its ports, setup tools run to completion, the log's tail, and a close()
that stops the process (TERM, then KILL) and removes the directory whatever state the setup
reached. A subclass implements _start(*args) and may override _stop() for extra processes.

    class Thing(Daemon):
        def __init__(self, ...):
            super().__init__("cg-thing-", ...)   # calls self._start(...); closes on failure
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TOOL_TIMEOUT = 30  # one setup tool run (kadmin.local, slapadd, openssl...)


def free_port(udp_too=False):
    """A port free on 127.0.0.1 now (for TCP, and for UDP too when asked)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM) if udp_too else None
        try:
            if u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            if u:
                u.close()
            t.close()
    raise RuntimeError("no free port")


class Daemon:
    def __init__(self, prefix, *start_args):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.proc = None
        try:
            self._start(*start_args)
        except BaseException:
            self.close()
            raise

    def _start(self, *args):
        raise NotImplementedError

    def _write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def _spawn(self, args, log_name, env=None):
        """Starts the server in the foreground (so close() can stop it), output to log_name."""
        log = open(os.path.join(self.dir, log_name), "w")
        self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def _wait_listening(self, port, seconds=10):
        """True once 127.0.0.1:port accepts; False when the process exits or time runs out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def _tool(self, args, input=None, env=None):
        r = subprocess.run(args, env=env, input=input, capture_output=True, text=True,
                           timeout=TOOL_TIMEOUT)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (args[0], r.returncode, r.stdout,
                                                        r.stderr))
        return r.stdout

    def _log_tail(self, *names, limit=4000):
        out = ""
        for name in names:
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out += f.read()[-limit:]
        return out

    def _stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def close(self):
        self._stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
