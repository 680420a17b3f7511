// Comparisons that say where and by how much values differ.
import assert from "node:assert/strict";

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| element-wise, reporting the largest
 * difference and the first mismatches on failure.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6, rtol = 1e-5, what = "values"): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  let worst = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= worst)) worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
    if (!(diff <= atol + rtol * Math.abs(expected[i])) && mismatches.length < 5) mismatches.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  }
  assert.ok(mismatches.length === 0, `${what}: largest difference ${worst.toExponential(3)}; first mismatches: ${mismatches.join(", ")}`);
}
