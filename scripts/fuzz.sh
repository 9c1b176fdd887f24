#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang,
# ASan and UBSan, and runs each for SECONDS (default 15) from its seed
# corpus in tests/fuzz/corpus/<target>/. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
bash scripts/build.sh --fuzz >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0
for bin in build-fuzz/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "$corpus" >"$corpus.log" 2>&1; then
    pass=$((pass + 1)); echo "ok   $name ($secs s)"
  else
    fail=$((fail + 1)); echo "FAIL $name"; tail -40 "$corpus.log"
  fi
  rm -rf "$corpus" "$corpus.log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
