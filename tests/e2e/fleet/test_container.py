"""The container image, built and run here: scripts/container-image.sh makes the runtime base
from Debian's repositories (mmdebstrap, cached) and builds deploy/container/Containerfile with
podman; the gateway then runs from the image as its non-root user on a read-only root file system,
its configuration mounted read-only and its state on a volume, on the host's loopback
(--network=host) next to the harness's origin and upstream resolver. From outside the container:
a steered DNS answer, a block page trusted through the CA, an allowed sign-in reaching the origin,
and the event written by the container."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import BINARY, PROD, SANDBOX, SOURCE_DIR, Gateway, run  # noqa: E402

UID = 65532  # the image's user (deploy/container/Containerfile, the Kubernetes manifests)
BUILD = {}   # image, podman_global, podman_run: what the script printed


def build_image():
    tag = "localhost/consolegate:e2e-%d" % os.getpid()
    started = time.monotonic()
    r = run([os.path.join(SOURCE_DIR, "scripts/container-image.sh"), "--binary", BINARY,
             "--tag", tag], timeout=900)
    if r.returncode != 0:
        raise AssertionError("scripts/container-image.sh failed (%d):\n%s" % (r.returncode, r.stderr))
    for line in r.stdout.splitlines():
        key, _, value = line.partition("=")
        BUILD[key] = value
    print("image %s built in %.0f s" % (BUILD["image"], time.monotonic() - started), file=sys.stderr)


def podman(*args, timeout=60):
    return run(["podman"] + BUILD["podman_global"].split() + list(args), timeout=timeout)


class ContainerGateway(Gateway):
    """The harness's gateway, run from the image instead of the build tree's binary."""

    def __init__(self):
        super().__init__()
        self.name = "cg-e2e-%d" % os.getpid()
        self.state = os.path.join(self.dir, "state")

    def write_config(self):
        path = super().write_config()
        with open(path) as f:
            text = f.read()
        # The configuration directory is mounted read-only: the record goes to the state volume.
        text = text.replace('jsonl_path = "audit.jsonl"', 'jsonl_path = "/var/lib/consolegate/audit.jsonl"')
        text = text.replace('sqlite_path = "audit.sqlite"', 'sqlite_path = "/var/lib/consolegate/audit.sqlite"')
        with open(path, "w") as f:
            f.write(text)
        os.makedirs(self.state, exist_ok=True)
        # The container's user reads the configuration and CA (as the Secret's fsGroup would let it).
        for root, dirs, files in os.walk(self.dir):
            for name in dirs + files:
                os.chown(os.path.join(root, name), UID, UID)
        os.chown(self.dir, UID, UID)
        return path

    def gateway_command(self):
        return ["podman"] + BUILD["podman_global"].split() + [
            "run", "--rm", "--name", self.name, "--network=host", "--read-only",
            "--tmpfs", "/tmp", "--cap-drop=all", "--security-opt=no-new-privileges",
            "-v", "%s:%s:ro" % (self.dir, self.dir), "-v", "%s:/var/lib/consolegate" % self.state,
        ] + BUILD["podman_run"].split() + [BUILD["image"], "run", "--config", self.config]

    def events(self):
        path = os.path.join(self.state, "audit.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def close(self):
        super().close()
        podman("rm", "--force", "--ignore", self.name)


class ContainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build_image()
        cls.gw = ContainerGateway()
        try:
            cls.gw.start(attempts=1)
        except Exception:
            podman("rmi", "--force", BUILD["image"])
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        podman("rmi", "--force", BUILD["image"])

    def test_the_image_runs_the_cli_as_its_own_user_without_a_compiler(self):
        r = podman("image", "inspect", BUILD["image"], "--format",
                   "{{.Config.User}}|{{json .Config.Entrypoint}}")
        self.assertEqual(r.stdout.strip(), '%d:%d|["/usr/bin/consolegate"]' % (UID, UID), r.stderr)
        r = podman("run", "--rm", "--read-only", "--entrypoint", "/bin/sh", *BUILD["podman_run"].split(),
                   BUILD["image"], "-c", "id -u; for t in cc c++ gcc g++ clang ld as make; do "
                   "command -v $t; done; ls /usr/lib/gcc 2>/dev/null; touch /usr/bin/x || echo ro")
        self.assertEqual(r.stdout.split(), [str(UID), "ro"], r.stdout + r.stderr)

    def test_the_gateway_runs_read_only_without_capabilities(self):
        r = podman("inspect", self.gw.name, "--format",
                   "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{len .EffectiveCaps}}")
        self.assertEqual(r.stdout.split(), ["true", "%d:%d" % (UID, UID), "0"], r.stderr)

    def test_a_steered_dns_answer_from_the_container(self):
        out = self.gw.dig("console.aws.amazon.com")
        self.assertIn("status: NOERROR", out)
        self.assertRegex(out, r"(?m)^console\.aws\.amazon\.com\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1$")
        self.assertIn("192.0.2.80", self.gw.dig("www.example.test"))  # the rest goes upstream

    def test_a_block_page_from_the_container_through_its_ca(self):
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % PROD,
                                     "-H", "Accept: text/html")
        self.assertEqual(code, 403, body)
        self.assertIn("This AWS sign-in was blocked", body)
        ids = re.findall(r"\b[0-9a-f]{32}\b", body)
        self.assertTrue(ids, body)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(e["id"] == ids[0] for e in self.gw.events()):
            time.sleep(0.1)
        event = [e for e in self.gw.events() if e["id"] == ids[0]]
        self.assertTrue(event, "the block page's event is not in the state volume's record")
        self.assertEqual((event[0]["account"], event[0]["effect"]), (PROD, "deny"))

    def test_an_allowed_sign_in_reaches_the_origin_through_the_sni_listener(self):
        code, _, body = self.gw.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX, via="sni")
        self.assertEqual(code, 200, body)
        self.assertIn("demo origin", body)


def skip_reason():
    for tool, package in (("podman", "podman"), ("mmdebstrap", "mmdebstrap")):
        if not shutil.which(tool):
            return "%s is not installed (Debian package `%s`; scripts/setup.sh installs it)" % (tool, package)
    if os.geteuid() != 0:
        probe = subprocess.run(["unshare", "--user", "true"], capture_output=True)
        if probe.returncode != 0:
            return "user namespaces are forbidden here, and rootless podman needs them"
        return "the test runs the gateway as uid %d in a rootful container: run it as root" % UID
    return None


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print("SKIP: " + reason)
        sys.exit(77)
    unittest.main(verbosity=2)
