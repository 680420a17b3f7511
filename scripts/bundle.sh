#!/usr/bin/env bash
# Packs dime for a machine without internet that has Node (20+), a C++ compiler and a libtorch
# (a CUDA one for GPUs: LIBTORCH=..., or Python's torch, or Debian's libtorch-dev): what `npm pack`
# ships (the compiled JavaScript, the addon's sources and build files, configs, the shipped models
# and assets), the runtime npm packages (node_modules without the development ones), Node-API's
# headers and Gloo's (gloo-headers/: libtorch's ProcessGroupGloo.hpp includes them and no torch
# wheel ships them), so that the addon builds there with node-gyp or, without it, with the
# compiler alone.
#
#   scripts/bundle.sh [--out FILE]   builds dist/ (npm run build), writes FILE
#                                    (default dime-VERSION-linux-x64.tar.gz)
#   scripts/bundle.sh --list         prints the files it would pack (relative paths), builds nothing
#
# On the target machine (README, "Offline bundle"):
#   tar -xzf dime-VERSION-linux-x64.tar.gz && cd dime-VERSION
#   LIBTORCH=/opt/libtorch node native/build.mjs     (or with python3's torch found by itself)
#   node bin/dime.js demo --device cuda
# node_modules holds sharp's prebuilt libvips for this machine's platform (linux-x64).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=pack
out=""
while (($# > 0)); do
  case $1 in
    --list) mode=list ;;
    --out) out=$2; shift ;;
    *) echo "usage: scripts/bundle.sh [--out FILE] | --list" >&2; exit 2 ;;
  esac
  shift
done

version=$(node -p 'require("./package.json").version')
name=dime-$version
out=${out:-$PWD/$name-linux-x64.tar.gz}

# Node-API's headers travel as node-headers/ (native/build.mjs looks there when Node's own
# include/node is missing, as with Debian's nodejs without libnode-dev).
headers=""
for dir in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node /usr/local/include/node; do
  if [[ -f $dir/node_api.h ]]; then headers=$dir; break; fi
done
[[ -n $headers ]] || { echo "bundle: node_api.h not found (Node's headers: apt-get install libnode-dev)" >&2; exit 1; }
HEADER_FILES=(node_api.h node_api_types.h js_native_api.h js_native_api_types.h)
# Gloo's headers as this machine's build finds them (Debian's libgloo-dev); native/find-libtorch.mjs
# takes gloo-headers/ in the unpacked bundle.
gloo=$(node native/find-libtorch.mjs | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).gloo')
[[ -f $gloo/gloo/algorithm.h ]] || { echo "bundle: Gloo's headers not found (apt-get install libgloo-dev)" >&2; exit 1; }

list() {
  npm pack --dry-run --json --ignore-scripts 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { for (const f of JSON.parse(s)[0].files) console.log(f.path); });'
  echo package-lock.json
  # The runtime packages, as npm resolved them (no devDependencies).
  npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s|^$PWD/||" | sort -u | while read -r dir; do
    find "$dir" -type f ! -name '*.map' ! -path '*/test/*' ! -path '*/.github/*'
  done
  for h in "${HEADER_FILES[@]}"; do echo "node-headers/$h"; done
  (cd "$gloo" && find gloo -type f | sort | sed 's|^|gloo-headers/|')
}

if [[ $mode == list ]]; then
  list
  exit 0
fi

echo "bundle: compiling the TypeScript and the page (npm run build)"
npm run --silent build
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/node-headers"
for h in "${HEADER_FILES[@]}"; do cp "$headers/$h" "$stage/$name/node-headers/"; done
mkdir -p "$stage/$name/gloo-headers"
cp -r "$gloo/gloo" "$stage/$name/gloo-headers/"
list | grep -v '^node-headers/\|^gloo-headers/' | tar -cf - -T - | tar -xf - -C "$stage/$name"
tar -czf "$out.tmp" -C "$stage" "$name"
mv "$out.tmp" "$out"
echo "bundle: wrote $out ($(du -h "$out" | cut -f1), $(tar -tzf "$out" | wc -l) entries)"
