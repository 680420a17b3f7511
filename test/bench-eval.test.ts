// `dime bench eval`'s core on the smallest split it makes (one test video of two frames, one thread):
// every reconstruction metric runs and is timed, the figures add up, the thread count is restored
// and no tensor is left behind. No timing thresholds.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { benchEval, formatEvalBench, type EvalBenchResult } from "../src/bench/eval.js";
import { taskColumns } from "../src/eval/columns.js";
import { SLOW } from "./helpers/tier.js";

test("bench eval: every reconstruction metric is computed and timed, and the stages add up to the run", SLOW, async () => {
  const threads = torch.getNumThreads();
  const before = torch.memory().numTensors;
  const result: EvalBenchResult = JSON.parse(JSON.stringify(await benchEval({ threads: [1], videos: 1, frames: 2 })));
  assert.equal(torch.getNumThreads(), threads, "the thread count is restored");
  assert.equal(torch.memory().numTensors, before, "no tensor outlives the benchmark");

  assert.equal(result.suite, "eval");
  assert.deepEqual([result.size, result.videos, result.figures.length], [64, 1, 1]);
  const [figure] = result.figures;
  assert.equal(figure.frames, 2);
  assert.ok(Number.isFinite(figure.framesPerSecond) && figure.framesPerSecond > 0, `${figure.framesPerSecond}`);
  assert.ok(figure.protocolFramesPerSecond > figure.framesPerSecond, "the protocol alone is faster than the protocol with every metric");

  // Every column of a synthetic reconstruction table has a value (random LPIPS/Inception weights
  // give meaningless but finite ones) and its own stage time.
  for (const key of taskColumns("reconstruction", true)) {
    const metric = figure.metrics[key];
    assert.ok(metric && typeof metric.value === "number" && Number.isFinite(metric.value), `${key}: ${JSON.stringify(metric)}`);
  }
  const stages = new Set(figure.stages.map((s) => s.stage));
  for (const stage of ["protocol", "l1", "psnr", "ssim", "msSsim", "lpips", "akd"])
    assert.ok(stages.has(stage), `no "${stage}" stage in ${[...stages].join(", ")}`);
  assert.ok(
    [...stages].some((s) => /^fid/i.test(s)),
    `no FID stage in ${[...stages].join(", ")}`,
  );

  const total = figure.stages.reduce((sum, s) => sum + s.ms, 0);
  assert.ok(
    Math.abs(total / 1000 - figure.seconds) < 1e-6 * Math.max(1, figure.seconds),
    `stages sum to ${total} ms, the run took ${figure.seconds} s`,
  );
  for (const s of figure.stages)
    assert.ok(s.ms >= 0 && Math.abs(s.msPerFrame * figure.frames - s.ms) < 1e-6, `${s.stage}: ${s.ms} ms, ${s.msPerFrame} ms/frame`);
  assert.match(formatEvalBench(result), /frames\/s with every metric/);
});
