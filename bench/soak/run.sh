#!/usr/bin/env bash
# Bounded soak of the gateway binary (not a test; the lead runs it on a quiet machine). Mixed
# inspected (allowed), judged (forbidden, block page) and spliced (pass-through) traffic on
# loopback for SECONDS_MAX seconds or REQUESTS_MAX requests, whichever comes first, admin
# endpoints polled and a reload half-way; prints RSS before, at peak and after, and the proxy's
# connection counters (bench/soak/soak.py says how). Exit status 1 on any unexpected outcome.
#
#   bench/soak/run.sh [BUILD_DIR]     (relative to the repository root, default: build; needs the
#                                      target consolegate, unbound, python3 with dnspython)
# Env: SECONDS_MAX (default 120), REQUESTS_MAX (100000), CLIENTS (16).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
BINARY=$ROOT/$BUILD/app/consolegate
[[ -x $BINARY ]] || { echo "no $BINARY: cmake --build $BUILD --target consolegate" >&2; exit 1; }
CG_BINARY=$BINARY CG_SOURCE_DIR=$ROOT PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$ROOT/bench/soak/soak.py"
