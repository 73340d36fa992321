#!/usr/bin/env bash
# Kerberos on the CONNECT listener against no authentication, paired on one gateway process
# (issue 15: keep-alive requests/s per core within 5 % of the same path without it). Not a test:
# run it on a quiet machine.
#
#   bench/proxy/negotiate.sh [BUILD_DIR]   (default build; needs consolegate, proxy_bench_server)
#
# A throwaway MIT realm (bench/proxy/kdc_up.py), one `consolegate run --only proxy` pinned to
# CPU 0 (bench/lib.sh's gateway, plus identity.kerberos_* with 127.0.0.1 required and 127.0.0.2
# off), a local nginx origin, and curl --parallel on CPU 1 as the client (h2load cannot CONNECT):
# N requests for GET /1k (no sign-in information, forwarded unjudged through the bumped tunnel)
# over C keep-alive tunnels, from
#   off         127.0.0.2: no authentication
#   negotiate   127.0.0.1: `Proxy-Authorization: Negotiate` once per tunnel (curl --proxy-negotiate)
# ROUNDS rounds in ABBA order; each figure is requests per CPU-second of the gateway (all its
# threads, from /proc). Prints each round's negotiate/off ratio, then their median and range.
# FRESH=1 adds a row pair with one request per tunnel (one Kerberos accept per request): the
# cost of the accept itself.
# Env: N (requests per run, 20000), C (tunnels, 20), ROUNDS (5), FRESH (0).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/$BUILD/app/consolegate
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
N=${N:-20000}; C=${C:-20}; ROUNDS=${ROUNDS:-5}; FRESH=${FRESH:-0}
for t in nginx curl taskset krb5kdc; do command -v $t >/dev/null || { echo "$t missing" >&2; exit 2; }; done
[[ -x $BIN && -x $SERVER ]] || { echo "build consolegate and proxy_bench_server first" >&2; exit 2; }
bench_workdir negotiate
ulimit -n 65536 2>/dev/null || true
HOST=signin.aws.amazon.com
ORIGIN=$(free_port); SNI=$(free_port); CONNECT=$(free_port)

/usr/bin/python3 "$ROOT/bench/proxy/kdc_up.py" "$W/realm.env" & pids+=($!)
for _ in $(seq 300); do [[ -f $W/realm.env ]] && break; sleep 0.1; done
[[ -f $W/realm.env ]] || { echo "the realm did not start" >&2; exit 1; }
. "$W/realm.env"; export KRB5_CONFIG KRB5RCACHEDIR

"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"
bench_origin $ORIGIN $HOST 10
bench_gateway_config "$W/gw.toml" "$SNI" "$CONNECT" "$HOST" "$ORIGIN" "$W/pki" "$W/audit.jsonl"
cat >> "$W/gw.toml" <<CONF

[identity]
kerberos_keytab = "$KEYTAB"
kerberos_principal = "$PRINCIPAL"
kerberos_required = ["127.0.0.1/32"]
kerberos_off = ["127.0.0.2/32"]
CONF
"$BIN" check-config "$W/gw.toml" >/dev/null
taskset -c 0 "$BIN" run --config "$W/gw.toml" --only proxy 2>"$W/gw.log" & GW=$!; pids+=($GW)
wait_port $CONNECT

# load ROW [fresh]: requests per gateway CPU-second for N requests over C tunnels (exits on any
# answer but 200). fresh: a new tunnel per request.
load() {
  local args=(-s --parallel --parallel-max "$C" --cacert "$W/pki/corp/ca.crt"
              -x "http://proxy.test:$CONNECT" --resolve "proxy.test:$CONNECT:127.0.0.1"
              -o /dev/null -w '%{http_code}\n')
  case $1 in
    negotiate) args+=(--interface 127.0.0.1 --proxy-negotiate -U :) ;;
    off) args+=(--interface 127.0.0.2) ;;
  esac
  [[ ${2:-} == fresh ]] && args+=(-H "Connection: close" --no-keepalive)
  local t0 t1 c0 c1 codes
  t0=$(date +%s.%N); c0=$(cpu_ticks $GW)
  codes=$(KRB5CCNAME=$KRB5CCNAME timeout 600 taskset -c 1 curl "${args[@]}" \
          "https://$HOST/1k?n=[1-$N]" 2>>"$W/curl.err" | sort | uniq -c)
  t1=$(date +%s.%N); c1=$(cpu_ticks $GW)
  [[ $(echo "$codes" | awk '$2 == 200 {print $1}') == "$N" ]] ||
    { echo "$1 ${2:-}: answers were: $codes" >&2; tail -5 "$W/gw.log" "$W/curl.err" >&2; exit 1; }
  echo "$N $t0 $t1 $c0 $c1 $HZ" | awk '{cpu = ($5 - $4) / $6; printf "%.0f", $1 / cpu}'
}
load off >/dev/null; load negotiate >/dev/null   # warm-up: leaf, upstream pool, replay cache
echo "# negotiate vs off $(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD), curl --parallel N=$N C=$C, gateway CPU0"
pair() {  # pair ROWS_ARG: ROUNDS ABBA rounds, each round's ratio, then the median and range
  local ratios=() a b
  for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then a=$(load off "$@"); b=$(load negotiate "$@")
    else b=$(load negotiate "$@"); a=$(load off "$@"); fi
    ratios+=("$(echo "$b / $a" | bc -l)")
    printf 'round %d %s: off %s, negotiate %s req per CPU-second: %.3fx\n' "$r" "${1:-keep-alive}" "$a" "$b" "${ratios[-1]}"
  done
  printf '%s\n' "${ratios[@]}" | sort -g | awk -v row="${1:-keep-alive}" '{v[NR] = $1}
    END { printf "%s negotiate/off median %.3fx, range %.3fx-%.3fx over %d rounds\n",
          row, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}
pair
if [[ $FRESH == 1 ]]; then pair fresh; fi
