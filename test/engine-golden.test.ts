// Hand-computed values for grid_sample, interpolate, conv, transposed conv and batch norm.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { assertClose } from "./helpers/assert.js";

const { F, tensor } = torch;

describe("gridSample on [[1,2,3],[4,5,6]]", () => {
  const img = () =>
    tensor([
      [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
    ]);
  // Grid (1, 1, n, 2) of (x, y) points.
  const at = (points: [number, number][], options: torch.F.GridSampleOptions) => F.gridSample(img(), tensor([[points]]), options).toArray();

  test("bilinear, alignCorners: corners, centre, edge midpoint", () => {
    // align_corners: x -1..1 spans columns 0..2, y -1..1 rows 0..1.
    assertClose(
      at(
        [
          [-1, -1],
          [1, 1],
          [0, 0],
          [0.5, -1],
        ],
        { alignCorners: true },
      ),
      [1, 6, 3.5, 2.5],
    );
  });
  test("out of range: zeros, border, reflection", () => {
    // x = 1.5 is column 2.5; y = 0 is row 0.5: half of (3+6)/2 from column 2, half from outside.
    assertClose(at([[1.5, 0]], { paddingMode: "zeros" }), [2.25]);
    assertClose(at([[1.5, 0]], { paddingMode: "border" }), [4.5]);
    // reflection about column 2 puts 2.5 at 1.5: mean of 3.5 and 4.5.
    assertClose(at([[1.5, 0]], { paddingMode: "reflection" }), [4]);
  });
  test("nearest", () => {
    assertClose(
      at(
        [
          [0.4, -1],
          [-0.6, 0.8],
        ],
        { mode: "nearest" },
      ),
      [2, 4],
    );
  });
  test("alignCorners false: pixel centres at -2/3, 0, 2/3 and -1/2, 1/2", () => {
    assertClose(
      at(
        [
          [-2 / 3, -0.5],
          [0, 0],
          [2 / 3, 0.5],
        ],
        { alignCorners: false },
      ),
      [1, 3.5, 6],
    );
    // (-1, -1) is the outer corner of pixel (0,0): a quarter of its value, the rest is padding.
    assertClose(at([[-1, -1]], { alignCorners: false }), [0.25]);
    assertClose(at([[-1, -1]], { alignCorners: false, paddingMode: "border" }), [1]);
  });
});

describe("interpolate on [[0,1],[2,3]]", () => {
  const img = () =>
    tensor([
      [
        [
          [0, 1],
          [2, 3],
        ],
      ],
    ]);
  test("bilinear 2->4 (half-pixel centres, edges clamped)", () => {
    const xs = [0, 0.25, 0.75, 1];
    const expected = xs.flatMap((y) => xs.map((x) => x + 2 * y));
    assertClose(F.interpolate(img(), { size: 4, mode: "bilinear" }).toArray(), expected);
  });
  test("bilinear 2->3 alignCorners", () => {
    const xs = [0, 0.5, 1];
    assertClose(
      F.interpolate(img(), { size: 3, mode: "bilinear", alignCorners: true }).toArray(),
      xs.flatMap((y) => xs.map((x) => x + 2 * y)),
    );
  });
  test("nearest x2", () => {
    assertClose(F.interpolate(img(), { scaleFactor: 2 }).toArray(), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
  });
  test("bilinear x0.5 averages 2x2 blocks", () => {
    const x = torch.arange(16, undefined, 1, { dtype: "float32" }).reshape(1, 1, 4, 4);
    assertClose(F.interpolate(x, { scaleFactor: 0.5, mode: "bilinear" }).toArray(), [2.5, 4.5, 10.5, 12.5]);
  });
  test("shape from scaleFactor is floor(size * scale)", () => {
    const x = torch.zeros([1, 1, 5, 7]);
    assert.deepEqual(F.interpolate(x, { scaleFactor: 0.5, mode: "bilinear" }).shape, [1, 1, 2, 3]);
  });
});

describe("conv2d and convTranspose2d", () => {
  const x = () => torch.arange(1, 10, 1, { dtype: "float32" }).reshape(1, 1, 3, 3);
  test("2x2 ones kernel sums windows", () => {
    assertClose(F.conv2d(x(), torch.ones([1, 1, 2, 2])).toArray(), [12, 16, 24, 28]);
  });
  test("stride 2, padding 1, bias", () => {
    // out[a][b] = P[2a][2b] - P[2a+1][2b+1] + 0.5 with P the zero-padded input.
    const w = tensor([
      [
        [
          [1, 0],
          [0, -1],
        ],
      ],
    ]);
    assertClose(F.conv2d(x(), w, tensor([0.5]), { stride: 2, padding: 1 }).toArray(), [-0.5, -2.5, -6.5, -3.5]);
  });
  test("two input channels, two output channels", () => {
    const input = torch.cat([x(), x().mul(-1)], 1);
    const w = torch.ones([2, 2, 1, 1]).mul(
      tensor([
        [[[1]], [[2]]],
        [[[3]], [[0]]],
      ]),
    );
    // channel 0: x - 2x = -x; channel 1: 3x
    const out = F.conv2d(input, w).toArray();
    assertClose(out, [...Array.from({ length: 9 }, (_, i) => -(i + 1)), ...Array.from({ length: 9 }, (_, i) => 3 * (i + 1))]);
  });
  test("transposed, stride 1: overlapping 2x2 stamps", () => {
    const y = F.convTranspose2d(
      tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
      torch.ones([1, 1, 2, 2]),
    );
    assertClose(y.toArray(), [1, 3, 2, 4, 10, 6, 3, 7, 4]);
  });
  test("transposed, stride 2: disjoint 2x2 blocks", () => {
    const y = F.convTranspose2d(
      tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
      torch.ones([1, 1, 2, 2]),
      undefined,
      { stride: 2 },
    );
    assertClose(y.toArray(), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});

describe("batchNorm", () => {
  test("training normalises with the biased variance and updates running stats", () => {
    const x = tensor([1, 2, 3, 4]).reshape(4, 1, 1, 1);
    const runningMean = torch.zeros([1]);
    const runningVar = torch.ones([1]);
    const y = F.batchNorm(x, { runningMean, runningVar, training: true, momentum: 0.1, eps: 0 });
    const s = Math.sqrt(1.25);
    assertClose(y.toArray(), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
    // running mean 0.9*0 + 0.1*2.5; running var 0.9*1 + 0.1*(unbiased 5/3)
    assertClose(runningMean.toArray(), [0.25]);
    assertClose(runningVar.toArray(), [0.9 + 0.1 * (5 / 3)]);
  });
  test("eval uses running stats, weight and bias", () => {
    const x = tensor([1, 3]).reshape(2, 1, 1, 1);
    const y = F.batchNorm(x, { runningMean: tensor([1]), runningVar: tensor([4]), weight: tensor([2]), bias: tensor([1]), eps: 0 });
    assertClose(y.toArray(), [1, 3]);
  });
});
