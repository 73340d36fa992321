"""The sign-in corpus (tests/corpus/signin) through the live proxy: every request, sent raw over
TLS to the SNI listener, must get the same decision `consolegate explain` gives it (reviewed in
tests/corpus/policy/decisions.json): denied requests never reach the origin."""
import json
import os
import re
import subprocess
import unittest

from harness import BINARY, SOURCE_DIR, Gateway

CORPUS = os.path.join(SOURCE_DIR, "tests/corpus/signin")
POLICY_DIR = os.path.join(SOURCE_DIR, "tests/corpus/policy")


# The corpus was written for a 16 KiB inspection cap. AMS change requests made with the API go to
# amscm.<region>.amazonaws.com, which is not in the default inspect set (it is not a console
# name): a site that guards AMS outside the console adds it, as here.
PROXY_EXTRA = """max_inspect_body = "16KiB"
inspect_hosts = ["signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
                 "*.console.aws.amazon.com", "portal.sso.*.amazonaws.com", "amscm.*.amazonaws.com"]"""


def corpus_policy_section():
    """The corpus policy's [policy…] tables, with its org export copied in by the harness."""
    with open(os.path.join(POLICY_DIR, "policy.toml")) as f:
        text = f.read()
    return text[text.index("[policy]"):]


def wire_request(text):
    """A corpus file as bytes on the wire: CRLF header lines, Connection: close, body as is."""
    raw = text.encode()
    m = re.search(rb"\r?\n\r?\n", raw)
    head, body = (raw[:m.start()], raw[m.end():]) if m else (raw.rstrip(b"\r\n"), b"")
    lines = [l.rstrip(b"\r") for l in head.split(b"\n")]
    lines = [l for l in lines if not l.lower().startswith(b"connection:")]
    if not any(l.lower().startswith((b"content-length:", b"transfer-encoding:")) for l in lines[1:]) and body:
        body = body.rstrip(b"\r\n")
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines + [b"Connection: close", b"", b""]) + body


class CorpusThroughTheProxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(POLICY_DIR, "decisions.json")) as f:
            cls.expected = json.load(f)
        cls.files = sorted(n for n in os.listdir(CORPUS) if n.endswith(".http"))
        # The host (= SNI) of each request, as the inspector normalises it.
        r = subprocess.run([BINARY, "explain", "--config", os.path.join(POLICY_DIR, "policy.toml")] +
                           [os.path.join(CORPUS, n) for n in cls.files], capture_output=True, text=True, timeout=60)
        cls.hosts = {n: json.loads(l)["host"] for n, l in zip(cls.files, r.stdout.splitlines())}
        cls.gw = Gateway(policy_section=corpus_policy_section(), policy_toml="",
                         org_file=os.path.join(POLICY_DIR, "org.json"),
                         proxy_extra=PROXY_EXTRA,
                         override_hosts=sorted(set(cls.hosts.values()))).start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def test_every_request_gets_the_reviewed_decision(self):
        for name in self.files:
            with self.subTest(request=name):
                with open(os.path.join(CORPUS, name), encoding="utf-8", errors="surrogateescape",
                          newline="") as f:  # keep CRLF: chunk framing and Content-Length count it
                    data = wire_request(f.read())
                status, body = self.gw.raw_https(self.hosts[name], data)
                if self.expected[name]["effect"] == "allow":
                    self.assertEqual(status, 200, body[:300])
                    self.assertIn("demo origin", body)
                else:
                    # Denied by the policy (403), or refused as malformed HTTP (400) before it:
                    # either way the request never reaches the origin.
                    self.assertIn(status, (400, 403), body[:300])
                    self.assertNotIn("demo origin", body)
                    if status == 403:
                        self.assertIn(self.expected[name]["reason"], body)


if __name__ == "__main__":
    unittest.main()
