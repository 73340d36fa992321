#!/usr/bin/env bash
# Two builds of consolegate, paired (not a test): did a change make the shipped binary slower?
# Prints per-round ratios NEW/BASE and their median and range; the lead keeps bench/RESULTS.md.
#
#   bench/baseline/run.sh BASE_BUILD NEW_BUILD
#     each a build directory holding app/consolegate; NEW_BUILD also needs
#     tests/integration/proxy/proxy_bench_server (for the test PKI). Run as root or any user.
#
# Rows, both on `consolegate run` of each build (the shipped binary, one worker):
#   judged  the proxy's SNI listener, HTTP/1.1 keep-alive over TLS 1.3, 1 KiB body, every request
#           carrying the console's aws-userInfo cookie: inspected, decided by a real policy and
#           written to the audit log (the row users live on);
#   dns     cache hits on `run --only dns`: dnsperf after a warm-up, with the upstream nsd frozen
#           (SIGSTOP) so a miss shows as a lost query.
# Method (DESIGN.md): server on CPU 0, load generator and origin on CPU 1, throughput divided by
# the server's CPU share. Both builds stay up side by side; ROUNDS rounds run BASE then NEW, the
# order flipped every other round, so the host's drift lands on both sides of every ratio.
#
# Env: ROUNDS (5), ROWS ("judged dns", or one of them), N (h2load requests per run, 100000), C (h2load clients, 50),
#      SECONDS_RUN (dnsperf seconds per run, 10), NAMES (distinct cached names, 1000).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
(($# == 2)) || { sed -n '2,8p' "$0" >&2; exit 2; }
BASE=$(cd "$1" && pwd); NEW=$(cd "$2" && pwd)
ROUNDS=${ROUNDS:-5}; ROWS=${ROWS:-judged dns}; N=${N:-100000}; C=${C:-50}; SECONDS_RUN=${SECONDS_RUN:-10}; NAMES=${NAMES:-1000}
for tool in h2load dnsperf nginx nsd taskset bc; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
    { echo "missing $tool: scripts/setup.sh --bench" >&2; exit 2; }
done
for b in "$BASE" "$NEW"; do [[ -x $b/app/consolegate ]] || { echo "no $b/app/consolegate" >&2; exit 2; }; done
PKI_TOOL=$NEW/tests/integration/proxy/proxy_bench_server
[[ -x $PKI_TOOL ]] || { echo "build proxy_bench_server in $NEW" >&2; exit 2; }

W=$(mktemp -d /tmp/cg-baseline.XXXXXX); chmod 755 "$W"   # nginx workers run as nobody
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  sleep 0.5; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_tcp() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
             echo "port $1 never opened" >&2; return 1; }
wait_dns() { for _ in $(seq 100); do dig @127.0.0.1 -p "$1" "$2" +tries=1 +time=1 >/dev/null 2>&1 && return 0; sleep 0.1; done
             echo "no DNS answer on $1" >&2; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# --- shared fixtures: PKI, the origin (nginx on CPU 1), the upstream zone (nsd on CPU 1) ----------
HOST=signin.aws.amazon.com
"$PKI_TOOL" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 >"$W/1k"; chmod 644 "$W/1k"
ORIGIN=$(free_port)
cat >"$W/nginx.conf" <<CONF
worker_processes 1; worker_cpu_affinity 10; daemon off; pid $W/nginx.pid; error_log $W/nginx.err crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 120s; ssl_protocols TLSv1.2 TLSv1.3;
  server { listen 127.0.0.1:$ORIGIN ssl; server_name $HOST; root $W;
           ssl_certificate $W/pki/signin.crt; ssl_certificate_key $W/pki/signin.key;
           $(bench_signin_location) } }
CONF
nginx -c "$W/nginx.conf" -p "$W" & pids+=($!)
wait_tcp "$ORIGIN"

NSD_PORT=$(free_port)
{ echo '$ORIGIN bench.test.'; echo '$TTL 86400'; echo '@ SOA ns h 1 3600 600 86400 3600'
  echo '@ NS ns'; echo 'ns A 127.0.0.1'
  for i in $(seq 1 "$NAMES"); do echo "h$i A 10.$((i / 250)).$((i % 250)).1"; done; } >"$W/zone"
for i in $(seq 1 "$NAMES"); do echo "h$i.bench.test A"; done >"$W/queries"
cat >"$W/nsd.conf" <<NSD
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  zonesdir: "$W"
  pidfile: "$W/nsd.pid"
  username: ""
  xfrdfile: "$W/xfrd.state"
  zonelistfile: "$W/zone.list"
  database: ""
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "bench.test"
  zonefile: "$W/zone"
NSD
taskset -c 1 nsd -d -c "$W/nsd.conf" >"$W/nsd.log" 2>&1 & NSD=$!; pids+=($NSD)
wait_dns "$NSD_PORT" bench.test

# --- one gateway pair per build: proxy only and DNS only, one worker each, on CPU 0 -------------
declare -A SNI DNSP GW DNS
start_build() {  # NAME BUILD_DIR
  local name=$1 bin=$2/app/consolegate d=$W/$1 sni connect dnsport
  mkdir -p "$d"; sni=$(free_port); connect=$(free_port); dnsport=$(free_port)
  bench_gateway_config "$d/proxy.toml" "$sni" "$connect" "$HOST" "$ORIGIN" "$W/pki" "$d/audit.jsonl"
  cat >"$d/dns.toml" <<CONF
[general]
workers = 1
log_level = "warn"
[dns]
listen = ["127.0.0.1:$dnsport"]
upstreams = ["127.0.0.1:$NSD_PORT"]
allow_clients = ["127.0.0.0/8"]
steer_ipv4 = ["127.0.0.1"]
[dns.cache]
max_entries = 100000
[proxy]
enabled = false
[admin]
enabled = false
CONF
  "$bin" check-config "$d/proxy.toml" >/dev/null && "$bin" check-config "$d/dns.toml" >/dev/null
  taskset -c 0 "$bin" run --config "$d/proxy.toml" --only proxy 2>"$d/proxy.log" & GW[$name]=$!
  pids+=(${GW[$name]})
  taskset -c 0 "$bin" run --config "$d/dns.toml" --only dns 2>"$d/dns.log" & DNS[$name]=$!
  pids+=(${DNS[$name]})
  SNI[$name]=$sni; DNSP[$name]=$dnsport
  wait_tcp "$sni"; wait_dns "$dnsport" h1.bench.test
  # The session the judged rows present, signed in through this gateway (bench/lib.sh).
  bench_sign_in "$HOST" "$sni" "$W/pki/corp/ca.crt" || echo "$name: the sign-in answer failed" >>"$W/failed"
}
start_build base "$BASE"
start_build new "$NEW"

# judged NAME: requests per server CPU-second for N keep-alive requests, every one judged.
judged() {
  local pid=${GW[$1]} t0 t1 c0 c1 out rps ok share
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
  out=$(timeout 300 taskset -c 1 h2load --h1 -n "$N" -c "$C" -t 1 -H "$BENCH_JUDGED_COOKIE" \
        --connect-to=127.0.0.1:"${SNI[$1]}" "https://$HOST/1k" 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  [[ ${ok:-0} == "$N" ]] || { echo "$1 judged: ${ok:-0}/$N 2xx: $(echo "$out" | grep -E "^(status codes|requests):" | tr "\n" " ")" >>"$W/failed"; }
  share=$(echo "($c1-$c0)/$HZ/($t1-$t0)" | bc -l)
  echo "${rps:-0} $share" | awk '{printf "%.0f", $1 / ($2 + 0.0001)}'
}
# dns NAME: cache-hit answers per server CPU-second over SECONDS_RUN, upstream frozen.
dns() {
  local pid=${DNS[$1]} port=${DNSP[$1]} c0 c1 out done_q lost
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$W/queries" -n 2 -t 2 >/dev/null 2>&1
  kill -STOP "$NSD"
  c0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$W/queries" -l "$SECONDS_RUN" -c 4 -q 500 -t 2 2>&1)
  c1=$(cpu_ticks "$pid")
  kill -CONT "$NSD"
  done_q=$(echo "$out" | awk '/Queries completed/ {print $3}')
  lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
  [[ ${lost:-1} == 0 ]] || { echo "$1 dns: ${lost:-?} queries lost" >>"$W/failed"; }
  echo "$c0 $c1 $HZ ${done_q:-0}" | awk '{printf "%.0f", ($2 > $1) ? $4 / (($2 - $1) / $3) : 0}'
}

declare -a RJ=() RD=()
echo "# baseline pairing $(date -u +%FT%TZ): base=$BASE new=$NEW; $ROUNDS rounds; server CPU0, load CPU1"
for ((r = 1; r <= ROUNDS; r++)); do
  order=(base new); ((r % 2 == 0)) && order=(new base)
  declare -A J D
  for b in "${order[@]}"; do
    J[$b]=1; D[$b]=1
    [[ " $ROWS " == *" judged "* ]] && J[$b]=$(judged "$b")
    [[ " $ROWS " == *" dns "* ]] && D[$b]=$(dns "$b")
  done
  RJ+=("$(echo "${J[new]} / ${J[base]}" | bc -l)"); RD+=("$(echo "${D[new]} / ${D[base]}" | bc -l)")
  printf 'round %d (%s first): judged req/s per core base %s new %s (%.3fx); dns q/s per core base %s new %s (%.3fx)\n' \
    "$r" "${order[0]}" "${J[base]}" "${J[new]}" "${RJ[-1]}" "${D[base]}" "${D[new]}" "${RD[-1]}"
done
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.3fx-%.3fx", lo, hi}'; }
printf '\nnew/base, median of %d rounds: judged %.3fx (range %s), dns %.3fx (range %s)\n' "$ROUNDS" \
  "$(printf '%s\n' "${RJ[@]}" | median)" "$(range "${RJ[@]}")" \
  "$(printf '%s\n' "${RD[@]}" | median)" "$(range "${RD[@]}")"
# The measuring functions run in subshells; they note failures in a file.
if [[ -s $W/failed ]]; then sed 's/^/FAILED: /' "$W/failed"; exit 1; fi
