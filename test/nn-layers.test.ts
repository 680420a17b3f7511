// Layers compute what the functional ops compute with their parameters; containers name and
// chain their children; activations and Dropout follow the module's mode.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import * as nn from "../src/nn/index.js";

describe("layers", () => {
  test("Conv2d: shapes, options and the functional op", () => {
    const conv = new nn.Conv2d(4, 6, [3, 5], { stride: 2, padding: [1, 2], groups: 2 });
    assert.deepEqual(conv.weight.shape, [6, 2, 3, 5]);
    torch.tidy(() => {
      const x = torch.randn([2, 4, 9, 9]);
      const y = conv.forward(x);
      assert.deepEqual(y.shape, [2, 6, 5, 5]);
      assert.ok(y.equal(torch.F.conv2d(x, conv.weight, conv.bias, { stride: 2, padding: [1, 2], groups: 2 })));
    });
    assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
    conv.dispose();
  });
  test("Conv2d with a reflect padding mode pads first, then convolves", () => {
    const conv = new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "reflect", bias: false });
    assert.equal(conv.bias, undefined);
    torch.tidy(() => {
      const x = torch.randn([1, 2, 5, 5]);
      const expected = torch.F.conv2d(torch.F.pad(x, [1, 1, 1, 1], "reflect"), conv.weight);
      assert.ok(conv.forward(x).equal(expected));
    });
    conv.dispose();
  });
  test("ConvTranspose2d doubles the size with kernel 4, stride 2, padding 1", () => {
    const up = new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1 });
    assert.deepEqual(up.weight.shape, [8, 4, 4, 4]);
    assert.deepEqual(
      torch.tidy(() => up.forward(torch.randn([1, 8, 5, 7])).shape),
      [1, 4, 10, 14],
    );
    up.dispose();
  });
  test("Linear works on any leading dimensions", () => {
    const fc = new nn.Linear(3, 2);
    torch.tidy(() => {
      const x = torch.randn([4, 5, 3]);
      const y = fc.forward(x);
      assert.deepEqual(y.shape, [4, 5, 2]);
      assert.ok(y.allclose(x.matmul(fc.weight.mT).add(fc.bias!), 1e-5, 1e-6));
    });
    fc.dispose();
  });
});

describe("containers and parameter-free layers", () => {
  test("Sequential names children 0, 1, ... and chains them", () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1), new nn.Sigmoid());
    assert.deepEqual([...seq.stateDict().keys()], ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert.equal(seq.length, 4);
    assert.ok(seq.at(-1) instanceof nn.Sigmoid);
    torch.tidy(() => {
      const x = torch.randn([2, 3]);
      const manual = (seq.at(2) as nn.Linear).forward((seq.at(0) as nn.Linear).forward(x).tanh()).sigmoid();
      assert.ok(seq.forward(x).equal(manual));
    });
    seq.dispose();
  });
  test("ModuleList registers pushed modules by index", () => {
    const list = new nn.ModuleList<nn.Linear>();
    list.push(new nn.Linear(1, 1));
    list.push(new nn.Linear(1, 2, { bias: false }));
    assert.deepEqual([...list.stateDict().keys()], ["0.weight", "0.bias", "1.weight"]);
    assert.deepEqual(
      [...list].map((l) => l.outFeatures),
      [1, 2],
    );
    list.dispose();
  });
  test("ReLU, LeakyReLU, Identity", () => {
    torch.tidy(() => {
      const x = torch.tensor([-2, 0, 3]);
      assert.deepEqual(new nn.ReLU().forward(x).toArray(), [0, 0, 3]);
      assert.deepEqual(new nn.LeakyReLU(0.5).forward(x).toArray(), [-1, 0, 3]);
      assert.equal(new nn.Identity().forward(x), x);
    });
  });
  test("Dropout drops in training and is the identity in eval", () => {
    const drop = new nn.Dropout(0.5);
    torch.tidy(() => {
      const x = torch.ones([1000]);
      const kept = drop.forward(x).toArray();
      assert.ok(kept.every((v) => v === 0 || v === 2));
      assert.ok(kept.some((v) => v === 0) && kept.some((v) => v === 2));
      drop.eval();
      assert.ok(drop.forward(x).equal(x));
    });
    assert.throws(() => new nn.Dropout(1.5), /p must be in \[0, 1\]/);
  });
});
