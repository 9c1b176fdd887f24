#!/usr/bin/env bash
# test.sh - the README's second command: installs what is missing, builds,
# and runs the whole test suite:
#   1. unit tests (ctest) on the normal build
#   2. end-to-end cases with real clients (kubectl 1.20 from Debian, the newest
#      kubectl on PATH, curl, the Python kubernetes client), E2E_JOBS workers
#   3. the console's browser tests (playwright-core driving Debian's chromium)
#   4. the same unit tests and e2e cases on an ASan+UBSan build (LeakSanitizer on)
#   5. every libFuzzer target for a short run (FUZZ_SECONDS, default 15)
#   2b. a short e2e subset with the etcd store (--store etcd: a 3-member etcd cluster, TLS)
#   6. a focused subset of Kubernetes 1.20's conformance suite (scripts/conformance.sh;
#      the first run builds the suite, about 10 minutes, cached in /tmp/k8s-e2e), then a
#      second subset on three real node agents (pods run as processes)
# Independent stages run at the same time: the conformance suite builds (at a
# lower priority) from the start; once build/ is there, its unit tests, the
# browser tests and the e2e run while build-asan/ builds; then the ASan
# stages run while the fuzz targets build and run. The builds that overlap
# those stages run at nice 5 (docs/TESTING.md has the plan and its times).
# A line per stage start and end shows progress; each stage's output is
# printed whole when it ends, and a table of stage times (wall and CPU)
# closes the run. Prints a final "N passed, N failed" over
# all stages; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
bash scripts/deps.sh --test || exit 1
mapfile -t KUBECTLS < <(bash scripts/kubectl-versions.sh)
kargs=(); for k in "${KUBECTLS[@]}"; do kargs+=(--kubectl "$k"); done
SHARED=${SHARED:-../shared}
OUT=$(mktemp -d /tmp/ckube-test.XXXXXX)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# API-semantics conformance tests that finish in minutes (the full run is scripts/conformance.sh alone)
# the etcd store's subset: CRUD, apply, watch (curl and kubectl), pagination, CRDs, a Deployment's pods
E2E_ETCD_FILTER=${E2E_ETCD_FILTER:-'^(020|030|040|060|301|601|605|834)-'}
CONFORMANCE_CI='\[sig-api-machinery\] (Garbage collector|Watchers|server version|Events|Secrets should (patch|fail)|Servers with support for Table|Discovery).*\[Conformance\]'
# and tests whose only missing piece was a running process, on three real node agents (CONF_REAL_NODES=3):
# the image's entrypoint and arguments, pod to pod and node to pod across nodes, a Service reached from a
# pod through the agents' proxies (netcat-openbsd's nc -z), pod DNS settings, exec and logs over WebSocket,
# the pods/services proxy (links rewritten, https to agnhost porter), a pod refused for its host port
CONFORMANCE_CI_REAL='Docker Containers should|Granular Checks: Pods should function for (intra-pod|node-pod) communication: udp|change the type from ExternalName to ClusterIP|DNS should support configurable pod DNS nameservers|Pods should support (remote command execution|retrieving logs from the container) over websockets|Proxy version v1 should proxy through a service and a pod|Should recreate evicted statefulset'

# cpu_seconds FILE: user + system seconds from the second line of `times` output
cpu_seconds() { sed -n 2p "$1" 2>/dev/null | tr 'ms' '  ' | awk '{ printf "%d", $1 * 60 + $2 + $3 * 60 + $4 }'; }
since() { local s=$(( $(date +%s) - T0 )); printf '%d:%02d' $((s / 60)) $((s % 60)); }

# stage KEY NAME CMD...: runs CMD (in the caller's shell) with its output in
# $OUT/KEY.log, records its time and status, prints its output when it ends;
# returns CMD's status.
stage() {
  local key=$1 name=$2; shift 2
  echo "$name" > "$OUT/$key.name"
  echo "[$(since)] start $name"
  local t=$(date +%s) rc=0
  # the subshell's `times` (second line) is the CPU its whole process tree used
  ( "$@"; r=$?; times > "$OUT/$key.times"; exit $r ) > "$OUT/$key.log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - t )) $(cpu_seconds "$OUT/$key.times")" > "$OUT/$key.done"
  # one stage's block at a time, whole
  { flock 9
    echo "=== $name ($(( $(date +%s) - t )) s$([ $rc -eq 0 ] || echo ", FAILED exit $rc"))"
    cat "$OUT/$key.log"
    echo "[$(since)] end $name"
  } 9>"$OUT/print.lock"
  return $rc
}

# the conformance chain: the suite builds from the start; its run waits for build/
conformance() {
  [ -f "$SHARED/conformance/build.sh" ] || { echo "=== conformance (focused): skipped, no $SHARED/conformance here"; return 0; }
  stage 90-conf-build "conformance suite build (cached in ${K8S_DIR:-/tmp/k8s-e2e})" \
    nice -n 10 bash "$SHARED/conformance/build.sh" || return 1
  local i; for i in $(seq 3600); do [ -f "$OUT/10-build.done" ] && break; sleep 1; done
  read -r rc _ < "$OUT/10-build.done" && [ "$rc" -eq 0 ] || return 1
  stage 91-conformance "conformance (focused)" env CONF_LOG="$PWD/build/conformance-focused.log" \
    bash scripts/conformance.sh "${CONFORMANCE_FOCUS:-$CONFORMANCE_CI}"
  # pods on 127.230-232: apart from the e2e workers' 127.100-199 blocks
  stage 92-conformance-real "conformance on three real nodes (focused)" \
    env CONF_REAL_NODES=3 CONF_POD_NET_BASE=230 CONF_LOG="$PWD/build/conformance-real.log" \
    bash scripts/conformance.sh "${CONFORMANCE_REAL_FOCUS:-$CONFORMANCE_CI_REAL}"
}
conformance &

if stage 10-build "build" bash scripts/build.sh; then
  { stage 11-unit "unit tests" ctest --test-dir build --output-on-failure --timeout 300
    stage 13-browser "browser (console, Chromium)" bash tests/browser/run.sh --bin "$PWD/build/bin"; } &
  stage 12-e2e "e2e (kubectl ${#KUBECTLS[@]} versions, curl, python)" \
    /usr/bin/python3 tests/e2e/run.py --server build/bin/ckube-server "${kargs[@]}" --jobs "${E2E_JOBS:-4}" &
  stage 14-e2e-etcd "e2e on etcd (--store etcd, subset)" /usr/bin/python3 tests/e2e/run.py \
    --server build/bin/ckube-server --kubectl "${KUBECTLS[0]}" --store etcd --jobs 1 --filter "$E2E_ETCD_FILTER" &
fi
# the builds that overlap the e2e and browser stages yield the CPU to them (nice 5)
if stage 20-build-asan "build (ASan+UBSan)" nice -n 5 bash scripts/build.sh --asan; then
  stage 21-unit-asan "unit tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure --timeout 600 &
  # ASan makes the server 2-5x slower beside the other stages: a timing case failing there gets one more
  # try in a namespace of its own, and a pass after a failure is printed as RETRY with the failure
  stage 22-e2e-asan "e2e (ASan+UBSan)" /usr/bin/python3 tests/e2e/run.py --server build-asan/bin/ckube-server \
    --kubectl "${KUBECTLS[0]}" --jobs "${E2E_JOBS:-4}" --retries 1 &
fi
stage 30-build-fuzz "build (fuzz targets)" nice -n 5 bash scripts/build.sh --fuzz &&
  stage 31-fuzz "fuzz" bash scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
wait

echo "=== stage times (total $(since); CPU: user + system of the stage's processes)"
fail_stages=(); cpu_total=0
for f in "$OUT"/*.done; do
  key=$(basename "$f" .done); read -r rc secs cpu < "$f"; name=$(cat "$OUT/$key.name")
  printf '%5d s  %5s s CPU  %-4s %s\n' "$secs" "${cpu:-?}" "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" "$name"
  cpu_total=$(( cpu_total + ${cpu:-0} ))
  [ "$rc" -eq 0 ] || fail_stages+=("$name")
done
echo "CPU over all stages: $cpu_total s (on $(nproc) cores: at least $(( cpu_total / $(nproc) )) s of wall time)"
# totals: the e2e/fuzz runners print "N passed, N failed"; ctest prints "... tests failed out of N"
read -r p f < <(cat "$OUT"/*.log | awk '
  /^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
  /tests passed, [0-9]+ tests failed out of [0-9]+/ { n = $NF; bad = $(NF-4); p += n - bad; f += bad }
  END { print p+0, f+0 }')
rm -rf "$OUT"
if [ ${#fail_stages[@]} -gt 0 ]; then
  echo "failed stages: ${fail_stages[*]}"
  [ "$f" -gt 0 ] || f=${#fail_stages[@]}
fi
echo "$p passed, $f failed"
[ ${#fail_stages[@]} -eq 0 ]
