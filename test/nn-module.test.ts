// Module: PyTorch's state-dict names, traversal, train/eval, zeroGrad, to(), dispose, and
// loadStateDict's checks.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import * as nn from "../src/nn/index.js";
import { NestedNet } from "./helpers/nn-fixtures.js";

// From the Python twin of NestedNet (test/helpers/nn-fixtures.ts) with torch 1.13:
//   [[k, list(v.shape)] for k, v in Net().state_dict().items()]
const PYTORCH_STATE_DICT: [string, number[]][] = [
  ["down_blocks.0.conv.weight", [4, 3, 3, 3]],
  ["down_blocks.0.conv.bias", [4]],
  ["down_blocks.0.norm.weight", [4]],
  ["down_blocks.0.norm.bias", [4]],
  ["down_blocks.0.norm.running_mean", [4]],
  ["down_blocks.0.norm.running_var", [4]],
  ["down_blocks.0.norm.num_batches_tracked", []],
  ["down_blocks.1.conv.weight", [8, 4, 3, 3]],
  ["down_blocks.1.conv.bias", [8]],
  ["down_blocks.1.norm.weight", [8]],
  ["down_blocks.1.norm.bias", [8]],
  ["down_blocks.1.norm.running_mean", [8]],
  ["down_blocks.1.norm.running_var", [8]],
  ["down_blocks.1.norm.num_batches_tracked", []],
  ["head.0.weight", [8, 4, 4, 4]],
  ["head.0.bias", [4]],
  ["head.2.weight", [2, 4, 1, 1]],
  ["inorm.weight", [2]],
  ["inorm.bias", [2]],
  ["inorm.running_mean", [2]],
  ["inorm.running_var", [2]],
  ["inorm.num_batches_tracked", []],
  ["fc.weight", [3, 2]],
  ["fc.bias", [3]],
];
// [n for n, _ in net.named_modules()] and [n for n, _ in net.named_parameters()]
const PYTORCH_MODULES = [
  "",
  "down_blocks",
  "down_blocks.0",
  "down_blocks.0.conv",
  "down_blocks.0.norm",
  "down_blocks.1",
  "down_blocks.1.conv",
  "down_blocks.1.norm",
  "head",
  "head.0",
  "head.1",
  "head.2",
  "inorm",
  "fc",
];
const PYTORCH_PARAMETERS = [
  "down_blocks.0.conv.weight",
  "down_blocks.0.conv.bias",
  "down_blocks.0.norm.weight",
  "down_blocks.0.norm.bias",
  "down_blocks.1.conv.weight",
  "down_blocks.1.conv.bias",
  "down_blocks.1.norm.weight",
  "down_blocks.1.norm.bias",
  "head.0.weight",
  "head.0.bias",
  "head.2.weight",
  "inorm.weight",
  "inorm.bias",
  "fc.weight",
  "fc.bias",
];

const live = () => torch.memory().numTensors;

describe("names", () => {
  test("state dict keys, order and shapes match PyTorch's", () => {
    const net = new NestedNet();
    const sd = net.stateDict();
    assert.deepEqual(
      [...sd].map(([k, v]) => [k, [...v.shape]]),
      PYTORCH_STATE_DICT,
    );
    assert.equal(sd.get("down_blocks.0.norm.num_batches_tracked")!.dtype, "int64");
    torch.dispose(sd);
    net.dispose();
  });
  test("namedModules, namedParameters, namedBuffers and children", () => {
    const net = new NestedNet();
    assert.deepEqual(
      [...net.namedModules()].map(([n]) => n),
      PYTORCH_MODULES,
    );
    assert.deepEqual(
      [...net.namedParameters()].map(([n]) => n),
      PYTORCH_PARAMETERS,
    );
    assert.equal(net.parameters().length, PYTORCH_PARAMETERS.length);
    const bufferNames = PYTORCH_STATE_DICT.map(([k]) => k).filter((k) => !PYTORCH_PARAMETERS.includes(k));
    assert.deepEqual(
      [...net.namedBuffers()].map(([n]) => n),
      bufferNames,
    );
    assert.equal(net.buffers().length, bufferNames.length);
    assert.deepEqual(
      [...net.namedChildren()].map(([n]) => n),
      ["down_blocks", "head", "inorm", "fc"],
    );
    assert.equal([...net.children()][3], net.fc);
    net.dispose();
  });
  test("parameters require grad, buffers do not, and neither is freed by tidy", () => {
    const net = torch.tidy(() => new NestedNet());
    for (const p of net.parameters()) {
      assert.equal(p.isDisposed, false);
      assert.equal(p.requiresGrad, true);
      assert.equal(p.isLeaf, true);
    }
    for (const b of net.buffers()) {
      assert.equal(b.isDisposed, false);
      assert.equal(b.requiresGrad, false);
    }
    net.dispose();
  });
  test("a shared module: parameters listed once, state-dict keys under both names (as PyTorch)", () => {
    class Tied extends nn.Module {
      readonly a = this.registerModule("a", new nn.Linear(2, 2));
      readonly b = this.registerModule("b", this.a);
    }
    const m = new Tied();
    // Python: T with self.a = nn.Linear(2, 2); self.b = self.a gives
    //   state_dict keys ['a.weight', 'a.bias', 'b.weight', 'b.bias'], named_parameters ['a.weight', 'a.bias'],
    //   named_modules ['', 'a']
    assert.deepEqual(
      [...m.namedParameters()].map(([n]) => n),
      ["a.weight", "a.bias"],
    );
    assert.deepEqual(
      [...m.namedModules()].map(([n]) => n),
      ["", "a"],
    );
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], ["a.weight", "a.bias", "b.weight", "b.bias"]);
    m.loadStateDict(sd);
    torch.dispose(sd);
    m.dispose();
  });
  test("registering a dotted or duplicate name throws", () => {
    class Bad extends nn.Module {
      constructor(name: string, twice: boolean) {
        super();
        this.registerModule(name, new nn.ReLU());
        if (twice) this.registerModule(name, new nn.ReLU());
      }
    }
    assert.throws(() => new Bad("a.b", false), /no '\.'/);
    assert.throws(() => new Bad("a", true), /already registered/);
  });
});

describe("modes and lifetime", () => {
  test("train() and eval() reach every descendant", () => {
    const net = new NestedNet();
    assert.equal(net.training, true);
    net.eval();
    for (const m of net.modules()) assert.equal(m.training, false);
    net.train();
    for (const m of net.modules()) assert.equal(m.training, true);
    net.dispose();
  });
  test("a part whose layers were adopted (adoptChildren) follows train() and eval() of its adopter and of modules above", () => {
    class Part extends nn.Module {
      readonly fc = this.registerModule("fc", new nn.Linear(2, 2));
    }
    class Adopter extends nn.Module {
      readonly part = this.adoptChildren(new Part());
    }
    class Outer extends nn.Module {
      readonly inner = this.registerModule("inner", new Adopter());
    }
    const outer = new Outer().eval();
    assert.ok(![...outer.modules()].includes(outer.inner.part), "the part itself is not registered");
    assert.deepEqual(
      [...outer.namedModules()].map(([name]) => name),
      ["", "inner", "inner.fc"],
    );
    assert.equal(outer.inner.part.training, false);
    outer.train();
    assert.equal(outer.inner.part.training, true);
    outer.dispose();
  });
  test("zeroGrad sets every gradient to undefined", () => {
    const net = new NestedNet();
    torch.tidy(() =>
      net
        .forward(torch.randn([2, 3, 8, 8]))
        .sum()
        .backward(),
    );
    assert.ok(net.parameters().every((p) => torch.tidy(() => p.grad !== undefined)));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === undefined));
    net.dispose();
  });
  test("dispose frees every parameter and buffer", () => {
    const before = live();
    const net = new NestedNet();
    assert.equal(live() - before, PYTORCH_STATE_DICT.length);
    net.dispose();
    assert.equal(live(), before);
  });
  test("to(float64) converts floating tensors only and keeps requiresGrad", () => {
    const net = new nn.BatchNorm2d(3);
    const weight = net.weight!;
    net.to("float64");
    assert.equal(net.weight, weight, "the parameter keeps its identity");
    assert.equal(net.weight!.dtype, "float64");
    assert.equal(net.weight!.requiresGrad, true);
    assert.equal(net.runningMean!.dtype, "float64");
    assert.equal(net.numBatchesTracked!.dtype, "int64");
    const y = torch.tidy(() => net.forward(torch.randn([2, 3, 4, 4], { dtype: "float64" })).dtype);
    assert.equal(y, "float64");
    net.to("cpu"); // already there: nothing moves
    assert.equal(net.weight!.dtype, "float64");
    net.dispose();
  });
});

describe("loadStateDict", () => {
  test("copies values in place and round-trips", () => {
    torch.manualSeed(1);
    const a = new NestedNet();
    const b = new NestedNet();
    const weight = b.fc.weight;
    const sd = a.stateDict();
    b.loadStateDict(sd);
    assert.equal(b.fc.weight, weight, "parameters are updated in place, not replaced");
    assert.equal(b.fc.weight.requiresGrad, true);
    for (const [name, t] of b.stateDict()) assert.ok(t.equal(sd.get(name)!), name);
    torch.dispose(sd);
    a.dispose();
    b.dispose();
  });
  test("state dict values share storage with the model", () => {
    const m = new nn.Linear(2, 2);
    const sd = m.stateDict();
    torch.noGrad(() => m.weight.fill_(3));
    assert.deepEqual(sd.get("weight")!.toArray(), [3, 3, 3, 3]);
    torch.dispose(sd);
    m.dispose();
  });
  test("a missing key is named, and nothing is loaded", () => {
    const m = new nn.Linear(2, 2);
    const before = m.weight.toArray();
    const sd = new Map([["weight", torch.zeros([2, 2])]]);
    assert.throws(
      () => m.loadStateDict(sd),
      (e: Error) => {
        assert.match(e.message, /missing keys.*\n\s+bias/);
        assert.match(e.message, /nothing was loaded/);
        assert.match(e.message, /strict: false/);
        return true;
      },
    );
    assert.deepEqual(m.weight.toArray(), before);
    const result = m.loadStateDict(sd, { strict: false });
    assert.deepEqual(result, { missingKeys: ["bias"], unexpectedKeys: [] });
    assert.deepEqual(m.weight.toArray(), [0, 0, 0, 0]);
    torch.dispose(sd);
    m.dispose();
  });
  test("an unexpected key is named", () => {
    const m = new nn.Linear(2, 2);
    const sd = m.stateDict();
    sd.set("extra.weight", torch.zeros([1]));
    assert.throws(() => m.loadStateDict(sd), /unexpected keys.*\n\s+extra\.weight/);
    assert.deepEqual(m.loadStateDict(sd, { strict: false }).unexpectedKeys, ["extra.weight"]);
    torch.dispose(sd);
    m.dispose();
  });
  test("a mis-shaped key names both shapes, even with strict false", () => {
    const m = new nn.Conv2d(3, 4, 3);
    const sd = new Map([
      ["weight", torch.zeros([4, 3, 5, 5])],
      ["bias", torch.zeros([4])],
    ]);
    const expected = /mis-shaped keys:\n\s+weight: model has \[4, 3, 3, 3\], state dict has \[4, 3, 5, 5\]/;
    assert.throws(() => m.loadStateDict(sd), expected);
    assert.throws(() => m.loadStateDict(sd, { strict: false }), expected);
    torch.dispose(sd);
    m.dispose();
  });
  test("every problem is listed in one error", () => {
    const net = new NestedNet();
    const sd = net.stateDict();
    sd.delete("fc.bias");
    sd.set("fc.scale", torch.ones([3]));
    sd.get("head.2.weight")!.dispose();
    sd.set("head.2.weight", torch.zeros([3, 4, 1, 1]));
    assert.throws(
      () => net.loadStateDict(sd),
      (e: Error) => {
        assert.match(e.message, /missing keys[\s\S]*fc\.bias/);
        assert.match(e.message, /unexpected keys[\s\S]*fc\.scale/);
        assert.match(e.message, /head\.2\.weight: model has \[2, 4, 1, 1\], state dict has \[3, 4, 1, 1\]/);
        return true;
      },
    );
    torch.dispose(sd);
    net.dispose();
  });
  test("converts dtype on load (float64 source into float32 model)", () => {
    const m = new nn.Linear(1, 1);
    const sd = new Map([
      ["weight", torch.tensor([[0.25]], { dtype: "float64" })],
      ["bias", torch.tensor([-1], { dtype: "float64" })],
    ]);
    m.loadStateDict(sd);
    assert.equal(m.weight.dtype, "float32");
    assert.deepEqual([m.weight.item(), m.bias!.item()], [0.25, -1]);
    torch.dispose(sd);
    m.dispose();
  });
});

test("to() converts parameters in place: layers and an optimizer made before still see them", async () => {
  const { Adam } = await import("../src/optim/index.js");
  const layer = new nn.Linear(2, 1);
  const weight = layer.weight;
  const optimizer = new Adam(layer.parameters(), { lr: 0.1 });
  layer.to("float64");
  assert.equal(weight.dtype, "float64");
  assert.equal(layer.weight, weight);
  assert.equal(weight.requiresGrad, true);
  const before = weight.toArray();
  torch.tidy(() => {
    layer
      .forward(torch.ones([1, 2], { dtype: "float64" }))
      .sum()
      .backward();
    optimizer.step();
  });
  assert.notDeepEqual(weight.toArray(), before);
});
