#!/usr/bin/env bash
# Fleet benchmark (not a test; issue 16's "miniature network, scaled"): the same bounded h2load
# load through Debian's HAProxy to one gateway replica and to two, and to one replica directly,
# so that the figures give the aggregate inspected requests/s of the fleet and the balancer's own
# cost. Prints its rows to stdout; the lead keeps bench/RESULTS.md.
#
#   bench/fleet/run.sh [BUILD_DIR]   (relative to the repository root, default: build; needs the
#                                     targets proxy_bench_server and consolegate; run as root)
#
# Rows (same origin, same load: HTTP/1.1 keep-alive, TLS 1.3, 1 KiB body, C clients, N requests,
# every request carrying the console's aws-userInfo cookie, so each one is judged by the policy
# and written to the audit log):
#   direct        h2load -> replica 1 (no balancer, no PROXY header)
#   lb-1          h2load -> HAProxy -> replica 1 (PROXY protocol v2)
#   lb-2          h2load -> HAProxy -> replicas 1 and 2 (round robin, PROXY protocol v2)
# Each row: requests/s, 2xx count, CPU seconds per 1000 requests of the replicas (together) and
# of HAProxy, and how the requests spread over the replicas (their audit events). REPEAT runs
# per row, the median by requests/s reported.
#
# CPU placement (taskset lists): GW_CPUS for the replicas (default 0), LB_CPUS for HAProxy
# (default 0), LOAD_CPUS for h2load and the origin (default 1). On a 2-core machine both replicas
# share one core, so lb-2 shows the balancer's and a second process's cost, not scaling; give
# GW_CPUS two cores on a larger machine (e.g. GW_CPUS=0,1 LB_CPUS=2 LOAD_CPUS=3) for that.
# The run happens in a network namespace of its own (cgfleet-bench-PID, deleted on exit).
#
# Env: N (requests per run, default 50000), C (clients, 50), REPEAT (3).
# Exit status 1 when a row lost requests or a replica never got any in lb-2.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# --- outside: make the namespace, run this script inside it, remove the namespace ----------------
if [[ -z ${CG_BENCH_NETNS:-} ]]; then
  [[ $(id -u) == 0 ]] || { echo "run as root (network namespace)" >&2; exit 1; }
  for tool in haproxy h2load nginx; do
    command -v $tool >/dev/null || { echo "$tool missing: scripts/setup.sh --bench" >&2; exit 1; }
  done
  NS=cgfleet-bench-$$
  ip netns add "$NS"
  trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
  ip netns exec "$NS" ip link set lo up
  rc=0; CG_BENCH_NETNS=$NS ip netns exec "$NS" "$0" "$@" || rc=$?
  exit $rc
fi
# --- inside the namespace -------------------------------------------------------------------------
[[ $(ip netns identify $$) == "$CG_BENCH_NETNS" ]] || { echo "not inside $CG_BENCH_NETNS" >&2; exit 1; }

SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
GATEWAY=$ROOT/$BUILD/app/consolegate
N=${N:-50000}; C=${C:-50}; REPEAT=${REPEAT:-3}
GW_CPUS=${GW_CPUS:-0}; LB_CPUS=${LB_CPUS:-0}; LOAD_CPUS=${LOAD_CPUS:-1}
HOST=signin.aws.amazon.com
ORIGIN=443; LB=127.0.0.2; LB_PORT=8443
GW_SNI=(18461 18462); GW_CONNECT=(18471 18472)
W=$(mktemp -d /tmp/cg-fleet-bench.XXXXXX); chmod 755 "$W"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5
            for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
            rm -rf "$W"; }
trap cleanup EXIT
[[ -x $SERVER ]] || { echo "build proxy_bench_server first" >&2; exit 1; }
[[ -x $GATEWAY ]] || { echo "build consolegate first" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ip addr add $LB/8 dev lo 2>/dev/null || true   # 127.0.0.2 is on lo already; harmless

"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/"$1"/"$2") 2>/dev/null && return 0; sleep 0.1; done
              echo "port $1:$2 never opened" >&2; return 1; }

# --- the origin: nginx, TLS, keep-alive ------------------------------------------------------------
mkdir -p "$W/origin"
cat > "$W/origin/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $W/origin/nginx.pid;
error_log $W/origin/error.log crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 120s;
  ssl_protocols TLSv1.2 TLSv1.3;
  server { listen 127.0.0.1:$ORIGIN ssl; server_name $HOST; root $W;
           ssl_certificate $W/pki/signin.crt; ssl_certificate_key $W/pki/signin.key; } }
CONF
taskset -c "$LOAD_CPUS" nginx -c "$W/origin/nginx.conf" -p "$W/origin" & pids+=($!)
wait_port 127.0.0.1 $ORIGIN

# --- the replicas: the real gateway, PROXY protocol v2 required from the balancer ---------------
GW_PIDS=()
start_replica() {  # start_replica INDEX PROXY_PROTOCOL(required|refused)
  local i=$1 d="$W/gw$1"
  mkdir -p "$d"; rm -f "$d/audit.jsonl"
  bench_gateway_config "$d/gateway.toml" "${GW_SNI[$i]}" "${GW_CONNECT[$i]}" "$HOST" "$ORIGIN" \
    "$W/pki" "$d/audit.jsonl"
  # The load's aws-userInfo cookie names a session no replica saw AWS issue: judged on the
  # cookie (as before session binding) rather than refused as session-unbound.
  sed -i 's|^\[policy\]$|[policy]\nunbound_sessions = "cookie"|' "$d/gateway.toml"
  if [[ $2 == required ]]; then
    sed -i "s|^\[proxy\]$|[proxy]\nsni_proxy_protocol = \"required\"\nproxy_protocol_from = [\"$LB/32\"]|" \
      "$d/gateway.toml"
  fi
  "$GATEWAY" check-config "$d/gateway.toml" >/dev/null
  taskset -c "$GW_CPUS" "$GATEWAY" run --config "$d/gateway.toml" --only proxy 2>"$d/log" &
  GW_PIDS[i]=$!; pids+=($!)
  wait_port 127.0.0.1 "${GW_SNI[$i]}"
}
stop_replicas() { for p in "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
                  GW_PIDS=(); }

# --- HAProxy in front of REPLICAS ------------------------------------------------------------------
HAPROXY=""
start_haproxy() {  # start_haproxy REPLICAS
  local servers="" i
  for ((i = 0; i < $1; i++)); do
    servers+="    server gw$i 127.0.0.1:${GW_SNI[$i]} send-proxy-v2 source $LB"$'\n'
  done
  cat > "$W/haproxy.cfg" <<CONF
global
    maxconn $((4 * C + 100))
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend sni
    bind 127.0.0.1:$LB_PORT
    default_backend gateways
backend gateways
    balance roundrobin
$servers
CONF
  taskset -c "$LB_CPUS" haproxy -db -f "$W/haproxy.cfg" 2>"$W/haproxy.log" & HAPROXY=$!; pids+=($!)
  wait_port 127.0.0.1 $LB_PORT || { sed 's/^/    /' "$W/haproxy.log" >&2; return 1; }
}
stop_haproxy() { [[ -n $HAPROXY ]] && { kill "$HAPROXY"; wait "$HAPROXY" 2>/dev/null || true; }; HAPROXY=""; }

FAILED=()
# run_row NAME PORT: REPEAT h2load runs against 127.0.0.1:PORT with SNI $HOST; the median run by
# requests/s is printed with the replicas' and HAProxy's CPU per 1000 requests and the spread.
run_row() {
  local name=$1 port=$2 i p out rps ok gw0 gw1 lb0 lb1 rows=()
  for ((i = 0; i < REPEAT; i++)); do
    local e0=() e1=()
    for p in "${!GW_PIDS[@]}"; do e0[p]=$(wc -l < "$W/gw$p/audit.jsonl" 2>/dev/null || echo 0); done
    gw0=0; for p in "${GW_PIDS[@]}"; do gw0=$((gw0 + $(cpu_ticks "$p"))); done
    lb0=0; [[ -n $HAPROXY ]] && lb0=$(cpu_ticks "$HAPROXY")
    out=$(timeout 300 taskset -c "$LOAD_CPUS" h2load --h1 -n "$N" -c "$C" -t 1 \
          -H "Cookie: aws-userInfo=$BENCH_USERINFO" --connect-to=127.0.0.1:"$port" \
          "https://$HOST/1k" 2>&1) || true
    gw1=0; for p in "${GW_PIDS[@]}"; do gw1=$((gw1 + $(cpu_ticks "$p"))); done
    lb1=0; [[ -n $HAPROXY ]] && lb1=$(cpu_ticks "$HAPROXY")
    rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
    ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
    if [[ ${ok:-0} != "$N" ]]; then
      echo "$out" | grep -E "^(requests|status|.*error)" | sed 's/^/    /' >&2
      FAILED+=("$name: ${ok:-0}/$N 2xx")
    fi
    sleep 1.5  # the audit log is flushed every second
    local spread=""
    for p in "${!GW_PIDS[@]}"; do
      e1[p]=$(wc -l < "$W/gw$p/audit.jsonl" 2>/dev/null || echo 0)
      spread+="gw$p=$((e1[p] - e0[p])) "
    done
    local hz; hz=$(getconf CLK_TCK)
    rows+=("$(printf '%s|%s|%.3f|%.3f|%s' "${rps:-0}" "${ok:-0}" \
      "$(echo "($gw1-$gw0)/$hz*1000/$N" | bc -l)" "$(echo "($lb1-$lb0)/$hz*1000/$N" | bc -l)" "$spread")")
  done
  local mid; mid=$(printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1g | sed -n "$((REPEAT / 2 + 1))p")
  IFS='|' read -r rps ok gwcpu lbcpu spread <<<"$mid"
  printf '%-8s %10s req/s  2xx=%-7s replicas=%6s cpu-s/1k  haproxy=%6s cpu-s/1k  events: %s (runs:%s)\n' \
    "$name" "$rps" "$ok" "$gwcpu" "$lbcpu" "$spread" \
    "$(for r in "${rows[@]}"; do printf ' %s' "${r%%|*}"; done)"
  LAST_SPREAD=$spread
}

echo "fleet bench: N=$N C=$C REPEAT=$REPEAT GW_CPUS=$GW_CPUS LB_CPUS=$LB_CPUS LOAD_CPUS=$LOAD_CPUS"
start_replica 0 refused
run_row direct "${GW_SNI[0]}"
stop_replicas

start_replica 0 required
start_haproxy 1
run_row lb-1 $LB_PORT
stop_haproxy; stop_replicas

start_replica 0 required; start_replica 1 required
start_haproxy 2
run_row lb-2 $LB_PORT
[[ $LAST_SPREAD == *"gw0=0 "* || $LAST_SPREAD == *"gw1=0 "* ]] && FAILED+=("lb-2: a replica judged nothing")
stop_haproxy; stop_replicas

if ((${#FAILED[@]})); then printf 'FAILED: %s\n' "${FAILED[@]}" >&2; exit 1; fi
