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
#   cookie   (BASE=cookie, instead of plain) GET /1k with the same user's aws-userInfo and a
#            session cookie the gateway never saw AWS set, on a gateway with
#            policy.unbound_sessions = "cookie": judged and audited on the cookie alone, as before
#            session binding (issue 20). `judged` against it is session binding on against off
#            (goal >= 0.95x); both rows still hash their cookies and look them up in the table
#            (one hit, one miss): what "off" saves is the binding's use, not the lookup.
# ROUNDS rounds in ABBA order; each run's figure is requests per CPU-second of the gateway (all
# its threads, the audit writer's too, scheduler nanoseconds: cpu_ns). Prints each round's judged/BASE ratio, then
# their median and range.
# Env: N (requests per run, 100000), C (clients, 50), ROUNDS (7), CG_BENCH_REPEATS (count or
# each: audit.repeats, bench/lib.sh), CG_BENCH_AUDIT (jsonl, sqlite
# or off: the record's sink, bench/lib.sh). VS_AUDIT (jsonl, sqlite or off): a second gateway,
# the same but for its record's sink, also on CPU 0; a third row "judged-vs" loads it in each
# round (ABC/CBA), so the record's cost is paired in one run: judged/judged-vs. BASE (plain, the
# default, or cookie): the row the judged row is paired against.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/$BUILD/app/consolegate
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
N=${N:-100000}; C=${C:-50}; ROUNDS=${ROUNDS:-7}; BASE=${BASE:-plain}
case $BASE in
  plain) ;;
  cookie) export CG_BENCH_UNBOUND=cookie ;;
  *) echo "BASE must be plain or cookie" >&2; exit 2 ;;
esac
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
if [[ -n ${VS_AUDIT:-} ]]; then
  SNI_VS=$(free_port); CONNECT_VS=$(free_port); mkdir -p "$W/vs"
  CG_BENCH_AUDIT=$VS_AUDIT bench_gateway_config "$W/vs/gw.toml" "$SNI_VS" "$CONNECT_VS" "$HOST" "$ORIGIN" "$W/pki" "$W/vs/audit.jsonl"
  taskset -c 0 "$BIN" run --config "$W/vs/gw.toml" --only proxy 2>"$W/vs/gw.log" & GW_VS=$!; pids+=($GW_VS)
  wait_port $SNI_VS
  bench_sign_in $HOST $SNI_VS "$W/pki/corp/ca.crt" || { echo "the sign-in answer failed (vs)" >&2; exit 1; }
fi

# load ROW: requests per gateway CPU-second for N keep-alive requests (exits on a non-2xx answer).
load() {
  local extra=() t0 t1 c0 c1 out ok rps gw=$GW port=$SNI
  [[ $1 == judged* ]] && extra=(-H "$BENCH_JUDGED_COOKIE")
  [[ $1 == cookie ]] && extra=(-H "$BENCH_COOKIE_ONLY")
  [[ $1 == judged-vs ]] && gw=$GW_VS port=$SNI_VS
  t0=$(date +%s.%N); c0=$(cpu_ns $gw)
  out=$(timeout 300 taskset -c 1 h2load --h1 -n "$N" -c "$C" -t 1 "${extra[@]}" \
        --connect-to=127.0.0.1:$port "https://$HOST/1k" 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ns $gw)
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  [[ ${ok:-0} == "$N" ]] || { echo "$1: ${ok:-0}/$N 2xx" >&2; echo "$out" | tail -5 >&2; exit 1; }
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
  echo "$rps $t0 $t1 $c0 $c1 1000000000" | awk '{share = ($5 - $4) / $6 / ($3 - $2); printf "%.0f", $1 / share}'
}
load $BASE >/dev/null; load judged >/dev/null   # warm-up: leaf, upstream pool, memo
[[ -n ${VS_AUDIT:-} ]] && load judged-vs >/dev/null
echo "# judged vs $BASE $(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD), h2load --h1 -n $N -c $C, gateway CPU0, record ${CG_BENCH_AUDIT:-jsonl}${VS_AUDIT:+ vs $VS_AUDIT}, load $(cut -d' ' -f1-3 /proc/loadavg)"
summary() {  # NAME GOAL RATIO...
  local name=$1 goal=$2; shift 2
  printf '%s\n' "$@" | sort -g | awk -v name="$name" -v goal="$goal" '{v[NR] = $1}
    END { printf "%s median %.3fx, range %.3fx-%.3fx over %d rounds (goal >= %s)\n",
          name, v[int((NR + 1) / 2)], v[1], v[NR], NR, goal }'
}
ratios=(); vs=()
for ((r = 1; r <= ROUNDS; r++)); do
  rows=($BASE judged); [[ -n ${VS_AUDIT:-} ]] && rows+=(judged-vs)
  ((r % 2)) || rows=($(printf '%s\n' "${rows[@]}" | tac))
  declare -A got=()
  for row in "${rows[@]}"; do got[$row]=$(load "$row"); done
  ratios+=("$(echo "${got[judged]} / ${got[$BASE]}" | bc -l)")
  line=$(printf 'round %d: %s %s, judged %s' "$r" "$BASE" "${got[$BASE]}" "${got[judged]}")
  if [[ -n ${VS_AUDIT:-} ]]; then
    vs+=("$(echo "${got[judged]} / ${got[judged-vs]}" | bc -l)")
    line+=$(printf ', judged with %s %s req/s per core: judged/%s %.3fx, judged/judged-vs %.3fx' \
            "$VS_AUDIT" "${got[judged-vs]}" "$BASE" "${ratios[-1]}" "${vs[-1]}")
  else
    line+=$(printf ' req/s per core: %.3fx' "${ratios[-1]}")
  fi
  echo "$line (load $(cut -d' ' -f1 /proc/loadavg))"
done
summary "judged/$BASE" 0.95x "${ratios[@]}"
[[ -n ${VS_AUDIT:-} ]] && summary "judged/judged with $VS_AUDIT" 0.9x "${vs[@]}"
sleep 1.5   # the audit log is flushed every second
if [[ -f $W/audit.jsonl ]]; then echo "audit events written: $(wc -l <"$W/audit.jsonl")"; fi
if [[ -f $W/audit.sqlite ]]; then
  echo "audit events written: $(sqlite3 "$W/audit.sqlite" 'SELECT count(*) FROM events')"
fi
