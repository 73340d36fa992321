#!/usr/bin/env bash
# Installs every Debian package consolegate needs. Idempotent: packages already present are
# skipped, so a second run costs one dpkg query.
#
#   scripts/setup.sh            build + run + test dependencies
#   scripts/setup.sh --bench    also the peers the benchmarks compare against
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl libc-ares-dev libtomlplusplus-dev libsqlite3-dev sqlite3 libpugixml-dev
  libgtest-dev googletest ca-certificates
  libsystemd-dev
  libpq-dev
  libkrb5-dev libldap-dev
  libnghttp2-dev
)
# Real peers the tests start on loopback: an authoritative server, a reference resolver, clients,
# a browser, and clang for the libFuzzer builds.
test_pkgs=(
  nsd unbound bind9-dnsutils python3 python3-dnspython python3-jsonschema curl iproute2 procps psmisc
  chromium clang clang-format libclang-rt-14-dev
  haproxy lintian python3-yaml
  postgresql
  rsyslog rsyslog-gnutls
  nghttp2-client python3-h2   # HTTP/2 clients of the h2 tests (nghttp, hyper-h2)
  krb5-kdc krb5-admin-server krb5-user slapd ldap-utils faketime
  podman buildah mmdebstrap uidmap fuse-overlayfs slirp4netns libnss3-tools
  runc bind9 dnsmasq-base   # runc: crun refuses a hybrid cgroup hierarchy (test_container.py)
)
bench_pkgs=(dnsperf dnsdist squid-openssl mitmproxy nginx wrk socat iptables nftables)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${bench_pkgs[@]}"); fi
# Node.js (for dynalite, a real DynamoDB for the TEAM feed tests): Debian's, unless a node with
# npm is already on the machine (a second npm package would conflict with it).
if ! command -v npm >/dev/null 2>&1; then want+=(nodejs npm); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages for nsd/unbound/squid/nginx/dnsdist start system services on install;
  # consolegate's tests and benchmarks start their own instances on loopback and need the ports.
  for svc in nsd unbound squid nginx dnsdist haproxy slapd krb5-kdc krb5-admin-server named; do
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO service "$svc" stop >/dev/null 2>&1 || true
  done
else
  echo "setup: all packages present"
fi

# The Kubernetes manifest validator's npm packages (Kubernetes API schemas, offline once here):
# tests/unit/deploy/test_kubernetes.py.
k8s_validator="$(cd "$(dirname "$0")/.." && pwd)/tests/unit/deploy/kubernetes"
if [[ ! -d "$k8s_validator/node_modules/kubernetes-models" ]]; then
  echo "setup: npm ci in tests/unit/deploy/kubernetes"
  npm ci --prefix "$k8s_validator" --no-audit --no-fund >/dev/null
fi

# dynalite (npm), the DynamoDB the TEAM feed tests start on loopback, pinned in
# tests/support/team/package-lock.json and installed into tests/support/team/node_modules.
# Its LevelDB module ships prebuilt binaries for linux-x64, so no compiler step runs here.
team_support="$(cd "$(dirname "$0")/.." && pwd)/tests/support/team"
if [[ ! -x "$team_support/node_modules/.bin/dynalite" ]]; then
  echo "setup: installing dynalite into $team_support/node_modules"
  npm ci --prefix "$team_support" --no-audit --no-fund --loglevel=error
fi
