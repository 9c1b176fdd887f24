#!/usr/bin/env bash
# bench-api.sh - API and storage benchmark, ckube beside what a user would run
# instead, in one go on this machine (loopback only):
#   ckube-server (SQLite)             ../shared/bench/api-load.sh + watch + RSS
#   ckube-server on etcd              the same, --store etcd on a 3-member TLS etcd cluster
#                                     (scripts/etcd-cluster.sh), RSS of ckube and of the members
#   kube-apiserver 1.20 + etcd        the same load (when ../shared/conformance/build.sh
#                                     has built it; K8S_BIN, default /tmp/k8s-e2e/bin)
#   kube-apiserver 1.20 on ckube's    kube-apiserver + kube-controller-manager on the very
#     etcd (kube-apiserver-etcd3)     3-member TLS cluster ckube-etcd used (its own --etcd-prefix),
#                                     the same load, watch and 10k workload: the two API servers
#                                     side by side on one storage
#   etcd alone (Debian etcd-server)   puts/s over its JSON gateway
# and on all three scripts/bench-10k.py: create/get/list/watch of exactly 10k
# objects with one client, rates and p50/p99 latencies.
# Prints TSV rows (system, measure, value, unit) and writes them to
# docs/bench/api-latest.tsv (BENCH_OUT). Takes about 5 minutes per system;
# BENCH_SYSTEMS picks some (default "ckube ckube-etcd kube-apiserver-etcd3 kube-apiserver etcd").
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD
SHARED=${SHARED:-$HERE/../shared}
command -v wrk >/dev/null || { apt-get update >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
command -v etcd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client >/dev/null
CKUBE_BIN=${CKUBE_BIN:-build/bin/ckube-server}
[ -x "$CKUBE_BIN" ] || bash scripts/build.sh >/dev/null
OUT=$(mktemp); T=$(mktemp -d); PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ -z "${ED:-}" ] || bash scripts/etcd-cluster.sh stop "$ED"
  rm -rf "$T"
}
trap cleanup EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
row() { printf '%s\t%s\t%s\t%s\n' "$@" | tee -a "$OUT"; }
want() { [[ " ${BENCH_SYSTEMS:-ckube ckube-etcd kube-apiserver-etcd3 kube-apiserver etcd} " == *" $1 "* ]]; }
# ckube_up PORT DATA LOG ARGS...: starts ckube-server, waits for /readyz (60 s), sets CK to its pid
ckube_up() {
  local p=$1 d=$2 log=$3; shift 3
  "$CKUBE_BIN" --data-dir "$d" --listen "127.0.0.1:$p" --no-local-node "$@" >"$log" 2>&1 & PIDS+=($!); CK=$!
  for i in $(seq 600); do curl -sk "https://127.0.0.1:$p/readyz" | grep -q ok && break; sleep 0.1; done
}

# watch delivery: N creates while one watcher counts events; reports events/s seen by the watcher
watch_bench() { # label url token
  local label=$1 url=$2 tok=$3 ns=wbench-$RANDOM n=3000
  curl -sk -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -X POST "$url/api/v1/namespaces" \
       -d "{\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
  local rv
  rv=$(curl -sk -H "Authorization: Bearer $tok" "$url/api/v1/namespaces/$ns/configmaps" | python3 -c 'import json,sys;print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
  python3 - "$url" "$tok" "$ns" "$rv" "$n" <<'PY' > "$T/watch.out"
import json, ssl, sys, threading, time, http.client, urllib.parse
url, tok, ns, rv, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
u = urllib.parse.urlparse(url)
ctx = ssl._create_unverified_context()
def conn(): return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
w = conn()
w.request("GET", f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=120",
          headers={"Authorization": "Bearer " + tok})
resp = w.getresponse()
seen = [0]; last = [0.0]
def reader():
    buf = b""
    while seen[0] < n:
        chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(4096)
        if not chunk: break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                seen[0] += 1; last[0] = time.time()
t = threading.Thread(target=reader, daemon=True); t.start()
start = time.time()
def writer(k):
    c = conn()
    for i in range(k, n, 8):
        body = json.dumps({"metadata": {"name": f"w-{i}"}, "data": {"k": "v"}})
        c.request("POST", f"/api/v1/namespaces/{ns}/configmaps", body,
                  {"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
        c.getresponse().read()
ws = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
[x.start() for x in ws]; [x.join() for x in ws]
wrote = time.time()
t.join(60)
print(f"{seen[0]} {n / (wrote - start):.0f} {seen[0] / (last[0] - start) if last[0] > start else 0:.0f} {(last[0] - wrote) * 1000:.0f}")
PY
  read -r got wps eps lag < "$T/watch.out"
  row "$label" "watch events delivered" "$got/$n" "events"
  row "$label" "watch delivery rate (8 writers)" "$eps" "events/s (writes $wps/s, last event ${lag} ms after last write)"
}

# --- ckube
if want ckube; then
P=$(port); D=$T/ckube
ckube_up "$P" "$D" "$T/ckube.log"
sleep 1
row ckube "idle RSS" "$(( $(rss_kb $CK) / 1024 ))" MiB
TOK=$(cat "$D/pki/admin.token")
bash "$SHARED/bench/api-load.sh" "https://127.0.0.1:$P" "$TOK" ckube | tee -a "$OUT"
row ckube "RSS after the load" "$(( $(rss_kb $CK) / 1024 ))" MiB
row ckube "data dir size" "$(du -sm "$D" | cut -f1)" MiB
watch_bench ckube "https://127.0.0.1:$P" "$TOK"
kill $CK; wait $CK 2>/dev/null || true
# the 10k-object workload (scripts/bench-10k.py) and memory at exactly 10k pods, on a fresh server
P=$(port); D=$T/ckube10k
ckube_up "$P" "$D" "$T/ckube10k.log"
/usr/bin/python3 scripts/bench-10k.py k8s "https://127.0.0.1:$P" "$(cat "$D/pki/admin.token")" ckube | tee -a "$OUT"
row ckube "RSS at 10k pods (fresh server)" "$(( $(rss_kb $CK) / 1024 ))" MiB
kill $CK; wait $CK 2>/dev/null || true
fi

# --- ckube on etcd: a 3-member TLS cluster; the 10k workload on a fresh server under a fresh key prefix
if want ckube-etcd || want kube-apiserver-etcd3; then
ED=$T/etcd3
EPORT=$(python3 -c 'import sys; sys.path.insert(0, "tests/e2e/tools"); import etcd; print(etcd.free_port_run(6))')
read -ra EFLAGS < <(bash scripts/etcd-cluster.sh start "$ED" "$EPORT")
fi
members_mb() { local kb=0 f; for f in "$ED"/m*.pid; do kb=$(( kb + $(rss_kb "$(cat "$f")") )); done; echo $(( kb / 1024 )); }
if want ckube-etcd; then
P=$(port); D=$T/ckube-etcd
ckube_up "$P" "$D" "$T/ckube-etcd.log" --store etcd "${EFLAGS[@]}"
sleep 1
row ckube-etcd "idle RSS" "$(( $(rss_kb $CK) / 1024 ))" "MiB (etcd members: $(members_mb) MiB)"
TOK=$(cat "$D/pki/admin.token")
bash "$SHARED/bench/api-load.sh" "https://127.0.0.1:$P" "$TOK" ckube-etcd | tee -a "$OUT"
row ckube-etcd "RSS after the load" "$(( $(rss_kb $CK) / 1024 ))" "MiB (etcd members: $(members_mb) MiB)"
watch_bench ckube-etcd "https://127.0.0.1:$P" "$TOK"
kill $CK; wait $CK 2>/dev/null || true
P=$(port); D=$T/ckube-etcd10k
ckube_up "$P" "$D" "$T/ckube-etcd10k.log" --store etcd "${EFLAGS[@]}" --etcd-prefix /bench10k
/usr/bin/python3 scripts/bench-10k.py k8s "https://127.0.0.1:$P" "$(cat "$D/pki/admin.token")" ckube-etcd | tee -a "$OUT"
row ckube-etcd "RSS at 10k pods (fresh server)" "$(( $(rss_kb $CK) / 1024 ))" MiB
kill $CK; wait $CK 2>/dev/null || true
fi

# --- kube-apiserver 1.20 (+ kube-controller-manager, which makes the default
# ServiceAccounts pods need) on the same TLS etcd cluster, under its own prefix
K8S_BIN=${K8S_BIN:-/tmp/k8s-e2e/bin}
if want kube-apiserver-etcd3 && [ -x "$K8S_BIN/kube-apiserver" ]; then
K=$T/kube3; mkdir -p "$K/pki"
( cd "$K/pki" && openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=bench-ca 2>/dev/null )
echo "bench-admin-token,admin,admin,system:masters" > "$K/tokens.csv"
P=$(port)
"$K8S_BIN/kube-apiserver" "${EFLAGS[@]}" --etcd-prefix /kube-registry --bind-address 127.0.0.1 --secure-port "$P" \
  --insecure-port 0 --cert-dir "$K/certs" --token-auth-file "$K/tokens.csv" --authorization-mode RBAC \
  --client-ca-file "$K/pki/ca.crt" --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$K/pki/sa.pub" --service-account-signing-key-file "$K/pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/12 --allow-privileged >"$K/apiserver.log" 2>&1 & PIDS+=($!); KA=$!
for i in $(seq 900); do curl -sk "https://127.0.0.1:$P/readyz" | grep -q ok && break; sleep 0.1; done
cat > "$K/admin.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://127.0.0.1:$P", insecure-skip-tls-verify: true}
  name: k
users:
- name: admin
  user: {token: bench-admin-token}
contexts:
- context: {cluster: k, user: admin}
  name: k
current-context: k
KC
"$K8S_BIN/kube-controller-manager" --kubeconfig "$K/admin.kubeconfig" --leader-elect=false --port 0 \
  --bind-address 127.0.0.1 --secure-port 0 --service-account-private-key-file "$K/pki/sa.key" \
  --root-ca-file "$K/pki/ca.crt" --controllers '*' >"$K/controller-manager.log" 2>&1 & PIDS+=($!); KCM=$!
URL="https://127.0.0.1:$P"; TOK=bench-admin-token
for i in $(seq 600); do curl -sk -H "Authorization: Bearer $TOK" "$URL/api/v1/namespaces/default/serviceaccounts/default" | grep -q '"uid"' && break; sleep 0.1; done
sleep 1
row kube-apiserver-etcd3 "idle RSS" "$(( $(rss_kb $KA) / 1024 ))" "MiB (kube-apiserver alone; etcd members: $(members_mb) MiB)"
/usr/bin/python3 scripts/bench-10k.py k8s "$URL" "$TOK" kube-apiserver-etcd3 | tee -a "$OUT"
row kube-apiserver-etcd3 "RSS at 10k pods" "$(( $(rss_kb $KA) / 1024 ))" "MiB (kube-apiserver alone)"
bash "$SHARED/bench/api-load.sh" "$URL" "$TOK" kube-apiserver-etcd3 | tee -a "$OUT"
row kube-apiserver-etcd3 "RSS after the load" "$(( $(rss_kb $KA) / 1024 ))" "MiB (kube-apiserver alone; etcd members: $(members_mb) MiB)"
watch_bench kube-apiserver-etcd3 "$URL" "$TOK"
kill $KCM $KA; wait $KCM $KA 2>/dev/null || true
elif want kube-apiserver-etcd3; then
  row kube-apiserver-etcd3 "skipped" "-" "run ../shared/conformance/build.sh first"
fi
[ -z "${ED:-}" ] || bash scripts/etcd-cluster.sh stop "$ED"

# --- kube-apiserver + etcd (optional)
if ! want kube-apiserver; then
  :
elif [ -x "$K8S_BIN/kube-apiserver" ]; then
  cat > "$T/real.sh" <<REAL
set -e
URL=\$(python3 -c 'import yaml,os;print(yaml.safe_load(open(os.environ["KUBECONFIG"]))["clusters"][0]["cluster"]["server"])')
# this cluster's processes (others may run beside it): by the ports in the kubeconfig's URL
AP=\$(pgrep -f "kube-apiserver .*--secure-port \${URL##*:}( |\$)" | head -1)
EPORT=\$(tr '\\0' ' ' < /proc/\$AP/cmdline | grep -o 'etcd-servers http://127.0.0.1:[0-9]*' | grep -o '[0-9]*\$')
ET=\$(pgrep -f "etcd .*--listen-client-urls http://127.0.0.1:\$EPORT( |\$)" | head -1)
sleep 2
printf 'kube-apiserver+etcd\tidle RSS\t%s\tMiB\n' \$(( (\$(awk '/VmRSS/{print \$2}' /proc/\$AP/status) + \$(awk '/VmRSS/{print \$2}' /proc/\$ET/status)) / 1024 ))
/usr/bin/python3 "$HERE/scripts/bench-10k.py" k8s "\$URL" real-cluster-admin-token kube-apiserver+etcd
printf 'kube-apiserver+etcd\tRSS at 10k pods (fresh cluster)\t%s\tMiB\n' \$(( (\$(awk '/VmRSS/{print \$2}' /proc/\$AP/status) + \$(awk '/VmRSS/{print \$2}' /proc/\$ET/status)) / 1024 ))
bash "$SHARED/bench/api-load.sh" "\$URL" real-cluster-admin-token kube-apiserver+etcd
printf 'kube-apiserver+etcd\tRSS after the load\t%s\tMiB\n' \$(( (\$(awk '/VmRSS/{print \$2}' /proc/\$AP/status) + \$(awk '/VmRSS/{print \$2}' /proc/\$ET/status)) / 1024 ))
REAL
  K8S_BIN=$K8S_BIN bash "$SHARED/conformance/real-cluster.sh" bash "$T/real.sh" 2>/dev/null | grep -P '\t' | tee -a "$OUT" || true
else
  row kube-apiserver+etcd "skipped" "-" "run ../shared/conformance/build.sh first"
fi

# --- etcd alone, on the same disk
if want etcd; then
EP=$(port); PP=$(port)
etcd --data-dir "$T/etcd" --listen-client-urls "http://127.0.0.1:$EP" --advertise-client-urls "http://127.0.0.1:$EP" \
     --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
     --initial-cluster "default=http://127.0.0.1:$PP" >"$T/etcd.log" 2>&1 & PIDS+=($!); ET=$!
for i in $(seq 100); do curl -s "http://127.0.0.1:$EP/health" | grep -q true && break; sleep 0.1; done
row etcd "idle RSS" "$(( $(rss_kb $ET) / 1024 ))" MiB
cat > "$T/put.lua" <<'LUA'
local n, count = 0, 0
function setup(thread) count = count + 1; thread:set("tid", count) end
local b64 = function(s) return (s:gsub('.', function(x) local r, b = '', x:byte() for i = 8, 1, -1 do r = r .. (b % 2^i - b % 2^(i-1) > 0 and '1' or '0') end return r end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x) if #x < 6 then return '' end local c = 0 for i = 1, 6 do c = c + (x:sub(i,i) == '1' and 2^(6-i) or 0) end return ('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'):sub(c+1,c+1) end) .. ({ '', '==', '=' })[#s % 3 + 1] end
local value = b64(string.rep("x", 300))
function request()
  n = n + 1
  local key = b64(string.format("/registry/configmaps/bench/o-%d-%d-%d", ROUND, tid or 0, n))
  return wrk.format("POST", "/v3/kv/put", nil, '{"key":"' .. key .. '","value":"' .. value .. '"}')
end
LUA
for c in 16 64; do
  { echo "ROUND=$c"; cat "$T/put.lua"; } > "$T/p.lua"
  wrk -t2 -c$c -d10s --latency -s "$T/p.lua" "http://127.0.0.1:$EP" > "$T/etcd.out" 2>&1 || true
  row etcd "puts/s c=$c" "$(awk '/Requests\/sec/ {print $2}' "$T/etcd.out")" \
      "req/s (p50 $(awk '$1=="50%" {print $2}' "$T/etcd.out"), p99 $(awk '$1=="99%" {print $2}' "$T/etcd.out"), 300-byte values)"
done
# the 10k-object workload with the same client as the API servers
/usr/bin/python3 scripts/bench-10k.py etcd "http://127.0.0.1:$EP" etcd | tee -a "$OUT"
row etcd "RSS after the load" "$(( $(rss_kb $ET) / 1024 ))" MiB
row etcd "data dir size" "$(du -sm "$T/etcd" | cut -f1)" MiB
fi
BENCH_OUT=${BENCH_OUT:-docs/bench/api-latest.tsv}
mkdir -p "$(dirname "$BENCH_OUT")"
cp "$OUT" "$BENCH_OUT"
echo "results in $BENCH_OUT"
