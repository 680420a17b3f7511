// Tracking a face through a clip and smoothing motion over time: a still real picture with small
// pixel noise (shared data folder, by path) keeps a fixed box and a followed box that barely moves;
// detection on every Nth frame; a clip without a face is one error naming it; the one-euro filter's
// jitter reduction and step response, on keypoints and through animate.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { loadFaceApi, type FaceApi } from "../src/faceapi/index.js";
import { NoFaceError, OneEuroFilter, smoothingParams, trackFaces, fillBoxes, linkTracks, type Face } from "../src/face/index.js";
import { splitFiles } from "../src/cli/crop-files.js";
import { animate } from "../src/infer/animate.js";
import { readImage } from "../src/media/image-read.js";
import type { RgbImage } from "../src/media/image.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { SLOW } from "./helpers/tier.js";
import { faceFrames } from "./infer-fixtures.js";

const data = join(new URL("..", import.meta.url).pathname, "..", "shared", "data");
const skip = existsSync(data) ? false : `no shared data at ${data}`;
let api: FaceApi;
before(() => {
  if (!skip) api = loadFaceApi();
});
after(() => api?.dispose());

/** A seeded uniform stream in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
function gaussian(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

/** `count` copies of `picture` with uniform noise of +-amplitude, clamped to [0, 1]. */
function noisyStill(picture: RgbImage, count: number, amplitude: number, seed: number): RgbImage[] {
  const next = uniform(seed);
  return Array.from({ length: count }, () => ({
    ...picture,
    data: picture.data.map((v) => Math.min(1, Math.max(0, v + (2 * next() - 1) * amplitude))),
  }));
}

/** Mean absolute frame-to-frame change of a sequence of vectors. */
function jitter(seq: readonly ArrayLike<number>[]): number {
  let [sum, n] = [0, 0];
  for (let t = 1; t < seq.length; t++)
    for (let i = 0; i < seq[t].length; i++) [sum, n] = [sum + Math.abs(seq[t][i] - seq[t - 1][i]), n + 1];
  return sum / n;
}

// Runs the detector on every frame of a clip: full tier (the no-face clip below still runs it).
test("a still frame with noise: the fixed box does not move, the followed box moves < 1 px per frame", {
  skip: skip || SLOW.skip,
}, async () => {
  const picture = await readImage(join(data, "image", "liveportrait_s0.jpg"), { fit: { width: 300, height: 352 } });
  const frames = noisyStill(picture, 8, 3 / 255, 1);
  const fixed = await trackFaces(api, frames, { mode: "fixed" });
  assert.equal(fixed.boxes.length, 8);
  for (const box of fixed.boxes) assert.deepEqual(box, fixed.boxes[0]);
  const follow = await trackFaces(api, frames, { mode: "follow" });
  let worst = 0;
  for (let t = 1; t < 8; t++) {
    const [a, b] = [follow.boxes[t - 1], follow.boxes[t]];
    worst = Math.max(worst, Math.abs(a.cx - b.cx), Math.abs(a.cy - b.cy), Math.abs(a.side - b.side));
  }
  console.log(
    `followed box: largest change between frames ${worst.toFixed(3)} px (raw detections: ${jitter(follow.detected.map((b) => [b!.cx, b!.cy, b!.side])).toFixed(3)} px mean)`,
  );
  assert.ok(worst < 1, `${worst} px`);
  // Every 3rd frame (and the last): 0, 3, 6, 7; the others interpolated.
  const sparse = await trackFaces(api, frames, { mode: "follow", every: 3, smoothing: false });
  assert.equal(sparse.detections, 4);
  assert.deepEqual(sparse.detected.map(Boolean), [true, false, false, true, false, false, true, true]);
});

test("boxes between detections are interpolated; before the first one and after the last one held", () => {
  const a = { cx: 0, cy: 0, side: 10 };
  const b = { cx: 6, cy: 3, side: 16 };
  assert.deepEqual(fillBoxes([undefined, a, undefined, undefined, b, undefined]), [
    a,
    a,
    { cx: 2, cy: 1, side: 12 },
    { cx: 4, cy: 2, side: 14 },
    b,
    b,
  ]);
});

test("a clip without a face is one error naming it", { skip }, async () => {
  const grey: RgbImage = { data: new Float32Array(3 * 96 * 96).fill(0.5), width: 96, height: 96 };
  await assert.rejects(
    trackFaces(api, [grey, grey], { name: "grey.mp4" }),
    (e: unknown) => e instanceof NoFaceError && /^no face found in grey\.mp4: /.test((e as Error).message),
  );
});

test("one-euro smoothing: keypoint jitter of a still lowered by >= 5x; a step reaches 90% within 3 frames", () => {
  const params = smoothingParams(1);
  const noise = gaussian(uniform(7));
  const still = Array.from({ length: 200 }, () => Float32Array.from({ length: 20 }, (_, i) => 0.3 * Math.sin(i) + 0.01 * noise()));
  const filter = new OneEuroFilter(25, params);
  const smoothed = still.map((kp) => filter.filter(kp));
  const ratio = jitter(still) / jitter(smoothed);
  // A step of 0.2 (a tenth of the frame) on every coordinate after 10 still frames.
  const step = new OneEuroFilter(25, params);
  for (let t = 0; t < 10; t++) step.filter(new Float32Array(20));
  let frames = 0;
  while (step.filter(new Float32Array(20).fill(0.2))[0] < 0.18) frames++;
  console.log(`strength 1 at 25 fps: jitter ${ratio.toFixed(1)}x lower (noise sd 0.01), 90% of a 0.2 step after ${frames + 1} frames`);
  assert.ok(ratio >= 5, `jitter only ${ratio.toFixed(2)}x lower`);
  assert.ok(frames + 1 <= 3, `${frames + 1} frames`);
});

test("animate --smooth: driving keypoints of a still clip with noise jitter >= 5x less, no tensor left", async () => {
  torch.manualSeed(5);
  const model = new DiME(tinyDimeParams({ num_refs: 0 })).eval();
  const [still] = faceFrames(1, 3);
  const frames = noisyStill(still, 40, 0.08, 2);
  const run = async (smooth?: { rate: number }) => {
    const kp: Float32Array[] = [];
    for await (const frame of animate({ model, source: still, driving: frames, options: { batch: 8, smooth } })) kp.push(frame.kpDriving);
    return kp;
  };
  const before = torch.memory().numTensors;
  const [raw, smooth] = [await run(), await run({ rate: 25 })];
  assert.equal(torch.memory().numTensors, before);
  const ratio = jitter(raw) / jitter(smooth);
  console.log(
    `through animate: keypoint jitter ${jitter(raw).toExponential(2)} -> ${jitter(smooth).toExponential(2)} (${ratio.toFixed(1)}x)`,
  );
  assert.ok(ratio >= 5, `only ${ratio.toFixed(2)}x`);
  model.dispose();
});

/** A face with 68 landmarks placed so that faceCropBox centres on (x, y) with scale s. */
function fakeFace(x: number, y: number, s: number): Face {
  const landmarks = new Float32Array(136);
  const put = (from: number, to: number, px: number, py: number) => {
    for (let i = from; i <= to; i++) [landmarks[2 * i], landmarks[2 * i + 1]] = [px, py];
  };
  put(0, 67, x, y);
  put(36, 41, x - s / 2, y - s / 2);
  put(42, 47, x + s / 2, y - s / 2);
  put(48, 67, x, y + s / 2);
  return { box: { x: x - s, y: y - s, width: 2 * s, height: 2 * s }, score: 0.9, landmarks };
}

test("dime crop's tracks: linked by overlap, split by a gap longer than maxGap, short ones dropped", () => {
  const perFrame: (Face[] | undefined)[] = [];
  for (let t = 0; t < 30; t++) {
    const faces = [fakeFace(100 + t, 100, 20)]; // one face drifting right on every frame
    if (t < 5 || t >= 12) faces.push(fakeFace(400, 300, 30)); // another, away for 7 frames
    perFrame.push(t % 2 === 0 ? faces : undefined); // detection on every 2nd frame
  }
  const tracks = linkTracks(perFrame, { maxGap: 5, minFrames: 10 });
  assert.deepEqual(
    tracks.map((t) => [t.start, t.end, t.dropped ?? "kept"]),
    [
      [0, 4, "short"],
      [0, 28, "kept"],
      [12, 28, "kept"],
    ],
  );
  const drifting = tracks[1];
  assert.ok(drifting.detected.every((b, i) => (i % 2 === 0) === (b !== undefined)));
  // The fixed box holds every frame's face: centres spread over 28 px, all inside with room.
  for (const b of fillBoxes(drifting.detected)) assert.ok(Math.abs(b.cx - drifting.box.cx) + b.side / 4.5 < drifting.box.side / 2);
});

test("dime crop's split: by file, seeded, at least one test file, never all", () => {
  const files = Array.from({ length: 10 }, (_, i) => `clip${i}.mp4`);
  const a = splitFiles(files, 0.2, 1);
  assert.equal(a.size, 2);
  assert.deepEqual(splitFiles(files, 0.2, 1), a);
  assert.notDeepEqual([...splitFiles(files, 0.2, 2)].sort(), [...a].sort());
  assert.equal(splitFiles(files.slice(0, 2), 0.01, 0).size, 1);
  assert.equal(splitFiles(files.slice(0, 2), 0.99, 0).size, 1);
  assert.equal(splitFiles(files.slice(0, 1), 0.5, 0).size, 0);
});
