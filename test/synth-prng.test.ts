// dime's PRNG: named streams are reproducible and independent; values are well spread.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Rng } from "../src/util/prng.js";

test("the same seed and labels give the same numbers; other labels give others", () => {
  const a = Array.from(
    { length: 5 },
    (
      (r) => () =>
        r.uint32()
    )(Rng.from(42, "video", 3)),
  );
  const b = Array.from(
    { length: 5 },
    (
      (r) => () =>
        r.uint32()
    )(Rng.from(42, "video", 3)),
  );
  const c = Array.from(
    { length: 5 },
    (
      (r) => () =>
        r.uint32()
    )(Rng.from(42, "video", 4)),
  );
  const d = Array.from(
    { length: 5 },
    (
      (r) => () =>
        r.uint32()
    )(Rng.from(43, "video", 3)),
  );
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, d);
});

test("uniform floats have mean 1/2 and fill ten bins evenly", () => {
  const rng = Rng.from(1);
  const bins = new Array(10).fill(0);
  let sum = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const v = rng.float();
    assert.ok(v >= 0 && v < 1);
    sum += v;
    bins[Math.floor(v * 10)] += 1;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005);
  for (const count of bins) assert.ok(Math.abs(count - n / 10) < 600, `bin count ${count}`);
});

test("permutation is a permutation", () => {
  const p = Rng.from(5).permutation(50);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
});
