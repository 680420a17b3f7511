#!/usr/bin/env bash
# Checks dime against another libtorch: downloads PyPI's torch wheel of VERSION with pip (once,
# into a cache), unpacks its torch/include and torch/lib, builds the addon against them in a build
# folder of its own (build/ is left alone), and runs the test suite with that addon (DIME_ADDON).
# No Python is needed beyond pip; the wheel's libtorch is used as a plain C++ library.
#
#   scripts/check-libtorch.sh VERSION [TEST_FILE ...]     e.g. scripts/check-libtorch.sh 2.14.1
#
# Without test files it runs `npm test` (the whole suite, 10+ minutes on a small machine); with
# them, only those. Everything goes under $DIME_LIBTORCH_CACHE (default .libtorch/, ignored):
# wheels/, VERSION/torch/{include,lib}, VERSION/build/dime_native.node, VERSION/test.log.
# The wheel's CUDA libraries are linked only with DIME_CPU_ONLY=0 (they need cuBLAS, cuDNN and
# NCCL installed); by default the check links its CPU libraries alone, which load without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${1:-}
if [[ ! $VERSION =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]]; then
  echo "usage: scripts/check-libtorch.sh VERSION [TEST_FILE ...]   (VERSION like 2.14.1)" >&2
  exit 2
fi
shift
CACHE=${DIME_LIBTORCH_CACHE:-$PWD/.libtorch}
HERE=$CACHE/$VERSION
mkdir -p "$CACHE/wheels" "$HERE"

wheel=$(ls "$CACHE/wheels"/torch-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
if [[ -z $wheel ]]; then
  echo "check-libtorch: pip download torch==$VERSION (a wheel of about 0.5-1 GB)"
  python3 -m pip download --no-deps --only-binary=:all: "torch==$VERSION" -d "$CACHE/wheels"
  wheel=$(ls "$CACHE/wheels"/torch-"$VERSION"-*.whl | head -1)
fi

if [[ ! -f $HERE/torch/.unpacked ]]; then
  echo "check-libtorch: unpacking torch/include and torch/lib of $(basename "$wheel")"
  rm -rf "$HERE/torch"
  unzip -q -o "$wheel" 'torch/include/*' 'torch/lib/*' -d "$HERE"
  touch "$HERE/torch/.unpacked"
fi

export DIME_CPU_ONLY=${DIME_CPU_ONLY:-1}
LIBTORCH=$HERE/torch node native/build.mjs --direct --out "$HERE/build"
export DIME_ADDON=$HERE/build/dime_native.node
found=$(node --input-type=module -e 'const t = await import("./dist/torch/index.js").catch(() => null); console.log(t ? t.libtorchVersion() : "?")' 2>/dev/null || true)
echo "check-libtorch: the addon at $DIME_ADDON loads libtorch ${found:-?}"

started=$(date -u +%FT%TZ)
status=0
if (($# > 0)); then
  node --import tsx --test "$@" 2>&1 | tee "$HERE/test.log" || status=$?
else
  npm test 2>&1 | tee "$HERE/test.log" || status=$?
fi
summary=$(grep -E '^# (tests|pass|fail|skipped|cancelled) ' "$HERE/test.log" | tr '\n' ' ')
echo "check-libtorch: libtorch $VERSION ($(basename "$wheel")), started $started: ${summary:-no test summary} (exit $status)" | tee -a "$HERE/test.log"
exit "$status"
