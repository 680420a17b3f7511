// `dime bench animate`'s core on a short clip (one run, one thread): the frames-per-second and set-up
// figures are there and finite, the output clip has every frame, no tensor is left behind, and the
// memory children report a peak RSS that does not grow with the clip's length. No timing thresholds.
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

test("bench animate: figures finite, and peak memory of a 40-frame clip within 40 MiB of a 4-frame one's", SLOW, async () => {
  const threads = torch.getNumThreads();
  const config = configFor(tinyDimeParams({ num_refs: 1 }));
  const result: AnimateBenchResult = await benchAnimate({
    threads: [1],
    runs: 1,
    cases: [{ name: "tiny", config, frames: 8 }],
    memoryFrames: [4, 40],
  });
  assert.equal(torch.getNumThreads(), threads, "the thread count is restored");

  const json = JSON.parse(JSON.stringify(result)) as AnimateBenchResult;
  assert.equal(json.suite, "animate");
  assert.equal(json.figures.length, 1);
  const [figure] = json.figures;
  assert.deepEqual([figure.config, figure.size, figure.references, figure.threads, figure.frames], ["tiny", 64, 1, 1, 8]);
  assert.ok(Number.isFinite(figure.framesPerSecond) && figure.framesPerSecond > 0, `${figure.framesPerSecond}`);
  assert.ok(Number.isFinite(figure.setupMs) && figure.setupMs > 0, `${figure.setupMs}`);

  assert.deepEqual(
    json.memory.map((m) => m.frames),
    [4, 40],
  );
  const [short, long] = json.memory.map((m) => m.peakRssMiB);
  assert.ok(short > 50 && short < 4000, `peak RSS ${short} MiB`);
  assert.ok(long - short < 40, `peak RSS grew from ${short.toFixed(0)} to ${long.toFixed(0)} MiB with the clip's length`);
  assert.match(formatAnimateBench(result), /frames\/s/);
});
