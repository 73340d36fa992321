#!/usr/bin/env bash
# Proxy benchmark (not a test). Prints its figures to stdout; the lead keeps bench/RESULTS.md.
#
#   bench/proxy/run.sh [BUILD_DIR]        (default: build; needs target proxy_bench_server)
#
# Method (DESIGN.md "Performance targets"): server under test pinned to CPU 0, load generator and
# the shared HTTPS origin (nginx) to CPU 1; each server's CPU share over the run is read from
# /proc and throughput is divided by it (requests/s per server core). h2load cannot CONNECT, so
# every peer is measured on a TLS-terminating front (consolegate's SNI listener; nginx, Squid and
# mitmproxy as two-leg TLS reverse proxies). Fresh-handshake runs disable TLS resumption on every
# server (h2load resumes otherwise) and use -n with Connection: close.
#
# Env: N (keep-alive requests, default 100000), NF (fresh requests, 3000), C (clients, 50),
#      IDLE (idle connections for the RSS figure, 10000), PEERS ("nginx squid mitmproxy").
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
N=${N:-100000}; NF=${NF:-3000}; C=${C:-50}; IDLE=${IDLE:-10000}
PEERS=${PEERS:-"nginx squid mitmproxy"}
W=$(mktemp -d /tmp/cg-proxy-bench.XXXXXX); chmod 755 "$W"
HOST=signin.aws.amazon.com
ORIGIN=19443          # origin for $HOST; ORIGIN+1 serves www.example.org (splice target)
CG_SNI=18443; CG_CONNECT=18080; NGX=18444; SQUID=18445; MITM=18446; RELAY=18447
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5
            for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
[[ -x $SERVER ]] || { echo "build proxy_bench_server first" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"
head -c 1048576 /dev/urandom > "$W/1m"; chmod 644 "$W/1k" "$W/1m"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# wait_port PORT: bounded wait for a listener.
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
              echo "port $1 never opened" >&2; return 1; }

# --- the shared origin: nginx, TLS, keep-alive, CPU 1 ---------------------------------------------
mkdir -p "$W/origin"
cat > "$W/origin/nginx.conf" <<CONF
worker_processes 1; worker_cpu_affinity 10; daemon off; pid $W/origin/nginx.pid;
error_log $W/origin/error.log crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 120s;
  ssl_protocols TLSv1.2 TLSv1.3;   # nginx 1.22 offers TLS 1.3 only when told
  server { listen 127.0.0.1:$ORIGIN ssl; server_name $HOST; root $W;
           ssl_certificate $W/pki/signin.crt; ssl_certificate_key $W/pki/signin.key; }
  server { listen 127.0.0.1:$((ORIGIN+1)) ssl; server_name www.example.org; root $W;
           ssl_certificate $W/pki/other.crt; ssl_certificate_key $W/pki/other.key; }
  server { listen 127.0.0.1:$((ORIGIN+2)) ssl; root $W;
           ssl_certificate $W/pki/origin-ip.crt; ssl_certificate_key $W/pki/origin-ip.key; } }
CONF
nginx -c "$W/origin/nginx.conf" -p "$W/origin" & pids+=($!)
wait_port $ORIGIN

# run_load NAME PID PORT MODE: h2load on CPU 1 against PORT; prints req/s, CPU share, per-core.
run_load() {
  local name=$1 pid=$2 port=$3 mode=$4 n=$N extra=()
  if [[ $mode == fresh ]]; then n=$NF; extra=(-H "Connection: close"); fi
  local t0 c0 t1 c1 out rps share
  t0=$(date +%s.%N); c0=$(cpu_ticks "$pid")
  out=$(timeout 300 taskset -c 1 h2load --h1 -n "$n" -c "$C" -t 1 "${extra[@]}" \
        --connect-to=127.0.0.1:"$port" "https://$HOST/1k" 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",","",$4); print $4}')
  local ok; ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  [[ ${ok:-0} == 0 ]] && echo "$out" | grep -E "^(requests|status)" | sed 's/^/    /' >&2
  share=$(echo "($c1-$c0)/$(getconf CLK_TCK)/($t1-$t0)" | bc -l)
  printf '%-22s %-9s %10s req/s  2xx=%-8s cpu=%5.2f  per-core=%10.0f\n' "$name" "$mode" \
    "${rps:-0}" "${ok:-0}" "$share" "$(echo "${rps:-0}/($share+0.0001)" | bc -l)"
}

echo "# proxy benchmark $(date -u +%FT%TZ), h2load --h1 -c $C, 1 KiB body, TLS 1.3, server CPU0, client+origin CPU1"

# --- consolegate --------------------------------------------------------------------------------
start_cg() {
  taskset -c 0 "$SERVER" run "$W/pki" $CG_SNI $CG_CONNECT $ORIGIN 1 2>"$W/cg.metrics" & CG=$!
  pids+=($CG); wait_port $CG_SNI
}
start_cg
run_load consolegate "$CG" $CG_SNI keepalive
kill $CG; wait $CG 2>/dev/null || true
CG_BENCH_NO_RESUMPTION=1 start_cg
run_load consolegate "$CG" $CG_SNI fresh
kill $CG; wait $CG 2>/dev/null || true

# --- nginx as a two-leg TLS reverse proxy (upstream keep-alive pool) -----------------------------
start_nginx() { # $1: session resumption on|off
  mkdir -p "$W/ngx"
  local tickets=on cache="shared:S:10m"; [[ $1 == off ]] && { tickets=off; cache=off; }
  cat > "$W/ngx/nginx.conf" <<CONF
worker_processes 1; worker_cpu_affinity 01; daemon off; pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000;
  ssl_protocols TLSv1.2 TLSv1.3; proxy_ssl_protocols TLSv1.2 TLSv1.3;
  upstream origin { server 127.0.0.1:$ORIGIN; keepalive 64; }
  server { listen 127.0.0.1:$NGX ssl; server_name $HOST;
    ssl_certificate $W/pki/corpleaf.crt; ssl_certificate_key $W/pki/corpleaf.key;
    ssl_session_tickets $tickets; ssl_session_cache $cache;
    location / { proxy_pass https://origin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_verify on; proxy_ssl_trusted_certificate $W/pki/origin/ca.crt;
      proxy_ssl_name $HOST; proxy_ssl_server_name on; proxy_ssl_session_reuse on; } } }
CONF
  taskset -c 0 nginx -c "$W/ngx/nginx.conf" -p "$W/ngx" & NG=$!; pids+=($NG); wait_port $NGX
  sleep 0.3; NGW=$(pgrep -P "$NG" | head -1)
}
if [[ $PEERS == *nginx* ]]; then
  start_nginx on; run_load nginx-reverse "$NGW" $NGX keepalive; kill $NG; wait $NG 2>/dev/null || true
  start_nginx off; run_load nginx-reverse "$NGW" $NGX fresh; kill $NG; wait $NG 2>/dev/null || true
fi

# --- Squid 5.7: TLS-terminating accelerator with a TLS parent (the bump path without minting) ---
if [[ $PEERS == *squid* ]] && command -v squid >/dev/null; then
  mkdir -p "$W/squid"
  cat > "$W/squid/squid.conf" <<CONF
https_port 127.0.0.1:$SQUID accel defaultsite=$HOST tls-cert=$W/pki/corpleaf.crt tls-key=$W/pki/corpleaf.key
cache_peer 127.0.0.1 parent $ORIGIN 0 no-query originserver name=o tls tls-cafile=$W/pki/origin/ca.crt tls-domain=$HOST
http_access allow all
cache deny all
workers 1
pid_filename $W/squid/squid.pid
cache_log $W/squid/cache.log
access_log none
coredump_dir $W/squid
CONF
  taskset -c 0 squid -N -f "$W/squid/squid.conf" & SQ=$!; pids+=($SQ)
  if wait_port $SQUID; then
    run_load squid-accel "$SQ" $SQUID keepalive
    run_load squid-accel "$SQ" $SQUID fresh   # Squid's own session cache may resume: see docs
  fi
  kill $SQ; wait $SQ 2>/dev/null || true
fi

# --- mitmproxy 8.1 in reverse mode. It checks the upstream certificate against the address it
# dials and the client's SNI at once, which no single-SAN test certificate satisfies, so upstream
# verification is off for it (less work than consolegate does: the comparison favours mitmproxy).
if [[ $PEERS == *mitm* ]] && command -v mitmdump >/dev/null; then
  mkdir -p "$W/mitm"; cat "$W/pki/corp/ca.key" "$W/pki/corp/ca.crt" > "$W/mitm/mitmproxy-ca.pem"
  taskset -c 0 mitmdump --set confdir="$W/mitm" --mode "reverse:https://127.0.0.1:$ORIGIN" \
    --set keep_host_header=true --ssl-insecure --set connection_strategy=lazy \
    --listen-host 127.0.0.1 -p $MITM >"$W/mitm/log" 2>&1 & MP=$!; pids+=($MP)
  if wait_port $MITM; then
    N=$((N/20)) run_load mitmproxy-reverse "$MP" $MITM keepalive
    run_load mitmproxy-reverse "$MP" $MITM fresh
  fi
  grep -m3 -E "<< |error" "$W/mitm/log" >&2 || true
  kill $MP; wait $MP 2>/dev/null || true
fi

# --- splice vs a plain TCP relay (1 MiB bodies through the tunnel) ------------------------------
splice_load() { # NAME PID PORT
  local t0 c0 t1 c1 out share
  t0=$(date +%s.%N); c0=$(cpu_ticks "$2")
  out=$(timeout 300 taskset -c 1 h2load --h1 -n 2000 -c 10 -t 1 --connect-to=127.0.0.1:"$3" \
        https://www.example.org/1m 2>&1) || true
  t1=$(date +%s.%N); c1=$(cpu_ticks "$2")
  share=$(echo "($c1-$c0)/$(getconf CLK_TCK)/($t1-$t0)" | bc -l)
  printf '%-22s %-9s %s  cpu=%5.2f\n' "$1" splice \
    "$(echo "$out" | awk '/^finished in/ {print $2, $4, $5, $6, $7}')" "$share"
}
taskset -c 0 "$SERVER" run "$W/pki" $CG_SNI $CG_CONNECT $ORIGIN 1 2>/dev/null & CG=$!; pids+=($CG)
wait_port $CG_SNI
splice_load consolegate-splice "$CG" $CG_SNI
# Relay peer: socat with one forked child per connection; CPU summed over its children.
taskset -c 0 socat TCP-LISTEN:$RELAY,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:$((ORIGIN+1)) & SO=$!
pids+=($SO); wait_port $RELAY
splice_load socat-relay "$SO" $RELAY
echo "  (socat's CPU share excludes its forked children; compare throughput)"
kill $SO 2>/dev/null || true

# --- RSS with $IDLE idle inspected connections ---------------------------------------------------
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
before=$(rss "$CG")
timeout 600 taskset -c 1 python3 - "$CG_SNI" "$IDLE" "$W/pki/corp/ca.crt" <<'PY' &
import socket, ssl, sys, time
port, n, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t = ctx.wrap_socket(s, server_hostname="signin.aws.amazon.com")
    held.append(t)
print(f"idle: {len(held)} TLS connections open", flush=True)
time.sleep(8)
PY
PY=$!
for _ in $(seq 1200); do
  sleep 0.5
  kill -0 $PY 2>/dev/null || break
  [[ $(ls /proc/$CG/fd | wc -l) -ge $IDLE ]] && { sleep 3; break; }
done
after=$(rss "$CG")
printf 'idle connections: %s open fds, RSS %d MiB before, %d MiB with them (%.1f KiB each)\n' \
  "$(ls /proc/$CG/fd | wc -l)" $((before/1024)) $((after/1024)) \
  "$(echo "($after-$before)/$IDLE" | bc -l)"
wait $PY 2>/dev/null || true
kill $CG; wait $CG 2>/dev/null || true
rm -rf "$W"
