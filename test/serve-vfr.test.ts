// The web app's file job with a variable-frame-rate driving clip: the result and the side-by-side
// view keep each driving frame at its time, as `dime animate` does (test/reliability-cli.test.ts),
// and the job reports the video's real length.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { writeImage } from "../src/media/image-write.js";
import { probeMedia } from "../src/media/probe.js";
import { runAnimation } from "../src/serve/job-run.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { SLOW } from "./helpers/tier.js";
import { frameTimes, makeVfrClip } from "./helpers/vfr-clip.js";
import { faceFrames, SIZE } from "./infer-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-serve-vfr-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a file job with a variable-rate driving clip keeps each frame at its time in both videos", SLOW, async () => {
  const clip = join(dir, "phone.mp4");
  makeVfrClip(clip);
  const input = (await probeMedia(clip)).variableRate;
  assert.ok(input, "the clip has a variable rate");
  const source = join(dir, "source.png");
  await writeImage(source, faceFrames(1, 2)[0]);
  torch.manualSeed(0);
  const model = new DiME(tinyDimeParams({ num_refs: 0 }));
  const before = torch.memory().numTensors;
  const out = { video: join(dir, "result.mp4"), sideBySide: join(dir, "side.mp4") };
  const result = await runAnimation(
    {
      model,
      size: { width: SIZE, height: SIZE },
      source,
      references: [],
      driving: clip,
      mode: "relative",
      adaptScale: false,
      findBestFrame: false,
      batch: 8,
    },
    out,
    new AbortController().signal,
    () => {},
  );
  assert.equal(torch.memory().numTensors, before, "no tensor left alive");
  model.dispose();

  assert.equal(result.frames, 60);
  // The fastest part of the clip sets the constant rate (media/timing.ts, outputRateFor).
  assert.equal(result.fps, "30/1");
  assert.ok(Math.abs(result.duration - input.end) <= 1 / 30 + 1e-6, `job says ${result.duration} s, input ${input.end} s`);
  for (const path of [out.video, out.sideBySide]) {
    const times = frameTimes(path);
    // Every input frame's time is the start of an output frame, to half a frame at 30 fps.
    for (const t of input.timestamps)
      assert.ok(
        times.some((time) => Math.abs(time - t) <= 1 / 60 + 1e-6),
        `${path}: no frame starts near ${t.toFixed(3)} s`,
      );
    const written = await probeMedia(path);
    assert.ok(Math.abs(written.duration - input.end) <= 1 / 30 + 1e-6, `${path}: ${written.duration} s, input ${input.end} s`);
    assert.ok(Math.abs(written.duration - result.duration) <= 1e-6, `${path}: ${written.duration} s, job says ${result.duration} s`);
  }
});
