#!/usr/bin/env bash
# The paper's Table 3 (ablations) and Table 4 (references at inference) at the paper's settings, and
# the with/without-adversarial comparison, on synth-faces 64 px with standard errors over seeds.
# Models: experiments/configs/paper/*.yaml (experiments/paper-configs.ts writes them from
# configs/synth-faces-64.yaml): full DiME, w/o refine and w/o ID trained with three references (the
# paper's), one-shot, FOMM with and without Jacobians; `-adv` adds FOMM's adversarial terms. Every
# model: the same data, $STEPS steps, batch 8, the same schedule (x0.1 at 60% and 90%), seeds $SEEDS.
#
#   experiments/paper.sh table3        train what is missing (6 variants x seeds), evaluate, write
#                                      experiments/results/paper/table3.md (mean +- SE over seeds)
#   experiments/paper.sh table4        the full model's seeds with 1..6 references: table4.md
#   experiments/paper.sh adversarial   $ADV_VARIANTS with and without the adversarial terms: L1,
#                                      SSIM, sharpness, AKD, FD-synth, CSIM: adversarial.md
#   experiments/paper.sh train [NAMES] only train (NAMES: run names such as full-s0 full-adv-s1;
#                                      default: every run the three tables need)
#   experiments/paper.sh pack DIR      copy each finished run's last weights, sidecar, config and
#                                      logs (no optimizer state) to DIR/NAME, the layout the tables
#                                      read with RUNS=DIR: to bring runs back from a GPU machine
#
# Environment: STEPS (default 5000), SEEDS (default "0 1 2"), DEVICE (cpu | cuda, for train and
# eval), PARALLEL (training processes at once, one per run, default 1), THREADS (libtorch threads
# per process, default 1), TRAIN=0 (evaluate finished runs only), ADV_VARIANTS (default "full
# fomm-jacobians"), PAIRS and DRIVING_FRAMES (animation protocol, as common.sh); PAPER_OUT,
# PAPER_RUNS and PAPER_DATA move the results (experiments/results/paper), the run folders
# (experiments/work/paper) and the dataset (experiments/work/faces64), e.g. for a trial on a small set. Every run resumes
# where it stopped; finished runs and evaluations are not redone (delete their files to redo).
# Wall times go to experiments/results/paper/*.run.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/common.sh

STEPS=${STEPS_GIVEN:-5000}
SEEDS=${SEEDS:-0 1 2}
DEVICE=${DEVICE:-cpu}
PARALLEL=${PARALLEL:-1}
ADV_VARIANTS=${ADV_VARIANTS:-full fomm-jacobians}
TABLE3=(full no-refine no-id one-shot fomm-jacobians fomm-no-jacobians)
OUT=${PAPER_OUT:-$RESULTS/paper}
RUNS=${PAPER_RUNS:-$WORK/paper}
DATA=${PAPER_DATA:-$WORK/faces64}
mkdir -p "$OUT" "$RUNS"
export STEPS DEVICE THREADS RUNS DIME DATA

# train_run NAME (e.g. full-adv-s1): trains experiments/configs/paper/full-adv.yaml with seed 1 into
# $RUNS/NAME, or resumes it; a finished run is left alone. One process, its log in $RUNS/NAME.log.
train_run() {
  local name=$1 run="$RUNS/$1" variant=${1%-s*} seed=${1##*-s} start=$SECONDS
  [ -f "$run/checkpoints/step-$(printf '%06d' "$STEPS").json" ] && { echo "$name: finished"; return 0; }
  local common=(--data "$DATA" --out "$run" --steps "$STEPS" --threads "$THREADS" --device "$DEVICE"
    --checkpoint-every 500 --sample-every 1000 --keep 2)
  if [ -f "$run/config.yaml" ]; then
    nice -n 5 $DIME train "${common[@]}" --resume >>"$run.log" 2>&1
  else
    nice -n 5 $DIME train "${common[@]}" --config "experiments/configs/paper/$variant.yaml" --seed "$seed" >>"$run.log" 2>&1
  fi || { echo "$name: training failed, see $run.log" >&2; return 1; }
  echo "$name: trained in $((SECONDS - start)) s this session ($DEVICE)"
}
export -f train_run

# train_all NAME...: the runs, $PARALLEL at a time; records the wall time in $OUT/training.run.md.
train_all() {
  [ "${TRAIN:-1}" = 1 ] || return 0
  [ "$DATA" != "$WORK/faces64" ] || ensure_data faces
  local start=$SECONDS
  printf '%s\n' "$@" | xargs -P "$PARALLEL" -I{} bash -c 'train_run "$1"' _ {}
  echo "Training $# runs ($*): wall time $(minutes $((SECONDS - start))) this invocation, $PARALLEL at a time, DEVICE=$DEVICE, THREADS=$THREADS, finished $(date -u +%Y-%m-%dT%H:%MZ)." \
    >>"$OUT/training.run.md"
}

runs_of() { # runs_of VARIANT...: VARIANT-sSEED for every seed
  local v s
  for v in "$@"; do for s in $SEEDS; do echo "$v-s$s"; done; done
}

ckpt_of() { echo "$RUNS/$1/checkpoints/step-$(printf '%06d' "$STEPS").safetensors"; }

# eval_runs BASE TASK LABEL=RUN... [-- eval flags]: one dime eval of the finished runs among RUN
# (rows named LABEL) into BASE.{json,md}, unless BASE.json exists; BASE.run.md gets the wall time.
eval_runs() {
  local base=$1 task=$2 start=$SECONDS
  shift 2
  local args=() extra=() pair
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    pair=$1 && shift
    [ -f "$(ckpt_of "${pair#*=}")" ] && args+=(--checkpoint "$(ckpt_of "${pair#*=}")" --name "${pair%%=*}")
  done
  [ "${1:-}" = -- ] && shift && extra=("$@")
  [ -f "$base.json" ] && return 0
  [ ${#args[@]} -gt 0 ] || { echo "$base: no finished run to evaluate" >&2; return 0; }
  [ "$task" = animation ] && extra+=("${ANIMATION[@]}")
  nice -n 5 $DIME eval --task "$task" --data "$DATA" --seed 0 --threads "$THREADS" --device "$DEVICE" \
    --json "$base.json" --markdown "$base.md" "${args[@]}" "${extra[@]}" >/dev/null
  echo "Evaluation: $task, wall time $(minutes $((SECONDS - start))), DEVICE=$DEVICE, finished $(date -u +%Y-%m-%dT%H:%MZ). $([ "$task" = animation ] && echo "$ANIMATION_NOTE")" >"$base.run.md"
  echo "$base: evaluated"
}

# floor: the source-frame floor (dime reconstruct's l1Source on the test videos), once.
floor() {
  [ -f "$OUT/floor.json" ] && return 0
  local first
  first=$(for n in $(runs_of full); do [ -f "$(ckpt_of "$n")" ] && echo "$n" && break; done || true)
  [ -n "$first" ] || return 0
  nice -n 5 $DIME reconstruct --checkpoint "$(ckpt_of "$first")" --data "$DATA" --seed 0 --no-videos \
    --device "$DEVICE" --out "$RUNS/floor" >/dev/null
  node -e 'const r = require(process.argv[1]); console.log(JSON.stringify({ l1_source_frame: r.mean.l1Source, videos: r.videos.length }))' \
    "$(realpath "$RUNS/floor/reconstruction.json")" >"$OUT/floor.json"
}

# seeded_table NAME VARIANT...: trains what is missing of the variants' runs, evaluates them side by
# side for each seed and task into $OUT/NAME-TASK-sSEED, then writes $OUT/NAME.md (mean +- SE over
# seeds, the floor beside them).
seeded_table() {
  local name=$1 s task v
  shift
  mapfile -t names < <(runs_of "$@")
  train_all "${names[@]}"
  for s in $SEEDS; do
    for task in ${TASKS:-reconstruction animation}; do
      eval_runs "$OUT/$name-$task-s$s" "$task" $(for v in "$@"; do echo "$v=$v-s$s"; done)
    done
  done
  floor
  node experiments/seeds-table.mjs "$name" "$OUT" "$STEPS" "$SEEDS" "$(IFS=,; echo "$*")"
}

table=${1:-table3}
[ $# -gt 0 ] && shift
case $table in
  train)
    if [ $# -gt 0 ]; then train_all "$@"; else
      # The adversarial comparison's runs first (the smallest set that answers a question), then Table 3's.
      mapfile -t all < <(runs_of $(for v in $ADV_VARIANTS; do echo "$v $v-adv"; done) $(for v in "${TABLE3[@]}"; do [[ " $ADV_VARIANTS " == *" $v "* ]] || echo "$v"; done))
      train_all "${all[@]}"
    fi
    ;;
  pack)
    [ $# -eq 1 ] || { echo "usage: experiments/paper.sh pack DIR" >&2; exit 2; }
    stem=step-$(printf '%06d' "$STEPS")
    for run in "$RUNS"/*/; do
      name=$(basename "$run")
      [ -f "$run/checkpoints/$stem.json" ] || continue
      mkdir -p "$1/$name/checkpoints"
      cp "$run/config.yaml" "$run/log.jsonl" "$1/$name/"
      cp "$run/checkpoints/$stem.json" "$run/checkpoints/$stem.safetensors" "$1/$name/checkpoints/"
      [ -f "$RUNS/$name.log" ] && cp "$RUNS/$name.log" "$1/"
      [ -f "$run/checkpoints/$stem.discriminator.safetensors" ] && cp "$run/checkpoints/$stem.discriminator.safetensors" "$1/$name/checkpoints/"
    done
    cp "$OUT/training.run.md" "$1/" 2>/dev/null || true
    echo "packed the finished runs of $RUNS into $1 ($(du -sh "$1" | cut -f1))"
    ;;
  table3)
    seeded_table table3 "${TABLE3[@]}"
    ;;
  table4)
    mapfile -t names < <(runs_of full)
    train_all "${names[@]}"
    for s in $SEEDS; do
      for task in ${TASKS:-reconstruction animation}; do
        refs=() && for n in 1 2 3 4 5 6; do refs+=("N_ref = $n=full-s$s"); done
        eval_runs "$OUT/table4-$task-s$s" "$task" "${refs[@]}" -- --refs 1,2,3,4,5,6
      done
    done
    floor
    node experiments/seeds-table.mjs table4 "$OUT" "$STEPS" "$SEEDS" "N_ref = 1,N_ref = 2,N_ref = 3,N_ref = 4,N_ref = 5,N_ref = 6"
    ;;
  adversarial)
    variants=() && for v in $ADV_VARIANTS; do variants+=("$v" "$v-adv"); done
    seeded_table adversarial "${variants[@]}"
    ;;
  *)
    echo "usage: experiments/paper.sh table3|table4|adversarial|train [RUN...]|pack DIR" >&2
    exit 2
    ;;
esac
