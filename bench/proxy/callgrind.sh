#!/usr/bin/env bash
# Instructions per request of the shipped gateway, by row, under valgrind's callgrind (not a
# test; not a timing: instruction counts repeat whatever else the machine is doing, so a change
# can be shown on a shared machine).
#
#   bench/proxy/callgrind.sh [BUILD_DIR]   (default build; needs consolegate, proxy_bench_server)
#
# One `consolegate run --only proxy` under callgrind (bench/lib.sh's gateway config: one worker,
# allow-all rule, JSON-lines audit), a local nginx origin, h2load over HTTP/1.1 + TLS 1.3. After a
# warm-up of every row, each row's N keep-alive requests run between `callgrind_control --zero`
# and `--dump`, so a row's figure is instructions of the whole process (every thread: the worker
# and the audit writer) divided by N. Rows:
#   plain    GET /1k, no sign-in information (forwarded unjudged)
#   judged   GET /1k with the console's cookies of a session the gateway saw AWS sign in (bound):
#            every request judged on its binding and written to the audit log
#   fresh    N/10 plain requests, each on a new TLS connection (Connection: close), on a second
#            gateway with proxy.tls_session_resumption = false: full handshakes

# Env: N (requests per row, 2000), C (clients, 10), OUT (directory kept for callgrind_annotate;
# default a temporary one, removed).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/$BUILD/app/consolegate
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
N=${N:-2000}; C=${C:-10}
for t in valgrind callgrind_control h2load nginx curl; do
  command -v $t >/dev/null || { echo "$t missing" >&2; exit 2; }
done
[[ -x $BIN && -x $SERVER ]] || { echo "build consolegate and proxy_bench_server first" >&2; exit 2; }
bench_workdir callgrind "${OUT:-}"
HOST=signin.aws.amazon.com
ORIGIN=$(free_port); SNI=$(free_port); CONNECT=$(free_port)
"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"

# The origin; /signin-answer plays AWS's answer to a sign-in (bench/lib.sh).
bench_origin $ORIGIN $HOST "" "$(bench_signin_location)"

bench_gateway_config "$W/gw.toml" "$SNI" "$CONNECT" "$HOST" "$ORIGIN" "$W/pki" "$W/audit.jsonl"
"$BIN" check-config "$W/gw.toml" >/dev/null
valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out.%p" --dump-instr=no \
  "$BIN" run --config "$W/gw.toml" --only proxy 2>"$W/gw.log" & GW=$!; pids+=($GW)
wait_port $SNI 60

COOKIE=$BENCH_JUDGED_COOKIE
load() {  # N [h2load args...]
  local n=$1; shift
  h2load --h1 -n "$n" -c "$C" -t 1 "$@" --connect-to=127.0.0.1:$SNI "https://$HOST/1k" 2>&1
}
check() {  # ROW N OUTPUT: every request answered 2xx
  local ok; ok=$(echo "$3" | awk '/^status codes:/ {print $3}')
  [[ ${ok:-0} == "$2" ]] || { echo "$1: ${ok:-0}/$2 2xx" >&2; echo "$3" | tail -5 >&2; exit 1; }
}
# AWS signs the session in (through the gateway, which learns the binding), then warm-up.
bench_sign_in $HOST $SNI "$W/pki/corp/ca.crt" || { echo "the sign-in answer failed" >&2; exit 1; }
check warm-plain 200 "$(load 200)"
check warm-judged 200 "$(load 200 -H "$COOKIE")"
ir() {  # the last dump's total instructions
  local f; f=$(ls -t "$W"/callgrind.out.* | head -1)
  awk '/^(summary|totals):/ {print $2; exit}' "$f"
}
row() {  # NAME N [h2load args...]
  local name=$1 n=$2; shift 2
  callgrind_control --zero $GW >/dev/null 2>&1
  check "$name" "$n" "$(load "$n" "$@")"
  callgrind_control --dump="$name" $GW >/dev/null 2>&1
  sleep 0.5  # the dump is written by the process itself
  local total; total=$(ir)
  printf '%-8s %7d requests  %14d instructions  %8.0f per request\n' "$name" "$n" "$total" \
    "$(echo "$total / $n" | bc -l)"
  IR[$name]=$(echo "$total / $n" | bc -l)
}
declare -A IR
echo "# callgrind, consolegate run --only proxy, $(git -C "$ROOT" rev-parse --short HEAD), h2load --h1 -c $C"
row plain "$N"
row judged "$N" -H "$COOKIE"
printf 'judged/plain instructions per request: %.3f (the paired requests/s ratio is about its inverse\n' \
  "$(echo "${IR[judged]} / ${IR[plain]}" | bc -l)"
echo "  where the worker, not the kernel, bounds it: bench/proxy/judged.sh measures it paired)"
events=$(wc -l <"$W/audit.jsonl" 2>/dev/null || echo 0)
echo "audit events written so far: $events"
kill $GW; wait $GW 2>/dev/null || true

# The fresh row: a gateway without TLS resumption, every request a new connection.
bench_gateway_config "$W/fresh.toml" "$SNI" "$CONNECT" "$HOST" "$ORIGIN" "$W/pki" "$W/audit.jsonl" false
valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out.%p" --dump-instr=no \
  "$BIN" run --config "$W/fresh.toml" --only proxy 2>"$W/gw-fresh.log" & GW=$!; pids+=($GW)
wait_port $SNI 60
check warm-fresh 20 "$(load 20 -H "Connection: close")"
row fresh $((N / 10)) -H "Connection: close"
