// The shipped synthetic-benchmark oracles (models/oracles/<kind>-64) reach the accuracy that
// docs/oracles.md reports, on a held-out set made here with a seed they never trained on; their
// outputs have the documented shapes; missing or misnamed weight files are refused in one line.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import {
  defaultOracleDir,
  loadOracles,
  loadSynthSet,
  measureIdentity,
  measureLandmarks,
  OracleWeightsError,
  type Oracles,
  type SynthSet,
} from "../src/eval/oracles/index.js";
import { generateDataset } from "../src/synth/generate.js";
import { SLOW } from "./helpers/tier.js";
import { oneThread } from "./helpers/threads.js";

/**
 * The held-out set of each kind: seed 4242 (the oracles trained on 1000 and 2000), 24 videos of
 * 8 frames, two per identity, so 12 people none of which the oracles saw. The figures are what
 * the shipped weights measured on exactly this set (docs/oracles.md, "Checked by the tests");
 * the margins allow for other machines' floating point, not for a worse net.
 */
const HELD_OUT = { seed: 4242, videos: 24, frames: 8 };
const REPORTED = {
  faces: { meanPx: 0.49, visibility: 0.994, top1: 1, top1Swapped: 1, sameCosine: 0.974, otherCosine: 0.014 },
  bodies: { meanPx: 0.72, visibility: 0.923, top1: 1, top1Swapped: 1, sameCosine: 0.944, otherCosine: -0.005 },
} as const;
const MARGIN = { px: 0.1, fraction: 0.02, cosine: 0.05 };

let root: string;
oneThread();
before(() => {
  root = mkdtempSync(join(tmpdir(), "dime-oracles-"));
});
after(() => rmSync(root, { recursive: true, force: true }));

for (const [kind, reported] of Object.entries(REPORTED)) {
  describe(`${kind} oracles`, SLOW, () => {
    let oracles: Oracles;
    let set: SynthSet;
    before(async () => {
      oracles = loadOracles(kind);
      const dir = join(root, kind);
      await generateDataset({ kind: kind as keyof typeof REPORTED, size: 64, ...HELD_OUT, perIdentity: 2, testFraction: 0, out: dir });
      set = await loadSynthSet(dir, "train");
    });
    after(() => {
      oracles?.dispose();
      set?.dispose();
    });

    test("landmark error on visible landmarks and visibility accuracy reach the reported figures", () => {
      const accuracy = measureLandmarks(oracles.landmarks, set);
      console.log(kind, "landmarks", JSON.stringify(accuracy));
      assert.ok(
        accuracy.meanPx <= reported.meanPx + MARGIN.px,
        `mean error ${accuracy.meanPx.toFixed(3)} px > reported ${reported.meanPx} px`,
      );
      assert.ok(
        accuracy.visibilityAccuracy >= reported.visibility - MARGIN.fraction,
        `visibility accuracy ${accuracy.visibilityAccuracy.toFixed(4)} < reported ${reported.visibility}`,
      );
    });

    test("identity top-1 (same scenes and backdrops swapped) and same/other-person cosines reach the reported figures", () => {
      const accuracy = measureIdentity(oracles.embed, set);
      console.log(kind, "identity", JSON.stringify(accuracy));
      assert.equal(accuracy.identities, HELD_OUT.videos / 2);
      assert.ok(accuracy.top1 >= reported.top1 - MARGIN.fraction, `top-1 ${accuracy.top1.toFixed(4)} < reported ${reported.top1}`);
      assert.ok(
        accuracy.top1SwappedBackground >= reported.top1Swapped - MARGIN.fraction,
        `top-1 with swapped backdrops ${accuracy.top1SwappedBackground.toFixed(4)} < reported ${reported.top1Swapped}`,
      );
      assert.ok(
        accuracy.sameCosine >= reported.sameCosine - MARGIN.cosine,
        `same-person cosine ${accuracy.sameCosine.toFixed(3)} < reported ${reported.sameCosine}`,
      );
      assert.ok(
        accuracy.otherCosine <= reported.otherCosine + MARGIN.cosine,
        `other-person cosine ${accuracy.otherCosine.toFixed(3)} > reported ${reported.otherCosine}`,
      );
    });

    test("outputs: points (B, K, 2) in [-1, 1], visible (B, K) bool, unit embeddings (B, D), features (B, F)", () => {
      const frames = torch.tidy(() => set.frames.narrow(0, 0, 5).to("float32").div(255));
      const k = set.landmarkNames.length;
      const { points, visible, visibility } = oracles.landmarks(frames);
      assert.deepEqual(points.shape, [5, k, 2]);
      assert.deepEqual(visible.shape, [5, k]);
      assert.equal(visible.dtype, "bool");
      assert.deepEqual(visibility.shape, [5, k]);
      assert.ok(points.abs().amax().item() <= 1);
      assert.deepEqual(oracles.landmarkNames, set.landmarkNames);
      const embedding = oracles.embed(frames);
      assert.deepEqual(embedding.shape, [5, oracles.embeddingDim]);
      for (const norm of embedding.norm(2, 1).toArray()) assert.ok(Math.abs(norm - 1) < 1e-5, `embedding norm ${norm}`);
      const features = oracles.features(frames);
      assert.deepEqual(features.shape, [5, oracles.featureDim]);
      assert.ok(features.amin().item() >= 0, "pooled ReLU features are non-negative");
      assert.throws(() => oracles.embed(torch.zeros([1, 3, 32, 32])), /take frames \(B, 3, 64, 64\).*got \[1, 3, 32, 32\]/);
      for (const t of [frames, points, visible, visibility, embedding, features]) t.dispose();
    });
  });
}

test("a kind without weights is refused in one line naming the file and the training command", () => {
  assert.throws(
    () => loadOracles("shapes", join(tmpdir(), "no-such-oracles")),
    (error: Error) => {
      assert.ok(error instanceof OracleWeightsError);
      assert.match(
        error.message,
        /^no landmarks oracle for 'shapes': .*no-such-oracles\/landmarks\.safetensors is missing; train the oracles with `node --import tsx experiments\/train-oracles\.ts --kind shapes`/,
      );
      assert.ok(!error.message.includes("\n"));
      return true;
    },
  );
});

test("a weights file under the other net's name, or another kind's folder, is refused", () => {
  const dir = mkdtempSync(join(root, "renamed-"));
  const shipped = defaultOracleDir("faces");
  copyFileSync(join(shipped, "identity.safetensors"), join(dir, "landmarks.safetensors"));
  copyFileSync(join(shipped, "landmarks.json"), join(dir, "landmarks.json"));
  assert.throws(
    () => loadOracles("faces", dir),
    /landmarks\.safetensors holds the identity oracle of 'faces', not the landmarks oracle of 'faces': was a file renamed\?/,
  );
  assert.throws(
    () => loadOracles("bodies", shipped),
    /landmarks\.json describes the landmarks oracle of 'faces', not the landmarks oracle of 'bodies'/,
  );
});
