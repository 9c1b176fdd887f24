#!/usr/bin/env bash
# bench-scheduler.sh - scheduler + simulated kubelet benchmark (not part of
# the test suite; about 3-5 minutes on 2 cores, loopback only):
#   ckube-server + `ckube-node --simulate 1000`, then
#   0. one Deployment of 10,000 replicas applied with a single request: time
#      until every pod exists, is bound and is Running (ReplicaSet controller
#      + scheduler + simulated kubelets), and the server CPU it took;
#   1. 10,000 bare pods created by scripts/bench-pods.py (8 HTTPS clients):
#      time until every pod is bound and Running, binding rate as polled;
#   2. the scheduler with a backlog: every node cordoned, another 10,000 pods
#      created (all Pending, "node(s) were unschedulable"), then every node
#      uncordoned at once: time until the backlog is bound (pods/s);
#   and the server's CPU seconds and RSS.
# Usage: scripts/bench-scheduler.sh [NODES] [PODS]   (defaults 1000 10000)
#   BENCH_PHASES="0 1 2"  which phases to run (phase 2 needs phase 1's pods)
#   BENCH_PERF=DIR        perf record of the server during each phase into
#                         DIR/phaseN.data (perf report -i DIR/phase0.data);
#                         BENCH_PERF_OPTS its options (default -g -F 499;
#                         "--call-graph dwarf -F 99" for whole call chains)
# Prints TSV rows (measure, value, unit).
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${1:-1000}
PODS=${2:-10000}
SERVER=${CKUBE_BIN:-build/bin/ckube-server}
NODE_BIN=$(dirname "$SERVER")/ckube-node
[ -x "$SERVER" ] || bash scripts/build.sh >/dev/null
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
trap "exit 130" INT TERM
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
URL=https://127.0.0.1:$PORT
"$SERVER" --data-dir "$T/data" --listen 127.0.0.1:$PORT --no-local-node >"$T/server.log" 2>&1 &
SPID=$!
PIDS+=($SPID)
for _ in $(seq 100); do curl -sk "$URL/readyz" 2>/dev/null | grep -q ok && break; sleep 0.2; done
TOKEN=$(cat "$T/data/pki/admin.token")
row() { printf '%s\t%s\t%s\n' "$@"; }
PHASES=" ${BENCH_PHASES:-0 1 2} "
phase() { [[ "$PHASES" == *" $1 "* ]]; }
PERF_PID=""
perf_start() { # PHASE
  [ -n "${BENCH_PERF:-}" ] || return 0
  mkdir -p "$BENCH_PERF"
  perf record ${BENCH_PERF_OPTS:--g -F 499} -p "$SPID" -o "$BENCH_PERF/phase$1.data" >/dev/null 2>&1 &
  PERF_PID=$!
}
perf_stop() { [ -n "$PERF_PID" ] && { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=""; }; return 0; }
# the server's CPU seconds split into user and system, and per pod
cpu_rows() { # PREFIX CPU0_TICKS PODS
  local t; t=$(awk '{print $14, $15}' "/proc/$SPID/stat")
  awk -v hz="$(getconf CLK_TCK)" -v p="$1" -v c0="$2" -v n="$3" -v t="$t" 'BEGIN {
    split(c0, a, " "); split(t, b, " "); u = (b[1] - a[1]) / hz; s = (b[2] - a[2]) / hz
    printf "%s_server_cpu_seconds\t%.1f\ts (user %.1f + system %.1f)\n", p, u + s, u, s
    printf "%s_server_cpu_per_pod\t%.2f\tms\n", p, (u + s) * 1000 / n }'
}
loadavg() { row "$1_loadavg" "$(cut -d' ' -f1-3 /proc/loadavg)" "(1, 5, 15 min)"; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

t0=$(date +%s.%N)
"$NODE_BIN" --simulate "$NODES" --kubeconfig "$T/data/admin.kubeconfig" --pod-workers 16 >"$T/nodes.log" 2>&1 &
NPID=$!
PIDS+=($!)
python3 - "$URL" "$TOKEN" "$NODES" <<'PY'
import json, ssl, sys, time, urllib.request
url, tok, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl._create_unverified_context()
while True:
    r = urllib.request.urlopen(urllib.request.Request(url + "/api/v1/nodes", headers={"Authorization": "Bearer " + tok}), context=ctx)
    if len(json.load(r)["items"]) >= want:
        break
    time.sleep(0.5)
PY
row nodes_registered_seconds "$(echo "$(date +%s.%N) - $t0" | bc)" s

# Counts pods with a label selector (created, bound, Running) until WANT are Running; prints
# "seconds created bound running" rows about every second. It follows one watch (a LIST
# first): repeated LISTs of 10,000 pods would be a large part of the load they measure.
poll_pods() { # WANT LABELSELECTOR
  python3 - "$URL" "$TOKEN" "$1" "$2" <<'PY'
import http.client, json, ssl, sys, threading, time, urllib.parse
url, tok, want, labels = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
u = urllib.parse.urlparse(url)
hdr = {"Authorization": "Bearer " + tok}
c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl._create_unverified_context(), timeout=60)
path = "/api/v1/pods?labelSelector=" + urllib.parse.quote(labels)
c.request("GET", path, headers=hdr)
listed = json.load(c.getresponse())
state, lock = {}, threading.Lock()  # name -> (bound, running)
def see(pod):
    st = (bool(pod["spec"].get("nodeName")), pod.get("status", {}).get("phase") == "Running")
    with lock:
        state[pod["metadata"]["name"]] = st
for p in listed["items"]:
    see(p)
def follow():
    c.request("GET", f"{path}&watch=1&timeoutSeconds=900&resourceVersion={listed['metadata']['resourceVersion']}",
              headers=hdr)
    for line in c.getresponse():
        ev = json.loads(line)
        if ev["type"] in ("ADDED", "MODIFIED"):
            see(ev["object"])
        elif ev["type"] == "DELETED":
            with lock:
                state.pop(ev["object"]["metadata"]["name"], None)
threading.Thread(target=follow, daemon=True).start()
t0 = time.time()
while time.time() - t0 < 900:
    time.sleep(1)
    with lock:
        made, bound, running = len(state), sum(b for b, _ in state.values()), sum(r for _, r in state.values())
    print(f"{time.time() - t0:.2f}\t{made}\t{bound}\t{running}", flush=True)
    if running >= want:
        break
PY
}

# 0. A Deployment of PODS replicas.
phase0() {
  loadavg deploy
  local c0; c0=$(awk '{print $14, $15}' "/proc/$SPID/stat")
  perf_start 0
  poll_pods "$PODS" app=bench-deploy >"$T/deploy.tsv" &
  local poll=$!
  curl -sk -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$URL/apis/apps/v1/namespaces/default/deployments" \
    -d "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"bench-deploy\"},\"spec\":{\"replicas\":$PODS,
        \"selector\":{\"matchLabels\":{\"app\":\"bench-deploy\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"bench-deploy\"}},
        \"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}}}"
  wait $poll
  perf_stop
  awk -F'\t' -v n="$PODS" '
    $2 >= n && !made { made = $1 } $3 > 0 && !first { first = $1 } $3 >= n && !bound { bound = $1 } END {
      printf "deploy_all_created_seconds\t%s\ts\ndeploy_all_bound_seconds\t%s\ts\ndeploy_all_running_seconds\t%s\ts\n", made, bound, $1
      if (bound > first) printf "deploy_binding_rate\t%.0f\tpods/s (first to last bound pod, as polled)\n", n / (bound - first)
      if ($1 > 0) printf "deploy_running_rate\t%.0f\tpods/s (apply to all Running)\n", n / $1 }' "$T/deploy.tsv"
  cpu_rows deploy "$c0" "$PODS"
  row deploy_node_agent_cpu_seconds "$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$NPID/stat")" \
    "s (ckube-node --simulate since it started)"
  row deploy_server_rss "$(( $(kb $SPID VmRSS) / 1024 ))" MiB
  loadavg deploy_end
}

# 1. Bare pods (label app=bench), counted while they are created.
BARE=0
phase1() {
  loadavg pods
  local c0; c0=$(awk '{print $14, $15}' "/proc/$SPID/stat")
  perf_start 1
  poll_pods "$PODS" app=bench >"$T/progress.tsv" &
  local poll=$! created secs
  read -r created secs < <(python3 scripts/bench-pods.py "$URL" "$TOKEN" "$PODS")
  BARE=$created
  row pods_created "$created" pods
  row create_seconds "$secs" s
  wait $poll
  perf_stop
  awk -F'\t' -v n="$PODS" '
    $3 > 0 && !first { first = $1 } $3 >= n && !bound { bound = $1 } END {
      printf "all_bound_seconds\t%s\ts\nall_running_seconds\t%s\ts\n", bound, $1
      if (bound > first) printf "binding_rate\t%.0f\tpods/s (first to last bound pod, as polled)\n", n / (bound - first) }' "$T/progress.tsv"
  cpu_rows pods "$c0" "$PODS"
}

# 2. A backlog: cordon every node, create the pods, uncordon every node.
nodes_patch() { # true|false: spec.unschedulable of every node, 8 clients
  python3 - "$URL" "$TOKEN" "$NODES" "$1" <<'PY'
import http.client, json, ssl, sys, threading, urllib.parse
url, tok, n, flag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "true"
u = urllib.parse.urlparse(url)
ctx = ssl._create_unverified_context()
hdr = {"Authorization": "Bearer " + tok, "Content-Type": "application/merge-patch+json"}
def worker(k):
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
    for i in range(k, n, 8):
        c.request("PATCH", f"/api/v1/nodes/sim-{i}", json.dumps({"spec": {"unschedulable": flag}}), hdr)
        c.getresponse().read()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
PY
}
phase2() {
  loadavg backlog
  nodes_patch true
  local created2 t3 t4 t5
  read -r created2 _ < <(python3 scripts/bench-pods.py "$URL" "$TOKEN" "$PODS")
  sleep 5
  perf_start 2
  t3=$(date +%s.%N)
  nodes_patch false
  t4=$(date +%s.%N)
  python3 - "$URL" "$TOKEN" "$((BARE + created2))" <<'PY'
import json, ssl, sys, time, urllib.request
url, tok, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl._create_unverified_context()
q = urllib.request.Request(url + "/api/v1/pods?labelSelector=app%3Dbench&fieldSelector=spec.nodeName!=", headers={
    "Authorization": "Bearer " + tok, "Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"})
t0 = time.time()
while len(json.load(urllib.request.urlopen(q, context=ctx))["items"]) < want and time.time() - t0 < 900:
    time.sleep(0.2)
PY
  t5=$(date +%s.%N)
  perf_stop
  row backlog_pods "$created2" pods
  row uncordon_seconds "$(echo "$t4 - $t3" | bc)" "s ($NODES node PATCHes, 8 clients)"
  row backlog_bound_seconds "$(echo "$t5 - $t3" | bc)" "s (from the first uncordon)"
  row backlog_binding_rate "$(echo "$created2 / ($t5 - $t3)" | bc)" pods/s
}

for p in 0 1 2; do phase $p && "phase$p"; done
row server_rss "$(( $(kb $SPID VmRSS) / 1024 ))" MiB
row server_peak_rss "$(( $(kb $SPID VmHWM) / 1024 ))" MiB
