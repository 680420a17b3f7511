#!/usr/bin/env bash
# Per-video paired comparisons behind the readings in docs/results.md (experiments/paired.mjs),
# from the JSON the table scripts wrote. Writes experiments/results/paired.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
R=experiments/results
node experiments/paired.mjs "$R/paired" \
  "$R/table3-reconstruction.json:DiME (full):FOMM:DiME vs FOMM, faces" \
  "$R/table3-animation.json:DiME (full):FOMM:DiME vs FOMM, faces" \
  "$R/table3-reconstruction.json:DiME (full):w/o refine:DiME vs w/o refine, faces" \
  "$R/table3-animation.json:DiME (full):w/o refine:DiME vs w/o refine, faces" \
  "$R/table3-reconstruction.json:DiME (full):w/o ID:DiME vs w/o ID, faces" \
  "$R/table3-animation.json:DiME (full):w/o ID:DiME vs w/o ID, faces" \
  "$R/table3-reconstruction.json:DiME (full):one-shot:DiME vs one-shot, faces" \
  "$R/table3-animation.json:DiME (full):one-shot:DiME vs one-shot, faces" \
  "$R/table2-bodies.json:DiME (full):FOMM:DiME vs FOMM, bodies (unseen)" \
  "$R/table2-shapes.json:DiME (full):FOMM:DiME vs FOMM, shapes (unseen)" \
  "$R/table4-reconstruction.json:N_ref = 6:N_ref = 1:6 vs 1 reference, full DiME (2000 steps)" \
  "$R/table4-animation.json:N_ref = 6:N_ref = 1:6 vs 1 reference, full DiME (2000 steps)" \
  "$R/table4-demo-reconstruction.json:N_ref = 6:N_ref = 1:6 vs 1 reference, demo model (5000 steps)" \
  "$R/table4-demo-animation.json:N_ref = 6:N_ref = 1:6 vs 1 reference, demo model (5000 steps)"
