#!/usr/bin/env bash
# dime set-up: installs what is missing (libtorch, OpenBLAS, ffmpeg, chromium from apt; npm packages),
# builds the native addon and the TypeScript, and fetches the test suite's third-party image.
# Safe to run again. Needs root or sudo for apt. --no-test-data skips the image.
set -euo pipefail
cd "$(dirname "$0")"

test_data=1
for arg in "$@"; do
  case "$arg" in
    --no-test-data) test_data=0 ;;
    *) printf 'setup: unknown option %s (the only one is --no-test-data)\n' "$arg" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  fail "dime needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none)); install it, then run ./setup.sh again"
fi

# chromium: the browser the web app's tests drive (dime serve itself needs none).
packages=(libopenblas0-pthread ffmpeg chromium)
# libtorch: the system package unless LIBTORCH points to one (see README, "Where libtorch comes from").
if [ -z "${LIBTORCH:-}" ]; then packages+=(libtorch-dev libgloo-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing ${missing[*]} and no apt-get here; install them with your package manager"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "installing ${missing[*]} needs root: run as root or install sudo"
    sudo="sudo"
  fi
  say "installing ${missing[*]} with apt"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "installing npm packages and building the native addon (npm ci)"
npm ci --no-audit --no-fund
say "compiling TypeScript"
npm run --silent build
if [ "$test_data" = 1 ]; then
  # Not needed to use dime: one test compares SSIM and PSNR with published values on this image.
  test/fixtures/fetch-published-images.sh || say "could not fetch the test image; the published-value metric test will be skipped"
fi
say "done: try 'npx dime --help'"
