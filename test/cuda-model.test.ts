// DiME as a whole on the CPU and on DIME_TEST_DEVICE (a GPU): the losses (pixel pyramid, the VGG-19
// perceptual pyramid, equivariance), one whole training step (loss, every gradient, the weights
// after Adam) and a whole animation with the shipped demo model, within DEVICE_TOL. Skips (with
// the reason) unless DIME_TEST_DEVICE is set and usable, so CI runs it as a skip.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Device, Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { TrainingObjective } from "../src/dime/objective.js";
import { PerceptualPyramidLoss, PixelPyramidLoss, Vgg19, hashVgg19Weights } from "../src/dime/losses/index.js";
import { Adam } from "../src/optim/index.js";
import { loadModel } from "../src/infer/model.js";
import { animate } from "../src/infer/animate.js";
import { generateDataset } from "../src/synth/generate.js";
import { DEVICE_TOL, TEST_DEVICE, assertSameOnDevice, deviceSkip, relativeError, valuesOf } from "./helpers/devices.js";
import { tinyTrainConfig } from "./helpers/train-fixtures.js";
import { captureRng, restoreRng } from "../src/train/state.js";

const skip = deviceSkip();
const device = (TEST_DEVICE ?? "cpu") as Device;
const ROOT = new URL("..", import.meta.url).pathname;

function images(batch: number, size: number, seed: number): Tensor {
  return torch.rand([batch, 3, size, size], { generator: new torch.Generator(seed) });
}

describe(`DiME on ${device} against the CPU`, { skip }, () => {
  test("pixel and perceptual (VGG-19, hash weights) pyramid losses: value and gradient", () => {
    torch.tidy(() => {
      const vggOn = (where: Device) => {
        const vgg = new Vgg19();
        torch.tidy(() => vgg.loadWeights(hashVgg19Weights(), "hash weights"));
        return new PerceptualPyramidLoss(vgg, { scales: [1, 0.5], weights: [10, 10, 10, 10, 10] }).to(where);
      };
      const losses: [string, (where: Device) => PixelPyramidLoss | PerceptualPyramidLoss][] = [
        ["pixel", (where) => new PixelPyramidLoss({ scales: [1, 0.5], l1: 1, ssim: 1 }).to(where)],
        ["perceptual", vggOn],
      ];
      for (const [name, make] of losses) {
        const results = (["cpu", device] as Device[]).map((where) => {
          const loss = make(where);
          const prediction = images(2, 32, 1).to(where).requiresGrad_(true);
          const total = loss.forward(prediction, images(2, 32, 2).to(where)).total;
          total.backward();
          const out = { value: total.item(), grad: valuesOf(prediction.grad as Tensor) };
          loss.dispose();
          return out;
        });
        assert.ok(
          Math.abs(results[1].value - results[0].value) <= DEVICE_TOL.conv.rtol * Math.abs(results[0].value),
          `${name} loss ${results[1].value} vs ${results[0].value}`,
        );
        const error = relativeError(results[1].grad, results[0].grad);
        assert.ok(error < DEVICE_TOL.relative, `${name} loss gradient: relative error ${error.toExponential(2)}`);
      }
    });
  });

  test("one training step (every branch, a reference, equivariance): loss terms, every gradient, weights after Adam", () => {
    const config = tinyTrainConfig();
    const step = (where: Device) => {
      torch.manualSeed(5);
      const model = new DiME(config.model_params).train().to(where);
      const loss = new PixelPyramidLoss({ scales: [1, 0.5], l1: 1, ssim: 1 }).to(where);
      const objective = new TrainingObjective(model, config.train_params, loss);
      const optimizer = new Adam(model.parameters(), { lr: 1e-4, betas: [0.5, 0.999] });
      const batch = { source: images(2, 32, 3).to(where), driving: images(2, 32, 4).to(where), references: [images(2, 32, 5).to(where)] };
      const terms = new Map<string, number>();
      const grads = new Map<string, number[]>();
      torch.tidy(() => {
        // The random warp X of the equivariance loss comes from a CPU generator on both sides.
        const result = objective.compute(batch, new torch.Generator(6));
        for (const [name, value] of result.losses) terms.set(name, value.item());
        result.total.backward();
        for (const [name, p] of model.namedParameters()) if (p.grad) grads.set(name, valuesOf(p.grad));
        optimizer.step();
      });
      const weights = new Map([...model.namedParameters()].map(([name, p]) => [name, valuesOf(p)]));
      const buffers = new Map([...model.namedBuffers()].map(([name, b]) => [name, valuesOf(b)]));
      optimizer.dispose();
      loss.dispose();
      model.dispose();
      torch.dispose(batch);
      return { terms, grads, weights, buffers };
    };
    const cpu = step("cpu");
    const other = step(device);
    assert.ok(cpu.terms.size >= 2, "a reconstruction and an equivariance term");
    for (const [name, value] of cpu.terms) {
      const got = other.terms.get(name) as number;
      assert.ok(Math.abs(got - value) <= DEVICE_TOL.conv.atol + DEVICE_TOL.conv.rtol * Math.abs(value), `loss ${name}: ${got} vs ${value}`);
    }
    assert.deepEqual([...other.grads.keys()].sort(), [...cpu.grads.keys()].sort(), "the same parameters got gradients");
    let worst = ["", 0] as [string, number];
    for (const [name, g] of cpu.grads) {
      const error = relativeError(other.grads.get(name) as number[], g);
      if (error > worst[1]) worst = [name, error];
    }
    assert.ok(worst[1] < DEVICE_TOL.relative, `gradients: worst relative error ${worst[1].toExponential(2)} at ${worst[0]}`);
    // Adam's first step moves every weight by about lr whatever the gradient's size: compare weights
    // absolutely, to a few learning rates (a gradient near zero may differ in sign).
    for (const [name, w] of cpu.weights)
      assertSameOnDevice(torch.tensor(other.weights.get(name) as number[]), torch.tensor(w), { atol: 3e-4, rtol: 0 }, `weight ${name}`);
    for (const [name, b] of cpu.buffers) {
      const error = relativeError(other.buffers.get(name) as number[], b);
      assert.ok(error < DEVICE_TOL.relative, `buffer ${name}: relative error ${error.toExponential(2)}`);
    }
  });

  test("every GPU's generator state goes into a checkpoint's rng and comes back on resume", {
    skip: !torch.cuda.isAvailable() && "the GPUs' generators need CUDA",
  }, () => {
    const warps = new torch.Generator(1);
    torch.manualSeed(3);
    const saved = captureRng(warps);
    assert.equal(saved.cuda?.length, torch.cuda.deviceCount());
    const draw = () => torch.tidy(() => valuesOf(torch.randn([64], { device })));
    const first = draw();
    const json = JSON.parse(JSON.stringify(saved)); // as the sidecar holds it
    draw();
    restoreRng(json, warps);
    assert.deepEqual(draw(), first, "the same numbers again after the restore");
  });

  const work = mkdtempSync(join(tmpdir(), "dime-cuda-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  test("a whole animation with the demo model: every frame, and the keypoints", async () => {
    await generateDataset({ kind: "faces", out: work, videos: 2, frames: 6, size: 64, seed: 9, testFraction: 0.5, samples: 1 });
    const clip = join(work, "train", readdirSync(join(work, "train")).sort()[0]);
    const run = async (where: Device) => {
      const loaded = loadModel(join(ROOT, "models/demo"), { device: where });
      const frames: { image: Float32Array; kp: Float32Array }[] = [];
      for await (const frame of animate({
        model: loaded.model,
        size: loaded.size,
        source: join(ROOT, "assets/demo/source.png"),
        references: [join(ROOT, "assets/demo/reference.png")],
        driving: clip,
        options: { batch: 4 },
      })) {
        frames.push({ image: Float32Array.from(frame.image.data), kp: Float32Array.from(frame.kpTarget) });
      }
      loaded.model.dispose();
      return frames;
    };
    const cpu = await run("cpu");
    const other = await run(device);
    assert.equal(other.length, cpu.length);
    assert.ok(cpu.length >= 3, "several frames");
    cpu.forEach((frame, i) => {
      let max = 0;
      let sum = 0;
      for (let j = 0; j < frame.image.length; j++) {
        const d = Math.abs(other[i].image[j] - frame.image[j]);
        max = Math.max(max, d);
        sum += d;
      }
      const mean = sum / frame.image.length;
      assert.ok(
        max <= DEVICE_TOL.frames.maxAbs && mean <= DEVICE_TOL.frames.meanAbs,
        `frame ${i}: largest difference ${max.toFixed(4)}, mean ${mean.toExponential(2)}`,
      );
      const kp = Array.from(other[i].kp, (v, j) => Math.abs(v - frame.kp[j]));
      assert.ok(Math.max(...kp) <= DEVICE_TOL.conv.atol, `frame ${i} keypoints differ by ${Math.max(...kp)}`);
    });
  });
});
