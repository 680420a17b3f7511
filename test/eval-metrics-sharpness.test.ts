// The sharpness metric (variance of the Laplacian relative to the real frame's): hand-computed
// values, a blur lowers it, an image against itself is 1, and bad input is refused.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { laplacianVariance, sharpness } from "../src/eval/metrics/index.js";

test("the Laplacian variance of a single bright pixel, by hand", () => {
  torch.tidy(() => {
    // A 5x5 grey image (all channels equal, so luma = the value) with one pixel at 1 in the middle:
    // the 3x3 valid Laplacian is [[0,1,0],[1,-4,1],[0,1,0]] there; mean 0, variance (4 + 16) / 9.
    const values = new Float32Array(3 * 25);
    for (let c = 0; c < 3; c++) values[c * 25 + 12] = 1;
    const image = torch.fromArray(values, [1, 3, 5, 5]);
    const v = laplacianVariance(image).item();
    assert.ok(Math.abs(v - 20 / 9) < 1e-5, `${v}`);
  });
});

test("a frame against itself scores 1; a blurred copy scores lower; float64 agrees", () => {
  torch.tidy(() => {
    torch.manualSeed(3);
    const real = torch.rand([2, 3, 16, 16]);
    const blurred = torch.F.avgPool2d(torch.F.pad(real, [1, 1, 1, 1], "replicate"), 3, { stride: 1 });
    const same = sharpness(real, real.clone()).toArray() as number[];
    assert.deepEqual(
      same.map((x) => Number(x.toFixed(6))),
      [1, 1],
    );
    const soft = sharpness(blurred, real).toArray() as number[];
    for (const s of soft) assert.ok(s > 0 && s < 0.2, `blurred noise keeps little of its Laplacian: ${s}`);
    const soft64 = sharpness(blurred.double(), real.double()).toArray() as number[];
    soft64.forEach((s, i) => assert.ok(Math.abs(s - soft[i]) < 1e-5 * s));
  });
});

test("bad input is refused in one line", () => {
  torch.tidy(() => {
    assert.throws(() => sharpness(torch.zeros([1, 3, 8, 8]), torch.zeros([1, 3, 8, 9])), /^RangeError: sharpness: needs two image batches/);
    assert.throws(() => sharpness(torch.zeros([1, 1, 8, 8]), torch.zeros([1, 1, 8, 8])), /sharpness: needs 3-channel images/);
    assert.throws(() => sharpness(torch.zeros([1, 3, 2, 2]), torch.zeros([1, 3, 2, 2])), /at least 3x3/);
  });
});
