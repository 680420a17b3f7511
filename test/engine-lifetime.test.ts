// Tensor lifetime: tidy(), keep(), dispose() and the garbage-collection safety net.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { type Handle, native } from "../src/torch/binding.js";
import * as torch from "../src/torch/index.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const live = () => torch.memory().numTensors;

describe("tidy", () => {
  test("frees what the function made and did not return", () => {
    const before = live();
    const kept = torch.tidy(() => {
      const a = torch.ones([3]);
      const b = a.add(1).mul(2);
      return { out: b.sum(), list: [b.neg()], n: 3 };
    });
    assert.equal(live() - before, 2);
    assert.equal(kept.out.item(), 12);
    assert.deepEqual(kept.list[0].toArray(), [-4, -4, -4]);
    torch.dispose(kept);
    assert.equal(live(), before);
  });
  test("returned tensors move to the enclosing scope", () => {
    const before = live();
    torch.tidy(() => {
      const inner = torch.tidy(() => torch.ones([2]).add(1));
      assert.equal(inner.isDisposed, false);
      return undefined;
    });
    assert.equal(live(), before);
  });
  test("keep() survives the scope", () => {
    let x: torch.Tensor | undefined;
    torch.tidy(() => {
      x = torch.keep(torch.ones([2]));
      torch.ones([5]);
    });
    assert.equal(x!.isDisposed, false);
    x!.dispose();
  });
  test("an exception frees everything made in the scope", () => {
    const before = live();
    assert.throws(() =>
      torch.tidy(() => {
        torch.ones([4]);
        throw new Error("boom");
      }),
    );
    assert.equal(live(), before);
  });
  test("an async function is refused", () => {
    assert.throws(() => torch.tidy(async () => 1), /synchronous/);
  });
  test("native handles match the JS count (no hidden leaks in the addon)", () => {
    gc();
    const before = torch.memory();
    for (let i = 0; i < 200; i++) {
      torch.tidy(() => {
        const x = torch.randn([4, 4]).requiresGrad_();
        const loss = x.matmul(x).relu().sum();
        loss.backward();
        const g = x.grad!;
        return g.sum().item();
      });
    }
    const after = torch.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.nativeTensors, before.nativeTensors);
  });
});

describe("garbage-collection safety net", () => {
  test("tensors nobody disposes are freed once unreachable", async () => {
    // The test follows its own tensors' native ids rather than the process-wide count, which other
    // files' garbage (and worker threads' tensors) also move when files share a process (test/quick.ts).
    const ids = (() => {
      const made: Handle[] = [];
      for (let i = 0; i < 100; i++) made.push(torch.zeros([1000]).handle());
      return made;
    })();
    assert.ok(
      ids.every((id) => !native.isDisposed(id)),
      "alive while nothing has collected them",
    );
    // FinalizationRegistry callbacks run after a GC, on a later turn of the event loop.
    for (let i = 0; i < 10 && !ids.every((id) => native.isDisposed(id)); i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(ids.filter((id) => !native.isDisposed(id)).length, 0, "tensors still alive after 10 collections");
  });
});
