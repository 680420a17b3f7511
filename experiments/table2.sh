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

declare -A took
for kind in faces bodies shapes; do
  ensure_data "$kind"
  evaluate "$RESULTS/table2-$kind" reconstruction "$WORK/${kind}64" "${args[@]}"
  took[$kind]=$EVAL_SECONDS
done

{
  echo "# Table 2 analogue on the synthetic benchmark: trained on faces, tested on other categories"
  echo
  echo "Command: \`experiments/table2.sh\`. Models: the full DiME and FOMM of experiments/table3.sh"
  echo "($STEPS steps, batch $BATCH, seed $SEED, trained on synth-faces 64 px only), each with its training"
  echo "num_refs (1 and 0) references. Test sets: \`dime synth --kind K --size 64 --videos 200 --seed 0\`,"
  echo "the 40 test videos of each kind; reconstruction task, evaluation seed 0."
  echo
  echo "Wall time of this invocation: training $(minutes "$train_seconds") (0 when already trained),"
  echo "evaluation faces $(minutes "${took[faces]}"), bodies $(minutes "${took[bodies]}"), shapes $(minutes "${took[shapes]}")."
  for kind in bodies shapes faces; do
    echo
    case $kind in
      faces) echo "## faces (in domain, for comparison)" ;;
      *) echo "## $kind (unseen category)" ;;
    esac
    echo
    cat "$RESULTS/table2-$kind.md"
  done
} > "$RESULTS/table2.md"
cat "$RESULTS/table2.md"
