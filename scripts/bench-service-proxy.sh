#!/usr/bin/env bash
# bench-service-proxy.sh - requests/s to one pod directly and through its
# Service's ClusterIP (the node agent's user-space proxy), in one run, on
# this machine; and, when nft is installed, through an nftables DNAT rule
# (what a kernel-NAT kube-proxy would program) to the same pod, for the
# comparison docs/ARCHITECTURE.md's choice rests on. The pod is nginx (the
# host's binary, one process, keep-alive, fixed 3-byte body) in its own
# network namespace on a real ckube-node; wrk -t1 with 64 connections,
# HTTP/1.1 keep-alive, then the same with a new connection per request
# (Connection: close). Every address is on loopback; processes are killed
# by PID and the nft table removed at the end.
#
# Usage: scripts/bench-service-proxy.sh [build/bin/ckube-server]   (as root)
# Knobs: DURATION (5s), NET (pod range 127.NET.0.0/16, default 187), PORT (API, 29180)
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${1:-build/bin/ckube-server}
NODE_BIN=$(dirname "$SERVER")/ckube-node
DURATION=${DURATION:-5s}
NET=${NET:-187}
PORT=${PORT:-29180}
KUBECTL=${KUBECTL:-$(bash scripts/kubectl-versions.sh | sed -n 1p)}
for bin in nginx wrk curl "$SERVER" "$NODE_BIN" "$KUBECTL"; do
  command -v "$bin" >/dev/null 2>&1 || { echo "missing '$bin'" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (the node makes network namespaces)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/bench-svc.XXXXXX)
chmod 755 "$TMP"
PIDS=()
NAT_TABLE=ckbench$$
cleanup() {
  command -v nft >/dev/null 2>&1 && nft delete table ip "$NAT_TABLE" 2>/dev/null || true
  local pid i
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

k() { "$KUBECTL" --kubeconfig "$TMP/data/admin.kubeconfig" "$@"; }
wait_until() { # seconds command...
  local n=$(($1 * 5)); shift
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "timed out: $*" >&2; return 1
}

"$SERVER" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-local-node >"$TMP/server.log" 2>&1 &
PIDS+=($!)
wait_until 20 test -s "$TMP/data/admin.kubeconfig"
wait_until 20 k get --raw /readyz
"$NODE_BIN" --kubeconfig "$TMP/data/admin.kubeconfig" --name bench-node --data-dir "$TMP/node" \
  --pod-cidr "127.$NET.0.0/16" >"$TMP/node.log" 2>&1 &
NODE_PID=$!
PIDS=("$NODE_PID" "${PIDS[@]}")
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
master_process off;
pid $TMP/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 8080; keepalive_requests 10000000; location / { return 200 "ok\n"; } }
}
CONF
wait_until 20 k get node bench-node
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: bench, labels: {app: bench}}
spec:
  nodeName: bench-node
  containers:
  - name: nginx
    image: busybox
    command: ["$(command -v nginx)", "-e", "$TMP/nginx.err", "-c", "$TMP/nginx.conf", "-g", "daemon off;"]
---
apiVersion: v1
kind: Service
metadata: {name: bench}
spec:
  selector: {app: bench}
  ports: [{port: 80, targetPort: 8080}]
YAML
POD_IP=""
for _ in $(seq 1 100); do
  POD_IP=$(k get pod bench -o jsonpath='{.status.podIP}' 2>/dev/null || true)
  [ -n "$POD_IP" ] && curl -sf -m 1 "http://$POD_IP:8080/" >/dev/null 2>&1 && break
  sleep 0.2
done
CIP=$(k get service bench -o jsonpath='{.spec.clusterIP}')
wait_until 20 curl -sf -m 1 "http://$CIP/"

rate() { wrk -t1 -c64 -d"$DURATION" "$@" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
row() { # label url
  printf '%-38s %10s %10s\n' "$1" "$(rate "$2")" "$(rate -H 'Connection: close' "$2")"
}
printf '%-38s %10s %10s\n' "path (wrk -t1 -c64, $DURATION)" "keepalive" "close"
row "direct to the pod $POD_IP:8080" "http://$POD_IP:8080/"
row "ClusterIP $CIP:80 (user-space proxy)" "http://$CIP/"
if command -v nft >/dev/null 2>&1; then
  # kernel NAT as kube-proxy's iptables mode would do it for host traffic: DNAT
  # in output, and SNAT to the node's bridge address (a 127.0.0.1 source cannot leave lo)
  NAT_IP=127.1.255.254
  nft -f - <<NFT
table ip $NAT_TABLE {
  chain out { type nat hook output priority -100; ip daddr $NAT_IP tcp dport 80 dnat to $POD_IP:8080; }
  chain post { type nat hook postrouting priority 100; ip daddr 127.$NET.0.0/16 oifname "ckbr$NET" snat to 127.$NET.0.1; }
}
NFT
  if curl -sf -m 2 "http://$NAT_IP/" >/dev/null; then row "nftables DNAT $NAT_IP:80" "http://$NAT_IP/"
  else echo "nftables DNAT: no answer through the rule (loopback sources are not routed out of lo)"; fi
fi
echo "agent RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$NODE_PID/status) (one pod, one Service)"
