#!/usr/bin/env bash
# The judged path against the unjudged one on the shipped gateway, paired (issue 18 goal 1: judged
# >= 0.95x). Not a test: run it on a quiet machine.
#
#   bench/proxy/judged.sh [BUILD_DIR]   (default build; needs consolegate, proxy_bench_server)
#
# One `consolegate run --only proxy` (bench/lib.sh's gateway config: one worker, allow-all rule,
# JSON-lines audit) pinned to CPU 0; a local nginx origin and h2load (HTTP/1.1, TLS 1.3, 1 KiB
# body, C clients, keep-alive) on CPU 1. Rows, loaded in turn on the same process:
#   plain    GET /1k, no sign-in information (forwarded unjudged)
#   judged   GET /1k with a signed-in console session's cookies (aws-userInfo and the session
#            cookie the gateway saw AWS set): every request judged on its binding and written to
#            the audit log
# ROUNDS rounds in ABBA order; each run's figure is requests per CPU-second of the gateway (all
# its threads, the audit writer's too, from /proc). Prints each round's judged/plain ratio, then
# their median and range.
# Env: N (requests per run, 100000), C (clients, 50), ROUNDS (7), CG_BENCH_AUDIT (jsonl, sqlite
# or off: the record's sink, bench/lib.sh).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/$BUILD/app/consolegate
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
N=${N:-100000}; C=${C:-50}; ROUNDS=${ROUNDS:-7}
for t in h2load nginx curl taskset; do command -v $t >/dev/null || { echo "$t missing" >&2; exit 2; }; done
[[ -x $BIN && -x $SERVER ]] || { echo "build consolegate and proxy_bench_server first" >&2; exit 2; }
W=$(mktemp -d /tmp/cg-judged.XXXXXX); chmod 755 "$W"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5
            for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
              echo "port $1 never opened" >&2; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
HOST=signin.aws.amazon.com
ORIGIN=$(free_port); SNI=$(free_port); CONNECT=$(free_port)
"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"
mkdir -p "$W/origin"
cat > "$W/origin/nginx.conf" <<CONF
worker_processes 1; worker_cpu_affinity 10; daemon off; pid $W/origin/nginx.pid;
error_log $W/origin/error.log crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 120s;
  ssl_protocols TLSv1.2 TLSv1.3;
  server { listen 127.0.0.1:$ORIGIN ssl; server_name $HOST; root $W;
           ssl_certificate $W/pki/signin.crt; ssl_certificate_key $W/pki/signin.key;
           $(bench_signin_location) } }
CONF
nginx -c "$W/origin/nginx.conf" -p "$W/origin" & pids+=($!)
wait_port $ORIGIN
bench_gateway_config "$W/gw.toml" "$SNI" "$CONNECT" "$HOST" "$ORIGIN" "$W/pki" "$W/audit.jsonl"
"$BIN" check-config "$W/gw.toml" >/dev/null
taskset -c 0 "$BIN" run --config "$W/gw.toml" --only proxy 2>"$W/gw.log" & GW=$!; pids+=($GW)
wait_port $SNI
bench_sign_in $HOST $SNI "$W/pki/corp/ca.crt" || { echo "the sign-in answer failed" >&2; exit 1; }

# load ROW: requests per gateway CPU-second for N keep-alive requests (exits on a non-2xx answer).
load() {
  local extra=() t0 t1 c0 c1 out ok rps
  [[ $1 == judged ]] && extra=(-H "$BENCH_JUDGED_COOKIE")
  t0=$(date +%s.%N); c0=$(cpu_ticks $GW)
  out=$(timeout 300 taskset -c 1 h2load --h1 -n "$N" -c "$C" -t 1 "${extra[@]}" \
        --connect-to=127.0.0.1:$SNI "https://$HOST/1k" 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ticks $GW)
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  [[ ${ok:-0} == "$N" ]] || { echo "$1: ${ok:-0}/$N 2xx" >&2; echo "$out" | tail -5 >&2; exit 1; }
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
  echo "$rps $t0 $t1 $c0 $c1 $HZ" | awk '{share = ($5 - $4) / $6 / ($3 - $2); printf "%.0f", $1 / share}'
}
load plain >/dev/null; load judged >/dev/null   # warm-up: leaf, upstream pool, memo
echo "# judged vs plain $(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD), h2load --h1 -n $N -c $C, gateway CPU0"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then p=$(load plain); j=$(load judged); else j=$(load judged); p=$(load plain); fi
  ratios+=("$(echo "$j / $p" | bc -l)")
  printf 'round %d: plain %s, judged %s req/s per core: %.3fx\n' "$r" "$p" "$j" "${ratios[-1]}"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{v[NR] = $1}
  END { printf "judged/plain median %.3fx, range %.3fx-%.3fx over %d rounds (goal >= 0.95x)\n",
        v[int((NR + 1) / 2)], v[1], v[NR], NR }'
sleep 1.5   # the audit log is flushed every second
if [[ -f $W/audit.jsonl ]]; then echo "audit events written: $(wc -l <"$W/audit.jsonl")"; fi
if [[ -f $W/audit.sqlite ]]; then
  echo "audit events written: $(sqlite3 "$W/audit.sqlite" 'SELECT count(*) FROM events')"
fi
