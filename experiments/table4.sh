#!/usr/bin/env bash
# Table 4 of the paper (number of reference images at inference) on synth-faces 64 px: the full
# DiME of experiments/table3.sh (trained with 1 reference, 2000 steps) evaluated with 1 to 6
# references on the reconstruction and the animation task (references drawn with seed 0). Trains
# the full model first if experiments/table3.sh has not. Writes experiments/results/table4.md and
# table4-{reconstruction,animation}.{md,json}.
#   MODEL=demo experiments/table4.sh   the same on the shipped demo model (models/demo: the same
#                                      config, data and seed, 5000 steps), into table4-demo*
#   TASKS=reconstruction ...           only that task; PAIRS, DRIVING_FRAMES: see common.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/common.sh

if [ "${MODEL:-table3-full}" = demo ]; then
  ckpt=models/demo/step-005000.safetensors base="$RESULTS/table4-demo"
  model="the shipped demo model (models/demo: configs/synth-faces-64.yaml, the same data and seed 0, 5000 steps at batch 8, trained with num_refs 1)"
else
  train_variant table3-full
  ckpt="$WORK/runs/table3-full/checkpoints/step-$(printf '%06d' "$STEPS").safetensors" base="$RESULTS/table4"
  model="the full DiME of experiments/table3.sh ($STEPS steps, batch $BATCH, seed $SEED, trained with num_refs 1)"
fi
args=()
for n in 1 2 3 4 5 6; do args+=(--checkpoint "$ckpt" --name "N_ref = $n"); done

ensure_data faces
for task in ${TASKS:-reconstruction animation}; do
  evaluate "$base-$task" "$task" "$WORK/faces64" "${args[@]}" --refs 1,2,3,4,5,6
done

{
  echo "# Table 4 on synth-faces 64 px: references at inference"
  echo
  echo "Model: $model, evaluated on the 40 test videos of synth-faces 64 px with N_ref = 1..6 reference"
  echo "frames (evaluation seed 0). Each section says the command and wall time that produced it."
  section Reconstruction "$base-reconstruction"
  section Animation "$base-animation"
} > "$base.md"
cat "$base.md"
