// The ops DiME is built of, on the CPU and on DIME_TEST_DEVICE (a GPU): convolution, batch norm,
// grid_sample, interpolation and the anti-aliased downscale, forward and backward, within
// DEVICE_TOL; and frames in and out through pinned memory with non-blocking copies. Skips (with
// the reason) unless DIME_TEST_DEVICE is set and usable, so CI runs it as a skip.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Device, Tensor } from "../src/torch/index.js";
import { AntiAliasInterpolation2d } from "../src/dime/geometry.js";
import { toTensorBatch } from "../src/infer/frames.js";
import { DEVICE_TOL, TEST_DEVICE, assertSameOnDevice, deviceSkip } from "./helpers/devices.js";

const skip = deviceSkip();
const device = (TEST_DEVICE ?? "cpu") as Device;

/**
 * Runs fn on CPU copies and on device copies of the same inputs (made with requiresGrad), then
 * backward of the sum of the outputs weighted by fixed random numbers; returns the outputs and the
 * inputs' gradients, each [device, cpu].
 */
function bothWays(inputs: Tensor[], fn: (xs: Tensor[]) => Tensor): { out: [Tensor, Tensor]; grads: [Tensor, Tensor][] } {
  const run = (where: Device) => {
    const xs = inputs.map((x) => x.to(where).detach().requiresGrad_(true));
    const out = fn(xs);
    const weights = torch.randn([...out.shape], { generator: new torch.Generator(7) }).to(where);
    out.mul(weights).sum().backward();
    return { out: out.detach(), grads: xs.map((x) => x.grad as Tensor) };
  };
  const onDevice = run(device);
  const onCpu = run("cpu");
  return { out: [onDevice.out, onCpu.out], grads: onDevice.grads.map((g, i) => [g, onCpu.grads[i]] as [Tensor, Tensor]) };
}

function valuesAsFloats(t: Tensor): Float32Array {
  return t.data<"float32">();
}

function randn(shape: number[], seed: number): Tensor {
  return torch.randn(shape, { generator: new torch.Generator(seed) });
}

describe(`ops on ${device} against the CPU`, { skip }, () => {
  test("conv2d forward and backward (input, weight, bias), strided and padded", () => {
    torch.tidy(() => {
      const { out, grads } = bothWays([randn([2, 8, 17, 15], 1), randn([16, 8, 3, 3], 2).mul(0.2), randn([16], 3)], ([x, w, b]) =>
        torch.F.conv2d(x, w, b, { stride: 2, padding: 1 }),
      );
      assertSameOnDevice(out[0], out[1], DEVICE_TOL.conv, "conv2d output");
      for (const [i, name] of ["input", "weight", "bias"].entries())
        assertSameOnDevice(grads[i][0], grads[i][1], DEVICE_TOL.conv, `conv2d ${name} grad`);
    });
  });

  test("batch norm in training mode: output, gradients and the running statistics it updates", () => {
    torch.tidy(() => {
      const stats = (where: Device) => [torch.zeros([6], { device: where }), torch.ones([6], { device: where })];
      const [meanD, varD] = stats(device);
      const [meanC, varC] = stats("cpu");
      let calls = 0; // bothWays runs the device first
      const { out, grads } = bothWays([randn([4, 6, 9, 9], 4).mul(3).add(1), randn([6], 5), randn([6], 6)], ([x, w, b]) => {
        const [m, v] = calls++ === 0 ? [meanD, varD] : [meanC, varC];
        return torch.F.batchNorm(x, { weight: w, bias: b, runningMean: m, runningVar: v, training: true, momentum: 0.1 });
      });
      assertSameOnDevice(out[0], out[1], DEVICE_TOL.elementwise, "batch norm output");
      for (const [i, name] of ["input", "weight", "bias"].entries())
        assertSameOnDevice(grads[i][0], grads[i][1], DEVICE_TOL.elementwise, `batch norm ${name} grad`);
      assertSameOnDevice(meanD, meanC, DEVICE_TOL.elementwise, "running mean");
      assertSameOnDevice(varD, varC, DEVICE_TOL.elementwise, "running var");
      assert.ok(meanC.abs().sum().item() > 0.05, "the running mean moved");
    });
  });

  for (const paddingMode of ["zeros", "border", "reflection"] as const) {
    test(`grid_sample bilinear, ${paddingMode} padding: output and the gradients of the image and the grid`, () => {
      torch.tidy(() => {
        const grid = torch
          .rand([2, 7, 9, 2], { generator: new torch.Generator(8) })
          .mul(2.4)
          .sub(1.2); // some outside [-1, 1]
        const { out, grads } = bothWays([randn([2, 3, 11, 13], 9), grid], ([x, g]) => torch.F.gridSample(x, g, { paddingMode }));
        assertSameOnDevice(out[0], out[1], DEVICE_TOL.elementwise, "grid_sample output");
        assertSameOnDevice(grads[0][0], grads[0][1], DEVICE_TOL.elementwise, "grid_sample image grad");
        assertSameOnDevice(grads[1][0], grads[1][1], DEVICE_TOL.elementwise, "grid_sample grid grad");
      });
    });
  }

  for (const [mode, alignCorners] of [
    ["bilinear", false],
    ["bilinear", true],
    ["nearest", undefined],
  ] as const) {
    test(`interpolate ${mode}${alignCorners === undefined ? "" : `, alignCorners ${alignCorners}`}: up and down, with gradients`, () => {
      torch.tidy(() => {
        for (const size of [
          [23, 19],
          [5, 6],
        ] as [number, number][]) {
          const { out, grads } = bothWays([randn([2, 3, 10, 12], 10)], ([x]) => torch.F.interpolate(x, { size, mode, alignCorners }));
          assertSameOnDevice(out[0], out[1], DEVICE_TOL.elementwise, `interpolate to ${size} output`);
          assertSameOnDevice(grads[0][0], grads[0][1], DEVICE_TOL.elementwise, `interpolate to ${size} grad`);
        }
      });
    });
  }

  test("frames in and out: pinned host memory, non-blocking copies, the same values back", () => {
    torch.tidy(() => {
      const frames = Array.from({ length: 3 }, (_, i) => ({
        data: valuesAsFloats(torch.rand([3, 8, 10], { generator: new torch.Generator(20 + i) })),
        width: 10,
        height: 8,
      }));
      const batch = toTensorBatch(frames, device); // (3, 3, 8, 10)
      assert.equal(batch.device, torch.canonicalDevice(device));
      assert.deepEqual(batch.shape, [3, 3, 8, 10]);
      const [back] = torch.hostFloats([batch.mul(2)]);
      frames.forEach((f, i) => f.data.forEach((v, j) => assert.equal(back[i * f.data.length + j], 2 * v)));
      if (device !== "cpu") {
        const pinned = torch.rand([4, 5]).pinMemory();
        assert.ok(pinned.isPinned);
        const there = pinned.to(device, { nonBlocking: true });
        const home = there.to("cpu", { nonBlocking: true });
        torch.cuda.synchronize();
        assert.deepEqual(home.toArray(), pinned.toArray());
      } else {
        assert.equal(torch.rand([2]).isPinned, false);
      }
    });
  });

  test("the anti-aliased downscale (a depthwise Gaussian convolution, then subsampling)", () => {
    torch.tidy(() => {
      const [onCpu, onDevice] = [new AntiAliasInterpolation2d(3, 0.25), new AntiAliasInterpolation2d(3, 0.25).to(device)];
      let calls = 0;
      const { out, grads } = bothWays([torch.rand([2, 3, 32, 32], { generator: new torch.Generator(11) })], ([x]) =>
        (calls++ === 0 ? onDevice : onCpu).forward(x),
      );
      assertSameOnDevice(out[0], out[1], DEVICE_TOL.conv, "downscale output");
      assertSameOnDevice(grads[0][0], grads[0][1], DEVICE_TOL.conv, "downscale grad");
      onCpu.dispose();
      onDevice.dispose();
    });
  });
});
