#!/bin/bash
# Cache-hit DNS benchmark: consolegate (one worker) vs dnsdist 1.7 vs unbound 1.17, same nsd
# upstream, same warmed workload, same 4 MiB UDP receive buffer (consolegate asks for 4 MiB, see
# dns/listeners.cpp; with the default buffer the peers dropped ~1500 queries of dnsperf's first
# burst, and every lost query held one of dnsperf's 500 slots for its 2 s timeout). Server pinned to CPU 0, dnsperf to CPU 1; each server's CPU
# share comes from the scheduler's run time of all its threads (/proc/<pid>/task/*/schedstat, in
# ns: the 100 Hz utime+stime ticks moved single rounds by several percent), so the figure
# compared is queries/s per server core; the user/system split is still read in ticks. The upstream is frozen (SIGSTOP) after warm-up: a cache miss shows
# up as a lost query. Every run is bounded (dnsperf -l).
#
#   bench/dns/run.sh [build-dir]      (default build dir: ./build; needs target consolegate)
#   CG_BASELINE=/path/to/an/older/consolegate bench/dns/run.sh build
#       also runs that binary ("cg-baseline") in every round, right after consolegate, for a
#       paired before/after on a shared machine.
#
# With perf installed, round 1 also counts each server's system calls per answer (a separate
# 3 s pass under `perf stat`, so the counting does not touch the measured figures).
#
# consolegate is the shipped binary, `consolegate run --only dns`, with a configuration equal to
# what the earlier driver set up: one worker, the same nsd as its only upstream, a 100 000-entry
# cache, no proxy, no admin listener. CG_DNS_SERVER=serve runs that driver instead
# (tests/support/dns/serve_main.cpp, target cg_dns_serve) for a comparison with older figures.
# Needs: nsd, unbound, dnsdist, dnsperf, taskset (apt-get install -y dnsperf dnsdist).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"   # cpu_ns

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SECONDS_RUN=${SECONDS_RUN:-10}
ROUNDS=${ROUNDS:-3}
NAMES=${NAMES:-1000}
CG_DNS_SERVER=${CG_DNS_SERVER:-gateway}
CG_BASELINE=${CG_BASELINE:-}
if [[ -n $CG_BASELINE && $CG_DNS_SERVER == serve ]]; then echo "CG_BASELINE needs the gateway binary" >&2; exit 2; fi
if [[ $CG_DNS_SERVER == serve ]]; then
  cmake --build "$BUILD" --target cg_dns_serve >/dev/null
  SERVE="$BUILD/tests/integration/dns/cg_dns_serve"
else
  cmake --build "$BUILD" --target consolegate >/dev/null
  GATEWAY="$BUILD/app/consolegate"
fi
for tool in nsd unbound dnsdist dnsperf taskset; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "missing $tool" >&2; exit 2; }
done

DIR=$(mktemp -d /tmp/cg-dns-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -CONT -- "-$p" 2>/dev/null || true; kill -- "-$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start CMD...: runs in its own process group, records the group leader's pid in $STARTED.
start() { setsid "$@" >>"$DIR/log" 2>&1 & STARTED=$!; PIDS+=("$STARTED"); }
wait_port() {  # port zone
  for _ in $(seq 1 100); do
    dig @127.0.0.1 -p "$1" "$2" SOA +tries=1 +time=1 >/dev/null 2>&1 && return 0; sleep 0.1
  done
  echo "server on $1 did not answer" >&2; exit 1
}

# The zone and the query file: NAMES hosts, A queries, every one a cache hit after warm-up.
{
  echo '$ORIGIN bench.test.'; echo '$TTL 86400'
  echo '@ SOA ns h 1 3600 600 86400 3600'; echo '@ NS ns'; echo 'ns A 127.0.0.1'
  for i in $(seq 1 "$NAMES"); do echo "h$i A 10.$((i / 250)).$((i % 250)).1"; done
} >"$DIR/zone"
for i in $(seq 1 "$NAMES"); do echo "h$i.bench.test A"; done >"$DIR/queries"

NSD_PORT=$(free_port)
cat >"$DIR/nsd.conf" <<NSD
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  zonesdir: "$DIR"
  pidfile: "$DIR/nsd.pid"
  username: ""
  xfrdfile: "$DIR/xfrd.state"
  zonelistfile: "$DIR/zone.list"
  database: ""
  chroot: ""
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "bench.test"
  zonefile: "$DIR/zone"
NSD
start taskset -c 1 nsd -d -c "$DIR/nsd.conf"
NSD_PID=$STARTED
wait_port "$NSD_PORT" bench.test

results=()
declare -A syscalls
cpu_split() { awk '{print $14, $15}' "/proc/$1/stat"; }
# Datagrams the kernel dropped for a full socket receive buffer (all sockets: the run is alone).
rcvbuf_errors() { awk '/^Udp:/ {n++; if (n == 1) for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; if (n == 2) print $c}' /proc/net/snmp; }
bench() {  # name port pid
  local name=$1 port=$2 pid=$3
  wait_port "$port" h1.bench.test
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$DIR/queries" -n 2 -t 2 >/dev/null 2>&1
  kill -STOP -- "-$NSD_PID"
  local t0 c0 t1 c1 hz=1000000000 out qps lost share u0 u1 r0 r1   # c0, c1: ns
  t0=$(date +%s.%N); c0=$(cpu_ns "$pid"); u0=$(cpu_split "$pid"); r0=$(rcvbuf_errors)
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$DIR/queries" -l "$SECONDS_RUN" -c 4 -q 500 -t 2 2>&1)
  t1=$(date +%s.%N); c1=$(cpu_ns "$pid"); u1=$(cpu_split "$pid"); r1=$(rcvbuf_errors)
  # p99 at a fixed 50k q/s, from dnsperf's per-answer latencies (-v).
  local p99
  p99=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$DIR/queries" -l 3 -Q 50000 -t 2 -v 2>/dev/null |
        awk '$1 == ">" {print $NF}' | sort -g | awk '{v[NR]=$1} END {if (NR) printf "%.0f", v[int(NR*0.99)]*1e6; else print "n/a"}')
  local calls=n/a
  if [[ $ROUND == 1 ]] && command -v perf >/dev/null; then
    # System calls per answer, counted in a pass of its own (tracepoints cost per call).
    local pout
    pout=$(perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -- \
             taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$DIR/queries" -l 3 -c 4 -q 500 -t 2 2>&1)
    calls=$(echo "$pout" | awk -F, '/raw_syscalls:sys_enter/ {n = $1} /Queries completed/ {split($0, f, " "); q = f[3]}
                                    END {if (q > 0 && n != "") printf "%.3f", n / q; else print "n/a"}')
  fi
  kill -CONT -- "-$NSD_PID"
  qps=$(echo "$out" | awk '/Queries per second/ {print $4}')
  lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
  share=$(echo "$c0 $c1 $t0 $t1 $hz" | awk '{printf "%.3f", ($2 - $1) / $5 / ($4 - $3)}')
  # Answers per CPU-second of the server: dnsperf waits out its timeout (-t) for lost queries,
  # so wall time differs between servers while CPU time does not.
  local done_q percore
  done_q=$(echo "$out" | awk '/Queries completed/ {print $3}')
  percore=$(echo "$c0 $c1 $hz $done_q" | awk '{print ($2 > $1) ? $4 / (($2 - $1) / $3) : 0}')
  local usr sys
  usr=$(echo "$u0 $u1" | awk '{print $3 - $1}')
  sys=$(echo "$u0 $u1" | awk '{print $4 - $2}')
  results+=("$name $qps $lost $share $p99 $usr $sys $percore")
  [[ $calls != n/a ]] && syscalls[$name]=$calls
  echo "round $ROUND: $name q/s=$qps lost=$lost cpu=$share p99us=$p99 user/sys ticks=$usr/$sys per-core=$percore rcvbuf-drops=$((r1 - r0)) syscalls/answer=$calls" >&2
}

CG_PORT=$(free_port); DD_PORT=$(free_port); UB_PORT=$(free_port)
cat >"$DIR/dnsdist.conf" <<DD
setLocal("127.0.0.1:$DD_PORT")
setSecurityPollSuffix("")
newServer({address="127.0.0.1:$NSD_PORT", checkName="bench.test.", checkType="SOA"})
getPool(""):setCache(newPacketCache(100000, {maxTTL=86400}))
setUDPSocketBufferSizes(4194304, 0)
DD
cat >"$DIR/unbound.conf" <<UB
server:
  interface: 127.0.0.1
  port: $UB_PORT
  do-not-query-localhost: no
  chroot: ""
  username: ""
  directory: "$DIR"
  pidfile: "$DIR/unbound.pid"
  use-syslog: no
  do-daemonize: no
  num-threads: 1
  module-config: "iterator"
  local-zone: "test." nodefault
  access-control: 127.0.0.0/8 allow
  so-rcvbuf: 4m
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$NSD_PORT
UB

if [[ $CG_DNS_SERVER != serve ]]; then
  cat >"$DIR/consolegate.toml" <<CONF
[general]
workers = 1
log_level = "warn"
[dns]
listen = ["127.0.0.1:$CG_PORT"]
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
  "$GATEWAY" check-config "$DIR/consolegate.toml" >/dev/null
fi

# The machine is shared: ROUNDS interleaved rounds, the median per-core figure is the result.
for ROUND in $(seq 1 "$ROUNDS"); do
  # consolegate: one worker.
  if [[ $CG_DNS_SERVER == serve ]]; then
    start taskset -c 0 "$SERVE" --listen "127.0.0.1:$CG_PORT" --upstream "127.0.0.1:$NSD_PORT" --workers 1
  else
    start taskset -c 0 "$GATEWAY" run --config "$DIR/consolegate.toml" --only dns
  fi
  pid=$STARTED; bench consolegate "$CG_PORT" "$pid"; kill -- "-$pid"; wait "$pid" 2>/dev/null || true
  if [[ -n $CG_BASELINE ]]; then
    start taskset -c 0 "$CG_BASELINE" run --config "$DIR/consolegate.toml" --only dns
    pid=$STARTED; bench cg-baseline "$CG_PORT" "$pid"; kill -- "-$pid"; wait "$pid" 2>/dev/null || true
  fi
  # dnsdist: packet cache in front of the same nsd.
  start taskset -c 0 dnsdist --supervised --disable-syslog -C "$DIR/dnsdist.conf"
  pid=$STARTED; bench dnsdist "$DD_PORT" "$pid"; kill -- "-$pid"; wait "$pid" 2>/dev/null || true
  # unbound: one thread, forwarding to the same nsd.
  start taskset -c 0 unbound -d -c "$DIR/unbound.conf"
  pid=$STARTED; bench unbound "$UB_PORT" "$pid"; kill -- "-$pid"; wait "$pid" 2>/dev/null || true
done

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
summary() {  # name -> "qps lost share perCore p99 user sys" medians
  local name=$1
  for r in "${results[@]}"; do set -- $r; [ "$1" = "$name" ] && echo "$r"; done >"$DIR/sel"
  echo "$(awk '{print $2}' "$DIR/sel" | median) $(awk '{print $3}' "$DIR/sel" | median)" \
       "$(awk '{print $4}' "$DIR/sel" | median)" \
       "$(awk '{print $8}' "$DIR/sel" | median)" \
       "$(awk '{print $5}' "$DIR/sel" | median) $(awk '{print $6}' "$DIR/sel" | median) $(awk '{print $7}' "$DIR/sel" | median)"
}
printf '\nmedians of %s rounds, %s s each, %s names, server on CPU 0, dnsperf on CPU 1\n' "$ROUNDS" "$SECONDS_RUN" "$NAMES"
printf '%-12s %12s %8s %10s %14s %8s %12s %10s\n' server "queries/s" lost "cpu share" "q/s per core" "p99 us" "user/sys tk" "calls/ans"
declare -A per
names=(consolegate)
[[ -n $CG_BASELINE ]] && names+=(cg-baseline)
names+=(dnsdist unbound)
for name in "${names[@]}"; do
  set -- $(summary "$name")
  per[$name]=$4
  printf '%-12s %12.0f %8s %10s %14.0f %8s %12s %10s\n' "$name" "$1" "$2" "$3" "$4" "$5" "$6/$7" "${syscalls[$name]:-n/a}"
done
echo
awk -v c="${per[consolegate]}" -v d="${per[dnsdist]}" -v u="${per[unbound]}" 'BEGIN {
  printf "consolegate / dnsdist per core: %.2fx\nconsolegate / unbound per core: %.2fx\n", c / d, c / u }'
if [[ -n $CG_BASELINE ]]; then
  awk -v c="${per[consolegate]}" -v b="${per[cg-baseline]}" 'BEGIN { printf "consolegate / cg-baseline per core: %.3fx\n", c / b }'
  for r in $(seq 1 "$ROUNDS"); do  # the paired ratio of each round
    printf '%s\n' "${results[@]}" | awk -v r="$r" '$1 == "consolegate" {c[++i] = $8} $1 == "cg-baseline" {b[++j] = $8}
      END {printf "  round %d: %.3fx\n", r, c[r] / b[r]}'
  done
fi
