// The training loader: reproducible per seed (whatever the worker count), distinct frames per item,
// identity sampling, augmentation, both dataset layouts, and clear errors.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { colourJitter, hflip } from "../src/data/augment.js";
import type { Batch } from "../src/data/batch.js";
import { DataLoader, type LoaderOptions } from "../src/data/loader.js";
import { MediaError } from "../src/media/errors.js";
import { generateDataset } from "../src/synth/generate.js";
import { SLOW } from "./helpers/tier.js";

const dir = mkdtempSync(join(tmpdir(), "dime-data-"));
const pngRoot = join(dir, "faces-png");
const mp4Root = join(dir, "faces-mp4");
const NO_AUGMENT = { hflip: false, timeFlip: false };

before(async () => {
  // 6 videos of 3 identities (2 per identity); test fraction 0 keeps them all in train.
  const common = { kind: "faces" as const, videos: 6, frames: 8, size: 32, seed: 5, testFraction: 0 };
  await generateDataset({ ...common, out: pngRoot });
  // The mp4 copy serves only the mp4 layout test, which the quick tier skips.
  if (!SLOW.skip) await generateDataset({ ...common, out: mp4Root, format: "mp4" });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(root: string, options: LoaderOptions, epoch = 0): Promise<Batch[]> {
  const loader = await DataLoader.open(root, options);
  try {
    const batches: Batch[] = [];
    for await (const b of loader.epoch(epoch)) batches.push(b);
    return batches;
  } finally {
    await loader.close();
  }
}

test("the same seed gives the same batches, with or without worker threads", async () => {
  const options = { size: 32, numRefs: 2, seed: 11, batchSize: 2, repeats: 2 };
  const inline = await collect(pngRoot, { ...options, workers: 0 });
  const threaded = await collect(pngRoot, { ...options, workers: 2 });
  assert.equal(inline.length, 6); // 6 videos x 2 repeats / batch 2
  inline.forEach((b, i) => {
    assert.deepEqual(b.shape, { batch: 2, refs: 2, channels: 3, height: 32, width: 32 });
    assert.equal(b.driving.length, 2 * 3 * 32 * 32);
    assert.equal(b.refs.length, 2 * 2 * 3 * 32 * 32);
    assert.deepEqual(b.videos, threaded[i].videos);
    assert.deepEqual(b.frames, threaded[i].frames);
    assert.deepEqual(b.driving, threaded[i].driving);
    assert.deepEqual(b.source, threaded[i].source);
    assert.deepEqual(b.refs, threaded[i].refs);
  });
  const otherSeed = await collect(pngRoot, { ...options, seed: 12, workers: 0 });
  assert.notDeepEqual(
    otherSeed.map((b) => b.frames),
    inline.map((b) => b.frames),
  );
  const nextEpoch = await collect(pngRoot, { ...options, workers: 0 }, 1);
  assert.notDeepEqual(
    nextEpoch.map((b) => b.frames),
    inline.map((b) => b.frames),
  );
});

test("frames within an item are distinct frames of one video", async () => {
  const batches = await collect(pngRoot, { size: 32, numRefs: 3, seed: 3, batchSize: 3, repeats: 4, workers: 0, augment: NO_AUGMENT });
  const frame = 3 * 32 * 32;
  for (const b of batches) {
    b.frames.forEach((indices, k) => {
      assert.equal(new Set(indices).size, indices.length, `item frames ${indices} repeat`);
      const driving = b.driving.subarray(k * frame, (k + 1) * frame);
      const source = b.source.subarray(k * frame, (k + 1) * frame);
      assert.notDeepEqual(driving, source, "driving and source pixels differ");
    });
  }
});

test("identity sampling takes one video per identity per epoch", async () => {
  const batches = await collect(pngRoot, { size: 32, numRefs: 1, seed: 2, batchSize: 1, identitySampling: true, workers: 0 });
  const videos = batches.flatMap((b) => b.videos);
  assert.equal(videos.length, 3);
  assert.deepEqual(new Set(videos.map((v) => v.split("#")[0])), new Set(["id0000", "id0001", "id0002"]));
});

test("augmentation: flips mirror the unaugmented frame; jitter is seeded", async () => {
  const options = { size: 32, numRefs: 1, seed: 9, batchSize: 6, workers: 0 } as const;
  const plain = (await collect(pngRoot, { ...options, augment: NO_AUGMENT }))[0];
  const flipped = (await collect(pngRoot, { ...options, augment: { hflip: true, timeFlip: false } }))[0];
  const loader = await DataLoader.open(pngRoot, { ...options, augment: { hflip: true, timeFlip: false } });
  const plans = loader.plans(0);
  await loader.close();
  assert.ok(plans.some((p) => p.hflip) && plans.some((p) => !p.hflip), "seed 9 draws both flipped and unflipped items");
  const frame = 3 * 32 * 32;
  plans.slice(0, 6).forEach((plan, k) => {
    const expected = plain.driving.slice(k * frame, (k + 1) * frame);
    if (plan.hflip) hflip(expected, 32, 32);
    assert.deepEqual(flipped.driving.subarray(k * frame, (k + 1) * frame), expected);
  });
  const jittered = await collect(pngRoot, {
    ...options,
    augment: { hflip: false, timeFlip: false, jitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1 } },
  });
  const again = await collect(pngRoot, {
    ...options,
    augment: { hflip: false, timeFlip: false, jitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1 } },
  });
  assert.deepEqual(jittered[0].driving, again[0].driving);
  assert.notDeepEqual(jittered[0].driving, plain.driving);
});

test("colour jitter with neutral factors changes nothing; hflip twice is the identity", () => {
  const data = Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => ((i * 37) % 100) / 100);
  const copy = data.slice();
  colourJitter(data, 5, 4, { brightness: 1, contrast: 1, saturation: 1, hue: 0 });
  assert.deepEqual(data, copy);
  hflip(data, 5, 4);
  assert.notDeepEqual(data, copy);
  hflip(data, 5, 4);
  assert.deepEqual(data, copy);
});

test("the mp4 layout loads the same videos and frames, close to the PNG frames", SLOW, async () => {
  const options = { size: 32, numRefs: 2, seed: 4, batchSize: 2, workers: 1, augment: NO_AUGMENT };
  const png = await collect(pngRoot, options);
  const mp4 = await collect(mp4Root, options);
  assert.deepEqual(
    mp4.map((b) => b.frames),
    png.map((b) => b.frames),
  );
  assert.deepEqual(
    mp4.map((b) => b.videos),
    png.map((b) => b.videos),
  );
  let sum = 0;
  for (let i = 0; i < png[0].driving.length; i++) sum += Math.abs(png[0].driving[i] - mp4[0].driving[i]);
  assert.ok(sum / png[0].driving.length < 0.06, `mean abs difference PNG vs mp4 ${(sum / png[0].driving.length).toFixed(3)}`);
});

test("clear errors: missing split, too few frames for an item", async () => {
  const empty = join(dir, "no-splits");
  mkdirSync(empty);
  await assert.rejects(
    DataLoader.open(empty, { size: 32 }),
    (e: unknown) => e instanceof MediaError && e.reason === "missing" && e.message.includes("train"),
  );
  const loader = await DataLoader.open(pngRoot, { size: 32, numRefs: 7, workers: 0 });
  try {
    assert.throws(() => loader.plans(0), /has 8 frames; an item needs 9 distinct frames/);
  } finally {
    await loader.close();
  }
});

test("a damaged frame fails the epoch with a MediaError naming it (also across worker threads)", async () => {
  const { cpSync, readFileSync, writeFileSync } = await import("node:fs");
  const root = join(dir, "damaged");
  cpSync(pngRoot, root, { recursive: true });
  const frames = join(root, "train", "id0000#00");
  // Frame 0 stays good (opening the dataset probes it); the others are cut short.
  for (let i = 1; i < 8; i++) {
    const file = join(frames, `${String(i).padStart(6, "0")}.png`);
    writeFileSync(file, readFileSync(file).subarray(0, 40));
  }
  for (const workers of [0, 1]) {
    const loader = await DataLoader.open(root, { size: 32, numRefs: 1, batchSize: 6, workers });
    try {
      await assert.rejects(
        async () => {
          for await (const _ of loader.epoch(0)) void _;
        },
        (e: unknown) => e instanceof MediaError && e.reason === "corrupt" && e.message.startsWith(frames),
      );
    } finally {
      await loader.close();
    }
  }
});

test("after close, loading fails at once instead of waiting", async () => {
  const loader = await DataLoader.open(pngRoot, { size: 32, numRefs: 1, batchSize: 2, workers: 1 });
  await loader.close();
  await assert.rejects(async () => {
    for await (const _ of loader.epoch(0)) void _;
  }, /closed/);
});
