#!/usr/bin/env bash
# Runs dime's GPU checks on a machine with Python's torch (CUDA) but no Node and no internet, from
# a checkout carrying .devicepack/ (made by scripts/device-pack.sh): unpacks Node, the npm packages
# and the compiled JavaScript, builds the addon against python3's torch (or $LIBTORCH) with the C++
# compiler alone and the pack's Gloo headers, then, each step time-limited and independent of the others:
#   (a) the CUDA test files with DIME_TEST_DEVICE=cuda (CPU against CUDA within stated tolerances)
#   (b) dime bench model --device cuda at 256 px: FOMM (configs/fomm/vox-256.yaml) and full DiME
#       with 3 references (configs/vox-256.yaml), batch 1 and 16, fp32 and, where dime has
#       --precision, bf16
#   (c) a 256 px training step (configs/vox-256.yaml, batch 8) on CUDA
#   (d) dime animate --device cuda of the shipped synthetic demo clip
# Logs go to $OUT (at most 8 files: summary.txt, setup.log, tests.log, bench.log, bench.json,
# train.log, animate.log, logs.tar.gz); a summary table is printed at the end.
#
#   bash scripts/device-run.sh          on the GPU machine ($OUT set by the caller)
#   bash scripts/device-run.sh --cpu    the same steps on the CPU, small, to test this script on a
#                                       machine without a GPU (OUT defaults to .devicerun/out); taken,
#                                       with a line saying so, when nvidia-smi finds no GPU
# DEVICE_RUN_BUDGET (seconds, default 450) caps the whole run: a step gets at most what is left.
# DEVICE_RUN_LIMIT_SCALE (default 1) multiplies every step's own limit (a slow test machine: 4).
# DEVICE_RUN_CUDA_BUILD=1 links CUDA and NCCL even where no GPU is seen (a rehearsal; see below).
# python3's torch is the one found: PYTHONPATH=<a site-packages with torch and nvidia/> points
# the build at another tree, as pip would have installed it.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
DEVICE=cuda
if [[ ${1:-} == --cpu ]]; then DEVICE=cpu; fi
PACK=$ROOT/.devicepack
WORK=$ROOT/.devicerun
OUT=${OUT:-$WORK/out}
LOGS=$WORK/logs
BUDGET=${DEVICE_RUN_BUDGET:-450}
SCALE=${DEVICE_RUN_LIMIT_SCALE:-1}
mkdir -p "$OUT" "$LOGS" "$WORK/bin"
SUMMARY=()

# step NAME LIMIT CMD...: runs CMD under a time limit (the smaller of LIMIT and what is left of
# the budget), output in $LOGS/NAME.log, and adds a summary row; returns CMD's status.
step() {
  local name=$1 limit=$(($2 * SCALE))
  shift 2
  local left=$((BUDGET - SECONDS))
  if ((left < 15)); then
    SUMMARY+=("$(printf '%-22s %-14s %5s  %s' "$name" "SKIPPED" "-" "the ${BUDGET}s budget is spent")")
    return 1
  fi
  ((limit > left)) && limit=$left
  local t0=$SECONDS
  local shown="$*"
  [[ $1 == bash ]] && shown="(set-up function $name)"
  echo "== $name (limit ${limit}s): $shown" | tee -a "$LOGS/steps.log"
  { echo "\$ $shown"; echo; } >"$LOGS/$name.log"
  timeout -k 5 "$limit" "$@" >>"$LOGS/$name.log" 2>&1
  local rc=$?
  local status="ok"
  if ((rc == 124 || rc == 137)); then status="TIMEOUT"; elif ((rc != 0)); then status="FAILED ($rc)"; fi
  local last
  # A test run's counts, else the log's last line.
  last=$(grep -E '^# (pass|fail|skipped) ' "$LOGS/$name.log" | tr '\n' ' ')
  [[ -n $last ]] || last=$(grep -v '^\s*$' "$LOGS/$name.log" | tail -1 | cut -c1-90)
  SUMMARY+=("$(printf '%-22s %-14s %4ds  %s' "$name" "$status" $((SECONDS - t0)) "$last")")
  echo "   $status in $((SECONDS - t0))s" | tee -a "$LOGS/steps.log"
  return $rc
}

skip() { SUMMARY+=("$(printf '%-22s %-14s %5s  %s' "$1" "SKIPPED" "-" "$2")"); echo "== $1 skipped: $2" | tee -a "$LOGS/steps.log"; }

# --- set-up: what the machine has, then Node, packages, compiled JS, the addon
{
  echo "device-run: $(date -u +%FT%TZ), device $DEVICE, $(nproc) cores, budget ${BUDGET}s, pack of commit $(cat "$PACK/commit" 2>/dev/null)"
  uname -a
  grep PRETTY_NAME /etc/os-release 2>/dev/null
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c 'import torch, os; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), os.path.dirname(torch.__file__))' 2>&1
  for c in "${CXX:-g++}" nvcc cmake ninja ffmpeg xz; do printf '%-8s %s\n' "$c" "$(command -v "$c" || echo MISSING)"; done
  "${CXX:-g++}" --version 2>&1 | head -1
} >"$LOGS/env.log" 2>&1
cat "$LOGS/env.log"

# No GPU to be seen (a dry run of this script elsewhere): the CPU steps, and a CPU-only link of a
# CUDA libtorch, whose CUDA libraries may be missing here.
if [[ $DEVICE == cuda ]] && ! nvidia-smi -L >/dev/null 2>&1; then
  echo "device-run: no GPU here (nvidia-smi finds none): running the CPU steps instead" | tee -a "$LOGS/env.log"
  DEVICE=cpu
fi
# DEVICE_RUN_CUDA_BUILD=1 keeps the CUDA link (and NCCL) without a GPU: a rehearsal of the GPU
# machine's build where the CUDA libraries are installed (PyPI's nvidia-* packages) but no GPU is.
[[ $DEVICE == cpu && ${DEVICE_RUN_CUDA_BUILD:-0} != 1 ]] && export DIME_CPU_ONLY=1

# xz and tar -J need the xz program; Python's lzma module does the same where it is missing.
unxz_to() { if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi; }
untar_xz() { if command -v xz >/dev/null; then tar -xJf "$1"; else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall()' "$1"; fi; }

unpack() {
  set -e
  [[ -f $PACK/node.xz ]] || { echo "no $PACK/node.xz: run scripts/device-pack.sh on the sending machine and carry .devicepack"; exit 1; }
  if [[ ! -x $WORK/bin/node ]]; then
    unxz_to "$PACK/node.xz" "$WORK/bin/node.tmp"
    chmod +x "$WORK/bin/node.tmp"
    mv "$WORK/bin/node.tmp" "$WORK/bin/node"
  fi
  if [[ ! -d node_modules/node-addon-api ]]; then untar_xz "$PACK/node_modules.tar.xz"; fi
  if [[ -f $PACK/dist.tar.xz ]]; then rm -rf dist && untar_xz "$PACK/dist.tar.xz"; fi
  PATH=$WORK/bin:$PATH node --version
  echo "node_modules: $(ls node_modules | wc -l) packages; dist: $(find dist -name '*.js' | wc -l) files"
}
export PATH=$WORK/bin:$PATH

build() {
  if ! command -v "${CXX:-g++}" >/dev/null; then
    for c in g++ c++ clang++; do command -v $c >/dev/null && export CXX=$c && break; done
  fi
  command -v "${CXX:-g++}" >/dev/null || { echo "no C++ compiler (g++, c++ or clang++): the addon cannot be built here"; exit 1; }
  # Gloo's headers from the pack: the torch wheel has none, and apt is out of reach here.
  [[ -d $PACK/gloo-headers/gloo ]] && export DIME_GLOO_INCLUDE=$PACK/gloo-headers
  # CUDA's crt/ and nv/ headers from the pack, which the nvidia-* packages beside a cu13 torch lack
  [[ -d $PACK/cuda-headers/crt ]] && export DIME_CUDA_INCLUDE=$PACK/cuda-headers
  DIME_NODE_HEADERS=$PACK/node-headers DIME_BUILD_JOBS=$(nproc) node native/build.mjs --direct
}

DIME=(node "$ROOT/bin/dime.js")
ready=1
step unpack 60 bash -c "$(declare -f unxz_to untar_xz unpack); WORK='$WORK' PACK='$PACK' unpack" || ready=0
if ((ready)); then step build 240 bash -c "$(declare -f build); PACK='$PACK' build" || ready=0; fi
if ((ready)); then
  step addon 60 node -e 'import("./dist/torch/index.js").then((t) => { console.log("libtorch", t.libtorchVersion(), "cuda", t.cuda.isAvailable(), t.cuda.deviceCount(), "nccl", t.distributed.hasNccl()); })' || true
fi

if ((ready)); then
  # (a) CPU against CUDA, file by file so one crash leaves the others' results
  tests=(test/cuda-*.test.ts)
  if [[ -e ${tests[0]} ]]; then
    DIME_TEST_DEVICE=$DEVICE step tests 150 node --import tsx --test "${tests[@]}"
  else
    skip tests "no test/cuda-*.test.ts in this checkout"
  fi

  # (b) frames per second at 256 px; bf16 only where the precision switch exists
  precisions=(fp32)
  if "${DIME[@]}" bench --help 2>/dev/null | grep -q -- '--precision'; then precisions+=(bf16); fi
  size_args=(--batch 1,16 --threads 4 --runs 20 --train-config none)
  if [[ $DEVICE == cpu ]]; then size_args=(--batch 1,2 --threads 2 --runs 1 --train-config none); fi
  for p in "${precisions[@]}"; do
    extra=()
    [[ $p != fp32 ]] && extra=(--precision "$p")
    step "bench-fomm-$p" 90 "${DIME[@]}" bench model --device "$DEVICE" --config configs/fomm/vox-256.yaml --settings fomm \
      "${size_args[@]}" "${extra[@]}" --json "$WORK/bench-fomm-$p.json"
    step "bench-dime-$p" 90 "${DIME[@]}" bench model --device "$DEVICE" --config configs/vox-256.yaml --settings +3refs \
      "${size_args[@]}" "${extra[@]}" --json "$WORK/bench-dime-$p.json"
  done
  if [[ ${#precisions[@]} == 1 ]]; then skip bench-bf16 "dime bench has no --precision switch here (issue 21 item 3 not merged, or not for bench)"; fi

  # (c) a 256 px training step, pixel and VGG (hash weights) losses
  train_args=(--train-batch 8 --runs 5)
  [[ $DEVICE == cpu ]] && train_args=(--train-batch 1 --runs 1)
  step train 120 "${DIME[@]}" bench model --device "$DEVICE" --config none --train-config configs/vox-256.yaml \
    "${train_args[@]}" --threads 4 --json "$WORK/bench-train.json"

  # (d) the shipped demo: model, source, reference and driving clip (a PNG folder without ffmpeg)
  if command -v ffmpeg >/dev/null; then
    driving=assets/demo/driving.mp4
    output=$WORK/animate.mp4
  else
    step synth-driving 60 "${DIME[@]}" synth --kind faces --out "$WORK/synth" --videos 2 --frames 32 --test-fraction 0.5
    driving=$(find "$WORK/synth/train" -mindepth 1 -maxdepth 1 -type d | head -1)
    output=$WORK/animate-frames
  fi
  rm -rf "$output"
  step animate 90 "${DIME[@]}" animate --checkpoint models/demo --source assets/demo/source.png --ref assets/demo/reference.png \
    --driving "$driving" -o "$output" --device "$DEVICE"
else
  skip tests "set-up failed (see setup.log)"
  skip bench "set-up failed"
  skip train "set-up failed"
  skip animate "set-up failed"
fi

# --- what comes back: at most 8 files
figures=""
if command -v node >/dev/null && compgen -G "$WORK/bench-*.json" >/dev/null; then
  figures=$(node scripts/bench-summary.mjs "$OUT/bench.json" "$WORK"/bench-*.json 2>&1)
fi
gpu=$(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
table=$(printf '%s\n' "device-run on $DEVICE${gpu:+ ($gpu)}, $(date -u +%FT%TZ), ${SECONDS}s in all" "$(printf '%-22s %-14s %5s  %s' step status time 'last line')" "${SUMMARY[@]}" "" "$figures")
echo "$table" >"$OUT/summary.txt"
cat "$LOGS/env.log" "$LOGS/steps.log" "$LOGS"/unpack.log "$LOGS"/build.log "$LOGS"/addon.log >"$OUT/setup.log" 2>/dev/null
cp "$LOGS/tests.log" "$OUT/tests.log" 2>/dev/null
cat "$LOGS"/bench-*.log >"$OUT/bench.log" 2>/dev/null
cp "$LOGS/train.log" "$OUT/train.log" 2>/dev/null
cat "$LOGS"/synth-driving.log "$LOGS"/animate.log >"$OUT/animate.log" 2>/dev/null
tar -czf "$OUT/logs.tar.gz" -C "$WORK" logs 2>/dev/null
echo
echo "$table"
