#!/usr/bin/env bash
# deps.sh - install what ckube needs to build and test, and fetch the two
# third-party sources it builds from (CivetWeb, Kubernetes' API schema) out of
# Debian's source packages. Idempotent: packages already present are skipped,
# fetched sources are cached in $CKUBE_CACHE (default ~/.cache/ckube) and
# never land in the repo. Usage: scripts/deps.sh [--test]
set -euo pipefail
CACHE=${CKUBE_CACHE:-$HOME/.cache/ckube}
export DEBIAN_FRONTEND=noninteractive

pkgs=(build-essential cmake pkg-config libjansson-dev libyaml-dev libsqlite3-dev zlib1g-dev
      libssl-dev libgrpc-dev libmbedtls-dev openssl dpkg-dev cpio python3 python3-yaml python3-protobuf protobuf-compiler libprotobuf-dev curl
      busybox iproute2 netcat-openbsd)
# busybox and netcat-openbsd: the real node's images without a registry (node/images.conf: busybox's
# applets; agnhost's image has netcat-openbsd's nc, whose -z the conformance tests' probes use)
# Node.js and npm (the console's front-end libraries come from npm) from
# Debian only where the machine has none: a Node.js from elsewhere
# (NodeSource) ships its own npm, which Debian's npm conflicts with
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(clang libclang-rt-14-dev python3-kubernetes etcd-server etcd-client jq wrk nginx-light haproxy
         chromium fonts-dejavu-core bind9-dnsutils)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  [ "$(id -u)" = 0 ] || { echo "deps: need root to apt-get install ${missing[*]}" >&2; exit 1; }
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

# A private apt configuration with deb-src entries mirroring the system's own
# Debian sources, so `apt-get source` works without touching /etc/apt.
mkdir -p "$CACHE/apt/parts" "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
APT=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$CACHE/apt/parts"
     -o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" -o APT::Sandbox::User=root)
apt_src_ready() {
  [ -f "$CACHE/apt/.updated" ] && return 0
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$CACHE/apt/parts/src.sources"
  else
    grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' > "$CACHE/apt/parts/src.list"
  fi
  apt-get "${APT[@]}" update >/dev/null
  touch "$CACHE/apt/.updated"
}

# CivetWeb from Debian's source package (the binary package cannot do HTTPS
# with OpenSSL 3, see docs/ARCHITECTURE.md).
if [ ! -f "$CACHE/civetweb/src/civetweb.c" ]; then
  apt_src_ready
  tmp=$(mktemp -d "$CACHE/civetweb.XXXX")
  (cd "$tmp" && apt-get "${APT[@]}" source --download-only civetweb >/dev/null 2>&1 && tar xf civetweb_*.orig.tar.*)
  rm -rf "$CACHE/civetweb"
  mv "$(find "$tmp" -maxdepth 1 -type d -name 'civetweb-*' | head -1)" "$CACHE/civetweb"
  rm -rf "$tmp"
  echo "deps: CivetWeb source in $CACHE/civetweb"
fi

# Kubernetes 1.20's API schema, gnostic's OpenAPIv2.proto, the
# protobuf definitions + Go types of the API (for decoding the protobuf bodies
# newer kubectl sends), kube-apiserver's printers.go and kube-aggregator's
# APIService storage (the Table column definitions, api-spec/table_columns.py)
# with the API types' SwaggerDoc() texts they quote
# (types_swagger_doc_generated.go) from Debian's kubernetes source package;
# only those files are kept.
if [ ! -f "$CACHE/k8s-api/.complete-v3" ]; then
  apt_src_ready
  tmp=$(mktemp -d "$CACHE/k8s.XXXX")
  (cd "$tmp" && apt-get "${APT[@]}" source --download-only kubernetes >/dev/null 2>&1)
  tarball=$(ls "$tmp"/kubernetes_*.orig.tar.* | head -1)
  mkdir -p "$tmp/x"
  tar xf "$tarball" -C "$tmp/x" --wildcards '*/api/openapi-spec/swagger.json' \
      '*/vendor/github.com/googleapis/gnostic/openapiv2/OpenAPIv2.proto' \
      '*/staging/src/k8s.io/api/*/generated.proto' '*/staging/src/k8s.io/api/*/types.go' \
      '*/staging/src/k8s.io/api/*/types_swagger_doc_generated.go' \
      '*/staging/src/k8s.io/apimachinery/pkg/*/generated.proto' \
      '*/staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go' \
      '*/staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/time.go' \
      '*/staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/micro_time.go' \
      '*/pkg/printers/internalversion/printers.go' \
      '*/staging/src/k8s.io/kube-aggregator/pkg/registry/apiservice/etcd/etcd.go'
  # assembled beside the cache and moved in whole, so a build reading it never sees it half-made
  new="$tmp/k8s-api"
  mkdir -p "$new"
  cp "$(find "$tmp/x" -name OpenAPIv2.proto | head -1)" "$new/OpenAPIv2.proto"
  cp "$(find "$tmp/x" -path '*api/openapi-spec/swagger.json' | head -1)" "$new/swagger.json"
  cp "$(find "$tmp/x" -path '*/pkg/printers/internalversion/printers.go' | head -1)" "$new/printers.go"
  cp "$(find "$tmp/x" -path '*/kube-aggregator/pkg/registry/apiservice/etcd/etcd.go' | head -1)" "$new/apiservice_etcd.go"
  src=$(find "$tmp/x" -maxdepth 1 -mindepth 1 -type d | head -1)
  (cd "$src/staging/src" && find k8s.io -name generated.proto -o -name types.go -o -name time.go -o -name micro_time.go \
     -o -name types_swagger_doc_generated.go |
     cpio -pdm --quiet "$new/proto")
  # the older markers too: a superset of their files, so worktrees on older branches do not fetch again
  touch "$new/.complete-v3" "$new/.complete-v2"
  rm -rf "$CACHE/k8s-api.old"
  [ -d "$CACHE/k8s-api" ] && mv "$CACHE/k8s-api" "$CACHE/k8s-api.old"
  mv "$new" "$CACHE/k8s-api" && rm -rf "$CACHE/k8s-api.old"
  rm -rf "$tmp"
  echo "deps: Kubernetes API schema and protobuf definitions in $CACHE/k8s-api"
fi

# The console's front-end libraries, locked by webroot/vendor/package-lock.json
# and installed into the cache: xterm.js as published; CodeMirror 6 and the
# X.509 parser are ES modules in many files, so the locked esbuild bundles
# each (webroot/vendor/entries/*.mjs, what the console imports) into one file
# in dist/. The build copies the files the console loads into
# bin/webroot/assets/vendor/. Redone when the lock or an entry changes.
vendor_src="$(dirname "$0")/../webroot/vendor"
# (a directory of its own since the bundles came: a tree with the older lock
# keeps its own copy in webroot-vendor instead of reinstalling over this one)
vendor_dir="$CACHE/webroot-vendor-bundled"
vendor_inputs() { (cd "$1" && sha256sum package-lock.json entries/*.mjs 2>/dev/null); }
if [ -f "$vendor_src/package-lock.json" ] &&
   { [ "$(vendor_inputs "$vendor_src")" != "$(cat "$vendor_dir/.inputs" 2>/dev/null)" ] ||
     [ ! -f "$vendor_dir/node_modules/@xterm/xterm/lib/xterm.js" ] || [ ! -f "$vendor_dir/dist/codemirror.js" ]; }; then
  # installed beside the cache and moved in whole: a build reading the old one never sees it half-made
  tmp=$(mktemp -d "$CACHE/webroot-vendor.XXXX")
  cp -r "$vendor_src/package.json" "$vendor_src/package-lock.json" "$vendor_src/entries" "$tmp/"
  if (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
      for entry in entries/*.mjs; do
        node_modules/.bin/esbuild "$entry" --bundle --format=esm --minify --legal-comments=eof --target=es2020 \
          --log-level=warning --outfile="dist/$(basename "$entry" .mjs).js" || exit 1
      done); then
    vendor_inputs "$tmp" > "$tmp/.inputs"
    rm -rf "$vendor_dir.old"
    [ -d "$vendor_dir" ] && mv "$vendor_dir" "$vendor_dir.old"
    mv "$tmp" "$vendor_dir" && rm -rf "$vendor_dir.old"
    echo "deps: console libraries in $vendor_dir"
  else
    rm -rf "$tmp"
    echo "deps: npm could not install or bundle the console's libraries: its exec terminal, YAML editor and certificate view are off" >&2
  fi
fi

# Kubernetes 1.20's RBAC bootstrap policy (the default ClusterRoles, bindings,
# Roles and RoleBindings kube-apiserver reconciles at start) from the same
# source package: its golden testdata, which the build turns into
# server/authz_policy data (api-spec/gen_rbac_policy.py).
if [ ! -f "$CACHE/k8s-rbac/.complete" ]; then
  apt_src_ready
  tmp=$(mktemp -d "$CACHE/k8s.XXXX")
  (cd "$tmp" && apt-get "${APT[@]}" source --download-only kubernetes >/dev/null 2>&1)
  tarball=$(ls "$tmp"/kubernetes_*.orig.tar.* | head -1)
  mkdir -p "$tmp/x"
  tar xf "$tarball" -C "$tmp/x" --wildcards '*/plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/*.yaml'
  rm -rf "$CACHE/k8s-rbac"
  mkdir -p "$CACHE/k8s-rbac"
  cp $(find "$tmp/x" -path '*bootstrappolicy/testdata/*.yaml') "$CACHE/k8s-rbac/"
  rm -rf "$tmp"
  touch "$CACHE/k8s-rbac/.complete"
  echo "deps: Kubernetes RBAC bootstrap policy in $CACHE/k8s-rbac"
fi

# The browser tests' locked npm packages (playwright-core, which drives
# Debian's chromium, no browser is downloaded; axe-core for accessibility).
if [ "${1:-}" = "--test" ] && [ ! -d "$(dirname "$0")/../tests/browser/node_modules/axe-core" ]; then
  (cd "$(dirname "$0")/../tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "deps: browser test packages in tests/browser/node_modules"
fi
