"""deploy/kubernetes: every manifest of the base and of each overlay is valid against the
Kubernetes API schema of a current release (kubernetes-models from npm: generated from the
Kubernetes OpenAPI, resource.k8s.io/v1 included, i.e. 1.34; plus the Prometheus Operator's
ServiceMonitor), strictly (no unknown fields); the objects the issue asks for are there with the
settings that matter; and each overlay's gateway configuration passes `consolegate check-config`.

Overlays are rendered with `kubectl kustomize` when a kubectl with kustomize v5 is installed;
without it only the base files are checked, and the test says so. Exit 77 (skipped, reason
printed) without node or the validator's npm packages (scripts/setup.sh installs them)."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("CG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BINARY = os.environ.get("CG_BINARY", os.path.join(SOURCE_DIR, "build/app/consolegate"))
K8S = os.path.join(SOURCE_DIR, "deploy/kubernetes")
VALIDATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kubernetes")


def kustomize_available():
    if not shutil.which("kubectl"):
        return False
    r = subprocess.run(["kubectl", "version", "--client"], capture_output=True, text=True, timeout=30)
    return "Kustomize Version: v5" in r.stdout


def load_all(text):
    import yaml  # Debian's python3-yaml
    return [d for d in yaml.safe_load_all(text) if d]


class KubernetesManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cg-k8s-")
        cls.rendered = {}
        if kustomize_available():
            for k in ["base"] + sorted(os.listdir(os.path.join(K8S, "overlays"))):
                path = os.path.join(K8S, k if k == "base" else "overlays/" + k)
                r = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True, timeout=60)
                assert r.returncode == 0, r.stderr
                cls.rendered[k] = r.stdout
        else:
            print("NOTE: no kubectl with kustomize v5: overlays are not rendered, only base/ is checked")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def validate(self, files):
        r = subprocess.run(["node", os.path.join(VALIDATOR, "validate.mjs")] + files,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_base_files_are_valid_against_the_api_schema(self):
        files = sorted(glob.glob(os.path.join(K8S, "base/*.yaml")))
        files = [f for f in files if not f.endswith("kustomization.yaml")]
        self.assertIn("11 objects valid", self.validate(files))

    def test_every_rendered_overlay_is_valid_against_the_api_schema(self):
        if not self.rendered:
            self.skipTest("no kubectl with kustomize v5")
        for name, text in self.rendered.items():
            path = os.path.join(self.dir, name + ".yaml")
            with open(path, "w") as f:
                f.write(text)
            with self.subTest(overlay=name):
                self.validate([path])

    def objects(self, name="base"):
        if name in self.rendered:
            return load_all(self.rendered[name])
        out = []
        for f in sorted(glob.glob(os.path.join(K8S, "base/*.yaml"))):
            if not f.endswith("kustomization.yaml"):
                with open(f) as fh:
                    out += load_all(fh.read())
        return out

    def test_the_objects_the_deployment_needs(self):
        objs = self.objects()
        kinds = {(o["kind"], o["metadata"]["name"].rsplit("-", 1)[0] if o["kind"] == "ConfigMap" else o["metadata"]["name"]) for o in objs}
        for k in (("Deployment", "consolegate"), ("PodDisruptionBudget", "consolegate"),
                  ("HorizontalPodAutoscaler", "consolegate"), ("NetworkPolicy", "consolegate"),
                  ("ServiceMonitor", "consolegate"), ("ServiceAccount", "consolegate"),
                  ("Secret", "consolegate-ca"), ("Service", "consolegate-dns"),
                  ("Service", "consolegate-proxy"), ("Service", "consolegate-admin")):
            self.assertIn(k, kinds)
        dep = next(o for o in objs if o["kind"] == "Deployment")
        self.assertGreaterEqual(dep["spec"]["replicas"], 2)
        self.assertEqual(dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)
        pod = dep["spec"]["template"]["spec"]
        spread = pod["topologySpreadConstraints"][0]
        self.assertEqual((spread["topologyKey"], spread["whenUnsatisfiable"]),
                         ("kubernetes.io/hostname", "DoNotSchedule"))
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
        c = pod["containers"][0]
        sc = c["securityContext"]
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz")
        dns = next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == "consolegate-dns")
        self.assertEqual({(p["port"], p["protocol"]) for p in dns["spec"]["ports"]}, {(53, "UDP"), (53, "TCP")})
        proxy = next(o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == "consolegate-proxy")
        self.assertEqual({p["port"] for p in proxy["spec"]["ports"]}, {443, 3128})
        secret = next(o for o in objs if o["kind"] == "Secret" and o["metadata"]["name"] == "consolegate-ca")
        self.assertIn("ca.key", secret["data"])
        # Sticky per client: console sessions are bound by the replica that saw the sign-in.
        self.assertEqual(proxy["spec"]["sessionAffinity"], "ClientIP")
        # The shared record: PostgreSQL, the client certificate from its own Secret, read-only.
        pg = next(o for o in objs if o["kind"] == "Secret" and o["metadata"]["name"] == "consolegate-postgres")
        self.assertIn("tls.key", pg["data"])
        mounts = {m["name"]: m for m in c["volumeMounts"]}
        self.assertEqual((mounts["postgres"]["mountPath"], mounts["postgres"]["readOnly"]),
                         ("/etc/consolegate/postgres", True))
        with open(os.path.join(K8S, "base/config/consolegate.toml")) as f:
            toml = f.read()
        self.assertIn("sslkey=/etc/consolegate/postgres/tls.key", toml)
        self.assertIn("sslmode=verify-full", toml)

    def test_each_overlays_configuration_passes_check_config(self):
        configs = {"base": os.path.join(K8S, "base/config/consolegate.toml")}
        for toml in glob.glob(os.path.join(K8S, "overlays/*/consolegate.toml")):
            configs[os.path.basename(os.path.dirname(toml))] = toml
        for name, toml in configs.items():
            with self.subTest(overlay=name):
                d = os.path.join(self.dir, "etc-" + name)
                os.makedirs(d)
                for f in glob.glob(os.path.join(K8S, "base/config/*")):
                    shutil.copy(f, d)
                shutil.copy(toml, os.path.join(d, "consolegate.toml"))
                subprocess.run([BINARY, "ca", "init", "--dir", os.path.join(d, "ca"), "--name", "k8s test CA"],
                               check=True, capture_output=True, timeout=60)
                r = subprocess.run([BINARY, "check-config", os.path.join(d, "consolegate.toml")],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_eks_overlay_speaks_proxy_protocol_on_both_sides(self):
        with open(os.path.join(K8S, "overlays/eks/consolegate.toml")) as f:
            toml = f.read()
        for key in ('sni_proxy_protocol = "required"', 'connect_proxy_protocol = "required"',
                    'tcp_proxy_protocol = "required"'):
            self.assertIn(key, toml)
        if "eks" in self.rendered:
            svcs = [o for o in load_all(self.rendered["eks"]) if o["kind"] == "Service"
                    and o["metadata"]["name"] in ("consolegate-dns", "consolegate-proxy")]
            self.assertEqual(len(svcs), 2)
            for s in svcs:
                self.assertEqual(s["metadata"]["annotations"]
                                 ["service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"], "*")
            proxy = next(s for s in svcs if s["metadata"]["name"] == "consolegate-proxy")
            self.assertIn("stickiness.type=source_ip", proxy["metadata"]["annotations"]
                          ["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"])
            sa = next(o for o in load_all(self.rendered["eks"]) if o["kind"] == "ServiceAccount")
            self.assertIn("eks.amazonaws.com/role-arn", sa["metadata"]["annotations"])
        self.assertIn("[team.dynamodb]", toml)


if __name__ == "__main__":
    missing = [t for t in ("node",) if not shutil.which(t)]
    if missing or not os.path.isdir(os.path.join(VALIDATOR, "node_modules", "kubernetes-models")):
        print("SKIP: node or the validator's npm packages are missing "
              "(scripts/setup.sh runs npm ci in tests/unit/deploy/kubernetes)")
        sys.exit(77)
    unittest.main(verbosity=2)
