#!/usr/bin/env bash
# test.sh - the README's second command: installs what is missing, builds,
# and runs the whole test suite:
#   1. unit tests (ctest) on the normal build
#   2. end-to-end cases with real clients (kubectl 1.20 from Debian, the newest
#      kubectl on PATH, curl, the Python kubernetes client)
#   3. the console's browser tests (playwright-core driving Debian's chromium)
#   4. the same unit tests and e2e cases on an ASan+UBSan build
#   5. every libFuzzer target for a short run (FUZZ_SECONDS, default 15)
#   6. a focused subset of Kubernetes 1.20's conformance suite (scripts/conformance.sh;
#      the first run builds the suite, about 10 minutes, cached in /tmp/k8s-e2e)
# Prints a final "N passed, N failed" over all stages; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test || exit 1
mapfile -t KUBECTLS < <(bash scripts/kubectl-versions.sh)
kargs=(); for k in "${KUBECTLS[@]}"; do kargs+=(--kubectl "$k"); done
log=$(mktemp)
fail_stages=()
stage() {
  local name=$1; shift
  echo "=== $name"
  if "$@" 2>&1 | tee -a "$log"; then :; else fail_stages+=("$name"); fi
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
stage "build" bash scripts/build.sh
stage "unit tests" ctest --test-dir build --output-on-failure --timeout 300
stage "e2e (kubectl ${#KUBECTLS[@]} versions, curl, python)" /usr/bin/python3 tests/e2e/run.py --server build/bin/ckube-server "${kargs[@]}"
stage "browser (console, Chromium)" bash tests/browser/run.sh --bin "$PWD/build/bin"
stage "build (ASan+UBSan)" bash scripts/build.sh --asan
stage "unit tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure --timeout 600
stage "e2e (ASan+UBSan)" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
  /usr/bin/python3 tests/e2e/run.py --server build-asan/bin/ckube-server --kubectl "${KUBECTLS[0]}"
stage "fuzz" bash scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
# API-semantics conformance tests that finish in minutes (the full run is scripts/conformance.sh alone)
CONFORMANCE_CI='\[sig-api-machinery\] (Garbage collector|Watchers|server version|Events|Secrets should (patch|fail)|Servers with support for Table|Discovery).*\[Conformance\]'
if [ -f "${SHARED:-../shared}/conformance/build.sh" ]; then
  stage "conformance (focused)" bash scripts/conformance.sh "${CONFORMANCE_FOCUS:-$CONFORMANCE_CI}"
else
  echo "=== conformance (focused): skipped, no ${SHARED:-../shared}/conformance here"
fi
# totals: the e2e/fuzz runners print "N passed, N failed"; ctest prints "... tests failed out of N"
read -r p f < <(awk '
  /^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
  /tests passed, [0-9]+ tests failed out of [0-9]+/ { n = $NF; bad = $(NF-4); p += n - bad; f += bad }
  END { print p+0, f+0 }' "$log")
rm -f "$log"
if [ ${#fail_stages[@]} -gt 0 ]; then
  echo "failed stages: ${fail_stages[*]}"
  [ "$f" -gt 0 ] || f=${#fail_stages[@]}
fi
echo "$p passed, $f failed"
[ ${#fail_stages[@]} -eq 0 ]
