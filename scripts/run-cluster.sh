#!/usr/bin/env bash
# run-cluster.sh - the README's first command: installs what is missing,
# builds, and starts a single-node ckube cluster on embedded defaults
# (SQLite store, HTTPS on 127.0.0.1:6443). Prints where the kubeconfig is,
# the console's address and where its sign-in token is.
# Extra arguments go to ckube-server (e.g. --data-dir DIR --listen HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo
# Where the server will be (the same defaults and flags ckube-server uses).
data_dir=$([ "$(id -u)" = 0 ] && echo /var/lib/ckube || echo "$HOME/.ckube")
listen=127.0.0.1:6443
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
  --data-dir) data_dir=${args[i + 1]:-$data_dir} ;;
  --data-dir=*) data_dir=${args[i]#*=} ;;
  --listen) listen=${args[i + 1]:-$listen} ;;
  --listen=*) listen=${args[i]#*=} ;;
  esac
done
echo "Starting ckube-server (Ctrl-C stops it). Use it with:"
echo "  export KUBECONFIG=$data_dir/admin.kubeconfig"
echo "  kubectl get namespaces"
echo "Console: https://${listen/0.0.0.0/127.0.0.1}/  (sign in with the token in $data_dir/pki/admin.token;"
echo "  the certificate is the cluster's own CA, $data_dir/pki/ca.crt: accept it or import it in the browser)"
echo
exec build/bin/ckube-server "$@"
