"""The sign-in record of the live gateway: every request of the sign-in corpus (every flow, and
requests carrying passwords, SAML assertions, sign-in tokens, session keys, signatures and
cookies) through the real proxy; after SIGTERM, every event in every sink validates against
docs/audit-event.schema.json and no secret value of any request appears in any sink."""
import json
import os
import re
import sqlite3
import subprocess
import unittest
import urllib.parse

import jsonschema

from harness import BINARY, PROD, SOURCE_DIR, Gateway, wait_until
from test_corpus_live import CORPUS, POLICY_DIR, PROXY_EXTRA, corpus_policy_section, wire_request

SCHEMA = os.path.join(SOURCE_DIR, "docs/audit-event.schema.json")
INSTANCE = "e2e-record-1"  # general.instance: the gateway field of every event

# Parameter and JSON keys whose values are secrets (compared case-insensitively).
SECRET_KEYS = {"password", "samlresponse", "signintoken", "session", "sessionkey", "sessiontoken",
               "sessionid", "x-amz-security-token", "x-amz-signature", "x-amz-credential",
               "secretaccesskey", "accesskeyid", "code", "token", "mfacode", "signature"}


def _walk_json(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            if k.lower() in SECRET_KEYS and isinstance(v, str):
                out.add(v)
            _walk_json(v, out)
    elif isinstance(value, list):
        for v in value:
            _walk_json(v, out)


def _params(text, out):
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        if key.lower() in SECRET_KEYS:
            out.add(value)
            try:
                _walk_json(json.loads(value), out)  # Session={"sessionKey": …}
            except ValueError:
                pass


def secrets_of(raw):
    """The secret values one corpus request carries, raw and decoded."""
    out = set()
    head, _, body = raw.partition("\n\n") if "\r\n\r\n" not in raw else raw.partition("\r\n\r\n")
    lines = head.splitlines()
    target = lines[0].split(" ")[1] if lines and " " in lines[0] else ""
    if "?" in target:
        _params(target.split("?", 1)[1], out)
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "authorization":
            out.add(value)
            out.update(re.findall(r"Signature=([0-9a-fA-F]+)", value))
        elif name == "cookie":
            for part in value.split(";"):
                _, _, v = part.strip().partition("=")
                out.add(v)
        elif name in SECRET_KEYS:
            out.add(value)
    _params(body.strip(), out)
    try:
        _walk_json(json.loads(body), out)
    except ValueError:
        pass
    return {s for s in out | {urllib.parse.unquote_plus(s) for s in out} if len(s) >= 6}


class AuditRecordOfTheCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = sorted(n for n in os.listdir(CORPUS) if n.endswith(".http"))
        r = subprocess.run([BINARY, "explain", "--config", os.path.join(POLICY_DIR, "policy.toml")] +
                           [os.path.join(CORPUS, n) for n in cls.files], capture_output=True, text=True, timeout=60)
        cls.explained = {n: json.loads(l) for n, l in zip(cls.files, r.stdout.splitlines())}
        hosts = sorted({e["host"] for e in cls.explained.values()})
        cls.gw = Gateway(policy_section=corpus_policy_section(), policy_toml="",
                         org_file=os.path.join(POLICY_DIR, "org.json"), proxy_extra=PROXY_EXTRA,
                         override_hosts=hosts,
                         general_extra='instance = "%s"' % INSTANCE).start()
        cls.secrets = {}
        for name in cls.files:
            with open(os.path.join(CORPUS, name), encoding="utf-8", errors="surrogateescape",
                      newline="") as f:
                text = f.read()
            cls.secrets[name] = secrets_of(text)
            cls.gw.raw_https(cls.explained[name]["host"], wire_request(text))
        # SIGTERM: the gateway drains and flushes every queued event before it exits.
        cls.exit_code = cls.gw.stop()
        cls.sinks = {}
        with open(os.path.join(cls.gw.dir, "audit.jsonl"), "rb") as f:
            cls.sinks["jsonl"] = f.read()
        sqlite_file = os.path.join(cls.gw.dir, "audit.sqlite")
        if os.path.exists(sqlite_file):
            with open(sqlite_file, "rb") as f:
                cls.sinks["sqlite"] = f.read()
            for extra in ("-wal", "-journal"):
                if os.path.exists(sqlite_file + extra):
                    with open(sqlite_file + extra, "rb") as f:
                        cls.sinks["sqlite"] += f.read()
            cls.sqlite_file = sqlite_file
        cls.events = [json.loads(l) for l in cls.sinks["jsonl"].decode().splitlines() if l.strip()]

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def test_sigterm_exits_cleanly_with_every_attempt_recorded(self):
        self.assertEqual(self.exit_code, 0, self.gw.log("consolegate")[-2000:])
        ids = {e["id"] for e in self.events}
        self.assertEqual(len(ids), len(self.events))
        # Every flow the corpus exercises shows up in the record.
        flows = {a["flow"] for e in self.explained.values() for a in e.get("attempts", [])}
        self.assertEqual({e["flow"] for e in self.events}, flows)
        self.assertGreaterEqual(len(self.events), len(self.files) // 2)

    def test_every_event_validates_against_the_schema(self):
        with open(SCHEMA) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        for e in self.events:
            with self.subTest(event=e["id"]):
                errors = [err.message for err in validator.iter_errors(e)]
                self.assertEqual(errors, [], e)
                self.assertEqual(e["gateway"], INSTANCE)  # general.instance
        # The SQLite store holds the same events, equally valid.
        with sqlite3.connect(self.sqlite_file) as db:
            stored = [json.loads(r[0]) for r in db.execute("SELECT event FROM events_json ORDER BY seq")]
        self.assertEqual(stored, self.events)
        for e in stored:
            self.assertEqual([err.message for err in validator.iter_errors(e)], [])
        # The org export names OU paths: some events carry one, with the organization.
        with_ou = [e for e in self.events if e["ou_path"]]
        self.assertTrue(with_ou)
        for e in with_ou:
            self.assertTrue(e["ou_path"].startswith(e["org"] + "/"), e)
        self.assertTrue(any(e["principal_arn"].startswith("arn:aws:iam::") for e in self.events))

    def test_no_secret_reaches_any_sink(self):
        checked = 0
        for name, secrets in self.secrets.items():
            for secret in secrets:
                for sink, data in self.sinks.items():
                    checked += 1
                    with self.subTest(request=name, sink=sink):
                        self.assertNotIn(secret.encode("utf-8", "surrogateescape"), data,
                                         "%s leaks %r" % (sink, secret[:40]))
        self.assertEqual(set(self.sinks), {"jsonl", "sqlite"})
        self.assertGreater(checked, 50)  # the corpus does carry secrets to look for
        self.assertTrue(any("hunter2" in s for s in self.secrets.values()))

    def test_logs_reads_the_sqlite_store_which_survives_a_restart(self):
        # --config names both sinks: logs reads the SQLite store.
        r = self.gw.cli("logs", "--config", self.gw.config, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(sorted(e["id"] for e in listed), sorted(e["id"] for e in self.events))
        self.assertEqual(listed, sorted(listed, key=lambda e: e["time"], reverse=True))
        denied = [e for e in self.events if e["effect"] == "deny"]
        r = self.gw.cli("logs", "--config", self.gw.config, "--summary", "--format", "json")
        self.assertEqual(json.loads(r.stdout)["attempts"], len(self.events))
        self.assertEqual(json.loads(r.stdout)["blocked"] + json.loads(r.stdout)["report_only"], len(denied))

        # Restart on the same files; follow the store while a new attempt is judged.
        self.gw.gw = self.gw._start("consolegate", [BINARY, "run", "--config", self.gw.config])
        try:
            wait_until(self.gw.ready, 30, "consolegate /readyz")
            follow = subprocess.Popen([BINARY, "logs", "--config", self.gw.config, "--follow", "--format", "json",
                                       "--since", "1s"], stdout=subprocess.PIPE, text=True)
            try:
                name = "iam-user-authenticate.http"
                with open(os.path.join(CORPUS, name), newline="") as f:
                    self.gw.raw_https(self.explained[name]["host"], wire_request(f.read()))
                # --since 1s may first list the previous run's last events (a fast restart):
                # those must be old ones; the first unseen one is the new attempt. Bounded by
                # the number of old events and by ctest's timeout.
                old_ids = {e["id"] for e in self.events}
                for _ in range(len(old_ids) + 1):
                    new = json.loads(follow.stdout.readline())
                    if new["id"] not in old_ids:
                        break
                self.assertNotIn(new["id"], old_ids)
                self.assertEqual(new["flow"], "iam-user")
            finally:
                follow.kill()
                follow.wait(timeout=10)
                follow.stdout.close()
        finally:
            self.assertEqual(self.gw.stop(), 0)
        r = self.gw.cli("logs", "--config", self.gw.config, "--format", "json")
        self.assertEqual(len(r.stdout.splitlines()), len(self.events) + 1)  # both runs, one file


class KillNine(unittest.TestCase):
    """docs/audit.md: a kill -9 loses only what was still queued; every event the metrics count
    as written is in both files afterwards."""

    def test_kill_9_keeps_every_written_event(self):
        gw = Gateway().start()
        try:
            for i in range(20):
                gw.curl("https://%s.signin.aws.amazon.com/console" % PROD)
            written = {}

            def all_written():
                text = gw.metrics()
                for sink in ("jsonl", "sqlite"):
                    m = re.search(r'consolegate_audit_written_total\{sink="%s"\} (\d+)' % sink, text)
                    written[sink] = int(m.group(1)) if m else 0
                return written["jsonl"] >= 20 and written["sqlite"] >= 20
            wait_until(all_written, 20, "20 events written by both sinks")
            self.assertIn('consolegate_audit_dropped_total{sink="sqlite"} 0', gw.metrics())
            gw.gw.kill()  # SIGKILL: no drain, no flush
            gw.gw.wait(timeout=10)
            with sqlite3.connect(os.path.join(gw.dir, "audit.sqlite")) as db:
                rows = db.execute("SELECT count(*) FROM events").fetchone()[0]
            self.assertGreaterEqual(rows, written["sqlite"])
            self.assertGreaterEqual(len(gw.events()), written["jsonl"])
        finally:
            gw.close()


if __name__ == "__main__":
    unittest.main()
