#!/usr/bin/env bash
# conformance.sh [FOCUS] [SKIP] - runs Kubernetes 1.20's own conformance suite
# (e2e.test) against a fresh ckube with two simulated nodes, or with
# CONF_REAL_NODES=N that many real node agents joined by token, all on loopback.
#   FOCUS  ginkgo focus regex (default: every [Conformance] test)
#   SKIP   ginkgo skip regex (default: [Disruptive]|[Flaky])
# The suite is built once by ../shared/conformance/build.sh and cached outside
# the repo (K8S_DIR, default /tmp/k8s-e2e); ../shared/conformance/run.sh runs
# it. Prints one line per test and a final "N passed, N failed"; exits
# non-zero on a failure. Environment: SHARED (default ../shared), CONF_LOG
# (full e2e log, default build/conformance.log), CONF_TIMEOUT (seconds),
# CONF_REAL_NODES and CONF_POD_NET_BASE (their pod networks start at
# 127.CONF_POD_NET_BASE, default 200).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
FOCUS=${1:-'\[Conformance\]'}
SKIP=${2:-'\[Disruptive\]|\[Flaky\]'}
[ -f "$SHARED/conformance/build.sh" ] || { echo "no $SHARED/conformance: set SHARED"; echo "0 passed, 1 failed"; exit 1; }

bash scripts/deps.sh >/dev/null || exit 1
[ -x build/bin/ckube-server ] && [ -x build/bin/ckube-node ] || bash scripts/build.sh >/dev/null || exit 1
# built once: its build.sh always runs apt-get install, which fails on the dpkg lock when shards side by side
# (or other engineers' installs) run it at the same time, so it runs only while the suite is missing, one at a time
if [ ! -x "${E2E_BIN:-${K8S_DIR:-/tmp/k8s-e2e}/bin/e2e.test}" ]; then
  echo "building the conformance suite (once; cached in ${K8S_DIR:-/tmp/k8s-e2e})"
  flock /tmp/ckube-conformance-build.lock bash "$SHARED/conformance/build.sh" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi

T=$(mktemp -d /tmp/ckube-conformance.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
DNSPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
# a Service range and LoadBalancer pool of its own (127.1/127.255.(160 + 8i).0/21 for the i-th run side by
# side): real node agents of clusters on one machine bind their ClusterIPs with SO_REUSEPORT
RANGE=$(( 160 + 8 * ((${CONF_POD_NET_BASE:-200} - 200) / 3 % 12) ))
build/bin/ckube-server --data-dir "$T/data" --listen "127.0.0.1:$PORT" --no-local-node --dns-listen "127.0.0.1:$DNSPORT" \
  --service-cluster-ip-range "127.1.$RANGE.0/21" --loadbalancer-pool "127.255.$RANGE.0/21" >"$T/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do curl -sk "https://127.0.0.1:$PORT/readyz" | grep -q ok && break; sleep 0.1; done
KC=$T/data/admin.kubeconfig
REAL=${CONF_REAL_NODES:-0}
if [ "$REAL" -gt 0 ]; then
  # real node agents joined by token as kubeadm join does: pods run as processes, each node's pods on
  # 127.(CONF_POD_NET_BASE + i).0.0/16 (distinct per concurrent run)
  JOIN=$(build/bin/ckube-server token create --data-dir "$T/data" --print-join-command)
  for i in $(seq 0 $((REAL - 1))); do
    # shellcheck disable=SC2086 # the join command's words
    build/bin/ckube-node ${JOIN#ckube-node } --name "conformance-node-$i" --data-dir "$T/node-$i" \
      --pod-cidr "127.$(( ${CONF_POD_NET_BASE:-200} + i )).0.0/16" >"$T/node-$i.log" 2>&1 &
    PIDS+=($!)
  done
  NODES=$REAL
else
  # the images the suite uses on purpose as missing ones fail to pull on the simulated nodes too
  UNPULLABLE='(^|/)(foo:non-existent|webserver:404)$|:nonexistent$|^invalid\.com/'
  build/bin/ckube-node --simulate 2 --kubeconfig "$KC" --name-prefix conformance-node --unpullable-images "$UNPULLABLE" \
    >"$T/node.log" 2>&1 &
  PIDS+=($!)
  NODES=2
fi
KUBECTL=$(bash scripts/kubectl-versions.sh | head -1)
for _ in $(seq 60); do
  [ "$("$KUBECTL" --kubeconfig "$KC" get nodes --no-headers 2>/dev/null | grep -c ' Ready')" -ge "$NODES" ] && break
  sleep 0.5
done
mkdir -p build
# the suite runs kubectl from PATH for its kubectl tests: use the 1.20 one it was written for (a newer kubectl
# reads the OpenAPI v3 documents a 1.20 server lacks and ckube serves, and explains fields in another format)
PATH="$(dirname "$KUBECTL"):$PATH"
CONF_LOG=${CONF_LOG:-$ROOT/build/conformance.log}
# the suite build.sh made (K8S_DIR), unless E2E_BIN names another
E2E_BIN=${E2E_BIN:-${K8S_DIR:-/tmp/k8s-e2e}/bin/e2e.test} CONF_LOG=$CONF_LOG bash "$SHARED/conformance/run.sh" "$KC" "$FOCUS" "$SKIP"
rc=$?
# a failure's reason, from the suite's own summary (the log may be overwritten by the next run)
[ "$rc" -ne 0 ] && sed -n '/^Summarizing [0-9]* Failure/,$p' "$CONF_LOG" | head -60 | sed 's/^/  | /'
cp "$T/server.log" "${CONF_LOG%.log}-server.log" 2>/dev/null
for f in "$T"/node-*.log; do [ -f "$f" ] && cp "$f" "${CONF_LOG%.log}-$(basename "$f")"; done
exit $rc
