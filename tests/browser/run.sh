#!/usr/bin/env bash
# run.sh - the console's browser tests: installs the locked test dependencies
# (npm ci: playwright-core and axe-core, no browser download) and runs them against
# Debian's chromium and a fresh ckube-server from build/bin (or --bin DIR).
# Prints one line per test and "N passed, N failed"; screenshots and
# measurements land in tests/browser/results/. Extra arguments go to run.mjs
# (--bin DIR, --filter REGEX).
set -euo pipefail
cd "$(dirname "$0")"
command -v /usr/bin/chromium >/dev/null || { echo "browser tests: /usr/bin/chromium missing (scripts/deps.sh --test installs it)"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -d node_modules/axe-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null ||
    { echo "browser tests: npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# A network namespace of its own, with only a loopback (the server, its
# simulated nodes and Chromium all live on 127.0.0.1): Chromium aborts page
# loads with ERR_NETWORK_CHANGED whenever a link or address changes on the
# host, as when e2e cases running at the same time start real node agents
# (bridges, veths). Needs root; without it the tests run in the host's.
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
  exec unshare --net bash -c 'ip link set lo up && exec timeout 1500 node run.mjs "$@"' run.sh "$@"
fi
exec timeout 1500 node run.mjs "$@"
