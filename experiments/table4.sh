#!/usr/bin/env bash
# Table 4 of the paper (number of reference images at inference) on synth-faces 64 px: the full
# DiME of experiments/table3.sh (trained with 1 reference, 2000 steps) evaluated with 1 to 6
# references on the reconstruction and the animation task (references drawn with seed 0). Trains
# the full model first if experiments/table3.sh has not. Writes experiments/results/table4.md and
# table4-{reconstruction,animation}.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/common.sh

begin=$SECONDS
train_variant table3-full
train_seconds=$((SECONDS - begin))
ckpt="$WORK/runs/table3-full/checkpoints/step-$(printf '%06d' "$STEPS").safetensors"
args=()
for n in 1 2 3 4 5 6; do args+=(--checkpoint "$ckpt" --name "N_ref = $n"); done

evaluate "$RESULTS/table4-reconstruction" reconstruction "$WORK/faces64" "${args[@]}" --refs 1,2,3,4,5,6
recon_seconds=$EVAL_SECONDS
evaluate "$RESULTS/table4-animation" animation "$WORK/faces64" "${args[@]}" --refs 1,2,3,4,5,6
anim_seconds=$EVAL_SECONDS

{
  echo "# Table 4 on synth-faces 64 px: references at inference"
  echo
  echo "Command: \`experiments/table4.sh\`. Model: the full DiME of experiments/table3.sh ($STEPS steps, batch"
  echo "$BATCH, seed $SEED, trained with num_refs 1), evaluated on the 40 test videos of synth-faces 64 px"
  echo "with N_ref = 1..6 reference frames (evaluation seed 0)."
  echo
  echo "Wall time of this invocation: training $(minutes "$train_seconds") (0 when already trained),"
  echo "reconstruction $(minutes "$recon_seconds"), animation $(minutes "$anim_seconds")."
  echo
  echo "## Reconstruction"
  echo
  cat "$RESULTS/table4-reconstruction.md"
  echo
  echo "## Animation"
  echo
  cat "$RESULTS/table4-animation.md"
} > "$RESULTS/table4.md"
cat "$RESULTS/table4.md"
