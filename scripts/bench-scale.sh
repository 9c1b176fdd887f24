#!/usr/bin/env bash
# bench-scale.sh - the scale benchmark of issue 21, in one go, ckube beside
# kube-apiserver 1.20 + etcd (../shared/conformance/real-cluster.sh, when
# ../shared/conformance/build.sh has built it), loopback only:
#   LIST   10,000 pods (full objects): JSON, Table and pages of 500, wall
#          time to the last byte over HTTPS (curl), median of 5, and per pod;
#   rates  wrk creates (c=16) and GETs (c=64), 10 s each, without watches
#          and then with WATCHES watches open (the watches' namespaces get no
#          writes during this phase: the cost of holding them);
#   watch  WATCHES watches, each its own HTTPS connection, over 100
#          namespaces x (ConfigMaps, Pods): server RSS per idle watch, a GET
#          with all open, write-to-event p50/p99 at RATE creates/s
#          (build/tests/watch-fanout, tests/bench/watch_fanout.c);
#   sched  scripts/bench-scheduler.sh 1000 10000 (ckube only; its anchors are
#          published figures, docs/BENCHMARKS.md).
# Prints TSV rows (system, measure, value, unit), also to BENCH_OUT (default
# docs/bench/scale-latest.tsv). About 10 minutes on a quiet machine.
# Environment: WATCHES (10000), RATE (500), WRITE_SECONDS (20),
# BENCH_SYSTEMS ("ckube kube-apiserver sched"), CKUBE_BIN (build/bin/ckube-server;
# ckube-node beside it), WATCH_FANOUT (build/tests/watch-fanout).
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD
SHARED=${SHARED:-$HERE/../shared}
K8S_BIN=${K8S_BIN:-/tmp/k8s-e2e/bin}
WATCHES=${WATCHES:-10000} RATE=${RATE:-500} WRITE_SECONDS=${WRITE_SECONDS:-20}
BENCH_OUT=${BENCH_OUT:-docs/bench/scale-latest.tsv}
command -v wrk >/dev/null || { apt-get update >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
export CKUBE_BIN=${CKUBE_BIN:-$HERE/build/bin/ckube-server} WATCH_FANOUT=${WATCH_FANOUT:-$HERE/build/tests/watch-fanout}
[ -x "$WATCH_FANOUT" ] && [ -x "$CKUBE_BIN" ] || bash scripts/build.sh >/dev/null
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((WATCHES + 1000)) ] || { echo "ulimit -n $(ulimit -n) is too low for $WATCHES watches" >&2; exit 1; }
T=$(mktemp -d /tmp/bench-scale.XXXXXX)
OUT=$T/rows.tsv
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
want() { [[ " ${BENCH_SYSTEMS:-ckube kube-apiserver sched} " == *" $1 "* ]]; }
row() { printf '%s\t%s\t%s\t%s\n' "$@" | tee -a "$OUT"; }

# The measurements on one server: LABEL URL TOKEN PID (also what
# real-cluster.sh runs for kube-apiserver).
cat > "$T/measure.sh" <<'SH'
set -u
LABEL=$1 URL=$2 TOKEN=$3 PID=$4
row() { printf '%s\t%s\t%s\t%s\n' "$LABEL" "$1" "$2" "$3"; }
H=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss_mb() { echo $(( $(awk '/VmRSS/ {print $2}' "/proc/$PID/status") / 1024 )); }

read -r made secs < <(/usr/bin/python3 "$HERE/scripts/bench-pods.py" "$URL" "$TOKEN" 10000)
row "pods created" "$made" "in $secs s (8 clients)"
n=$(curl -sk "${H[@]}" "$URL/api/v1/pods" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))')
list_row() { # NAME ACCEPT USER-AGENT (kube-apiserver and ckube indent JSON for curl and wget)
  local times=() size=0 t
  for _ in 1 2 3 4 5; do
    read -r t size < <(curl -sk "${H[@]}" -A "$3" -H "Accept: $2" -o /dev/null -w '%{time_total} %{size_download}\n' "$URL/api/v1/pods")
    times+=("$t")
  done
  t=$(printf '%s\n' "${times[@]}" | median)
  row "LIST $1" "$(awk -v t="$t" 'BEGIN {printf "%.0f", t * 1000}')" \
      "ms to the last byte, median of 5 ($n pods, $((size / 1048576)) MiB, $(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.1f", t * 1e6 / n}') us per pod)"
}
rss0=$(rss_mb)
list_row "JSON (compact, as client-go gets it)" "application/json" "kubectl/v1.20.2"
list_row "JSON (indented, as curl gets it)" "application/json" "curl/7.88.1"
list_row "Table" "application/json;as=Table;v=v1;g=meta.k8s.io" "kubectl/v1.20.2"
row "RSS across the LISTs" "$rss0 -> $(rss_mb)" "MiB"
pages() { # walks the list in pages of 500; prints the seconds it took
  python3 - "$URL" "$TOKEN" <<'PY'
import http.client, json, ssl, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl._create_unverified_context(), timeout=60)
h, cont, t = {"Authorization": "Bearer " + sys.argv[2]}, "", time.perf_counter()
while True:
    c.request("GET", "/api/v1/pods?limit=500" + ("&continue=" + urllib.parse.quote(cont) if cont else ""), headers=h)
    cont = json.loads(c.getresponse().read())["metadata"].get("continue", "")
    if not cont:
        break
print(time.perf_counter() - t)
PY
}
t=$(for _ in 1 2 3 4 5; do pages; done | median)
row "LIST in pages of 500" "$(awk -v t="$t" 'BEGIN {printf "%.0f", t * 1000}')" \
    "ms for all $n pods, median of 5 (one keep-alive connection, the client parses each page)"

curl -sk "${H[@]}" -X POST "$URL/api/v1/namespaces" -d '{"metadata":{"name":"rates"}}' >/dev/null
bash "$T/rates.sh" "$LABEL" "$URL" "$TOKEN" "without watches" a
"$WATCH_FANOUT" 127.0.0.1 "${URL##*:}" "$TOKEN" "wf$RANDOM" 100 "$WATCHES" "$RATE" "$WRITE_SECONDS" "$PID" \
  "bash $T/rates.sh $LABEL $URL $TOKEN 'with $WATCHES watches open' b" |
  awk -F'\t' -v l="$LABEL" 'NF == 3 {print l "\t" $0; next} {print}'
row "RSS at the end" "$(rss_mb)" "MiB"
SH

# wrk creates (c=16) and GETs (c=64), 10 s each: LABEL URL TOKEN WHEN ROUND
cat > "$T/rates.sh" <<'SH'
set -u
LABEL=$1 URL=$2 TOKEN=$3 WHEN=$4 ROUND=$5
H=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
cat > "$T/r$ROUND.lua" <<LUA
local n, count = 0, 0
function setup(thread) count = count + 1; thread:set("tid", count) end
function request()
  n = n + 1
  return wrk.format("POST", nil, nil, string.format(
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"r$ROUND-%d-%d"},"data":{"k":"v"}}', tid or 0, n))
end
LUA
wrk -t2 -c16 -d10s --latency -s "$T/r$ROUND.lua" "${H[@]}" "$URL/api/v1/namespaces/rates/configmaps" > "$T/c$ROUND.out" 2>&1
wrk -t2 -c64 -d10s --latency "${H[@]}" "$URL/api/v1/namespaces/kube-system" > "$T/g$ROUND.out" 2>&1
for k in c g; do
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$T/$k$ROUND.out"); p99=$(awk '$1=="99%" {print $2}' "$T/$k$ROUND.out")
  bad=$(awk '/Non-2xx/ {print $NF}' "$T/$k$ROUND.out")
  [ "${rps:-0}" != 0 ] || { echo "wrk measured nothing:" >&2; cat "$T/$k$ROUND.out" >&2; }
  printf '%s\t%s\t%s\t%s\n' "$LABEL" "$([ $k = c ] && echo "creates/s c=16" || echo "GETs/s c=64") $WHEN" "$rps" \
    "req/s (p99 $p99, non-2xx ${bad:-0})"
done
SH
export HERE T WATCHES RATE WRITE_SECONDS

if want ckube; then
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  "$CKUBE_BIN" --data-dir "$T/ckube" --listen "127.0.0.1:$port" --no-local-node >"$T/ckube.log" 2>&1 &
  PIDS+=($!); CK=$!
  for _ in $(seq 300); do curl -sk "https://127.0.0.1:$port/readyz" | grep -q ok && break; sleep 0.2; done
  bash "$T/measure.sh" ckube "https://127.0.0.1:$port" "$(cat "$T/ckube/pki/admin.token")" "$CK" | tee -a "$OUT"
  kill "$CK"; wait "$CK" 2>/dev/null || true
fi
if want kube-apiserver; then
  if [ -x "$K8S_BIN/kube-apiserver" ]; then
    cat > "$T/real.sh" <<'SH'
URL=$(grep -o 'https://127.0.0.1:[0-9]*' "$KUBECONFIG")
AP=$(pgrep -f "kube-apiserver .*--secure-port ${URL##*:}( |$)" | head -1)
bash "$T/measure.sh" kube-apiserver+etcd "$URL" real-cluster-admin-token "$AP"
SH
    K8S_BIN=$K8S_BIN bash "$SHARED/conformance/real-cluster.sh" bash "$T/real.sh" 2>/dev/null | grep -P '\t' | tee -a "$OUT" || true
  else
    row kube-apiserver+etcd skipped - "run ../shared/conformance/build.sh first"
  fi
fi
if want sched; then
  bash scripts/bench-scheduler.sh 1000 10000 | sed 's/^/ckube-scheduler\t/' | tee -a "$OUT"
fi
row load "load average at the end" "$(cut -d' ' -f1-3 /proc/loadavg)" "(1, 5, 15 min)"
mkdir -p "$(dirname "$BENCH_OUT")"; cp "$OUT" "$BENCH_OUT"
