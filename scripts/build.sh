#!/usr/bin/env bash
# build.sh - installs what is missing (scripts/deps.sh) and builds ckube.
#   scripts/build.sh            -> build/      (RelWithDebInfo)
#   scripts/build.sh --asan     -> build-asan/ (AddressSanitizer + UBSan)
#   scripts/build.sh --fuzz     -> build-fuzz/ (clang, libFuzzer targets)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
deps_flag=""
[ -n "$mode" ] && deps_flag="--test"
bash scripts/deps.sh $deps_flag
jobs=$(nproc 2>/dev/null || echo 2)
case "$mode" in
  "")      dir=build;      args=() ;;
  --asan)  dir=build-asan; args=(-DCKUBE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  --fuzz)  dir=build-fuzz; args=(-DCKUBE_FUZZ=ON -DCKUBE_SANITIZE=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug) ;;
  *) echo "usage: $0 [--asan|--fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" -j"$jobs" 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^$' || true
test -x "$dir/bin/ckube-server" || { echo "build failed" >&2; exit 1; }
echo "built $dir/bin/ckube-server"
