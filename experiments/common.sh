# Shared by experiments/table*.sh: the data sets, the training budget and resumable training.
# Sourced, not run. Paths are relative to the repository root (the scripts cd there).

DIME="node bin/dime.js"
WORK=experiments/work
RESULTS=experiments/results
# The budget of every Table 3 run (the shipped demo model trains 5000 steps; these are shorter,
# to fit five runs on two shared CPU cores).
STEPS_GIVEN=${STEPS:-}
STEPS=${STEPS:-2000}
BATCH=8
SEED=0
THREADS=${THREADS:-1}

mkdir -p "$WORK" "$RESULTS"

# ensure_data KIND: experiments/work/KIND64, 200 videos (160 train / 40 test, whole identities
# held out), 64 px, seed 0. /work/data/faces64 was made by this very command; a copy is reused
# when it exists (same seed, same bytes: docs/synth.md), else the set is generated.
ensure_data() {
  local kind=$1 dir="$WORK/${1}64"
  [ -f "$dir/synth.json" ] && return 0
  if [ -f "/work/data/${kind}64/synth.json" ] && grep -q '"videos": 200' "/work/data/${kind}64/synth.json" \
     && grep -q '"seed": 0,' "/work/data/${kind}64/synth.json"; then
    ln -sfn "/work/data/${kind}64" "$dir"
    return 0
  fi
  $DIME synth --kind "$kind" --out "$dir" --size 64 --videos 200 --seed 0
}

# finished RUN: true when RUN has the complete checkpoint of step $STEPS (sidecar written last).
finished() {
  [ -f "$1/checkpoints/step-$(printf '%06d' "$STEPS").json" ]
}

# train_variant NAME: trains experiments/configs/NAME.yaml on faces64 into experiments/work/runs/NAME
# for $STEPS steps at batch 8, seed 0, --threads $THREADS; resumes an interrupted run; does nothing
# when the run is finished. Logs to experiments/work/runs/NAME.log.
train_variant() {
  local name=$1 run="$WORK/runs/$1"
  finished "$run" && { echo "$name: finished ($run)"; return 0; }
  ensure_data faces
  mkdir -p "$WORK/runs"
  local start=$SECONDS
  if [ -f "$run/config.yaml" ]; then
    nice -n 5 $DIME train --data "$WORK/faces64" --out "$run" --resume --steps "$STEPS" --threads "$THREADS" \
      >>"$run.log" 2>&1
  else
    nice -n 5 $DIME train --config "experiments/configs/$name.yaml" --data "$WORK/faces64" --out "$run" \
      --steps "$STEPS" --batch-size "$BATCH" --seed "$SEED" --threads "$THREADS" >>"$run.log" 2>&1
  fi || { echo "$name: training failed, see $run.log" >&2; return 1; }
  echo "$name: trained in $((SECONDS - start)) s this session"
}

# evaluate BASE TASK DATA [dime eval flags...]: `dime eval` (every metric it has; the missing ones
# print as unavailable with the reason) at seed 0 on DATA/test, written to BASE.json and BASE.md;
# the animation task follows ANIMATION (below). BASE.run.md gets the command ($CMD, set by the
# calling script), the wall time and the animation protocol. Sets EVAL_SECONDS to the wall time.
evaluate() {
  local base=$1 task=$2 data=$3 start=$SECONDS
  shift 3
  local extra=()
  [ "$task" = animation ] && extra=("${ANIMATION[@]}")
  nice -n 5 $DIME eval --task "$task" --data "$data" --seed 0 --threads "$THREADS" \
    --json "$base.json" --markdown "$base.md" "${extra[@]}" "$@"
  EVAL_SECONDS=$((SECONDS - start))
  {
    echo "Command: \`$CMD\`; evaluation wall time $(minutes "$EVAL_SECONDS"), finished $(date -u +%Y-%m-%dT%H:%MZ)."
    if [ "$task" = animation ]; then echo "$ANIMATION_NOTE"; fi
  } > "$base.run.md"
  echo "$base: $task evaluated in $EVAL_SECONDS s"
}

# minutes SECONDS: "12.3 min"
minutes() { awk -v s="$1" 'BEGIN { printf "%.1f min", s / 60 }'; }

# The animation protocol: the paper's 200 source/driving pairs over every driving frame, unless
# PAIRS / DRIVING_FRAMES say fewer (stated in each table's header through ANIMATION_NOTE).
PAIRS_GIVEN=${PAIRS:-}
PAIRS=${PAIRS:-200}
ANIMATION=(--pairs "$PAIRS")
ANIMATION_NOTE="Animation: $PAIRS source/driving pairs of different identities (seed 0), relative motion"
if [ -n "${DRIVING_FRAMES:-}" ]; then
  ANIMATION+=(--driving-frames "$DRIVING_FRAMES")
  ANIMATION_NOTE+=", the first $DRIVING_FRAMES frames of each driving video"
else
  ANIMATION_NOTE+=", every driving frame"
fi
ANIMATION_NOTE+="."
# The command line as it was given (the environment that matters, then the script).
CMD="${MODEL:+MODEL=$MODEL }${TRAIN:+TRAIN=$TRAIN }${TASKS:+TASKS=\"$TASKS\" }${PAIRS_GIVEN:+PAIRS=$PAIRS }${DRIVING_FRAMES:+DRIVING_FRAMES=$DRIVING_FRAMES }${STEPS_GIVEN:+STEPS=$STEPS }experiments/$(basename "$0")"

# section TITLE BASE: a markdown section with BASE.run.md and BASE.md (nothing when BASE.md is missing).
section() {
  [ -f "$2.md" ] || return 0
  echo
  echo "## $1"
  echo
  if [ -f "$2.run.md" ]; then cat "$2.run.md"; echo; fi
  cat "$2.md"
}
