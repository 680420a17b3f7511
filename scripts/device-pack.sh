#!/usr/bin/env bash
# Packs what a GPU machine without Node or internet lacks, for scripts/device-run.sh there: Node
# itself (xz), Node-API's four headers, Gloo's headers (which libtorch's ProcessGroupGloo.hpp
# includes and no torch wheel ships), CUDA's crt/ and nv/ headers (for ProcessGroupNCCL), the npm packages
# that run dime and its tests (without the development-only ones: biome, typescript, playwright,
# type declarations) and the compiled JavaScript (dist/, compiled here from this checkout's src/).
# Writes the ignored folder .devicepack/ and prints its size beside the size of the checkout that travels with it.
#
#   scripts/device-pack.sh          (run on a development machine, in the checkout to send)
#
# Node is compressed once and reused while `node --version` is unchanged (xz takes a minute).
set -euo pipefail
cd "$(dirname "$0")/.."

PACK=.devicepack
LIMIT_MIB=64
NODE=$(command -v node)
mkdir -p "$PACK/node-headers"

version=$(node --version)
if [[ ! -f $PACK/node.xz || "$(cat "$PACK/node.version" 2>/dev/null)" != "$version" ]]; then
  echo "device-pack: compressing $NODE ($version), about a minute"
  xz -T0 -6 -c "$NODE" >"$PACK/node.xz.tmp"
  mv "$PACK/node.xz.tmp" "$PACK/node.xz"
  echo "$version" >"$PACK/node.version"
fi

headers=""
for dir in "$(dirname "$(dirname "$NODE")")/include/node" /usr/include/node /usr/local/include/node; do
  if [[ -f $dir/node_api.h ]]; then headers=$dir; break; fi
done
[[ -n $headers ]] || { echo "device-pack: node_api.h not found (install Node's headers: apt-get install libnode-dev, or nodejs from nodesource)" >&2; exit 1; }
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do cp "$headers/$h" "$PACK/node-headers/"; done

# Gloo's headers as this machine's build finds them (Debian's libgloo-dev), for device-run.sh's
# build (DIME_GLOO_INCLUDE): the device's torch wheel has none and there is no apt there.
gloo=$(node native/find-libtorch.mjs | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).gloo')
rm -rf "$PACK/gloo-headers"
mkdir -p "$PACK/gloo-headers"
cp -r "$gloo/gloo" "$PACK/gloo-headers/"
echo "device-pack: Gloo's headers from $gloo/gloo ($(find "$PACK/gloo-headers" -type f | wc -l) files)"

# Two parts of CUDA 13's headers that no package a cu13 torch wheel depends on ships, and that
# ProcessGroupNCCL.hpp needs through cuda_runtime.h and cuda_fp16.h: crt/ (nvcc's nvidia-cuda-crt)
# and nv/ (CCCL's <nv/target>). From this machine's CUDA toolkit, for device-run.sh's NCCL build
# (DIME_CUDA_INCLUDE); without one the device compiles NCCL in only with a toolkit of its own.
rm -rf "$PACK/cuda-headers"
cuda_inc=""
for dir in ${CUDA_HOME:+"$CUDA_HOME/include"} /usr/local/cuda/include; do
  if [[ -f $dir/crt/host_config.h && -f $dir/nv/target ]]; then cuda_inc=$dir; break; fi
done
if [[ -n $cuda_inc ]]; then
  mkdir -p "$PACK/cuda-headers"
  cp -r "$cuda_inc/crt" "$cuda_inc/nv" "$PACK/cuda-headers/"
  cudart=$(sed -n 's/^#define CUDART_VERSION *\([0-9]*\).*/\1/p' "$cuda_inc/cuda_runtime_api.h" 2>/dev/null | head -1)
  echo "${cudart:-unknown}" >"$PACK/cuda-headers/CUDART_VERSION"
  echo "device-pack: CUDA's crt/ and nv/ headers from $cuda_inc (CUDART_VERSION ${cudart:-unknown}, $(find "$PACK/cuda-headers" -type f | wc -l) files)"
else
  echo "device-pack: no CUDA toolkit here (crt/host_config.h, nv/target): the device compiles NCCL in only with a toolkit of its own"
fi

[[ -d node_modules/node-addon-api && -d node_modules/tsx ]] || { echo "device-pack: node_modules is incomplete; run npm ci first" >&2; exit 1; }
echo "device-pack: packing node_modules (runtime and test packages)"
tar -C . --exclude=node_modules/@biomejs --exclude=node_modules/typescript --exclude=node_modules/playwright-core \
  --exclude=node_modules/@types --exclude=node_modules/.cache -cf - node_modules | xz -T0 -6 >"$PACK/node_modules.tar.xz.tmp"
mv "$PACK/node_modules.tar.xz.tmp" "$PACK/node_modules.tar.xz"

echo "device-pack: compiling the TypeScript (dist/) and packing it"
npx tsc -p tsconfig.json
tar -C . --exclude='*.map' --exclude=.tsbuildinfo -cf - dist | xz -T0 -6 >"$PACK/dist.tar.xz.tmp"
mv "$PACK/dist.tar.xz.tmp" "$PACK/dist.tar.xz"

git rev-parse HEAD >"$PACK/commit" 2>/dev/null || true
pack_bytes=$(du -sb "$PACK" | cut -f1)
tree_bytes=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
total=$(( (pack_bytes + tree_bytes) / 1048576 ))
printf 'device-pack: %s holds %d MiB; the checkout sent with it %d MiB; together %d MiB of the %d MiB allowed\n' \
  "$PACK" $((pack_bytes / 1048576)) $((tree_bytes / 1048576)) "$total" "$LIMIT_MIB"
if ((total >= LIMIT_MIB)); then echo "device-pack: too big to send" >&2; exit 1; fi
