"""A fleet's shared record end to end: a real PostgreSQL (Debian's initdb/pg_ctl, a throwaway
cluster owned by `nobody` in a temporary directory, on a unix socket) and two gateway processes
writing to it. `consolegate logs` under either replica's configuration and either replica's
review API show the attempts both judged; the password never appears in a log."""
import json
import os
import sys
import unittest

from pg_cluster import PASSWORD, TwoReplicas

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import PROD, SANDBOX, wait_until  # noqa: E402


class SharedRecordTest(TwoReplicas):

    def test_logs_and_the_review_api_of_either_replica_show_both(self):
        a, b = self.replicas
        self.assertEqual(a.curl("https://%s.signin.aws.amazon.com/console" % PROD)[0], 403)
        self.assertEqual(b.curl("https://%s.signin.aws.amazon.com/console" % PROD)[0], 403)
        self.assertEqual(b.curl("https://%s.signin.aws.amazon.com/console" % SANDBOX)[0], 200)
        wait_until(lambda: len(a.own_ids()) >= 1 and len(b.own_ids()) >= 2, 20, "events judged")
        both = a.own_ids() | b.own_ids()
        self.assertFalse(a.own_ids() & b.own_ids())

        def listed(replica):
            r = replica.cli("logs", "--config", replica.config, "--format", "json")
            self.assertEqual(r.returncode, 0, r.stderr)
            return {json.loads(line)["id"] for line in r.stdout.splitlines() if line.strip()}

        for replica in (a, b):
            wait_until(lambda: both <= listed(replica), 20, "both replicas' events in PostgreSQL")
            self.assertTrue(both <= {e["id"] for e in replica.api_events()})
        denied = sum(e["effect"] == "deny" for e in a.events() + b.events())
        r = a.cli("logs", "--config", a.config, "--summary", "--decision", "deny")
        self.assertIn("attempts %d " % denied, r.stdout)
        self.assertIn('consolegate_audit_written_total{sink="postgres"}', a.metrics())
        for replica in (a, b):
            replica.stop()
            self.assertNotIn(PASSWORD, replica.log("consolegate"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
