#!/usr/bin/env bash
# run-cluster.sh - the README's first command: installs what is missing,
# builds, and starts a single-node ckube cluster on embedded defaults
# (SQLite store, HTTPS on 127.0.0.1:6443). Prints where the kubeconfig is.
# Extra arguments go to ckube-server (e.g. --data-dir DIR --listen HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo
echo "Starting ckube-server (Ctrl-C stops it). Use it with:"
echo "  export KUBECONFIG=<data dir>/admin.kubeconfig   (path printed below)"
echo "  kubectl get namespaces"
echo
exec build/bin/ckube-server "$@"
