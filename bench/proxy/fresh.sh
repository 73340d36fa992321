#!/usr/bin/env bash
# Fresh inspected connections, paired (issue 18 goal 4; not a test): the gateway binary
# (`consolegate run --only proxy`, real policy, proxy.tls_session_resumption = false) against
# nginx as a two-leg TLS reverse proxy (ssl_session_tickets off, ssl_session_cache off, upstream
# keep-alive pool of 256), both reached directly on their TLS port (no NAT: consolegate is reached
# by DNS steering in production). One request per connection (`Connection: close`, h2load -n);
# server under test on CPU 0, h2load and the origin on CPU 1. The two servers run at once and are
# loaded in turn, ROUNDS times, so a drifting host moves both figures of a round alike; each
# round prints both per-core figures (requests per server CPU-second) and their ratio, then the
# median ratio. Syscalls per connection: STRACE=1 (slows the run; no per-core figures then).
#
#   bench/proxy/fresh.sh [BUILD_DIR]   (default build; needs consolegate and proxy_bench_server)
# Env: NF (connections per run, 4000), C (clients, 50), ROUNDS (5).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
GATEWAY=$ROOT/$BUILD/app/consolegate
NF=${NF:-4000}; C=${C:-50}; ROUNDS=${ROUNDS:-5}
[[ -x $SERVER && -x $GATEWAY ]] || { echo "build consolegate and proxy_bench_server first" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing: scripts/setup.sh --bench" >&2; exit 2; }
bench_workdir freshbench
ulimit -n 65536 2>/dev/null || true
HOST=signin.aws.amazon.com
ORIGIN=$(free_port); GW_SNI=$(free_port); GW_CONNECT=$(free_port); NGX=$(free_port)
"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"
bench_origin "$ORIGIN" $HOST 10

bench_gateway_config "$W/gw.toml" "$GW_SNI" "$GW_CONNECT" $HOST "$ORIGIN" "$W/pki" "$W/audit.jsonl" false
taskset -c 0 "$GATEWAY" run --config "$W/gw.toml" --only proxy 2>"$W/gw.log" & GW=$!
pids+=($GW); wait_port "$GW_SNI"
bench_nginx_reverse "$NGX" "$ORIGIN" $HOST "" "" "ssl_session_tickets off; ssl_session_cache off;"

FAILED=()
# load NAME PID PORT: one h2load run; sets PER (requests per server CPU-second).
load() {
  local name=$1 pid=$2 port=$3 t0 t1 c0 c1 out rps ok share st=
  if [[ -n ${STRACE:-} ]]; then strace -c -f -p "$pid" -o "$W/$name.strace" & st=$!; sleep 0.5; fi
  t0=$(date +%s.%N); c0=$(cpu_ns "$pid")
  out=$(timeout 300 taskset -c 1 h2load --h1 -n "$NF" -c "$C" -t 1 -H "Connection: close" \
        --connect-to=127.0.0.1:"$port" "https://$HOST/1k" 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ns "$pid")
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  [[ ${ok:-0} == "$NF" ]] || FAILED+=("$name: ${ok:-0}/$NF 2xx")
  share=$(echo "($c1-$c0)/1000000000/($t1-$t0)" | bc -l)
  PER=$(echo "${rps:-0}/($share+0.0001)" | bc -l)
  if [[ -n $st ]]; then
    kill -INT "$st"; wait "$st" 2>/dev/null || true
    printf '    %s: %.1f syscalls per connection\n' "$name" \
      "$(awk -v n="$NF" '$NF == "total" {print $(NF-2) / n}' "$W/$name.strace")"
  fi
}

echo "# fresh connections $(date -u +%FT%TZ): h2load --h1 -n $NF -c $C, Connection: close, TLS 1.3, 1 KiB, server CPU0, client+origin CPU1, no resumption"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
  load gateway "$GW" "$GW_SNI"; gw=$PER
  load nginx "$NGW" "$NGX"; ng=$PER
  ratios+=("$(echo "$gw/$ng" | bc -l)")
  printf 'round %d: consolegate gateway %6.0f  nginx-reverse %6.0f per core  ratio %.3f\n' "$r" "$gw" "$ng" "${ratios[-1]}"
done
printf 'median ratio consolegate gateway / nginx-reverse, fresh per core: %.3f (issue 18 goal: >= 1.2)\n' \
  "$(printf '%s\n' "${ratios[@]}" | sort -g | awk -v m=$(((ROUNDS + 1) / 2)) 'NR == m')"
if ((${#FAILED[@]})); then printf 'FAILED: %s\n' "${FAILED[@]}"; exit 1; fi
