#!/usr/bin/env bash
# kubectl-versions.sh - prints the kubectl binaries the tests drive, one per
# line: Kubernetes 1.20's kubectl from Debian's kubernetes-client package,
# unpacked privately (a newer /usr/bin/kubectl may own that path), and the
# newest kubectl on PATH when it is a different one.
set -euo pipefail
CACHE=${CKUBE_CACHE:-$HOME/.cache/ckube}
k120="$CACHE/kubectl-1.20/usr/bin/kubectl"
if [ ! -x "$k120" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download kubernetes-client >/dev/null 2>&1) || {
    apt-get update >/dev/null 2>&1; (cd "$tmp" && apt-get download kubernetes-client >/dev/null); }
  mkdir -p "$CACHE/kubectl-1.20"
  dpkg -x "$tmp"/kubernetes-client_*.deb "$CACHE/kubectl-1.20"
  rm -rf "$tmp"
fi
echo "$k120"
if command -v kubectl >/dev/null 2>&1; then
  sys=$(command -v kubectl)
  if ! "$sys" version --client 2>/dev/null | grep -q 'v1\.20\.'; then echo "$sys"; fi
fi
