#!/usr/bin/env bash
# tokens.sh - the token differential test: tokens_probe.py (TokenRequest,
# bound-token claims, TokenReview with audiences, revocation by pod
# deletion, requests without credentials) against a fresh ckube-server
# (issuer https://kubernetes.default.svc, as real-cluster.sh's) and a real
# kube-apiserver 1.20 (real-cluster.sh; REAL_KUBECONFIG uses a running one
# instead, its admin token real-cluster-admin-token), then a diff of the
# two answers (empty when they agree). Usage: tests/differential/tokens.sh [ckube-server]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${1:-$here/../../build/bin/ckube-server}
work=$(mktemp -d /tmp/tokens-diff.XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$server" --data-dir "$work/ckube" --listen "127.0.0.1:$port" --no-local-node --no-dns \
  --service-account-issuer https://kubernetes.default.svc >"$work/ckube.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$port/readyz" | grep -q ok && break; sleep 0.2; done
/usr/bin/python3 "$here/tokens_probe.py" "$work/ckube/admin.kubeconfig" "$(cat "$work/ckube/pki/admin.token")" "$work/ckube.json"
if [ -n "${REAL_KUBECONFIG:-}" ]; then
  /usr/bin/python3 "$here/tokens_probe.py" "$REAL_KUBECONFIG" real-cluster-admin-token "$work/real.json"
else
  bash "${REAL_CLUSTER:-/work/shared/conformance/real-cluster.sh}" sh -c \
    "sleep 5; /usr/bin/python3 '$here/tokens_probe.py' \"\$KUBECONFIG\" real-cluster-admin-token '$work/real.json'" | tail -1
fi
if diff "$work/real.json" "$work/ckube.json"; then echo "tokens: ckube and kube-apiserver 1.20 agree ($(grep -c '^ "' "$work/ckube.json") answers)"; else echo "tokens: differences above (< real, > ckube)"; exit 1; fi
