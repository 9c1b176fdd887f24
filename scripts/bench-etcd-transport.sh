#!/usr/bin/env bash
# bench-etcd-transport.sh - ckube-server's etcd transports side by side
# (--etcd-transport grpc and json) on one 3-member TLS etcd cluster
# (scripts/etcd-cluster.sh), alternating within each round: wrk creates of
# unique ConfigMaps (as ../shared/bench/api-load.sh sends them) for 10 s at
# c=1, 16 and 64, and the CPU each etcd member and ckube-server spent per
# create (utime+stime from /proc/PID/stat around each run).
#   BENCH_ROUNDS (default 2)  CKUBE_BIN (default build/bin/ckube-server; copy it
#   to /tmp first)  BENCH_OUT (default docs/bench/etcd-transport-ab.tsv)
# Prints TSV rows: round, transport, measure, value, unit. Loopback only;
# run it holding the bench lock (bash /tmp/quiet.sh scripts/bench-etcd-transport.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CKUBE_BIN=${CKUBE_BIN:-build/bin/ckube-server}
ROUNDS=${BENCH_ROUNDS:-2}
OUTF=${BENCH_OUT:-docs/bench/etcd-transport-ab.tsv}
T=$(mktemp -d /tmp/etcd-transport-ab.XXXXXX); ED=$T/etcd; CK=""
cleanup() {
  [ -z "$CK" ] || kill "$CK" 2>/dev/null || true
  wait 2>/dev/null || true
  bash scripts/etcd-cluster.sh stop "$ED" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
TCK=$(getconf CLK_TCK)
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of the process (all threads)
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" | tee -a "$T/rows"; }

EPORT=$(python3 -c 'import sys; sys.path.insert(0, "tests/e2e/tools"); import etcd; print(etcd.free_port_run(6))')
read -ra EFLAGS < <(bash scripts/etcd-cluster.sh start "$ED" "$EPORT")
MEMBERS=()
for i in 0 1 2; do MEMBERS+=("$(cat "$ED/m$i.pid")"); done

cat > "$T/post.lua" <<'LUA'
local n, count = 0, 0
function setup(thread) count = count + 1; thread:set("tid", count) end
function request()
  n = n + 1
  local body = string.format('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"o-%d-%d-%d"},"data":{"k":"v"}}',
    ROUND, tid or 0, n)
  return wrk.format("POST", wrk.path, nil, body)
end
LUA

# one wrk run of 10 s at c connections; rows for creates/s and CPU per create
creates() { # round transport url token ns c
  local round=$1 tr=$2 url=$3 tok=$4 ns=$5 c=$6 i
  { echo "ROUND=$((round * 1000 + c))"; cat "$T/post.lua"; } > "$T/r.lua"
  local before=() after=() ck0 ck1
  for i in 0 1 2; do before+=("$(ticks "${MEMBERS[$i]}")"); done
  ck0=$(ticks "$CK")
  wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d10s --latency -s "$T/r.lua" -H "Authorization: Bearer $tok" \
      -H "Content-Type: application/json" "$url/api/v1/namespaces/$ns/configmaps" > "$T/wrk.out" 2>&1 || true
  for i in 0 1 2; do after+=("$(ticks "${MEMBERS[$i]}")"); done
  ck1=$(ticks "$CK")
  local total non2xx ok rps p50 p99
  total=$(awk '/requests in/ {print $1}' "$T/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$T/wrk.out"); non2xx=${non2xx:-0}
  ok=$(( total - non2xx ))
  rps=$(awk '/Requests\/sec/ {print $2}' "$T/wrk.out")
  p50=$(awk '$1=="50%" {print $2}' "$T/wrk.out"); p99=$(awk '$1=="99%" {print $2}' "$T/wrk.out")
  row "$round" "$tr" "creates/s c=$c" "$rps" "req/s (p50 $p50, p99 $p99, non-2xx $non2xx)"
  local per=() sum=0 max=0 d
  for i in 0 1 2; do
    d=$(( after[i] - before[i] )); sum=$(( sum + d )); [ "$d" -gt "$max" ] && max=$d
    per+=("$(awk -v d="$d" -v n="$ok" -v t="$TCK" 'BEGIN {printf "%.3f", d * 1000 / t / (n ? n : 1)}')")
  done
  row "$round" "$tr" "etcd CPU per create c=$c" \
      "$(awk -v d="$sum" -v n="$ok" -v t="$TCK" 'BEGIN {printf "%.3f", d * 1000 / t / (n ? n : 1)}')" \
      "ms, all 3 members (busiest $(awk -v d="$max" -v n="$ok" -v t="$TCK" 'BEGIN {printf "%.3f", d * 1000 / t / (n ? n : 1)}'); m0 ${per[0]}, m1 ${per[1]}, m2 ${per[2]}; $ok creates)"
  row "$round" "$tr" "ckube-server CPU per create c=$c" \
      "$(awk -v d="$((ck1 - ck0))" -v n="$ok" -v t="$TCK" 'BEGIN {printf "%.3f", d * 1000 / t / (n ? n : 1)}')" "ms"
}

for round in $(seq "$ROUNDS"); do
  for tr in grpc json; do
    P=$(port); D=$T/ck-$tr-$round
    "$CKUBE_BIN" --data-dir "$D" --listen "127.0.0.1:$P" --no-local-node --store etcd "${EFLAGS[@]}" \
      --etcd-prefix "/ab-$tr-$round" --etcd-transport "$tr" > "$T/ck-$tr-$round.log" 2>&1 & CK=$!
    for _ in $(seq 600); do curl -sk "https://127.0.0.1:$P/readyz" | grep -q ok && break; sleep 0.1; done
    URL=https://127.0.0.1:$P TOK=$(cat "$D/pki/admin.token") NS=ab
    curl -sk -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -X POST "$URL/api/v1/namespaces" \
      -d "{\"metadata\":{\"name\":\"$NS\"}}" > /dev/null
    sleep 2 # the controllers' start-up writes settle
    for c in 1 16 64; do creates "$round" "$tr" "$URL" "$TOK" "$NS" "$c"; done
    kill "$CK"; wait "$CK" 2>/dev/null || true; CK=""
  done
done
{ echo "# etcd transports A/B ($(date -u +%FT%TZ), $(nproc) cores, 3 members, load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
  cat "$T/rows"; } > "$OUTF"
echo "wrote $OUTF"
