#!/usr/bin/env bash
# A Table 2 analogue (model generality, zero-shot transfer to unseen categories) on the synthetic
# benchmark: the full DiME and the FOMM baseline of experiments/table3.sh, trained on synth-faces
# 64 px only, tested on the test videos of synth-bodies and synth-shapes (reconstruction task, as
# the paper's Table 2), and for comparison on the faces they were trained for. Trains the two
# models first if experiments/table3.sh has not. Writes experiments/results/table2.md and
# table2-{faces,bodies,shapes}.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/common.sh

begin=$SECONDS
train_variant table3-full
train_variant table3-fomm
train_seconds=$((SECONDS - begin))
ckpt() { echo "$WORK/runs/$1/checkpoints/step-$(printf '%06d' "$STEPS").safetensors"; }
args=(--checkpoint "$(ckpt table3-full)" --name "DiME (full)" --checkpoint "$(ckpt table3-fomm)" --name "FOMM")

for kind in ${KINDS:-bodies shapes faces}; do
  ensure_data "$kind"
  evaluate "$RESULTS/table2-$kind" reconstruction "$WORK/${kind}64" "${args[@]}"
done

{
  echo "# Table 2 analogue on the synthetic benchmark: trained on faces, tested on other categories"
  echo
  echo "Models: the full DiME and FOMM of experiments/table3.sh ($STEPS steps, batch $BATCH, seed $SEED,"
  echo "trained on synth-faces 64 px only), each with its training num_refs (1 and 0) references. Test"
  echo "sets: \`dime synth --kind K --size 64 --videos 200 --seed 0\`, the 40 test videos of each kind;"
  echo "reconstruction task, evaluation seed 0. Training wall time of this invocation: $(minutes "$train_seconds")"
  echo "(0 when already trained). Each section says the command and wall time that produced it."
  section "bodies (unseen category)" "$RESULTS/table2-bodies"
  section "shapes (unseen category)" "$RESULTS/table2-shapes"
  section "faces (the training category, for comparison)" "$RESULTS/table2-faces"
} > "$RESULTS/table2.md"
cat "$RESULTS/table2.md"
