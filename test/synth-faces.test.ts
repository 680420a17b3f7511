// Faces: turning the head really hides an eye and an ear (depth test), and every visible landmark
// lies on the feature it names in the rendered picture.
import assert from "node:assert/strict";
import { test } from "node:test";

import { faces, FacePart } from "../src/synth/face-scene.js";
import { Rng } from "../src/util/prng.js";
import { firstHit, landmarkVisibility, renderScene, worldToPixel, type RenderedFrame } from "../src/synth/render.js";
import type { Landmark, Scene } from "../src/synth/scene.js";

const SIZE = 96;

function pixelOf(frame: RenderedFrame, lm: Landmark): number {
  const x = Math.round(worldToPixel(lm.x, frame.width));
  const y = Math.round(worldToPixel(lm.y, frame.height));
  return y * frame.width + x;
}

/** Feature codes in the 3x3 pixels around the landmark (its position is sub-pixel). */
function featuresAround(frame: RenderedFrame, lm: Landmark): Set<number> {
  const cx = Math.round(worldToPixel(lm.x, frame.width));
  const cy = Math.round(worldToPixel(lm.y, frame.height));
  const out = new Set<number>();
  for (let y = cy - 1; y <= cy + 1; y++) for (let x = cx - 1; x <= cx + 1; x++) out.add(frame.feature[y * frame.width + x]);
  return out;
}

function sceneAt(identity: number, yaw: number): Scene {
  const id = faces.identity(Rng.from(21, "faces", "identity", identity));
  const pose = faces.motion(Rng.from(21, "faces", "video", identity), 16)(3);
  return faces.scene(id, { ...pose, yaw, pitch: 0, roll: 0, eyeOpen: 1 });
}

test("frontal: every landmark visible; turned 70+ degrees: the far eye and ear are hidden", () => {
  for (let identity = 0; identity < 6; identity++) {
    const front = sceneAt(identity, 0);
    assert.deepEqual(
      landmarkVisibility(front),
      front.landmarks.map(() => true),
      `identity ${identity} frontal`,
    );
    for (const yaw of [-1.3, 1.3]) {
      const scene = sceneAt(identity, yaw);
      const visible = Object.fromEntries(scene.landmarks.map((l, i) => [l.name, landmarkVisibility(scene)[i]]));
      const far = yaw > 0 ? "right" : "left"; // turning toward +x carries the right side behind
      const near = yaw > 0 ? "left" : "right";
      assert.equal(visible[`eye_${far}`], false, `identity ${identity} yaw ${yaw}: far eye should be hidden`);
      assert.equal(visible[`ear_${far}`], false, `identity ${identity} yaw ${yaw}: far ear should be hidden`);
      assert.equal(visible[`eye_${near}`], true, `identity ${identity} yaw ${yaw}: near eye should show`);
      assert.equal(visible[`ear_${near}`], true, `identity ${identity} yaw ${yaw}: near ear should show`);
    }
  }
});

test("hidden landmarks have a nearer surface in front of them, in the depth test and in the pixels", () => {
  let hidden = 0;
  for (let identity = 0; identity < 4; identity++) {
    for (const yaw of [-1.35, -0.9, 0.9, 1.35]) {
      const scene = sceneAt(identity, yaw);
      const frame = renderScene(scene, SIZE, SIZE);
      landmarkVisibility(scene).forEach((visible, i) => {
        if (visible) return;
        hidden += 1;
        const lm = scene.landmarks[i];
        const hit = firstHit(scene, lm.x, lm.y);
        assert.ok(hit.z > lm.z + 1e-6, `${lm.name}: the first surface (z ${hit.z}) should be in front of the landmark (z ${lm.z})`);
        // The rendered pixel shows something else: another part, or this part's front side.
        const p = pixelOf(frame, lm);
        assert.ok(
          !lm.parts.includes(frame.part[p]) || frame.depth[p] > lm.z + 0.02,
          `${lm.name} at yaw ${yaw} is hidden but its pixel shows part ${frame.part[p]} at z ${frame.depth[p]}`,
        );
        if (lm.name.startsWith("eye")) assert.notEqual(frame.feature[p], lm.feature, `${lm.name} hidden but an eye is drawn there`);
      });
    }
  }
  assert.ok(hidden >= 16, `expected hidden landmarks in these poses, got ${hidden}`);
});

test("visible landmarks lie on the rendered feature they name", () => {
  let checked = 0;
  for (let identity = 0; identity < 6; identity++) {
    const id = faces.identity(Rng.from(33, "faces", "identity", identity));
    const motion = faces.motion(Rng.from(33, "faces", "video", identity), 24);
    for (let t = 0; t < 24; t += 3) {
      const scene = faces.scene(id, { ...motion(t), eyeOpen: 1 });
      const frame = renderScene(scene, SIZE, SIZE);
      landmarkVisibility(scene).forEach((visible, i) => {
        if (!visible) return;
        const lm = scene.landmarks[i];
        checked += 1;
        assert.ok(
          featuresAround(frame, lm).has(lm.feature),
          `${lm.name} (identity ${identity}, frame ${t}) is visible but feature ${lm.feature} is not drawn at its pixel`,
        );
      });
    }
  }
  assert.ok(checked > 300, `checked ${checked} landmarks`);
});

test("nose and ear parts are separate objects in the depth test", () => {
  const scene = sceneAt(0, 0.4);
  const nose = scene.landmarks.find((l) => l.name === "nose_tip")!;
  assert.equal(scene.primitives[firstHit(scene, nose.x, nose.y).index].part, FacePart.nose);
});
