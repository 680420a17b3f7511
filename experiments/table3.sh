#!/usr/bin/env bash
# Table 3 of the paper (ablations) plus the FOMM baseline on synth-faces 64 px: trains the five
# variants of experiments/configs/table3-*.yaml with the same data (experiments/work/faces64), steps
# (2000), batch (8) and seed (0), each only if its run folder lacks the finished checkpoint (an
# interrupted run resumes), then evaluates them side by side on the reconstruction and the animation
# task. Writes experiments/results/table3.md (everything), table3-{training,reconstruction,animation}.{md,json}.
#   experiments/table3.sh            train what is missing, then evaluate
#   TRAIN=0 experiments/table3.sh    evaluate the finished runs only (the others are listed as missing)
#   TASKS=reconstruction ...         only that task; PAIRS, DRIVING_FRAMES: see common.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/common.sh

VARIANTS=(table3-full table3-no-refine table3-no-id table3-one-shot table3-fomm)
LABELS=("DiME (full)" "w/o refine" "w/o ID" "one-shot" "FOMM")
begin=$SECONDS

if [ "${TRAIN:-1}" = 1 ]; then
  for v in "${VARIANTS[@]}"; do train_variant "$v"; done
fi
ensure_data faces
train_seconds=$((SECONDS - begin))

ckpts=() runs=() missing=()
for i in "${!VARIANTS[@]}"; do
  run="$WORK/runs/${VARIANTS[$i]}"
  runs+=("${LABELS[$i]}=$run")
  if finished "$run"; then ckpts+=(--checkpoint "$run/checkpoints/step-$(printf '%06d' "$STEPS").safetensors" --name "${LABELS[$i]}")
  else missing+=("${LABELS[$i]}"); fi
done
[ ${#ckpts[@]} -gt 0 ] || { echo "no finished run to evaluate" >&2; exit 1; }

node experiments/runs-table.mjs "$RESULTS/table3-training" "${runs[@]}"
for task in ${TASKS:-reconstruction animation}; do
  evaluate "$RESULTS/table3-$task" "$task" "$WORK/faces64" "${ckpts[@]}"
done

{
  echo "# Table 3 on synth-faces 64 px: ablations and FOMM"
  echo
  echo "Data: \`dime synth --kind faces --size 64 --videos 200 --seed 0\` (160 train / 40 test videos of 32"
  echo "frames, test identities held out). Budget per model: $STEPS steps, batch $BATCH, seed $SEED, --threads"
  echo "$THREADS, CPU. References at evaluation: each model's training num_refs (1 for full, w/o refine,"
  echo "w/o ID; 0 for one-shot and FOMM). Evaluation seed 0. Each section says the command and wall time"
  echo "that produced it."
  [ ${#missing[@]} -eq 0 ] || echo "Not finished at $STEPS steps when evaluated, so not in the tables: $(printf '%s, ' "${missing[@]}" | sed 's/, $//')."
  echo
  echo "## Training"
  echo
  echo "Training wall time of the last invocation: $(minutes "$train_seconds") (0 when the runs were already done)."
  echo "Training time below: the trainer's own clock over all sessions (runs-table.mjs)."
  echo
  cat "$RESULTS/table3-training.md"
  section Reconstruction "$RESULTS/table3-reconstruction"
  section Animation "$RESULTS/table3-animation"
} > "$RESULTS/table3.md"
cat "$RESULTS/table3.md"
