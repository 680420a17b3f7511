// PyTorch's default initialisation, drawn from libtorch's default generator: after
// torch.manualSeed(s), constructing layers in PyTorch's order gives PyTorch's weights.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import * as nn from "../src/nn/index.js";
import { NestedNet } from "./helpers/nn-fixtures.js";
import { assertClose } from "./helpers/assert.js";
import { TOL } from "./helpers/tolerance.js";

const F32 = TOL.exact.float32!;
const SUM = 1e-9; // sums in float64 of float32 weights, same kernel as PyTorch's

// Produced with Debian's /usr/bin/python3, torch 1.13.0 (the same libtorch version dime links):
//   torch.manual_seed(0)
//   c = nn.Conv2d(3, 4, 3); t = nn.ConvTranspose2d(4, 2, 4, stride=2); l = nn.Linear(5, 3)
//   for x in (c.weight, c.bias, t.weight, t.bias, l.weight, l.bias):
//       print(x.detach().flatten()[:4].double().tolist(), x.detach().double().sum().item())
const PYTORCH_SEED0: Record<string, { head: number[]; sum: number }> = {
  "conv.weight": {
    head: [-0.0014408392598852515, 0.10323861986398697, -0.15839511156082153, -0.14163152873516083],
    sum: -0.7475195649312809,
  },
  "conv.bias": { head: [-0.01060392428189516, 0.028895428404211998, -0.07881414145231247, 0.1141955703496933], sum: 0.053672933019697666 },
  "convT.weight": { head: [-0.10757552832365036, 0.16040188074111938, 0.12114504724740982, -0.1490727663040161], sum: -1.2640633977716789 },
  "convT.bias": { head: [0.05837026610970497, 0.1326228380203247], sum: 0.19099310413002968 },
  "linear.weight": {
    head: [-0.14396515488624573, 0.0007159270462580025, 0.23023609817028046, -0.4324967563152313],
    sum: -1.273370766255539,
  },
  "linear.bias": { head: [0.20186951756477356, -0.21478046476840973, -0.29844364523887634], sum: -0.3113545924425125 },
};

// The Python twin of NestedNet (test/helpers/nn-fixtures.ts) after torch.manual_seed(0):
//   {k: v.double().sum().item() for k, v in Net().state_dict().items() if v.is_floating_point()}
const PYTORCH_NESTED_SUMS: Record<string, number> = {
  "down_blocks.0.conv.weight": -0.7475195649312809,
  "down_blocks.0.conv.bias": 0.053672933019697666,
  "down_blocks.0.norm.weight": 4.0,
  "down_blocks.0.norm.bias": 0.0,
  "down_blocks.0.norm.running_mean": 0.0,
  "down_blocks.0.norm.running_var": 4.0,
  "down_blocks.1.conv.weight": -0.015697733411798254,
  "down_blocks.1.conv.bias": 0.4211645722389221,
  "down_blocks.1.norm.weight": 8.0,
  "down_blocks.1.norm.bias": 0.0,
  "down_blocks.1.norm.running_mean": 0.0,
  "down_blocks.1.norm.running_var": 8.0,
  "head.0.weight": 0.8221951723098755,
  "head.0.bias": -0.10258390009403229,
  "head.2.weight": 0.20378446578979492,
  "inorm.weight": 2.0,
  "inorm.bias": 0.0,
  "inorm.running_mean": 0.0,
  "inorm.running_var": 2.0,
  "fc.weight": 0.7329072952270508,
  "fc.bias": 0.002169564366340637,
};

function sumOf(t: torch.Tensor): number {
  return torch.tidy(() => t.double().sum().item());
}

describe("PyTorch-identical initialisation", () => {
  test("Conv2d, ConvTranspose2d and Linear after manualSeed(0)", () => {
    torch.manualSeed(0);
    const conv = new nn.Conv2d(3, 4, 3);
    const convT = new nn.ConvTranspose2d(4, 2, 4, { stride: 2 });
    const linear = new nn.Linear(5, 3);
    const ours: Record<string, torch.Tensor> = {
      "conv.weight": conv.weight,
      "conv.bias": conv.bias!,
      "convT.weight": convT.weight,
      "convT.bias": convT.bias!,
      "linear.weight": linear.weight,
      "linear.bias": linear.bias!,
    };
    for (const [name, { head, sum }] of Object.entries(PYTORCH_SEED0)) {
      const values = torch.tidy(() => ours[name].flatten().slice(0, 0, head.length).toArray());
      assertClose(values, head, F32, 0, name);
      assertClose([sumOf(ours[name])], [sum], SUM, 0, `${name} sum`);
    }
    for (const m of [conv, convT, linear]) m.dispose();
  });
  test("a nested model built in PyTorch's order", () => {
    torch.manualSeed(0);
    const net = new NestedNet();
    const sd = net.stateDict();
    for (const [name, sum] of Object.entries(PYTORCH_NESTED_SUMS)) assertClose([sumOf(sd.get(name)!)], [sum], SUM, 0, name);
    torch.dispose(sd);
    net.dispose();
  });
});

describe("init helpers", () => {
  test("fan in and fan out, transposed conv from dim 1 as PyTorch", () => {
    const w = torch.empty([8, 4, 3, 3]);
    assert.deepEqual(nn.init.fanInAndFanOut(w), { fanIn: 36, fanOut: 72 });
    assert.throws(() => nn.init.fanInAndFanOut(torch.empty([3])), /at least 2 dimensions/);
    w.dispose();
  });
  test("gains as torch.nn.init.calculate_gain", () => {
    assert.equal(nn.init.calculateGain("relu"), Math.SQRT2);
    assert.equal(nn.init.calculateGain("tanh"), 5 / 3);
    assert.equal(nn.init.calculateGain("leaky_relu", Math.sqrt(5)), Math.sqrt(2 / 6.000000000000001));
    assert.equal(nn.init.calculateGain("conv2d"), 1);
  });
  test("kaiming and xavier bounds hold; no autograd history is recorded", () => {
    const w = torch.empty([64, 32, 3, 3]).requiresGrad_();
    nn.init.kaimingUniform_(w, { nonlinearity: "relu" });
    const bound = Math.SQRT2 * Math.sqrt(3 / (32 * 9));
    const [lo, hi] = torch.tidy(() => [w.amin().item(), w.amax().item()]);
    assert.ok(lo >= -bound && hi <= bound && hi > 0.9 * bound, `${lo} ${hi} vs ${bound}`);
    assert.equal(w.isLeaf, true);
    nn.init.xavierUniform_(w);
    const xb = Math.sqrt(6 / (32 * 9 + 64 * 9));
    assert.ok(torch.tidy(() => w.abs().amax().item()) <= xb);
    nn.init.zeros_(w);
    assert.equal(sumOf(w), 0);
    w.dispose();
  });
});
