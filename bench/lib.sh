# Shared by the bench scripts (sourced, not run).

# The console's aws-userInfo cookie for an IAM user in an allowed account: a request carrying it
# is a console-session sign-in attempt, judged by the policy and written to the audit log.
BENCH_USERINFO='%7B%22alias%22%3A%22%22%2C%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A444455556666%3Auser%2Fbob%22%2C%22issuer%22%3A%22https%3A%2F%2Fsignin.aws.amazon.com%2F%22%2C%22signinType%22%3A%22PUBLIC%22%2C%22username%22%3A%22bob%22%7D'

# A console session cookie (aws-creds) AWS sets beside aws-userInfo when it signs the user in. Since
# issue 20 a post-auth request is judged on what AWS said about its session (policy.unbound_sessions
# = "deny" by default): the judged rows first let the origin play AWS's sign-in answer through the
# gateway (bench_signin_location, bench_sign_in), which binds this cookie to the user, then send
# both cookies, as a signed-in browser does.
BENCH_CREDS=bench0session0cookie0value0000000001
BENCH_JUDGED_COOKIE="Cookie: aws-userInfo=$BENCH_USERINFO; aws-creds=$BENCH_CREDS"
# The same user's aws-userInfo with a session cookie the gateway never saw AWS set: unbound, so
# with policy.unbound_sessions = "cookie" (CG_BENCH_UNBOUND=cookie) judged on aws-userInfo alone,
# as before session binding (issue 20's "binding off" row).
BENCH_COOKIE_ONLY="Cookie: aws-userInfo=$BENCH_USERINFO; aws-creds=bench0never0seen0by0the0gateway01"

# bench_signin_location: the nginx location (inside the origin's server for the sign-in host) that
# answers like AWS's sign-in: Set-Cookie aws-userInfo naming the bench user, and the session cookie.
bench_signin_location() {
  cat <<CONF
location = /signin-answer {
  add_header Set-Cookie "aws-userInfo=$BENCH_USERINFO; Domain=.amazon.com; Path=/; Secure";
  add_header Set-Cookie "aws-creds=$BENCH_CREDS; Domain=.amazon.com; Path=/; Secure; HttpOnly";
  return 200 "signed in\n"; }
CONF
}

# bench_sign_in HOST PORT CA_FILE: the sign-in answer fetched through the gateway listening on
# 127.0.0.1:PORT (its SNI listener), so it learns the session; fails when it was not answered.
bench_sign_in() {
  curl -sf --max-time 20 --cacert "$3" --connect-to "$1:443:127.0.0.1:$2" "https://$1/signin-answer" >/dev/null
}

# bench_gateway_config FILE SNI_PORT CONNECT_PORT HOST ORIGIN_PORT PKI_DIR AUDIT_FILE [RESUMPTION]
# CG_BENCH_AUDIT: jsonl (AUDIT_FILE, the default), sqlite (AUDIT_FILE with .sqlite) or off.
# CG_BENCH_UNBOUND: policy.unbound_sessions ("deny", the default, or "cookie").
# CG_BENCH_REPEATS: audit.repeats ("count", the default, or "each": an event per request).
# The proxy-only gateway every proxy bench runs: one worker, HOST sent to the loopback origin
# (trusted through PKI_DIR/origin/ca.crt), leaves from PKI_DIR/corp, one allow-all rule in
# enforce mode, every judged attempt written to AUDIT_FILE, no admin listener. RESUMPTION
# (true, the default, or false: fresh-connection rows) is proxy.tls_session_resumption.
bench_gateway_config() {
  local file=$1 sni=$2 connect=$3 host=$4 origin=$5 pki=$6 audit=$7 resumption=${8:-true}
  cat >"$file" <<CONF
[general]
workers = 1
log_level = "warn"

[dns]
enabled = false

[proxy]
sni_listen = ["127.0.0.1:$sni"]
connect_listen = ["127.0.0.1:$connect"]
allow_clients = ["127.0.0.0/8"]
allow_destinations = ["127.0.0.0/8"]
tls_session_resumption = $resumption

[[proxy.upstream_override]]
host = "$host"
address = "127.0.0.1:$origin"
ca_bundle = "$pki/origin/ca.crt"

[ca]
cert = "$pki/corp/ca.crt"
key = "$pki/corp/ca.key"

[policy]
mode = "enforce"
unbound_sessions = "${CG_BENCH_UNBOUND:-deny}"

[[policy.rule]]
name = "bench-allow-all"
effect = "allow"
match_all = true

[audit]
repeats = "${CG_BENCH_REPEATS:-count}"
$(case ${CG_BENCH_AUDIT:-jsonl} in
    jsonl) echo "jsonl_path = \"$audit\"" ;;
    sqlite) echo "sqlite_path = \"${audit%.jsonl}.sqlite\"" ;;
    off) echo "# no sink: the review page's memory ring only" ;;
  esac)

[admin]
enabled = false
CONF
}

# --- the scaffolding every proxy bench script shares ------------------------------------------------

# bench_workdir NAME [KEEP]: W, a new directory /tmp/cg-NAME.XXXXXX (or KEEP when given, kept at
# exit), readable by nginx's workers; `pids`, the processes to stop at exit (TERM, then KILL);
# the EXIT trap that stops them and removes W.
bench_workdir() {
  if [[ -n ${2:-} ]]; then W=$2; mkdir -p "$W"; BENCH_KEEP=1; else W=$(mktemp -d "/tmp/cg-$1.XXXXXX"); BENCH_KEEP=0; fi
  chmod 755 "$W"
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [[ $BENCH_KEEP == 1 ]] || rm -rf "$W"
}
# free_port: a TCP port free on 127.0.0.1 now (released before the caller binds it).
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_port PORT [SECONDS (10)]: until something accepts on 127.0.0.1:PORT; fails after SECONDS.
wait_port() {
  local i
  for ((i = 0; i < ${2:-10} * 10; i++)); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 never opened" >&2; return 1
}
# cpu_ticks PID: user + system clock ticks of the process so far (all threads); HZ ticks a second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
# cpu_ns PID: nanoseconds the process's threads have run so far (the scheduler's exact count;
# cpu_ticks is sampled at HZ and drifts by several percent over a few seconds).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

# bench_origin PORT HOST [AFFINITY] [SERVER_EXTRA]: nginx on 127.0.0.1:PORT serving $W over TLS
# for HOST with $W/pki's signin certificate (proxy_bench_server pki), keep-alive without limit,
# no logs; AFFINITY is nginx's worker_cpu_affinity mask (e.g. 10 for CPU 1; empty: none);
# SERVER_EXTRA goes inside the server block (e.g. "$(bench_signin_location)"). Started in the
# background (in pids) and waited for.
bench_origin() {
  mkdir -p "$W/origin"
  cat > "$W/origin/nginx.conf" <<CONF
worker_processes 1; ${3:+worker_cpu_affinity $3;} daemon off; pid $W/origin/nginx.pid;
error_log $W/origin/error.log crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 120s;
  ssl_protocols TLSv1.2 TLSv1.3;
  server { listen 127.0.0.1:$1 ssl; server_name $2; root $W;
           ssl_certificate $W/pki/signin.crt; ssl_certificate_key $W/pki/signin.key;
           ${4:-} } }
CONF
  nginx -c "$W/origin/nginx.conf" -p "$W/origin" & pids+=($!)
  wait_port "$1"
}

# bench_nginx_reverse PORT ORIGIN HOST [HTTP_EXTRA] [LISTEN_EXTRA] [SERVER_EXTRA]: nginx on CPU 0
# as a two-leg TLS reverse proxy on 127.0.0.1:PORT for HOST (the corporate leaf of $W/pki, as
# the inspecting servers present), verifying and pooling (keepalive 256) its upstream
# 127.0.0.1:ORIGIN: the peer of every proxy row. HTTP_EXTRA goes in the http block, LISTEN_EXTRA
# after "ssl" on the listen line (e.g. http2), SERVER_EXTRA in the server block (e.g. session
# settings). Started in the background (in pids) and waited for; NG is the master's PID, NGW the
# worker's (the process whose CPU counts).
bench_nginx_reverse() {
  mkdir -p "$W/ngx"
  cat > "$W/ngx/nginx.conf" <<CONF
worker_processes 1; worker_cpu_affinity 01; daemon off; pid $W/ngx/nginx.pid;
error_log $W/ngx/error.log crit;
events { worker_connections 65536; }
http { access_log off; keepalive_requests 10000000; ${4:-}
  ssl_protocols TLSv1.2 TLSv1.3; proxy_ssl_protocols TLSv1.2 TLSv1.3;
  upstream origin { server 127.0.0.1:$2; keepalive 256; }
  server { listen 127.0.0.1:$1 ssl ${5:-}; server_name $3;
    ssl_certificate $W/pki/corpleaf.crt; ssl_certificate_key $W/pki/corpleaf.key; ${6:-}
    location / { proxy_pass https://origin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_verify on; proxy_ssl_trusted_certificate $W/pki/origin/ca.crt;
      proxy_ssl_name $3; proxy_ssl_server_name on; proxy_ssl_session_reuse on; } } }
CONF
  taskset -c 0 nginx -c "$W/ngx/nginx.conf" -p "$W/ngx" & NG=$!; pids+=($NG); wait_port "$1"
  sleep 0.3; NGW=$(pgrep -P "$NG" | head -1)
}
