// Bodies and shapes: parts cross and hide each other; visibility agrees with the rendered pixels.
import assert from "node:assert/strict";
import { test } from "node:test";

import { bodies } from "../src/synth/body-scene.js";
import type { SynthKind } from "../src/synth/kind.js";
import { Rng } from "../src/util/prng.js";
import { firstHit, landmarkVisibility, renderScene, worldToPixel } from "../src/synth/render.js";
import { shapes } from "../src/synth/shape-scene.js";

const SIZE = 96;

function survey(kind: SynthKind<unknown>, videos: number, frames: number) {
  let visible = 0,
    hidden = 0,
    occludedByOtherPart = 0;
  for (let v = 0; v < videos; v++) {
    const id = kind.identity(Rng.from(4, kind.name, "identity", v));
    const motion = kind.motion(Rng.from(4, kind.name, "video", v), frames);
    for (let t = 0; t < frames; t += 2) {
      const scene = kind.scene(id, motion(t));
      const frame = renderScene(scene, SIZE, SIZE, 1);
      landmarkVisibility(scene).forEach((isVisible, i) => {
        const lm = scene.landmarks[i];
        const hit = firstHit(scene, lm.x, lm.y);
        if (isVisible) {
          visible += 1;
          // Its own part is drawn at (or right next to) its pixel.
          const cx = Math.round(worldToPixel(lm.x, SIZE));
          const cy = Math.round(worldToPixel(lm.y, SIZE));
          let found = false;
          for (let y = cy - 1; y <= cy + 1; y++)
            for (let x = cx - 1; x <= cx + 1; x++) found ||= lm.parts.includes(frame.part[y * SIZE + x]);
          assert.ok(found, `${kind.name} ${lm.name} visible but its part is not drawn there`);
        } else {
          hidden += 1;
          assert.ok(hit.z > lm.z + 1e-6, `${kind.name} ${lm.name} hidden without anything in front`);
          if (!lm.parts.includes(scene.primitives[hit.index].part)) occludedByOtherPart += 1;
        }
      });
    }
  }
  return { visible, hidden, occludedByOtherPart };
}

test("bodies: limbs cross and hide joints behind other parts", () => {
  const s = survey(bodies as SynthKind<unknown>, 6, 24);
  assert.ok(s.hidden > 0.05 * (s.visible + s.hidden), `only ${s.hidden} of ${s.visible + s.hidden} joints hidden`);
  assert.ok(s.occludedByOtherPart > 10, `joints hidden by another part: ${s.occludedByOtherPart}`);
});

test("shapes: limbs pass in front of the body and hide rim points", () => {
  const s = survey(shapes as SynthKind<unknown>, 6, 24);
  assert.ok(s.occludedByOtherPart > 0, "some rim point is hidden by a limb");
  assert.ok(s.visible > 5 * s.hidden, "most points are visible");
});
