#!/usr/bin/env bash
# HTTP/2 rows of the proxy benchmark (issue 18 goal 5; not a test): consolegate's inspecting proxy
# with proxy.http2 on (proxy_bench_server, allow-all inspector; CG_BENCH_HTTP2=1) against nginx as
# an h2 front with an HTTP/1.1 TLS upstream (keep-alive pool), both on their SNI/TLS port directly
# (no NAT), both speaking HTTP/1.1 over TLS to the same nginx origin. Server under test on CPU 0,
# h2load and the origin on CPU 1; requests/s divided by the server's CPU share (per server core),
# median of REPEAT runs. Prints the rows and the ratio (goal >= 1.0).
#
#   bench/proxy/h2.sh [BUILD_DIR]   (default build; needs proxy_bench_server)
# Env: N (requests, 50000), C (connections, 20), M (concurrent streams per connection, 10),
#      REPEAT (3).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
N=${N:-50000}; C=${C:-20}; M=${M:-10}; REPEAT=${REPEAT:-3}
[[ -x $SERVER ]] || { echo "build proxy_bench_server first" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing: scripts/setup.sh" >&2; exit 2; }
bench_workdir h2bench
ulimit -n 65536 2>/dev/null || true
HOST=signin.aws.amazon.com
ORIGIN=$(free_port); CG_SNI=$(free_port); CG_CONNECT=$(free_port); NGX=$(free_port)
"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"
bench_origin $ORIGIN $HOST 10

# run_h2 NAME PID PORT: REPEAT h2load runs; the median per-core figure into PER[NAME].
declare -A PER
FAILED=()
run_h2() {
  local name=$1 pid=$2 port=$3 i out rps ok t0 t1 c0 c1 share runs=() rates=()
  for ((i = 0; i < REPEAT; i++)); do
    t0=$(date +%s.%N); c0=$(cpu_ns "$pid")
    out=$(timeout 300 taskset -c 1 h2load -n "$N" -c "$C" -m "$M" -t 1 \
          --connect-to=127.0.0.1:"$port" "https://$HOST/1k" 2>&1) || true
    t1=$(date +%s.%N); c1=$(cpu_ns "$pid")
    rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
    ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
    [[ ${ok:-0} == "$N" ]] || FAILED+=("$name: ${ok:-0}/$N 2xx")
    echo "$out" | grep -q "Application protocol: h2" || FAILED+=("$name: not h2")
    share=$(echo "($c1-$c0)/1000000000/($t1-$t0)" | bc -l)
    runs+=("$(echo "${rps:-0}/($share+0.0001)" | bc -l)"); rates+=("${rps:-0}")
  done
  local mid; mid=$(for i in "${!runs[@]}"; do echo "${runs[$i]} $i"; done | sort -g |
                   awk -v m=$((REPEAT / 2)) 'NR == m + 1 {print $2}')
  PER[$name]=${runs[$mid]}
  printf '%-44s %10s req/s  per-core=%8.0f  (runs:%s)\n' "$name" "${rates[$mid]}" "${runs[$mid]}" \
    "$(for r in "${runs[@]}"; do printf ' %.0f' "$r"; done)"
}

echo "# h2 rows $(date -u +%FT%TZ): h2load -c $C -m $M, 1 KiB body, TLS 1.3, server CPU0, client+origin CPU1"
CG="consolegate proxy h2 (allow-all inspector)"
CG_BENCH_HTTP2=1 taskset -c 0 "$SERVER" run "$W/pki" "$CG_SNI" "$CG_CONNECT" "$ORIGIN" 1 \
  2>"$W/cg.metrics" & CGP=$!
pids+=($CGP); wait_port "$CG_SNI"
run_h2 "$CG" "$CGP" "$CG_SNI"
kill $CGP; wait $CGP 2>/dev/null || true

bench_nginx_reverse "$NGX" "$ORIGIN" $HOST "" http2
run_h2 "nginx h2 front, HTTP/1.1 upstream" "$NGW" "$NGX"
kill $NG; wait $NG 2>/dev/null || true

printf 'ratio consolegate/nginx per core (h2): %.2f (goal >= 1.0)\n' \
  "$(echo "${PER[$CG]}/${PER[nginx h2 front, HTTP/1.1 upstream]}" | bc -l)"
if ((${#FAILED[@]})); then printf 'FAILED: %s\n' "${FAILED[@]}"; exit 1; fi
