// The pieces a person reads during training: flow colours (hue = direction, saturation =
// magnitude), the sample picture's layout, and the progress line.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";

import { colourFlow, gridDisplacement, largestMagnitude } from "../src/train/flow-colour.js";
import { sampleSheet, type SampleData } from "../src/train/samples.js";
import { formatDuration, formatProgress, ProgressBar } from "../src/util/progress.js";
import type { StepRecord } from "../src/train/log.js";

/** The identity sampling grid (h, w, 2) plus a constant displacement. */
function shiftedGrid(h: number, w: number, dx: number, dy: number): Float32Array {
  const grid = new Float32Array(h * w * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      grid[(y * w + x) * 2] = (2 * x) / (w - 1) - 1 + dx;
      grid[(y * w + x) * 2 + 1] = (2 * y) / (h - 1) - 1 + dy;
    }
  }
  return grid;
}

test("a sampling grid's displacement is the grid minus the identity", () => {
  const d = gridDisplacement(shiftedGrid(3, 4, 0.25, -0.5), 3, 4);
  for (let i = 0; i < d.length; i += 2)
    assert.deepEqual(
      [d[i], d[i + 1]].map((v) => Math.round(v * 1e6) / 1e6),
      [0.25, -0.5],
    );
  assert.equal(largestMagnitude(d).toFixed(6), Math.hypot(0.25, 0.5).toFixed(6));
});

test("flow colours: no motion is white, direction is hue, length over the scale is saturation", () => {
  const colour = (dx: number, dy: number, scale = 1) => [...colourFlow(new Float32Array([dx, dy]), scale)];
  assert.deepEqual(colour(0, 0), [255, 255, 255]);
  assert.deepEqual(colour(1, 0), [255, 0, 0], "right: red");
  assert.deepEqual(colour(-1, 0), [0, 255, 255], "left: cyan");
  assert.deepEqual(colour(0, -1), [128, 0, 255], "up (y down): violet");
  assert.deepEqual(colour(0.5, 0), [255, 128, 128], "half the scale: half saturated");
  assert.deepEqual(colour(3, 0), [255, 0, 0], "past the scale: clamped");
});

/** A 2-row sample at 8 px: one reference, 2 keypoints, 4x4 motion, made of constant parts. */
function fakeSample(confidence: boolean): SampleData {
  const [rows, size, refs, views, kp, motion] = [2, 8, 1, 2, 2, 4];
  const frames = (value: number, n = rows) => new Float32Array(n * 3 * size * size).fill(value);
  const flow = new Float32Array(rows * views * motion * motion * 2);
  for (let i = 0; i < rows * views; i++) flow.set(shiftedGrid(motion, motion, 0.5, 0), i * motion * motion * 2);
  return {
    rows,
    height: size,
    width: size,
    refs,
    numKp: kp,
    motionHeight: motion,
    motionWidth: motion,
    source: frames(0.2),
    driving: frames(0.4),
    prediction: frames(0.6),
    references: frames(0.8, rows * refs),
    kpSource: new Float32Array([-1, -1, 1, 1, -1, -1, 1, 1]),
    kpDriving: new Float32Array([0, 0, 0, 0, 0, 0, 0, 0]),
    coarseFlow: flow,
    refinedFlow: flow,
    ...(confidence ? { confidence: new Float32Array(rows * views * motion * motion).fill(0.5) } : {}),
  };
}

test("the sample picture: one row per item, columns in the documented order", () => {
  const pic = sampleSheet(fakeSample(true));
  // 8 px cells scaled x16 to 128; columns: source, reference, driving, output, source+kp,
  // driving+kp, then coarse, refined, confidence for each of the 2 views.
  const [cell, gap, cols] = [128, 2, 6 + 2 * 3];
  assert.deepEqual([pic.width, pic.height], [cols * cell + (cols + 1) * gap, 2 * cell + 3 * gap]);
  const at = (col: number, row: number, dx = cell / 2, dy = cell / 2) => {
    const o = ((gap + row * (cell + gap) + dy) * pic.width + gap + col * (cell + gap) + dx) * 3;
    return [...pic.rgb.subarray(o, o + 3)];
  };
  assert.deepEqual(at(0, 1), [51, 51, 51], "source");
  assert.deepEqual(at(1, 1), [204, 204, 204], "reference");
  assert.deepEqual(at(2, 1), [102, 102, 102], "driving");
  assert.deepEqual(at(3, 1), [153, 153, 153], "output");
  assert.notDeepEqual(at(5, 0), [102, 102, 102], "a keypoint dot at the centre of driving+kp");
  assert.deepEqual(at(5, 0, 5, 5), [102, 102, 102], "the frame elsewhere");
  assert.deepEqual(at(4, 0, 7, 7), [255, 38, 38], "the first keypoint's red dot at source+kp's top-left pixel");
  for (const col of [6, 7, 9, 10]) assert.deepEqual(at(col, 0), [255, 0, 0], `flow column ${col}: rightward at the row's largest length`);
  for (const col of [8, 11]) assert.deepEqual(at(col, 0), [128, 128, 128], `confidence column ${col}`);
  assert.equal(sampleSheet(fakeSample(false)).width, 10 * cell + 11 * gap, "without confidence, two columns fewer");
});

test("the progress line shows step/total, speed, ETA and every loss term", () => {
  const record: StepRecord = {
    event: "step",
    step: 120,
    epoch: 3,
    lr: 2e-4,
    seconds: 60,
    step_seconds: 0.5,
    loss: { total: 1.23456, pixel: 0.98765, equivariance_value: 0.2469 },
    details: {},
  };
  assert.equal(
    formatProgress(record, 3000, 2),
    "step 120/3000 [#-------------------] 4% | 2.00 step/s | ETA 24m00s | loss 1.235 pixel 0.9877 equivariance_value 0.2469",
  );
  assert.equal(formatProgress({ ...record, loss: { total: NaN } }, 3000, 0, false), "step 120/3000 4% | 0.00 step/s | ETA ? | loss NaN");
  assert.deepEqual([formatDuration(59.6), formatDuration(75), formatDuration(4000)], ["1m00s", "1m15s", "1h06m"]);
});

test("on a terminal the progress line is redrawn in place, cut to the width, and notes go above it", () => {
  let out = "";
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 60 });
  stream.on("data", (chunk) => (out += chunk));
  const bar = new ProgressBar(stream);
  const record: StepRecord = {
    event: "step",
    step: 1,
    epoch: 0,
    lr: 2e-4,
    seconds: 1,
    step_seconds: 0.5,
    loss: { total: 1, pixel: 0.5, equivariance_value: 0.5 },
    details: {},
  };
  bar.step(record, 10);
  bar.step({ ...record, step: 2 }, 10); // within 100 ms of the first: not drawn
  bar.note("checkpoint written");
  bar.step({ ...record, step: 10 }, 10); // the last step is always drawn
  bar.end();
  const [, first, , last] = out.split("\r\x1b[K");
  assert.equal(first.length, 59, "cut to the terminal's width less one");
  assert.ok(first.startsWith("step 1/10 [##------------------] 10% | "), first);
  assert.ok(last.startsWith("step 10/10 [####################] 100% | ") && last.endsWith("\n"), last);
  assert.equal(
    out,
    `\r\x1b[K${first}\r\x1b[Kcheckpoint written\n${first}\r\x1b[K${last}`,
    "step 2 not drawn; the note above the redrawn line",
  );
});
