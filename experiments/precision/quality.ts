// The quality cost of lower precision (docs/precision.md): a checkpoint's reconstruction of every
// test video (src/eval/reconstruction.ts: source = frame 0, references drawn with the seed, every
// frame driving) in fp32 and in each other precision; per precision the reconstruction L1 against
// the real frames, and the largest and mean |output - fp32 output| over every pixel, and the
// largest keypoint difference.
//
//   node --import tsx experiments/precision/quality.ts --checkpoint models/demo --data DIR
//        [--precisions bf16] [--limit N] [--threads 2] [--json FILE]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import * as torch from "../../src/torch/index.js";
import type { Precision, Tensor } from "../../src/torch/index.js";
import { listVideos } from "../../src/data/layout.js";
import { reconstructVideo } from "../../src/eval/reconstruction.js";
import { loadModel } from "../../src/infer/model.js";
import { machineInfo } from "../../src/bench/machine.js";

const { values } = parseArgs({
  options: {
    checkpoint: { type: "string", default: "models/demo" },
    data: { type: "string" },
    precisions: { type: "string", default: "bf16" },
    limit: { type: "string" },
    threads: { type: "string", default: "2" },
    json: { type: "string" },
  },
});
if (!values.data) throw new Error("--data DIR (a dataset with test/) is required");
torch.setNumThreads(Number(values.threads));
const precisions = values.precisions.split(",") as Precision[];
const loaded = loadModel(values.checkpoint);
const videos = (await listVideos(values.data, "test")).slice(0, values.limit ? Number(values.limit) : undefined);

interface Sums {
  l1: number;
  maxDiff: number;
  sumDiff: number;
  maxKpDiff: number;
  seconds: number;
}
const sums = new Map<Precision, Sums>(
  ["fp32" as Precision, ...precisions].map((p) => [p, { l1: 0, maxDiff: 0, sumDiff: 0, maxKpDiff: 0, seconds: 0 }]),
);
let pixels = 0;
let frames = 0;
for (const [v, video] of videos.entries()) {
  // fp32 first: its outputs (kept) are what the others are compared with.
  const reference: { prediction: Tensor; kp: Tensor }[] = [];
  for (const precision of ["fp32" as Precision, ...precisions]) {
    const s = sums.get(precision)!;
    const started = performance.now();
    let batchIndex = 0;
    for await (const batch of reconstructVideo(loaded.model, video, loaded.size, { precision })) {
      torch.tidy(() => {
        s.l1 += batch.prediction.sub(batch.driving).abs().sum().item();
        if (precision === "fp32") {
          reference.push(torch.keep({ prediction: batch.prediction.clone(), kp: batch.kpDriving.clone() }));
          pixels += batch.prediction.numel;
          frames += batch.prediction.size(0);
        } else {
          const ref = reference[batchIndex];
          const diff = batch.prediction.sub(ref.prediction).abs();
          s.maxDiff = Math.max(s.maxDiff, diff.amax().item());
          s.sumDiff += diff.sum().item();
          s.maxKpDiff = Math.max(s.maxKpDiff, batch.kpDriving.sub(ref.kp).abs().amax().item());
        }
      });
      batchIndex++;
    }
    s.seconds += (performance.now() - started) / 1000;
  }
  torch.dispose(reference);
  process.stderr.write(`\r  ${v + 1}/${videos.length} videos`);
}
process.stderr.write("\n");
const rows = [...sums].map(([precision, s]) => ({
  precision,
  reconstructionL1: s.l1 / pixels,
  maxAbsDiffFromFp32: s.maxDiff,
  meanAbsDiffFromFp32: s.sumDiff / pixels,
  maxKeypointDiffFromFp32: s.maxKpDiff,
  framesPerSecond: frames / s.seconds,
}));
const result = {
  checkpoint: loaded.path,
  data: values.data,
  videos: videos.length,
  frames,
  threads: torch.getNumThreads(),
  cpuHasNativeBf16: torch.cpuHasNativeBf16(),
  machine: machineInfo(),
  date: new Date().toISOString(),
  rows,
};
console.log(JSON.stringify(rows, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
loaded.model.dispose();
