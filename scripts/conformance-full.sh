#!/usr/bin/env bash
# conformance-full.sh [SHARDS] [EXTRA_RESULTS...] - the full conformance run:
# every test in ../shared/conformance/conformance-1.20.txt, dealt round-robin
# into SHARDS groups (default 5) that run side by side, each through
# scripts/conformance.sh against its own fresh ckube, [Disruptive] tests
# included since each cluster is private (most of the suite's
# time is spent waiting, so shards share two cores well). Results go to
# build/conf/full-K.txt (logs beside them); then docs/CONFORMANCE.md is
# regenerated from them, with EXTRA_RESULTS files (later focused reruns)
# winning over the full run. Environment: CONF_TIMEOUT per shard (default
# 7200 s), CONF_NOTE (a sentence for the report's header), CONF_REAL_NODES
# (real node agents per shard instead of simulated nodes; each shard's pod
# networks start at 127.(200 + K * CONF_REAL_NODES)).
set -uo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$PWD/../shared}
SHARDS=${1:-5}
shift || true
LIST=$SHARED/conformance/conformance-1.20.txt
[ -f "$LIST" ] || { echo "no $LIST: set SHARED"; exit 1; }
bash scripts/deps.sh >/dev/null || exit 1
[ -x build/bin/ckube-server ] && [ -x build/bin/ckube-node ] || bash scripts/build.sh >/dev/null || exit 1
# the suite once (scripts/conformance.sh skips it when built: its apt-get must not run in every shard at once)
[ -x "${K8S_DIR:-/tmp/k8s-e2e}/bin/e2e.test" ] ||
  flock /tmp/ckube-conformance-build.lock bash "$SHARED/conformance/build.sh" >/dev/null || exit 1
mkdir -p build/conf

# focus regex of shard K: the exact names of its tests, regex-escaped (RE2);
# the list cuts names at a double quote (leaving a backslash), a prefix still matches
focus() {
  awk -v k="$1" -v n="$SHARDS" 'NF && (NR - 1) % n == k' "$LIST" | sed 's/ *\\$//' |
    sed 's/[][\\.+*?(){}|^$]/\\&/g' | paste -sd'|'
}

start=$(date +%s)
pids=()
for k in $(seq 0 $((SHARDS - 1))); do
  CONF_TIMEOUT=${CONF_TIMEOUT:-7200} CONF_LOG=$PWD/build/conf/full-$k.log \
    CONF_POD_NET_BASE=$(( 200 + k * ${CONF_REAL_NODES:-0} )) \
    bash scripts/conformance.sh "$(focus "$k")" '\[Flaky\]' >"build/conf/full-$k.txt" 2>&1 &
  pids+=($!)
  sleep 5 # stagger the clusters' start
done
fail=0
for k in "${!pids[@]}"; do
  wait "${pids[$k]}" || fail=1
  echo "shard $k: $(tail -1 "build/conf/full-$k.txt") ($(( ($(date +%s) - start) / 60 )) min)"
done
CONF_NOTE=${CONF_NOTE:-"The full run: $SHARDS shards side by side, $(( ($(date +%s) - start) / 60 )) minutes."} \
  python3 scripts/conformance-report.py build/conf/full-*.txt "$@" >docs/CONFORMANCE.md
grep -m1 '^\*\*' docs/CONFORMANCE.md
exit $fail
