#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the gateway on
# config/demo.toml (loopback only) next to a demo origin that stands in for AWS.
# Stop it with Ctrl-C (or SIGTERM): the gateway drains and flushes its audit log.
#
#   scripts/demo.sh
#
# State (dev CA, demo origin certificates, audit log) lives in demo-state/; delete it to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target consolegate

state=$root/demo-state
mkdir -p "$state"
if [[ ! -f $state/ca/ca.crt ]]; then
  ./build/app/consolegate ca init --dir "$state/ca" --name "consolegate demo CA"
fi
# The admin listener's bearer tokens (config/demo.toml names these files).
for role in reviewer operator; do
  if [[ ! -s $state/$role.token ]]; then
    (umask 077; openssl rand -hex 24 >"$state/$role.token")
  fi
done

/usr/bin/python3 scripts/demo-origin.py --dir "$state/origin" --port 9443 >"$state/origin.log" 2>&1 &
origin=$!
trap 'kill $origin 2>/dev/null || true' EXIT
# Wait (bounded) until the origin has made its certificates and listens.
for _ in $(seq 1 50); do
  grep -q "demo-origin: https" "$state/origin.log" 2>/dev/null && break
  kill -0 $origin 2>/dev/null || { cat "$state/origin.log"; exit 1; }
  sleep 0.1
done

cat <<MSG

consolegate demo: DNS 127.0.0.1:5353, SNI proxy 127.0.0.1:8443, CONNECT proxy 127.0.0.1:3128,
admin and review page http://127.0.0.1:8461/review (reviewer token: $(cat "$state/reviewer.token")).
Try the commands in README.md ("Your first five minutes") from another terminal. Ctrl-C stops
the gateway.

MSG
./build/app/consolegate run --config config/demo.toml
