#!/usr/bin/env bash
# Memory per idle inspected connection (issue 18 goal 6: 10 000 of them in <= 256 MiB RSS). Not a
# test; bounded (every wait has a deadline).
#
#   bench/proxy/idle_rss.sh [BUILD_DIR]   (default build; needs proxy_bench_server, consolegate)
#
# Starts the proxy (GATEWAY=1: the shipped `consolegate run --only proxy` with bench/lib.sh's
# config; otherwise proxy_bench_server), opens IDLE TLS connections to its SNI listener for
# signin.aws.amazon.com (each one bumped: handshake with a minted leaf, then waiting for its first
# request), holds them HOLD seconds (past the one second after which idle connections give their
# TLS buffers back) and reads the server's VmRSS before and with them. REQUEST=1 sends one
# request on each connection first (keep-alive), so the connection idles after an exchange, as a
# browser's does. H2=1: the connections negotiate HTTP/2 (proxy.http2 on; proxy_bench_server
# only), send the preface and SETTINGS, and with REQUEST=1 one GET on a stream (hyper-h2).
# Prints KiB per connection and the projection for 10 000.
# Env: IDLE (connections, 2000), HOLD (seconds, 4), GATEWAY, REQUEST, H2.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=$ROOT/$BUILD/tests/integration/proxy/proxy_bench_server
GATEWAY_BIN=$ROOT/$BUILD/app/consolegate
IDLE=${IDLE:-2000}; HOLD=${HOLD:-4}
[[ -x $SERVER ]] || { echo "build proxy_bench_server first" >&2; exit 2; }
bench_workdir idle
ulimit -n $((IDLE + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
HOST=signin.aws.amazon.com
ORIGIN=$(free_port); SNI=$(free_port); CONNECT=$(free_port)
"$SERVER" pki "$W/pki" >/dev/null
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$W/1k"; chmod 644 "$W/1k"
if [[ ${REQUEST:-0} == 1 ]]; then
  bench_origin $ORIGIN $HOST
fi
if [[ ${GATEWAY:-0} == 1 ]]; then
  [[ -x $GATEWAY_BIN ]] || { echo "build consolegate first" >&2; exit 2; }
  bench_gateway_config "$W/gw.toml" "$SNI" "$CONNECT" "$HOST" "$ORIGIN" "$W/pki" "$W/audit.jsonl"
  "$GATEWAY_BIN" run --config "$W/gw.toml" --only proxy 2>"$W/server.log" & S=$!
  what="consolegate run --only proxy"
else
  CG_BENCH_HTTP2=${H2:-} "$SERVER" run "$W/pki" "$SNI" "$CONNECT" "$ORIGIN" 1 2>"$W/server.log" & S=$!
  what="proxy_bench_server$([[ ${H2:-0} == 1 ]] && echo ' (h2)')"
fi
pids+=($S)
wait_port $SNI
sleep 0.5
before=$(rss $S)
timeout $((IDLE / 20 + 120)) /usr/bin/python3 - "$SNI" "$IDLE" "$W/pki/corp/ca.crt" "$((HOLD + 600))" \
  "${REQUEST:-0}" "${H2:-0}" <<'PY' & P=$!
import socket, ssl, sys, time
port, n, ca, hold, request = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5] == "1"
h2mode = sys.argv[6] == "1"
ctx = ssl.create_default_context(cafile=ca)
if h2mode:
    import h2.config, h2.connection, h2.events
    ctx.set_alpn_protocols(["h2"])
held = []

def h2_open(t):
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    if request:
        c.send_headers(1, [(":method", "GET"), (":scheme", "https"),
                           (":authority", "signin.aws.amazon.com"), (":path", "/1k")], end_stream=True)
    t.sendall(c.data_to_send())
    ended = not request
    while not ended:
        data = t.recv(65536)
        if not data:
            raise SystemExit("connection closed before the answer")
        for e in c.receive_data(data):
            if isinstance(e, h2.events.StreamEnded):
                ended = True
        t.sendall(c.data_to_send())
    return c

for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t = ctx.wrap_socket(s, server_hostname="signin.aws.amazon.com")
    if h2mode:
        if t.selected_alpn_protocol() != "h2":
            raise SystemExit("no h2: is proxy.http2 on?")
        held.append((t, h2_open(t)))
        continue
    if request:
        t.sendall(b"GET /1k HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got or len(got) < 1024:
            chunk = t.recv(65536)
            if not chunk:
                raise SystemExit("connection closed before the answer")
            got += chunk
    held.append(t)
print(f"open {len(held)}", flush=True)
time.sleep(hold)
PY
pids+=($P)
# Until every connection is open (the server's fd count), then HOLD seconds of idleness.
for _ in $(seq $((IDLE / 10 + 600))); do
  kill -0 $P 2>/dev/null || { echo "the client ended early" >&2; exit 1; }
  (( $(ls /proc/$S/fd | wc -l) >= IDLE )) && break
  sleep 0.1
done
sleep "$HOLD"
after=$(rss $S)
echo "$before $after $IDLE" | awk -v what="$what" -v req="${REQUEST:-0}" '{
  per = ($2 - $1) / $3
  printf "%s: %d idle inspected connections%s: RSS %.1f MiB before, %.1f MiB with them: %.1f KiB each; 10 000: %.0f MiB (goal <= 256)\n",
    what, $3, (req == 1 ? " (after one request each)" : ""), $1 / 1024, $2 / 1024, per, ($1 + per * 10000) / 1024 }'
