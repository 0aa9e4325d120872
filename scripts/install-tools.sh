#!/usr/bin/env bash
# Installs what building and testing Stagepad needs, skipping whatever is already there in the
# right version. Only package registries are used (crates.io, npm, Debian): nothing downloads
# its own binaries. Usage: install-tools.sh [--test|--bench]   (--test adds the browser for
# tests, --bench the load generator for `make bench`)
set -euo pipefail
cd "$(dirname "$0")/.."

BINARYEN_VERSION=132.0.0
# Transpiles the pad's TypeScript before Node runs it (a static binary; no type checking).
ESBUILD_VERSION=0.28.2
want_test_tools=false
want_bench_tools=false
[ "${1:-}" = "--test" ] && want_test_tools=true
[ "${1:-}" = "--bench" ] && want_bench_tools=true

apt_packages=()
command -v brotli >/dev/null || apt_packages+=(brotli)
command -v npm >/dev/null || apt_packages+=(nodejs npm)
command -v pkg-config >/dev/null || apt_packages+=(pkg-config)
# Running the pad's code: the sandbox, and the toolchains of the languages that must run out of
# the box (C#, Kotlin and others run when installed by hand; see README).
[ -x /usr/bin/bwrap ] || apt_packages+=(bubblewrap)
command -v python3 >/dev/null || apt_packages+=(python3)
command -v gcc >/dev/null || apt_packages+=(gcc)
command -v g++ >/dev/null || apt_packages+=(g++)
command -v go >/dev/null || apt_packages+=(golang-go)
command -v ruby >/dev/null || apt_packages+=(ruby)
command -v javac >/dev/null || apt_packages+=(default-jdk-headless)
command -v sqlite3 >/dev/null || apt_packages+=(sqlite3)
if $want_test_tools; then
  command -v chromium >/dev/null || apt_packages+=(chromium)
  command -v chromedriver >/dev/null || apt_packages+=(chromium-driver)
  # The reverse proxy of the deployment test (deploy/nginx/stagepad.conf), and the certificate
  # it is given. The test starts its own nginx; the package's service is not started (below).
  [ -x /usr/sbin/nginx ] || apt_packages+=(nginx)
  command -v openssl >/dev/null || apt_packages+=(openssl)
fi
if $want_bench_tools; then
  command -v wrk >/dev/null || apt_packages+=(wrk)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # Packages such as nginx start their service when installed (nginx on port 80) unless a
  # policy-rc.d says no: one that refuses every start is in place during the install, then
  # removed (an existing one is left as it is).
  added_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee /usr/sbin/policy-rc.d >/dev/null
    $sudo_cmd chmod 755 /usr/sbin/policy-rc.d
    added_policy=true
    # Removed however the install ends (an interrupted one too): left behind, it would stop
    # every later package from starting its service.
    trap '$sudo_cmd rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_packages[@]}" >/dev/null || status=$?
  if $added_policy; then $sudo_cmd rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  [ "$status" -eq 0 ] || exit "$status"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must match the library in Cargo.lock exactly. Its own lock file pins a
# crate the registry no longer has, so it is installed without --locked.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

# Debian's binaryen (108) produces wasm that breaks Leptos at run time; npm's 132 works.
# esbuild is the pad's TypeScript transpiler (the server finds it in .tools/).
npm_version() { node -p "require('./.tools/node_modules/$1/package.json').version" 2>/dev/null; }
if [ "$(npm_version binaryen)" != "$BINARYEN_VERSION" ] || [ "$(npm_version esbuild)" != "$ESBUILD_VERSION" ] \
  || ! ls .tools/node_modules/@esbuild/linux-*/bin/esbuild >/dev/null 2>&1; then
  mkdir -p .tools
  printf '{ "private": true, "dependencies": { "binaryen": "%s", "esbuild": "%s" } }\n' \
    "$BINARYEN_VERSION" "$ESBUILD_VERSION" > .tools/package.json
  npm install --prefix .tools --no-audit --no-fund >/dev/null
fi
