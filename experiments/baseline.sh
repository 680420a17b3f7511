#!/usr/bin/env bash
# The trivial answer "every frame = the source frame" on the reconstruction task, for the test
# videos of faces, bodies and shapes (64 px, seed 0): the floor any model must beat. Taken from
# `dime reconstruct` (its l1Source; the model's own L1 is printed beside it as a cross-check of
# dime eval's). Uses the full DiME of experiments/table3.sh (1 reference, seed 0).
# Writes experiments/results/baseline.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/common.sh

ckpt="$WORK/runs/table3-full/checkpoints/step-$(printf '%06d' "$STEPS").safetensors"
[ -f "$ckpt" ] || { echo "train the full model first: experiments/table3.sh" >&2; exit 1; }
start=$SECONDS
for kind in faces bodies shapes; do
  ensure_data "$kind"
  nice -n 5 $DIME reconstruct --checkpoint "$ckpt" --data "$WORK/${kind}64" --refs 1 --seed 0 --no-videos \
    --out "$WORK/reconstruct-$kind" >/dev/null
done
node --input-type=module - "$RESULTS/baseline" "$WORK" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
const [base, work] = process.argv.slice(2);
const rows = ["faces", "bodies", "shapes"].map((kind) => {
  const r = JSON.parse(readFileSync(`${work}/reconstruct-${kind}/reconstruction.json`, "utf8"));
  return { kind, videos: r.videos.length, l1_source_frame: r.mean.l1Source, l1_full_dime: r.mean.l1 };
});
const md = ["| test set | videos | L1 of the source frame | L1 of DiME (full), dime reconstruct |", "|---|---:|---:|---:|",
  ...rows.map((r) => `| ${r.kind} | ${r.videos} | ${r.l1_source_frame.toFixed(4)} | ${r.l1_full_dime.toFixed(4)} |`), ""].join("\n");
writeFileSync(`${base}.md`, md);
writeFileSync(`${base}.json`, JSON.stringify(rows, null, 2) + "\n");
console.log(md);
JS
echo "baseline: $((SECONDS - start)) s"
