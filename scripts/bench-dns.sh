#!/usr/bin/env bash
# bench-dns.sh - the cluster DNS under dnsperf (Debian's dnsperf, a
# benchmark dependency only): a fresh ckube-server with 1,000 ClusterIP
# Services and a headless Service of 50 endpoints, then 20 s of queries
# on loopback (UDP, 10 clients) mixing A, SRV, PTR, headless A and
# NXDOMAIN. Prints dnsperf's summary and the server's RSS.
# Usage: scripts/bench-dns.sh [build/bin/ckube-server]
set -euo pipefail
SERVER=${1:-build/bin/ckube-server}
command -v dnsperf >/dev/null || { echo "bench-dns: needs dnsperf (apt-get install dnsperf)" >&2; exit 1; }
KUBECTL=$(bash "$(dirname "$0")/kubectl-versions.sh" | sed -n 1p)
T=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API=$(port) DNS=$(port)
"$SERVER" --data-dir "$T/data" --listen "127.0.0.1:$API" --no-local-node --dns-listen "127.0.0.1:$DNS" >"$T/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$T"' EXIT
export KUBECONFIG=$T/data/admin.kubeconfig
for _ in $(seq 50); do [ -f "$KUBECONFIG" ] && "$KUBECTL" get ns default >/dev/null 2>&1 && break; sleep 0.2; done
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
items = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": "default"},
          "spec": {"ports": [{"name": "http", "port": 80}]}} for i in range(1000)]
items.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
              "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}})
items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "db-1", "namespace": "default", "labels": {"kubernetes.io/service-name": "db"}},
              "addressType": "IPv4", "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
              "endpoints": [{"addresses": [f"127.0.8.{i}"], "hostname": f"db-{i}"} for i in range(1, 51)]})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(f"{t}/objects.json", "w"))
with open(f"{t}/queries", "w") as q:
    for i in range(0, 1000, 7):
        q.write(f"svc-{i}.default.svc.cluster.local A\n_http._tcp.svc-{i}.default.svc.cluster.local SRV\n"
                f"missing-{i}.default.svc.cluster.local A\n")
    for i in range(1, 51):
        q.write(f"db-{i}.db.default.svc.cluster.local A\n{i}.8.0.127.in-addr.arpa PTR\n")
    q.write("db.default.svc.cluster.local A\n")
PY
"$KUBECTL" apply -f "$T/objects.json" >/dev/null
for _ in $(seq 100); do
  [ -n "$(dig @127.0.0.1 -p "$DNS" +short svc-999.default.svc.cluster.local)" ] && break
  sleep 0.2
done
dnsperf -s 127.0.0.1 -p "$DNS" -d "$T/queries" -l 20 -c 10 -Q 200000 2>&1 | sed -n '/Statistics/,$p'
echo "server RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$PID/status)"
