#!/usr/bin/env bash
# bench-ingress.sh - ckube's Ingress proxy against nginx and haproxy, in one
# run, on this machine. The same loopback upstream (nginx returning a fixed
# 100-byte body) is measured directly, through nginx and haproxy configured
# as /work/shared/bench/proxy-anchors.sh does (keep-alive upstreams with an
# idle pool >= concurrency, no access log, RSA-2048 self-signed TLS, TLS 1.2
# and 1.3), and through ckube-server's Ingress proxy (a Service without
# selector + EndpointSlice pointing at the upstream, a host-less Ingress
# rule; HTTPS with the proxy's default RSA-2048 certificate). wrk -t1 at 64
# and 256 connections, HTTP and HTTPS. Two rows decide the data-plane
# design: the API's CivetWeb server answering /healthz and the proxy
# answering its own 404 (both HTTPS, no upstream hop). The last two rows
# measure the API's own request rate alone and while the proxy is loaded
# (the proxy's workers at their default: nice 19 while the API serves
# requests and 0 when it is idle; and always at nice 0 in the ckube-nice0
# instance, whose proxy rows are measured too);
# the slowloris rows measure nginx and ckube while 1000 slow clients hold
# partial request heads open.
# Every process listens on 127.0.0.1 and is killed by PID at the end.
#
# Usage: scripts/bench-ingress.sh [build/bin/ckube-server]
# Knobs: BASE_PORT (default 29080, 17 ports), DURATION (10s), WARMUP (2s),
#        CONNS ("64 256"), RESULTS_DIR (copy raw wrk outputs there),
#        ONLY (a regex: measure only the rows whose target name matches it,
#        e.g. ONLY='^(nginx|ckube)$' for a quick before/after), ROUNDS (1: every
#        row is measured ROUNDS times, the rounds one after another over all
#        rows, and the table gives each row's medians and its req/s range),
#        API_CLIENT_NICE (-10: the nice level of the API rows' wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${1:-build/bin/ckube-server}
BASE_PORT=${BASE_PORT:-29080}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-"64 256"}
RESULTS_DIR=${RESULTS_DIR:-}
ONLY=${ONLY:-}
ROUNDS=${ROUNDS:-1}
API_CLIENT_NICE=${API_CLIENT_NICE:--10}
WRK_NICE=0
KUBECTL=${KUBECTL:-$(bash scripts/kubectl-versions.sh | sed -n 1p)}

P_UP_HTTP=$BASE_PORT P_UP_TLS=$((BASE_PORT + 1))
P_NGX_HTTP=$((BASE_PORT + 2)) P_NGX_TLS=$((BASE_PORT + 3))
P_NGX2_HTTP=$((BASE_PORT + 4)) P_NGX2_TLS=$((BASE_PORT + 5))
P_HAP_HTTP=$((BASE_PORT + 6)) P_HAP_TLS=$((BASE_PORT + 7))
P_CK_HTTP=$((BASE_PORT + 8)) P_CK_TLS=$((BASE_PORT + 9)) P_CK_API=$((BASE_PORT + 10))
P_CK1_HTTP=$((BASE_PORT + 11)) P_CK1_TLS=$((BASE_PORT + 12)) P_CK1_API=$((BASE_PORT + 13))
P_CK0_HTTP=$((BASE_PORT + 14)) P_CK0_TLS=$((BASE_PORT + 15)) P_CK0_API=$((BASE_PORT + 16))
ALL_PORTS=$(seq "$BASE_PORT" $((BASE_PORT + 16)))

for bin in nginx haproxy wrk openssl curl ss timeout "$SERVER" "$KUBECTL"; do
  command -v "$bin" >/dev/null 2>&1 || { echo "missing '$bin' (scripts/deps.sh --test; scripts/build.sh)" >&2; exit 2; }
done

PIDS=()
TMP=$(mktemp -d /tmp/bench-ingress.XXXXXX)
chmod 711 "$TMP"
cleanup() {
  local pid i
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in $ALL_PORTS; do
  if port_in_use "$p"; then echo "port $p in use; set BASE_PORT to a free range" >&2; exit 3; fi
done
wait_port() { local i; for i in $(seq 1 100); do port_in_use "$1" && return 0; sleep 0.1; done; echo "nothing on :$1" >&2; return 1; }

# ---------------------------------------------------------------- upstream, nginx, haproxy
BODY=$(head -c 100 /dev/zero | tr '\0' 'h')
BODY="hello${BODY:5}"
openssl req -x509 -nodes -newkey rsa:2048 -days 2 -keyout "$TMP/tls.key" -out "$TMP/tls.crt" \
  -subj "/CN=bench.local" -addext "subjectAltName=DNS:bench.local" >/dev/null 2>&1
cat "$TMP/tls.crt" "$TMP/tls.key" > "$TMP/tls.pem"
chmod 600 "$TMP/tls.key" "$TMP/tls.pem"

nginx_conf() {  # dir workers body
  cat <<CONF
pid $TMP/$1/nginx.pid;
error_log $TMP/$1/error.log warn;
worker_processes $2;
worker_rlimit_nofile 16384;
daemon off;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:1m;
    client_body_temp_path $TMP/$1/body;
    proxy_temp_path $TMP/$1/proxy;
    fastcgi_temp_path $TMP/$1/fastcgi;
    uwsgi_temp_path $TMP/$1/uwsgi;
    scgi_temp_path $TMP/$1/scgi;
$3
}
CONF
}
proxy_server() {  # http_port tls_port
  cat <<CONF
    upstream backend {
        server 127.0.0.1:$P_UP_HTTP;
        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$1;
        listen 127.0.0.1:$2 ssl;
        ssl_certificate     $TMP/tls.crt;
        ssl_certificate_key $TMP/tls.key;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
CONF
}
mkdir -p "$TMP/up" "$TMP/ngx" "$TMP/ngx2"
nginx_conf up 1 "
    server {
        listen 127.0.0.1:$P_UP_HTTP;
        listen 127.0.0.1:$P_UP_TLS ssl;
        ssl_certificate     $TMP/tls.crt;
        ssl_certificate_key $TMP/tls.key;
        location / { default_type text/plain; return 200 \"$BODY\"; }
    }" > "$TMP/up/nginx.conf"
nginx_conf ngx 1 "$(proxy_server "$P_NGX_HTTP" "$P_NGX_TLS")" > "$TMP/ngx/nginx.conf"
nginx_conf ngx2 2 "$(proxy_server "$P_NGX2_HTTP" "$P_NGX2_TLS")" > "$TMP/ngx2/nginx.conf"
cat > "$TMP/haproxy.cfg" <<CONF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    http-reuse safe
    timeout connect 5s
    timeout client 75s
    timeout server 75s
    timeout http-keep-alive 75s
    maxconn 4096
frontend fe_http
    bind 127.0.0.1:$P_HAP_HTTP
    default_backend be
frontend fe_https
    bind 127.0.0.1:$P_HAP_TLS ssl crt $TMP/tls.pem
    default_backend be
backend be
    option forwardfor
    server up1 127.0.0.1:$P_UP_HTTP
CONF
declare -A PID_OF
for d in up ngx ngx2; do
  nginx -t -q -e "$TMP/$d/error.log" -p "$TMP/$d" -c "$TMP/$d/nginx.conf"
  nginx -e "$TMP/$d/error.log" -p "$TMP/$d" -c "$TMP/$d/nginx.conf" &
  PIDS+=($!)
  PID_OF[$d]=$!
done
haproxy -c -q -f "$TMP/haproxy.cfg"
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
PIDS+=($!)
PID_OF[haproxy]=$!

# ---------------------------------------------------------------- ckube (one per core, and one worker)
start_ckube() {  # name api http tls workers [server flags]
  mkdir -p "$TMP/$1"
  # no local node: its agent's Lease, status and metrics requests would be API activity (the adaptive
  # proxy at nice 19 for 200 ms after each) and its processes more load, which nginx and haproxy do not have
  CKUBE_INGRESS_WORKERS=$5 "$SERVER" --data-dir "$TMP/$1/data" --listen "127.0.0.1:$2" --no-local-node \
    --ingress-http "127.0.0.1:$3" --ingress-https "127.0.0.1:$4" "${@:6}" >"$TMP/$1/server.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$1]=$!
  wait_port "$2" && wait_port "$3" && wait_port "$4"
  local kc="$TMP/$1/data/admin.kubeconfig" i
  for i in $(seq 1 100); do "$KUBECTL" --kubeconfig "$kc" get ingressclass ckube >/dev/null 2>&1 && break; sleep 0.2; done
  "$KUBECTL" --kubeconfig "$kc" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: upstream, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: upstream-1, namespace: default, labels: {kubernetes.io/service-name: upstream}}
addressType: IPv4
ports: [{name: http, port: $P_UP_HTTP}]
endpoints: [{addresses: ["127.0.0.1"]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: default}
spec:
  rules:
  - host: bench.local
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: upstream, port: {number: 80}}}}]
YAML
}
start_ckube ck "$P_CK_API" "$P_CK_HTTP" "$P_CK_TLS" 0
start_ckube ck1 "$P_CK1_API" "$P_CK1_HTTP" "$P_CK1_TLS" 1
start_ckube ck0 "$P_CK0_API" "$P_CK0_HTTP" "$P_CK0_TLS" 0 --ingress-nice 0
for p in $ALL_PORTS; do wait_port "$p"; done

check() {  # url [expected body]
  local got
  for i in $(seq 1 50); do
    got=$(curl -sk --max-time 5 -H 'Host: bench.local' -o "$TMP/check.body" -w '%{http_code}' "$1" || true)
    [ "$got" = 200 ] && cmp -s "$TMP/check.body" <(printf '%s' "$BODY") && return 0
    sleep 0.2
  done
  echo "check failed for $1 (status '$got')" >&2
  exit 4
}
for p in $P_UP_HTTP $P_NGX_HTTP $P_NGX2_HTTP $P_HAP_HTTP $P_CK_HTTP $P_CK1_HTTP $P_CK0_HTTP; do check "http://127.0.0.1:$p/"; done
for p in $P_UP_TLS $P_NGX_TLS $P_NGX2_TLS $P_HAP_TLS $P_CK_TLS $P_CK1_TLS $P_CK0_TLS; do check "https://127.0.0.1:$p/"; done

# ---------------------------------------------------------------- measure
to_ms() {
  awk -v v="$1" 'BEGIN{ if (v=="") { print "n/a"; exit } n=v; u=v; sub(/[a-z]+$/,"",n); sub(/^[0-9.]+/,"",u);
    f=(u=="us")?0.001:(u=="ms")?1:(u=="s")?1000:(u=="m")?60000:-1; if (f<0) print v; else printf "%.2f", n*f }'
}
# CPU time (clock ticks) of a process and its children (nginx workers).
cpu_ticks() {
  local p t=0
  for p in $1 $(pgrep -P "$1" 2>/dev/null); do
    t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
CPU_US=-
record() {  # name proto c rawfile
  local rps p50 p99 sock non2xx
  rps=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$4")
  p50=$(to_ms "$(awk '$1=="50%"{print $2}' "$4")")
  p99=$(to_ms "$(awk '$1=="99%"{print $2}' "$4")")
  sock=$(awk '/Socket errors:/{gsub(",","");s=$4+$6+$8+$10} END{print s+0}' "$4")
  non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$4")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${rps:-0}" "$p50" "$p99" "$((sock + ${non2xx:-0}))" \
    "$CPU_US" "${ROUND:-1}" >>"$TMP/results.tsv"
}
wanted() { [ -z "$ONLY" ] || [[ $1 =~ $ONLY ]]; }
run_cell() {  # name proto url conns [host header] [pid whose CPU is counted]
  local raw="$TMP/wrk.$1.$2.c$4.r${ROUND:-1}.txt" host=${5:-bench.local} pid=${6:-} t0 t1 n
  wanted "$1" || return 0
  timeout 60 nice -n "$WRK_NICE" wrk -t1 -c"$4" -d"$WARMUP" -H "Host: $host" "$3" >/dev/null 2>&1 || true
  [ -n "$pid" ] && t0=$(cpu_ticks "$pid")
  timeout 120 nice -n "$WRK_NICE" wrk -t1 -c"$4" -d"$DURATION" --timeout 5s --latency -H "Host: $host" "$3" >"$raw" 2>&1 || true
  CPU_US=-
  if [ -n "$pid" ]; then
    t1=$(cpu_ticks "$pid")
    n=$(awk '/requests in/{print $1}' "$raw")
    [ "${n:-0}" -gt 0 ] && CPU_US=$(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", d*1e6/hz/n}')
  fi
  record "$1" "$2" "$4" "$raw"
}

# Slow clients (slowloris): 1000 connections that send a partial head and
# then one more header line every 5 s, held open during the measurement.
slowloris() {  # port seconds
  python3 - "$1" "$2" <<'PY' &
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
socks = []
for _ in range(1000):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.send(b"GET / HTTP/1.1\r\nHost: bench.local\r\n")
        socks.append(s)
    except OSError:
        break
end = time.time() + secs
while time.time() < end:
    time.sleep(5)
    for s in socks:
        try:
            s.send(b"X-Slow: 1\r\n")
        except OSError:
            pass
PY
  SLOWPID=$!
  sleep 2
}
# The API's request rate alone, then while the proxy is loaded (wrk on
# both), for the default instance (proxy in the idle class while the API is
# busy) and ckube-nice0. The proxy's clients and its upstream, and the API's
# clients, are other machines in a real cluster; here they share the two
# cores, so during these rows the proxy's wrk and the upstream nginx run in
# the background (SCHED_IDLE, nice 19), and the API's wrk, in both rows, at
# nice API_CLIENT_NICE (-10): what the rows measure is what the proxy itself
# takes from the API server, not what its load generator and backend take,
# nor what they take from the API's load generator (a single wrk thread at
# 80,000 req/s is itself the bottleneck, and at nice 0 the proxy's threads
# took their share of its core).
background_tree() {  # pid on|off: the process and its children (nginx's workers) at SCHED_IDLE and nice 19, or back
  local p
  for p in "$1" $(pgrep -P "$1"); do
    if [ "$2" = on ]; then chrt -i -p 0 "$p" && renice -n 19 -p "$p"; else chrt -o -p 0 "$p" && renice -n 0 -p "$p"; fi
  done >/dev/null 2>&1 || true
}
api_under_load() {  # suffix api_port proxy_http_port
  WRK_NICE=$API_CLIENT_NICE
  run_cell "api-alone$1" https "https://127.0.0.1:$2/healthz" 16 127.0.0.1
  wanted "api-under-proxy-load$1" || return 0
  background_tree "${PID_OF[up]}" on
  timeout 60 chrt -i 0 nice -n 19 wrk -t1 -c256 -d"$DURATION" -H "Host: bench.local" "http://127.0.0.1:$3/" \
    >"$TMP/wrk.proxy-load$1.r$ROUND.txt" 2>&1 &
  LOADPID=$!
  sleep 1
  timeout 120 nice -n "$WRK_NICE" wrk -t1 -c16 -d"$DURATION" --timeout 5s --latency "https://127.0.0.1:$2/healthz" \
    >"$TMP/wrk.api-under-proxy-load$1.r$ROUND.txt" 2>&1 || true
  CPU_US=-
  record "api-under-proxy-load$1" https 16 "$TMP/wrk.api-under-proxy-load$1.r$ROUND.txt"
  wait "$LOADPID" || true
  background_tree "${PID_OF[up]}" off
  record "proxy-beside-api-load$1" http 256 "$TMP/wrk.proxy-load$1.r$ROUND.txt"
  WRK_NICE=0
}
: >"$TMP/results.tsv"
for ROUND in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for proto in http https; do
      if [ "$proto" = http ]; then o=0; else o=1; fi
      run_cell upstream "$proto" "$proto://127.0.0.1:$((P_UP_HTTP + o))/" "$c" bench.local "${PID_OF[up]}"
      run_cell nginx "$proto" "$proto://127.0.0.1:$((P_NGX_HTTP + o))/" "$c" bench.local "${PID_OF[ngx]}"
      run_cell nginx-2w "$proto" "$proto://127.0.0.1:$((P_NGX2_HTTP + o))/" "$c" bench.local "${PID_OF[ngx2]}"
      run_cell haproxy "$proto" "$proto://127.0.0.1:$((P_HAP_HTTP + o))/" "$c" bench.local "${PID_OF[haproxy]}"
      run_cell ckube "$proto" "$proto://127.0.0.1:$((P_CK_HTTP + o))/" "$c" bench.local "${PID_OF[ck]}"
      run_cell ckube-1w "$proto" "$proto://127.0.0.1:$((P_CK1_HTTP + o))/" "$c" bench.local "${PID_OF[ck1]}"
      run_cell ckube-nice0 "$proto" "$proto://127.0.0.1:$((P_CK0_HTTP + o))/" "$c" bench.local "${PID_OF[ck0]}"
    done
  done
  # The design question: CivetWeb's thread-per-connection server vs the epoll
  # loop, each answering by itself over HTTPS (ckube's 404 default backend).
  for c in $CONNS; do
    run_cell civetweb-api-healthz https "https://127.0.0.1:$P_CK1_API/healthz" "$c" 127.0.0.1 "${PID_OF[ck1]}"
    run_cell ckube-1w-local-404 https "https://127.0.0.1:$P_CK1_TLS/" "$c" unknown.local "${PID_OF[ck1]}"
  done
  for target in nginx:$P_NGX_HTTP ckube:$P_CK_HTTP; do
    wanted "${target%%:*}+1000-slowloris" || continue
    slowloris "${target#*:}" 20
    run_cell "${target%%:*}+1000-slowloris" http "http://127.0.0.1:${target#*:}/" 64 bench.local
    kill "$SLOWPID" 2>/dev/null || true
    wait "$SLOWPID" 2>/dev/null || true
  done
  api_under_load "" "$P_CK_API" "$P_CK_HTTP"
  api_under_load -nice0 "$P_CK0_API" "$P_CK0_HTTP"
done

# ---------------------------------------------------------------- report
echo "# bench-ingress $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# host: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(nginx -v 2>&1 | tr -d '\n'); $(haproxy -v | head -1 | cut -d' ' -f1-3); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "# wrk -t1 -d$DURATION (warm-up $WARMUP); 100-byte body; nginx/haproxy/ckube-1w: 1 worker, nginx-2w/ckube: 2"
echo "# ckube, ckube-1w: proxy workers at the default --ingress-nice 19 (the idle class), taken only while the API serves requests"
echo "#   (0 when it is idle); ckube-nice0: 2 workers at nice 0 always"
echo "# proxy-beside-api-load: the proxy's own rate while the api-under-proxy-load row runs (its wrk and the"
echo "#   upstream in the background, SCHED_IDLE: on a real cluster they are other machines); the API rows' wrk at"
echo "#   nice $API_CLIENT_NICE in both rows (the API's clients are other machines too); rounds: $ROUNDS"
echo "# CPU us/req: CPU time of the measured process (nginx: its workers) per request: robust when the"
echo "#   machine is shared, where req/s mostly says how much CPU the scheduler gave each process"
python3 - "$TMP/results.tsv" "$ROUNDS" <<'PY'
# One table row per target/proto/conns: the medians over the rounds (and the
# req/s range when there were several), then the API's rate under proxy load
# against its rate alone, round by round.
import statistics, sys
rows, order = {}, []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    k = tuple(f[:3])
    if k not in rows:
        rows[k] = []
        order.append(k)
    rows[k].append(f)
rounds = int(sys.argv[2])
def med(vals):
    nums = [float(v) for v in vals if v not in ("-", "n/a", "")]
    return statistics.median(nums) if nums else None
def fmt(v, spec):
    return "-" if v is None else format(v, spec)
def rps(k):
    return med(r[3] for r in rows.get(k, []))
print("| target | proto | conns | req/s | p50 ms | p99 ms | errors | vs nginx | CPU us/req |" + (" req/s range |" if rounds > 1 else ""))
print("|---|---|---|---|---|---|---|---|---|" + ("---|" if rounds > 1 else ""))
for k in order:
    name, proto, conns = k
    rs = rows[k]
    anchor = ("nginx+1000-slowloris", proto, conns) if "slowloris" in name else ("nginx", proto, conns)
    cmp = not name.startswith(("civetweb", "api", "proxy-beside", "ckube-1w-local"))
    ratio = fmt(rps(k) / rps(anchor), ".2f") if cmp and rps(anchor) else "-"
    errors = str(sum(int(r[6]) for r in rs)) + (" (404s expected)" if name == "ckube-1w-local-404" else "")
    cells = [name, proto, conns, fmt(rps(k), ".0f"), fmt(med(r[4] for r in rs), ".2f"),
             fmt(med(r[5] for r in rs), ".2f"), errors, ratio, fmt(med(r[7] for r in rs), ".1f")]
    if rounds > 1:
        cells.append("%.0f-%.0f" % (min(float(r[3]) for r in rs), max(float(r[3]) for r in rs)))
    print("| " + " | ".join(cells) + " |")
for sfx in ("", "-nice0"):
    alone = rows.get(("api-alone" + sfx, "https", "16"), [])
    loaded = {r[8]: float(r[3]) for r in rows.get(("api-under-proxy-load" + sfx, "https", "16"), [])}
    pairs = [(float(r[3]), loaded[r[8]]) for r in alone if r[8] in loaded and float(r[3]) > 0]
    if pairs:
        per = ", ".join("%.2f" % (b / a) for a, b in pairs)
        print("\napi-under-proxy-load%s / api-alone%s: median %.2f (rounds: %s); api-alone range %.0f-%.0f req/s"
              % (sfx, sfx, statistics.median(b / a for a, b in pairs), per,
                 min(a for a, _ in pairs), max(a for a, _ in pairs)))
PY
if [ -n "$RESULTS_DIR" ]; then mkdir -p "$RESULTS_DIR"; cp "$TMP"/wrk.*.txt "$TMP/results.tsv" "$RESULTS_DIR"/; fi
