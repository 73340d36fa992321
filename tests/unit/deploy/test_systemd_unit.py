"""The systemd unit as shipped: Type=notify, hardened at least like dnsdist's unit, and an
exposure score (systemd-analyze security --offline=yes) of at most 2.0 that docs/deploy.md
states exactly."""
import os
import re
import shutil
import subprocess
import sys
import unittest

SOURCE_DIR = os.environ.get("CG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
UNIT = os.path.join(SOURCE_DIR, "deploy/consolegate.service")
DOC = os.path.join(SOURCE_DIR, "docs/deploy.md")


def directives():
    out = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")) and "=" in line:
                key, value = line.split("=", 1)
                out.setdefault(key, []).append(value)
    return out


class SystemdUnitTest(unittest.TestCase):
    def test_notify_and_the_hardening_of_dnsdists_unit(self):
        d = directives()
        self.assertEqual(d["Type"], ["notify"])
        self.assertIn("WatchdogSec", d)
        self.assertEqual(d["CapabilityBoundingSet"], ["CAP_NET_BIND_SERVICE"])
        self.assertEqual(d["ProtectSystem"], ["strict"])
        for key in ("NoNewPrivileges", "PrivateDevices", "PrivateTmp", "ProtectHome", "ProtectClock",
                    "ProtectControlGroups", "ProtectHostname", "ProtectKernelLogs",
                    "ProtectKernelModules", "ProtectKernelTunables", "LockPersonality",
                    "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID"):
            self.assertIn(d.get(key), (["yes"], ["true"]), key)
        self.assertEqual(set(d["RestrictAddressFamilies"][0].split()), {"AF_UNIX", "AF_INET", "AF_INET6"})
        self.assertEqual(d["SystemCallArchitectures"], ["native"])
        self.assertIn("@system-service", d["SystemCallFilter"])
        self.assertEqual(d["StateDirectory"], ["consolegate"])
        self.assertEqual(d["LogsDirectory"], ["consolegate"])
        self.assertNotIn("ReadWritePaths", d)  # the managed directories are the only writable ones

    def test_exposure_is_at_most_2_and_documented(self):
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", UNIT],
                           capture_output=True, text=True, timeout=30)
        m = re.search(r"Overall exposure level for consolegate\.service: ([0-9.]+)", r.stdout + r.stderr)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        score = float(m.group(1))
        self.assertLessEqual(score, 2.0)
        with open(DOC) as f:
            doc = f.read()
        self.assertIn("exposure level %s" % m.group(1), doc,
                      "docs/deploy.md must report the current score")


if __name__ == "__main__":
    if not shutil.which("systemd-analyze"):
        print("SKIP: systemd-analyze is not installed (Debian package `systemd`)")
        sys.exit(77)
    unittest.main(verbosity=2)
