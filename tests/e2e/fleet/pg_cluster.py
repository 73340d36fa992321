"""The shared sign-in record for the fleet tests: a throwaway PostgreSQL cluster (Debian's
initdb/pg_ctl, owned by `nobody` in a temporary directory, on a unix socket) and the harness's
gateway writing to it as one replica of a fleet."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from harness import REVIEWER_TOKEN, Gateway  # noqa: E402

PASSWORD = "e2e-Pg-Secret-0815"


def pg_bin():
    root = "/usr/lib/postgresql"
    versions = sorted(os.listdir(root)) if os.path.isdir(root) else []
    for v in reversed(versions):
        if os.path.exists(os.path.join(root, v, "bin", "initdb")):
            return os.path.join(root, v, "bin")
    return None


class Cluster:
    def __init__(self):
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="cg-pg-")
        self.as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
        pw = os.path.join(self.dir, "pwfile")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        if self.as_user:
            shutil.chown(self.dir, "nobody", "nogroup")
            shutil.chown(pw, "nobody", "nogroup")
        self.data = os.path.join(self.dir, "data")
        subprocess.run(self.as_user + [os.path.join(self.bin, "initdb"), "-D", self.data,
                                       "-U", "consolegate", "--auth=scram-sha-256",
                                       "--pwfile=" + pw, "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l",
                                       os.path.join(self.dir, "server.log"), "-w", "-t", "60", "-o",
                                       "-k %s -c listen_addresses= -p 5432 -c fsync=off" % self.dir,
                                       "start"],
                       check=True, capture_output=True, timeout=90)

    def pg_ctl(self, *args):
        """pg_ctl on this cluster (e.g. "stop" and "start" to take the store away and back)."""
        return subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                                              "-l", os.path.join(self.dir, "server.log"), "-w",
                                              "-t", "60", "-o", "-k %s -c listen_addresses= -p 5432"
                                              " -c fsync=off" % self.dir] + list(args),
                              capture_output=True, timeout=90)

    def connection(self):
        return "host=%s port=5432 user=consolegate dbname=postgres" % self.dir

    def close(self):
        subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m",
                                       "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class Replica(Gateway):
    """The harness's gateway writing to the shared PostgreSQL store as well."""

    def __init__(self, cluster, **gateway_args):
        super().__init__(**gateway_args)
        self.cluster = cluster

    def write_config(self):
        path = super().write_config()
        pw = os.path.join(self.dir, "postgres.password")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pw, 0o600)
        with open(path) as f:
            text = f.read()
        text = text.replace("[audit]\n", "[audit]\npostgres_connection = \"%s\"\n"
                            "postgres_password_file = \"postgres.password\"\n"
                            % self.cluster.connection(), 1)
        with open(path, "w") as f:
            f.write(text)
        return path

    def own_ids(self):
        return {e["id"] for e in self.events()}

    def api_events(self):
        req = urllib.request.Request("http://127.0.0.1:%d/api/events" % self.ports["admin"],
                                     headers={"Authorization": "Bearer " + REVIEWER_TOKEN})
        with urllib.request.urlopen(req, timeout=10) as r:
            return [json.loads(line) for line in r.read().decode().splitlines() if line.strip()]


@unittest.skipUnless(pg_bin(), "Debian's postgresql package is not installed (scripts/setup.sh)")
class TwoReplicas(unittest.TestCase):
    """For the whole class: a throwaway cluster and two started replicas (`replica_class` of it),
    `cls.replicas`; everything set up is closed whatever step failed."""
    replica_class = Replica

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()
        cls.replicas = []
        try:
            for _ in range(2):
                cls.replicas.append(cls.replica_class(cls.cluster).start())
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for r in cls.replicas:
            r.close()
        cls.cluster.close()
