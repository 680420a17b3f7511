// Dtypes, creation, data in and out, errors at the native boundary, autograd bookkeeping, seeds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { native, type Handle } from "../src/torch/binding.js";
import * as torch from "../src/torch/index.js";
import { assertClose } from "./helpers/assert.js";

const { tensor } = torch;

describe("dtypes and data", () => {
  test("every dtype round-trips through a typed array", () => {
    const cases: [torch.DType, ArrayBufferView][] = [
      ["float32", new Float32Array([1.5, -2, 3.25])],
      ["float64", new Float64Array([1e-300, -2, Math.PI])],
      ["int64", new BigInt64Array([-(2n ** 40n), 0n, 7n])],
      ["int32", new Int32Array([-5, 0, 2 ** 30])],
      ["uint8", new Uint8Array([0, 128, 255])],
      ["bool", new Uint8Array([1, 0, 1])],
      ["float16", new Uint16Array([0x3c00, 0xc000, 0x7bff])], // 1, -2, 65504
      ["bfloat16", new Uint16Array([0x3f80, 0xc000, 0x4049])], // 1, -2, 3.140625
    ];
    for (const [dtype, data] of cases) {
      const t = torch.fromArray(data, [3], { dtype });
      assert.equal(t.dtype, dtype);
      assert.deepEqual(
        Array.from(t.data() as ArrayLike<number | bigint>),
        Array.from(data as unknown as ArrayLike<number | bigint>),
        dtype,
      );
    }
    assert.deepEqual(torch.fromArray(new Uint16Array([0x3c00, 0xc000, 0x7bff]), [3], { dtype: "float16" }).toArray(), [1, -2, 65504]);
    assert.deepEqual(torch.fromArray(new Uint16Array([0x3f80, 0xc000, 0x4049]), [3], { dtype: "bfloat16" }).toArray(), [1, -2, 3.140625]);
  });
  test("conversions between dtypes follow PyTorch (truncation to int, 0/1 for bool)", () => {
    const x = tensor([-1.7, 0, 2.9]);
    assert.deepEqual(x.to("int64").toArray(), [-1, 0, 2]);
    assert.deepEqual(x.to("bool").toArray(), [1, 0, 1]);
    assert.deepEqual(x.to("float16").toArray(), [-1.7001953125, 0, 2.900390625]);
  });
  test("integer scalars keep integer tensors integral; fractional scalars promote", () => {
    const i = tensor([1, 2], { dtype: "int64" });
    assert.equal(i.add(1).dtype, "int64");
    assert.equal(i.mul(0.5).dtype, "float32");
  });
  test("nested arrays give the shape; ragged arrays are refused", () => {
    assert.deepEqual(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).shape,
      [2, 3],
    );
    assert.equal(tensor([true, false]).dtype, "bool");
    assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  });
  test("fromArray checks the byte count against the shape", () => {
    assert.throws(() => torch.fromArray(new Float32Array(5), [2, 3]), /20 bytes but shape and dtype need 24/);
  });
});

describe("factories", () => {
  test("zeros, ones, full, eye, arange, linspace", () => {
    assert.deepEqual(torch.zeros([2]).toArray(), [0, 0]);
    assert.deepEqual(torch.ones([2], { dtype: "int64" }).toArray(), [1, 1]);
    assert.deepEqual(torch.full([3], 2.5).toArray(), [2.5, 2.5, 2.5]);
    assert.deepEqual(torch.eye(2).toArray(), [1, 0, 0, 1]);
    assert.deepEqual(torch.arange(4).toArray(), [0, 1, 2, 3]);
    assert.equal(torch.arange(4).dtype, "int64");
    assert.deepEqual(torch.arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(torch.linspace(-1, 1, 5).toArray(), [-1, -0.5, 0, 0.5, 1]);
  });
  test("a seeded generator repeats; manualSeed resets the global stream", () => {
    const a = torch.randn([5], { generator: new torch.Generator(11) }).toArray();
    const b = torch.randn([5], { generator: new torch.Generator(11) }).toArray();
    assert.deepEqual(a, b);
    torch.manualSeed(3);
    const c = torch.rand([4]).toArray();
    torch.manualSeed(3);
    assert.deepEqual(torch.rand([4]).toArray(), c);
  });
  test("torch.manual_seed(42); torch.randn(3) gives PyTorch's numbers", () => {
    // From Debian's python3-torch 1.13.1: torch.manual_seed(42); torch.randn(3)
    torch.manualSeed(42);
    assertClose(torch.randn([3]).toArray(), [0.33669036626815796, 0.12880940735340118, 0.23446236550807953]);
  });
  test("generator state saves and restores the stream", () => {
    const g = new torch.Generator(5);
    torch.rand([3], { generator: g });
    const state = g.getState();
    const next = torch.rand([3], { generator: g }).toArray();
    g.setState(state);
    assert.deepEqual(torch.rand([3], { generator: g }).toArray(), next);
  });
  test("randint, randperm, bernoulli stay in range", () => {
    const r = torch.randint(3, 7, [200], { generator: new torch.Generator(1) }).toArray();
    assert.ok(r.every((v) => v >= 3 && v < 7));
    assert.deepEqual(
      torch
        .randperm(6, { generator: new torch.Generator(2) })
        .toArray()
        .sort(),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(
      torch
        .bernoulli(torch.full([50], 0.5), new torch.Generator(3))
        .toArray()
        .every((v) => v === 0 || v === 1),
    );
  });
});

describe("errors at the native boundary", () => {
  test("a libtorch error becomes a JS Error with libtorch's message, and the process goes on", () => {
    const x = torch.zeros([1, 3, 8, 8]);
    const w = torch.zeros([4, 2, 3, 3]);
    assert.throws(
      () => torch.F.conv2d(x, w),
      (e: Error) => e instanceof Error && /conv2d: .*expected input\[1, 3, 8, 8\] to have 2 channels/.test(e.message),
    );
    assert.throws(() => torch.matmul(torch.zeros([2, 3]), torch.zeros([2, 3])), /matmul: .*cannot be multiplied/);
    assert.throws(() => torch.zeros([2, 3]).view(4), /view: shape '\[4\]' is invalid/);
    assert.throws(() => torch.zeros([2]).item(), /item\(\) needs a tensor with one element/);
    assert.throws(() => torch.zeros([2], { device: "cuda:7" }).item(), Error);
    assert.throws(() => torch.linalg.inv(torch.zeros([2, 2], { dtype: "float64" })), /inv: /);
    // still alive
    assert.deepEqual(torch.ones([2]).add(1).toArray(), [2, 2]);
  });
  test("wrong argument kinds are refused before reaching libtorch", () => {
    assert.throws(() => torch.zeros([-1]), /zeros: /);
    assert.throws(() => torch.zeros([2.5]), /not an integer/);
    assert.throws(() => torch.zeros([2], { dtype: "complex64" as torch.DType }), /unknown dtype/);
  });
  test("the addon refuses stale and forged tensor ids instead of touching freed memory", () => {
    const x = torch.ones([2]);
    const id = x.handle();
    x.dispose();
    assert.throws(() => native.neg(id), /neg: argument 0 is a tensor that was disposed/);
    assert.throws(() => native.neg((12345n << 32n) as Handle), /neg: argument 0 is not a tensor/);
    assert.equal(native.dispose(id), false, "disposing twice is harmless");
  });
  test("a disposed tensor names the op that used it", () => {
    const x = torch.ones([2]);
    x.dispose();
    assert.throws(
      () => x.exp(),
      (e: Error) => e instanceof torch.UseAfterDisposeError && e.message.startsWith("exp: tensor was used after dispose()"),
    );
    assert.throws(() => torch.ones([2]).add(x), /add: tensor was used after dispose/);
  });
});

describe("autograd", () => {
  test("backward accumulates into .grad; setGrad(undefined) clears it", () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
    x.setGrad(undefined);
    assert.equal(x.grad, undefined);
  });
  test("backward with an explicit gradient and retained graph", () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.mul(x);
    y.backward(tensor([1, 10]), { retainGraph: true });
    y.backward(tensor([1, 0]));
    assert.deepEqual(x.grad!.toArray(), [4, 40]);
  });
  test("detach, noGrad and inferenceMode record nothing", () => {
    const x = tensor([1, 2]).requiresGrad_();
    assert.equal(x.mul(2).requiresGrad, true);
    assert.equal(x.detach().mul(2).requiresGrad, false);
    assert.equal(
      torch.noGrad(() => x.mul(2).requiresGrad),
      false,
    );
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(
      torch.inferenceMode(() => x.mul(2).requiresGrad),
      false,
    );
    {
      using _ = new torch.GradMode(false);
      assert.equal(x.mul(2).requiresGrad, false);
      assert.equal(
        torch.enableGrad(() => x.mul(2).requiresGrad),
        true,
      );
    }
    assert.equal(torch.isGradEnabled(), true);
  });
  test("outsideInferenceMode makes ordinary tensors inside inference mode, and the mode comes back", () => {
    const [made, inside] = torch.inferenceMode(() => {
      const t = torch.outsideInferenceMode(() => {
        assert.equal(native.isInferenceMode(), false);
        return torch.noGrad(() => tensor([1, 2, 3]).mul(2));
      });
      assert.equal(native.isInferenceMode(), true, "inference mode again after the inner scope");
      return [t, tensor([1, 2, 3]).mul(2)];
    });
    // An in-place update of an inference tensor outside inference mode is refused; of the other one, not.
    assert.throws(() => torch.noGrad(() => inside.add_(1)), /Inplace update to inference tensor/);
    assert.deepEqual(torch.noGrad(() => made.add_(1)).toArray(), [3, 5, 7]);
    assert.throws(() => torch.outsideInferenceMode(() => Promise.resolve()), /needs a synchronous function/);
    assert.equal(native.isInferenceMode(), false);
  });
  test("torch.grad with createGraph gives second derivatives", () => {
    const x = tensor([2], { dtype: "float64" }).requiresGrad_();
    const [dy] = torch.grad(x.pow(3), x, { createGraph: true });
    const [d2y] = torch.grad(dy!, x);
    assert.deepEqual(dy!.toArray(), [12]);
    assert.deepEqual(d2y!.toArray(), [12]);
  });
});

describe("runtime", () => {
  test("thread count can be set and read", () => {
    const before = torch.getNumThreads();
    torch.setNumThreads(1);
    assert.equal(torch.getNumThreads(), 1);
    torch.setNumThreads(before);
    assert.throws(() => torch.setNumThreads(0), RangeError);
  });
  test("OpenBLAS, where libtorch uses it, runs on the calling thread: its helper threads never spin against libtorch's", () => {
    // Debian's libtorch links OpenBLAS (one thread per core by default); PyPI's wheels use MKL (-1).
    const [blas, before] = [torch.blasThreads(), torch.getNumThreads()];
    assert.ok(blas === 1 || blas === -1, `OpenBLAS has ${blas} threads`);
    torch.setNumThreads(2);
    assert.equal(torch.blasThreads(), blas, "setting libtorch's threads leaves OpenBLAS's alone");
    torch.setNumThreads(before);
  });
  test("cuda reports availability and refuses tensors when absent", { skip: torch.cuda.isAvailable() }, () => {
    assert.equal(torch.cuda.isAvailable(), false);
    assert.throws(() => torch.zeros([1], { device: "cuda" }), Error);
  });
});
