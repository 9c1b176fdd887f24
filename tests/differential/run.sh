#!/usr/bin/env bash
# run.sh - the RBAC differential test: the same roles, bindings and probe
# (rbac_matrix.py: ~1900 SubjectAccessReviews, non-resource reviews,
# SelfSubjectRulesReviews, 403 bodies, the bootstrap policy objects) against a
# fresh ckube-server and against a real kube-apiserver 1.20
# (/work/shared/conformance/real-cluster.sh, heavy: run it sparingly), then
# compare.py. Usage: tests/differential/run.sh [build/bin/ckube-server]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${1:-$here/../../build/bin/ckube-server}
work=$(mktemp -d /tmp/rbac-diff.XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$server" --data-dir "$work/ckube" --listen "127.0.0.1:$port" --no-local-node >"$work/ckube.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$port/readyz" | grep -q ok && break; sleep 0.2; done
/usr/bin/python3 "$here/rbac_matrix.py" "$work/ckube/admin.kubeconfig" "$(cat "$work/ckube/pki/admin.token")" "$work/ckube.json"
bash "${REAL_CLUSTER:-/work/shared/conformance/real-cluster.sh}" sh -c \
  "sleep 5; /usr/bin/python3 '$here/rbac_matrix.py' \"\$KUBECONFIG\" real-cluster-admin-token '$work/real.json'" | tail -1
python3 "$here/compare.py" "$work/ckube.json" "$work/real.json"
