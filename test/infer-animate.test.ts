// The animate library function on a tiny random-weight model: one output frame per driving frame
// for any number of references, no tensor left behind, and the motion the options ask for.
//
// "Relative motion with a still of the source reproduces the source" is tested at the motion
// level, since a random model reconstructs nothing: with every driving frame equal to the source,
// kp_D(t) = kp_D(0), so the target keypoints are kp_S exactly and every output frame is the
// model's reconstruction of the source from itself (DiME's forward with driving = source).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { animate, type AnimatedFrame, type AnimationJob } from "../src/infer/animate.js";
import { movementScale } from "../src/infer/motion.js";
import type { RgbImage } from "../src/media/image.js";
import { fommTinyParams, tinyDimeParams } from "./helpers/model-fixtures.js";
import { assertClose } from "./helpers/assert.js";
import { faceFrames, SIZE } from "./infer-fixtures.js";

/** Float32 reconstruction noise: the same numbers through differently batched kernels. */
const FRAME_TOL = 1e-5;

function model(params = tinyDimeParams({ num_refs: 1 })): DiME {
  torch.manualSeed(11);
  return new DiME(params).eval();
}

async function run(job: AnimationJob): Promise<AnimatedFrame[]> {
  const frames: AnimatedFrame[] = [];
  for await (const frame of animate(job)) frames.push(frame);
  return frames;
}

const driving = faceFrames(5, 1);
const [source, ...references] = faceFrames(4, 9);

describe("frames out", () => {
  const dime = model();
  for (const refs of [0, 1, 3]) {
    test(`${refs} references: one frame per driving frame, in order, and no tensor left behind`, async () => {
      const before = torch.memory().numTensors;
      const frames = await run({ model: dime, source, references: references.slice(0, refs), driving, options: { batch: 2 } });
      assert.deepEqual(
        frames.map((f) => f.index),
        [0, 1, 2, 3, 4],
      );
      for (const f of frames) {
        assert.equal(f.image.width, SIZE);
        assert.equal(f.image.data.length, 3 * SIZE * SIZE);
        assert.ok(f.image.data.every(Number.isFinite));
      }
      assert.equal(torch.memory().numTensors, before, "live tensors after the job");
    });
  }
  test("the batch size does not change the frames", async () => {
    const one = await run({ model: dime, source, driving, options: { batch: 1 } });
    const many = await run({ model: dime, source, driving, options: { batch: 8 } });
    one.forEach((f, i) => assertClose(f.image.data, many[i].image.data, FRAME_TOL, 0, `frame ${i}`));
  });
});

describe("relative motion with a still of the source", () => {
  for (const [name, params] of [
    ["DiME (refine, ID)", tinyDimeParams({ num_refs: 1 })],
    ["FOMM (Jacobians)", fommTinyParams()],
  ] as const) {
    test(`${name}: the target keypoints are kp_S and every frame is the reconstruction of the source`, async () => {
      const dime = model(params);
      const still: RgbImage[] = Array.from({ length: 5 }, () => source);
      const frames = await run({ model: dime, source, driving: still, options: { batch: 2 } });
      for (const f of frames) assertClose(f.kpTarget, f.plan.kpSource, 1e-6, 0, `frame ${f.index} target keypoints`);
      for (const f of frames) assertClose(f.image.data, frames[0].image.data, FRAME_TOL, 0, `frame ${f.index} vs frame 0`);
      const reconstruction = torch.tidy(() => {
        const s = torch.fromArray(source.data, [1, 3, SIZE, SIZE]);
        return torch.inferenceMode(() => dime.forward(s, s).prediction.data<"float32">());
      });
      assertClose(frames[0].image.data, reconstruction, FRAME_TOL, 0, "the model's reconstruction of the source");
      dime.dispose();
    });
  }
});

describe("motion options", () => {
  const dime = model();
  test("absolute: the target keypoints are the driving frame's", async () => {
    const frames = await run({ model: dime, source, driving, options: { mode: "absolute" } });
    for (const f of frames) assertClose(f.kpTarget, f.kpDriving, 0, 0, `frame ${f.index}`);
  });
  test("adapt-scale: the factor is the hull-area ratio of kp_S and kp_D(0), and it scales the motion", async () => {
    const frames = await run({ model: dime, source, driving, options: { adaptScale: true } });
    const scale = movementScale(frames[0].plan.kpSource, frames[0].kpDriving);
    assert.equal(frames[0].plan.scale, scale);
    for (const f of frames) {
      const expected = f.kpDriving.map((v, i) => (v - frames[0].kpDriving[i]) * scale + f.plan.kpSource[i]);
      assertClose(f.kpTarget, expected, 1e-6, 0, `frame ${f.index}`);
    }
  });
  test("find-best-frame: the frame that is the source (moved) starts the motion, and keeps kp_S", async () => {
    const withSource = [driving[0], driving[1], source, driving[3]];
    for (const input of [
      withSource,
      (async function* () {
        yield* withSource;
      })(),
    ]) {
      const frames = await run({ model: dime, source, driving: input, options: { findBestFrame: true, batch: 3 } });
      assert.equal(frames.length, 4);
      assert.equal(frames[0].plan.initialFrame, 2);
      assertClose(frames[2].kpTarget, frames[2].plan.kpSource, 1e-6, 0, "the best frame's target");
    }
  });
  test("the ODE steps and solver are a per-job knob that reaches the MotionODE", async () => {
    // The untrained MotionODE's last conv is zero (it returns the coarse motion at any step
    // count), so give it weights for the step count to matter.
    const ode = model();
    torch.noGrad(() => {
      for (const [name, p] of ode.namedParameters())
        if (name.startsWith("generator.motion_ode.") && name.includes("final")) torch.normal_(p, 0, 0.05, new torch.Generator(5));
    });
    const clip = driving.slice(0, 2);
    const two = await run({ model: ode, source, driving: clip, options: { ode: { steps: 2, method: "midpoint" } } });
    const one = await run({ model: ode, source, driving: clip, options: { ode: { steps: 1, method: "euler" } } });
    assertClose(one[1].kpTarget, two[1].kpTarget, 0, 0, "the same target keypoints");
    const largest = Math.max(...one[1].image.data.map((v, i) => Math.abs(v - two[1].image.data[i])));
    assert.ok(largest > 1e-4, `1 Euler step vs 2 midpoint steps differ by ${largest}`);
    ode.dispose();
  });
});

describe("bad input", () => {
  const dime = model();
  test("a driving frame of another size, an empty driving input, a bad batch", async () => {
    const small: RgbImage = { data: new Float32Array(3 * 32 * 32), width: 32, height: 32 };
    await assert.rejects(run({ model: dime, source, driving: [driving[0], small] }), /driving frame 1 is 32x32, the model works at 64x64/);
    await assert.rejects(run({ model: dime, source, driving: [] }), /holds no frames/);
    await assert.rejects(run({ model: dime, source, driving, options: { batch: 0 } }), /batch must be a positive integer/);
    await assert.rejects(run({ model: dime, source, driving: [], options: { findBestFrame: true } }), /no driving frames/);
  });
});
