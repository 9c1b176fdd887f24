#!/usr/bin/env bash
# etcd-cluster.sh - a 3-member etcd cluster on loopback for tests and benchmarks.
#   scripts/etcd-cluster.sh start DIR PORT   members on client ports PORT, PORT+2, PORT+4
#                                            (peers on PORT+1, +3, +5), TLS with a CA made in DIR/pki;
#                                            prints the --etcd-* flags for ckube-server
#   scripts/etcd-cluster.sh stop DIR         kills the members started in DIR (by their pid files)
# Each member keeps its data in DIR/mN and logs to DIR/mN.log. Debian's etcd-server (3.4).
set -euo pipefail
cmd=${1:?usage: etcd-cluster.sh start DIR PORT | stop DIR}
dir=${2:?DIR}

stop() {
  for f in "$dir"/m*.pid; do
    [ -f "$f" ] || continue
    kill -9 "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

certs() {
  local pki=$dir/pki
  mkdir -p "$pki"
  [ -f "$pki/client.crt" ] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=etcd-ca -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  local name
  for name in server client; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=etcd-$name" \
      -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$pki/$name.ext"
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3650 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  done
}

start() {
  local port=${1:?PORT} f
  for f in "$dir"/m*.pid; do
    if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
      echo "etcd-cluster: members already run in $dir (stop them first)" >&2
      exit 1
    fi
  done
  certs
  local pki=$dir/pki cluster="" i
  for i in 0 1 2; do
    cluster+="${cluster:+,}m$i=https://127.0.0.1:$((port + 2 * i + 1))"
  done
  for i in 0 1 2; do
    local cp=$((port + 2 * i)) pp=$((port + 2 * i + 1))
    mkdir -p "$dir/m$i"
    etcd --name "m$i" --data-dir "$dir/m$i" \
      --listen-client-urls "https://127.0.0.1:$cp" --advertise-client-urls "https://127.0.0.1:$cp" \
      --listen-peer-urls "https://127.0.0.1:$pp" --initial-advertise-peer-urls "https://127.0.0.1:$pp" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "ckube-$port" \
      --cert-file "$pki/server.crt" --key-file "$pki/server.key" --trusted-ca-file "$pki/ca.crt" \
      --client-cert-auth --peer-cert-file "$pki/server.crt" --peer-key-file "$pki/server.key" \
      --peer-trusted-ca-file "$pki/ca.crt" --peer-client-cert-auth \
      --heartbeat-interval 100 --election-timeout 1000 --log-level warn --metrics extensive \
      >"$dir/m$i.log" 2>&1 &
    echo $! >"$dir/m$i.pid"
  done
  local eps="https://127.0.0.1:$port,https://127.0.0.1:$((port + 2)),https://127.0.0.1:$((port + 4))"
  # ready when the cluster answers a linearizable read (a leader was elected); at most 60 s (loaded machines)
  local deadline=$((SECONDS + 60))
  until ETCDCTL_API=3 etcdctl --endpoints "$eps" --cacert "$pki/ca.crt" --cert "$pki/client.crt" \
      --key "$pki/client.key" --command-timeout 2s get /health-probe >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "etcd-cluster: no leader after 60 s (logs in $dir/m*.log)" >&2
      stop
      exit 1
    fi
    sleep 0.2
  done
  echo "--etcd-servers $eps --etcd-cafile $pki/ca.crt --etcd-certfile $pki/client.crt --etcd-keyfile $pki/client.key"
}

case "$cmd" in
  start) start "${3:-}" ;;
  stop) stop ;;
  *) echo "usage: etcd-cluster.sh start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
