// `dime bench animate`'s core on a short clip (one run, one thread): the frames-per-second and set-up
// figures are there and finite, the output clip has every frame, no tensor is left behind, and the
// memory children (one per case and clip length) report a peak RSS that does not grow with the
// clip's length, RSS along the way and no tensor left alive. No timing thresholds.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { animateClip, benchAnimate, formatAnimateBench, testClip, type AnimateBenchResult } from "../src/bench/animate.js";
import { probeMedia } from "../src/media/probe.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { configFor } from "./infer-fixtures.js";
import { SLOW } from "./helpers/tier.js";
import { autoBatch } from "../src/infer/batch-size.js";

test("animateClip writes one output frame per frame of the test clip and frees its tensors", SLOW, async () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-bench-animate-"));
  try {
    testClip(join(dir, "clip.mp4"), 11, 64);
    assert.equal((await probeMedia(join(dir, "clip.mp4"))).frameCount, 11);
    const config = configFor(tinyDimeParams({ num_refs: 2 }));
    const model = new DiME(config.model_params).eval();
    const before = torch.memory().numTensors;
    const written = await animateClip(model, config, join(dir, "clip.mp4"), join(dir, "out.mp4"));
    assert.equal(torch.memory().numTensors, before);
    model.dispose();
    assert.equal(written, 11);
    assert.equal((await probeMedia(join(dir, "out.mp4"))).frameCount, 11);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "bench animate: figures finite, batches auto and given, and peak memory of a 40-frame clip within 40 MiB of a 4-frame one's",
  SLOW,
  async () => {
    const threads = torch.getNumThreads();
    const config = configFor(tinyDimeParams({ num_refs: 1 }));
    const result: AnimateBenchResult = await benchAnimate({
      threads: [1],
      runs: 1,
      cases: [
        { name: "tiny", config, frames: 8 },
        { name: "tiny", config, frames: 8, precision: "bf16", batch: 3 },
      ],
      memoryFrames: [4, 40],
    });
    assert.equal(torch.getNumThreads(), threads, "the thread count is restored");

    const json = JSON.parse(JSON.stringify(result)) as AnimateBenchResult;
    assert.equal(json.suite, "animate");
    assert.deepEqual(
      json.figures.map((f) => [f.config, f.size, f.references, f.threads, f.frames, f.precision, f.batch, f.autoBatch]),
      [
        ["tiny", 64, 1, 1, 8, "fp32", autoBatch({ width: 64, height: 64 }, "cpu"), true],
        ["tiny", 64, 1, 1, 8, "bf16", 3, false],
      ],
    );
    for (const figure of json.figures) {
      assert.ok(Number.isFinite(figure.framesPerSecond) && figure.framesPerSecond > 0, `${figure.framesPerSecond}`);
      assert.ok(
        figure.bestFramesPerSecond >= figure.framesPerSecond,
        `best ${figure.bestFramesPerSecond} >= median ${figure.framesPerSecond}`,
      );
      assert.ok(Number.isFinite(figure.setupMs) && figure.setupMs > 0, `${figure.setupMs}`);
    }

    // Each case ran the memory child for both lengths, at its own precision and batch.
    assert.deepEqual(
      json.memory.map((m) => [m.precision, m.batch, m.frames, m.size, m.threads]),
      [
        ["fp32", autoBatch({ width: 64, height: 64 }, "cpu"), 4, 64, 1],
        ["fp32", autoBatch({ width: 64, height: 64 }, "cpu"), 40, 64, 1],
        ["bf16", 3, 4, 64, 1],
        ["bf16", 3, 40, 64, 1],
      ],
    );
    for (const [short, long] of [json.memory.slice(0, 2), json.memory.slice(2, 4)]) {
      assert.ok(short.peakRssMiB > 50 && short.peakRssMiB < 4000, `peak RSS ${short.peakRssMiB} MiB`);
      assert.ok(short.baselineRssMiB > 0 && short.baselineRssMiB <= short.peakRssMiB, `baseline ${short.baselineRssMiB} MiB`);
      assert.ok(
        long.peakRssMiB - short.peakRssMiB < 40,
        `peak RSS grew from ${short.peakRssMiB.toFixed(0)} to ${long.peakRssMiB.toFixed(0)} MiB with the clip's length`,
      );
      // RSS every tenth of the 40 frames (4, 8, ..., 40), and no tensor left alive by the job.
      assert.deepEqual(
        long.rssByFrame.map((r) => r.frames),
        [4, 8, 12, 16, 20, 24, 28, 32, 36, 40],
      );
      assert.ok(long.rssByFrame.every((r) => r.rssMiB > 0 && r.rssMiB <= long.peakRssMiB + 1));
      assert.equal(long.leakedTensors, 0);
      assert.equal(short.leakedTensors, 0);
      assert.ok(long.tensorMiB >= 0 && long.framesPerSecond > 0);
    }
    const text = formatAnimateBench(result);
    assert.match(text, /frames\/s/);
    assert.match(text, /peak RSS, tiny bf16 batch 3, 64 px, 1 thr: 4 frames .*, 40 frames .*; growth -?\d+ MiB/);
  },
);
