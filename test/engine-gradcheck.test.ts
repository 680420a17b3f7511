// Finite-difference gradient checks (float64) for every differentiable op of the tensor layer.
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { gradcheck, input } from "./helpers/gradcheck.js";

const { F, linalg } = torch;
type T = torch.Tensor;

describe("gradcheck: element-wise", () => {
  const a = input([2, 3], 1);
  const b = input([2, 3], 2);
  const pos = input([2, 3], 3, 0.5, 2);
  const away = { data: [-0.9, -0.5, -0.2, 0.3, 0.6, 0.8], shape: [2, 3] }; // no kinks at 0
  const cases: [string, (x: T, y: T) => T, { data: number[]; shape: number[] }[]][] = [
    ["add", (x, y) => x.add(y, 0.5), [a, b]],
    ["sub", (x, y) => x.sub(y), [a, b]],
    ["mul", (x, y) => x.mul(y), [a, b]],
    ["div", (x, y) => x.div(y), [a, pos]],
    ["pow tensor", (x, y) => x.pow(y), [pos, b]],
    ["atan2", (x, y) => x.atan2(y), [a, pos]],
    ["maximum", (x, y) => x.maximum(y), [a, b]],
    ["minimum", (x, y) => x.minimum(y), [a, b]],
    ["lerp", (x, y) => x.lerp(y, 0.3), [a, b]],
    ["broadcast add", (x, y) => x.add(y.sum(0, true)), [a, b]],
  ];
  for (const [name, f, inputs] of cases) test(name, () => gradcheck(name, f, inputs));

  const unary: [string, (x: T) => T, { data: number[]; shape: number[] }][] = [
    ["neg", (x) => x.neg(), a],
    ["abs", (x) => x.abs(), away],
    ["exp", (x) => x.exp(), a],
    ["log", (x) => x.log(), pos],
    ["log1p", (x) => x.log1p(), pos],
    ["sqrt", (x) => x.sqrt(), pos],
    ["rsqrt", (x) => x.rsqrt(), pos],
    ["pow scalar", (x) => x.pow(3), a],
    ["sin", (x) => x.sin(), a],
    ["cos", (x) => x.cos(), a],
    ["tanh", (x) => x.tanh(), a],
    ["sigmoid", (x) => x.sigmoid(), a],
    ["relu", (x) => x.relu(), away],
    ["leakyRelu", (x) => x.leakyRelu(0.2), away],
    ["elu", (x) => x.elu(), away],
    ["gelu", (x) => x.gelu(), a],
    ["silu", (x) => x.silu(), a],
    ["softplus", (x) => x.softplus(), a],
    ["logSigmoid", (x) => x.logSigmoid(), a],
    ["clamp", (x) => x.clamp(-0.4, 0.5), away],
    ["square", (x) => x.square(), a],
    ["reciprocal", (x) => x.reciprocal(), pos],
    ["rsub", (x) => x.rsub(2), a],
    ["rdiv", (x) => x.rdiv(2), pos],
    ["softmax", (x) => x.softmax(1), a],
    ["logSoftmax", (x) => x.logSoftmax(0), a],
    ["erf", (x) => x.erf(), a],
  ];
  for (const [name, f, x] of unary) test(name, () => gradcheck(name, f, [x]));
});

describe("gradcheck: reductions", () => {
  const a = input([2, 3, 2], 4);
  const pos = input([2, 3, 2], 5, 0.5, 1.5);
  const cases: [string, (x: T) => T, { data: number[]; shape: number[] }][] = [
    ["sum all", (x) => x.sum(), a],
    ["sum dims keepdim", (x) => x.sum([0, 2], true), a],
    ["mean", (x) => x.mean(1), a],
    ["prod", (x) => x.prod(1), pos],
    ["amax", (x) => x.amax(1), a],
    ["max values", (x) => x.max(2).values, a],
    ["var", (x) => x.var(1), a],
    ["std population", (x) => x.std([1, 2], { correction: 0 }), a],
    ["norm", (x) => x.norm(2, 2), a],
    ["logsumexp", (x) => x.logsumexp(1), a],
    ["cumsum", (x) => x.cumsum(1), a],
    ["cumprod", (x) => x.cumprod(2), pos],
  ];
  for (const [name, f, x] of cases) test(name, () => gradcheck(name, f, [x]));
});

describe("gradcheck: shape and indexing", () => {
  const a = input([2, 3, 4], 6);
  const b = input([2, 3, 4], 7);
  const index = () => torch.tensor([2, 0, 1], { dtype: "int64" });
  const cases: [string, (x: T, y: T) => T][] = [
    ["reshape", (x) => x.reshape(4, 6)],
    ["view", (x) => x.view(6, 4)],
    ["permute", (x) => x.permute(2, 0, 1)],
    ["transpose", (x) => x.transpose(0, 2)],
    ["cat", (x, y) => torch.cat([x, y], 1)],
    ["stack", (x, y) => torch.stack([x, y], 2)],
    ["split", (x) => x.split([1, 3], 2)[1]],
    ["chunk", (x) => x.chunk(2, 2)[0]],
    ["narrow", (x) => x.narrow(2, 1, 2)],
    ["slice with step", (x) => x.slice(2, 0, undefined, 2)],
    ["select", (x) => x.select(1, 2)],
    ["indexSelect", (x) => x.indexSelect(1, index())],
    ["gather", (x) => x.gather(1, torch.tensor([[[0, 2, 1, 0]], [[1, 1, 2, 0]]], { dtype: "int64" }))],
    ["expand", (x) => x.narrow(1, 0, 1).expand(2, 5, 4)],
    ["repeat", (x) => x.repeat(1, 2, 1)],
    ["flip", (x) => x.flip(0, 2)],
    ["where", (x, y) => torch.where(x.gt(0), x, y)],
    ["maskedFill", (x) => x.maskedFill(x.gt(0.5), 0)],
    ["squeeze/unsqueeze", (x) => x.unsqueeze(1).squeeze(1)],
    ["flatten", (x) => x.flatten(1)],
    ["index", (x) => x.index(undefined, index())],
    ["pad constant", (x) => F.pad(x, [1, 2, 0, 1], "constant", 0.5)],
    ["pad reflect", (x) => F.pad(x.unsqueeze(0), [1, 2, 1, 1], "reflect")],
    ["pad replicate", (x) => F.pad(x.unsqueeze(0), [2, 1, 0, 1], "replicate")],
  ];
  for (const [name, f] of cases) test(name, () => gradcheck(name, f, [a, b]));
});

describe("gradcheck: linear algebra", () => {
  const well = { data: [2.0, 0.3, -0.2, 0.1, 1.7, 0.4, -0.3, 0.2, 2.2], shape: [3, 3] };
  const spd = { data: [2.0, 0.3, -0.2, 0.3, 1.7, 0.4, -0.2, 0.4, 2.2], shape: [3, 3] };
  test("matmul", () => gradcheck("matmul", (x, y) => torch.matmul(x, y), [input([2, 3, 4], 8), input([4, 2], 9)]));
  test("bmm", () => gradcheck("bmm", (x, y) => torch.bmm(x, y), [input([2, 3, 4], 10), input([2, 4, 2], 11)]));
  test("linear", () => gradcheck("linear", (x, w, b) => F.linear(x, w, b), [input([2, 3], 12), input([4, 3], 13), input([4], 14)]));
  test("einsum", () => gradcheck("einsum", (x, y) => torch.einsum("bij,bjk->bik", x, y), [input([2, 2, 3], 15), input([2, 3, 2], 16)]));
  test("solve", () => gradcheck("solve", (A, B) => linalg.solve(A, B), [well, input([3, 2], 17)]));
  test("inv", () => gradcheck("inv", (A) => linalg.inv(A), [well]));
  test("det", () => gradcheck("det", (A) => linalg.det(A), [well]));
  // Eigenvectors have a sign freedom; check quantities that do not depend on it.
  test("eigh values", () => gradcheck("eigh", (A) => linalg.eigh(A.add(A.mT).div(2)).values, [spd]));
  test("eigh reconstruction", () =>
    gradcheck(
      "eigh",
      (A) => {
        const { values, vectors } = linalg.eigh(A.add(A.mT).div(2));
        return vectors.mul(values.exp().unsqueeze(0)).matmul(vectors.mT);
      },
      [spd],
    ));
  test("cdist", () => gradcheck("cdist", (x, y) => torch.cdist(x, y), [input([1, 3, 2], 18), input([1, 4, 2], 19)]));
});

describe("gradcheck: convolution, normalisation, pooling", () => {
  test("conv2d stride 2 padding 1", () =>
    gradcheck("conv2d", (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), [
      input([1, 2, 5, 5], 20),
      input([3, 2, 3, 3], 21),
      input([3], 22),
    ]));
  test("conv2d dilation and groups", () =>
    gradcheck("conv2d", (x, w) => F.conv2d(x, w, undefined, { dilation: 2, groups: 2, padding: [2, 1] }), [
      input([1, 2, 5, 4], 23),
      input([4, 1, 3, 3], 24),
    ]));
  test("convTranspose2d stride 2 padding 1 outputPadding 1", () =>
    gradcheck("convTranspose2d", (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [
      input([1, 2, 3, 3], 25),
      input([2, 3, 3, 3], 26),
      input([3], 27),
    ]));
  test("batchNorm training", () =>
    gradcheck("batchNorm", (x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }), [
      input([3, 2, 2, 2], 28),
      input([2], 29, 0.5, 1.5),
      input([2], 30),
    ]));
  test("batchNorm eval", () =>
    gradcheck(
      "batchNorm",
      (x, w, b) =>
        F.batchNorm(x, {
          weight: w,
          bias: b,
          training: false,
          runningMean: torch.tensor([0.1, -0.2], { dtype: "float64" }),
          runningVar: torch.tensor([0.5, 2], { dtype: "float64" }),
        }),
      [input([2, 2, 2, 2], 31), input([2], 32), input([2], 33)],
    ));
  test("instanceNorm", () =>
    gradcheck("instanceNorm", (x, w, b) => F.instanceNorm(x, { weight: w, bias: b }), [
      input([2, 2, 3, 3], 34),
      input([2], 35),
      input([2], 36),
    ]));
  test("layerNorm", () =>
    gradcheck("layerNorm", (x, w, b) => F.layerNorm(x, [3], w, b), [input([2, 3], 37), input([3], 38), input([3], 39)]));
  test("groupNorm", () => gradcheck("groupNorm", (x) => F.groupNorm(x, 2), [input([2, 4, 2, 2], 40)]));
  test("avgPool2d", () => gradcheck("avgPool2d", (x) => F.avgPool2d(x, 2), [input([1, 2, 4, 4], 41)]));
  test("avgPool2d padded, stride 1", () =>
    gradcheck("avgPool2d", (x) => F.avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false }), [input([1, 1, 4, 4], 42)]));
  test("maxPool2d", () => gradcheck("maxPool2d", (x) => F.maxPool2d(x, 2), [input([1, 2, 4, 4], 43)]));
  test("adaptiveAvgPool2d", () => gradcheck("adaptiveAvgPool2d", (x) => F.adaptiveAvgPool2d(x, [2, 3]), [input([1, 1, 5, 5], 44)]));
  test("dropout with a fixed seed", () =>
    gradcheck(
      "dropout",
      (x) => {
        torch.manualSeed(3);
        return F.dropout(x, 0.4, true);
      },
      [input([2, 5], 45)],
    ));
});

describe("gradcheck: resampling", () => {
  const img = input([1, 2, 4, 5], 50);
  test("interpolate nearest", () => gradcheck("nearest", (x) => F.interpolate(x, { size: [7, 3] }), [img]));
  test("interpolate bilinear", () => gradcheck("bilinear", (x) => F.interpolate(x, { size: [6, 7], mode: "bilinear" }), [img]));
  test("interpolate bilinear alignCorners", () =>
    gradcheck("bilinear", (x) => F.interpolate(x, { size: [3, 8], mode: "bilinear", alignCorners: true }), [img]));
  test("interpolate bilinear scaleFactor 0.5", () =>
    gradcheck("bilinear", (x) => F.interpolate(x, { scaleFactor: 0.5, mode: "bilinear" }), [img]));
  test("interpolate bicubic", () =>
    gradcheck("bicubic", (x) => F.interpolate(x, { size: [5, 6], mode: "bicubic", alignCorners: true }), [img]));

  // Grid points away from pixel centres and cell edges, so that bilinear weights are smooth there.
  const grid = input([1, 3, 2, 2], 51, -1.15, 1.15);
  for (const paddingMode of ["zeros", "border", "reflection"] as const) {
    for (const alignCorners of [true, false]) {
      test(`gridSample bilinear ${paddingMode} alignCorners=${alignCorners} (input and grid)`, () =>
        gradcheck("gridSample", (x, g) => F.gridSample(x, g, { paddingMode, alignCorners }), [img, grid], { atol: 1e-5, rtol: 1e-4 }));
    }
  }
  test("gridSample nearest (input)", () =>
    gradcheck("gridSample", (x, g) => F.gridSample(x, g, { mode: "nearest" }), [img, grid], { wrt: [0] }));
  test("gridSample bicubic (input and grid)", () =>
    gradcheck("gridSample", (x, g) => F.gridSample(x, g, { mode: "bicubic", paddingMode: "border" }), [img, grid]));
});

describe("gradcheck: losses", () => {
  const a = input([2, 3], 60);
  const b = input([2, 3], 61);
  test("l1Loss", () => gradcheck("l1Loss", (x, y) => F.l1Loss(x, y), [a, b]));
  test("mseLoss", () => gradcheck("mseLoss", (x, y) => F.mseLoss(x, y, "sum"), [a, b]));
  test("binaryCrossEntropyWithLogits", () =>
    gradcheck("bce", (x, y) => F.binaryCrossEntropyWithLogits(x, y), [a, input([2, 3], 62, 0, 1)]));
  test("crossEntropy", () => gradcheck("crossEntropy", (x) => F.crossEntropy(x, torch.tensor([2, 0], { dtype: "int64" })), [a]));
});
