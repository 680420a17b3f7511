// Motion transfer on keypoint sets with known answers: hull areas, the adapt-scale factor, the
// normalisation and best-frame search, and relative / absolute target keypoints.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { convexHull, hullArea } from "../src/infer/hull.js";
import { bestFrame, movementScale, normalizeKeypoints, targetKeypoints } from "../src/infer/motion.js";
import { assertClose } from "./helpers/assert.js";
import { TOL } from "./helpers/tolerance.js";

const EXACT = TOL.exact.float64!;

/** A (K, 2) set moved by a uniform scale and a translation. */
function similar(points: readonly number[], scale: number, dx: number, dy: number): number[] {
  return points.map((v, i) => v * scale + (i % 2 === 0 ? dx : dy));
}

const SQUARE = [-0.5, -0.5, 0.5, -0.5, 0.5, 0.5, -0.5, 0.5];
/** Ten keypoints in no particular shape, like a detector's. */
const SCATTER = [0.1, -0.3, -0.4, 0.2, 0.35, 0.4, -0.1, -0.6, 0.6, -0.1, 0.05, 0.05, -0.55, -0.25, 0.2, 0.7, -0.3, 0.55, 0.45, -0.45];

describe("convex hull area", () => {
  test("a triangle with points inside and on its edges has the triangle's area", () => {
    const points = [0, 0, 2, 0, 0, 1, 0.5, 0.25, 0.2, 0.5, 1, 0, 0, 0.5, 1, 0.5];
    assert.ok(Math.abs(hullArea(points) - 1) < EXACT, `area ${hullArea(points)}`);
    assert.equal(convexHull(points).length, 3, "collinear edge points are not vertices");
  });
  test("a square's area, whatever the order of its points", () => {
    const shuffled = [0.5, 0.5, -0.5, -0.5, -0.5, 0.5, 0.5, -0.5];
    assert.ok(Math.abs(hullArea(SQUARE) - 1) < EXACT);
    assert.ok(Math.abs(hullArea(shuffled) - 1) < EXACT);
  });
  test("collinear, repeated and too few points have area 0", () => {
    assert.equal(hullArea([0, 0, 1, 1, 2, 2, 3, 3]), 0);
    assert.equal(hullArea([0.3, 0.3, 0.3, 0.3, 0.3, 0.3]), 0);
    assert.equal(hullArea([0, 0, 1, 1]), 0);
  });
  test("scales with the square of a uniform scale", () => {
    assert.ok(Math.abs(hullArea(similar(SCATTER, 0.5, 0.2, -0.1)) - hullArea(SCATTER) / 4) < EXACT);
  });
});

describe("adapt-scale", () => {
  test("a square and the same square scaled by 2 (and moved): the factor is the ratio", () => {
    const big = similar(SQUARE, 2, 0.3, -0.1);
    assert.ok(Math.abs(movementScale(big, SQUARE) - 2) < EXACT, `${movementScale(big, SQUARE)}`);
    assert.ok(Math.abs(movementScale(SQUARE, big) - 0.5) < EXACT);
  });
  test("any set and a scaled copy of it", () => {
    assert.ok(Math.abs(movementScale(SCATTER, similar(SCATTER, 0.8, 0, 0.1)) - 1.25) < EXACT);
  });
  test("a degenerate hull gives 1 (no adaptation) rather than 0 or infinity", () => {
    const line = [0, 0, 0.5, 0.5, 1, 1];
    assert.equal(movementScale(SQUARE, line), 1);
    assert.equal(movementScale(line, SQUARE), 1);
  });
});

describe("find-best-frame", () => {
  test("normalisation removes translation and uniform scale", () => {
    assertClose(normalizeKeypoints(similar(SCATTER, 0.37, -0.2, 0.15)), normalizeKeypoints(SCATTER), EXACT, 0, "normalised keypoints");
    const n = normalizeKeypoints(SCATTER);
    const mean = [0, 1].map((c) => n.filter((_, i) => i % 2 === c).reduce((a, b) => a + b, 0));
    assertClose(mean, [0, 0], EXACT, 0, "centred");
    assert.ok(Math.abs(hullArea(n) - 1) < EXACT, "unit hull area");
  });
  test("the frame equal to the source up to translation and scale is the best one", () => {
    const frames = [
      SCATTER.map((v, i) => (i % 2 === 0 ? v * 1.5 : v)),
      SCATTER.map((v, i) => v + 0.05 * Math.sin(i)),
      similar(SCATTER, 0.6, 0.2, -0.3),
      SCATTER.map((v) => -v * 0.9),
    ];
    assert.equal(bestFrame(SCATTER, frames), 2);
  });
  test("the earliest of equally good frames; the wrong keypoint count is an error", () => {
    const match = similar(SQUARE, 2, 0.1, 0);
    assert.equal(bestFrame(SQUARE, [[0, 0, 1, 0, 1, 0.2, 0, 0.2], match, match]), 1);
    assert.throws(() => bestFrame(SQUARE, [SCATTER.slice(0, 6)]), /frame 0 has 3 keypoints, the source 4/);
    assert.throws(() => bestFrame(SQUARE, []), /no driving frames/);
  });
});

describe("target keypoints", () => {
  const kp = (values: number[], b: number) => ({ value: torch.tensor(values).view(b, values.length / b / 2, 2) });

  test("relative: kp_S + (kp_D(t) - kp_D(0)) * scale; absolute: kp_D(t)", () => {
    torch.tidy(() => {
      const source = kp(SQUARE, 1);
      const initial = kp(similar(SQUARE, 1, 0.1, 0.1), 1);
      const driving = kp([...similar(SQUARE, 1, 0.1, 0.1), ...similar(SQUARE, 1, 0.3, 0)], 2);
      const relative = targetKeypoints(source, driving, initial, { mode: "relative", scale: 2 });
      assertClose(relative.value.data<"float32">(), [...SQUARE, ...similar(SQUARE, 1, 0.4, -0.2)], 1e-6, 0, "relative");
      const absolute = targetKeypoints(source, driving, initial, { mode: "absolute", scale: 2 });
      assertClose(absolute.value.data<"float32">(), driving.value.data<"float32">(), 0, 0, "absolute");
    });
  });
  test("Jacobians move as J_D(t) inv(J_D(0)) J_S, so an unchanged driving frame keeps J_S", () => {
    torch.tidy(() => {
      const jacobian = (values: number[], b: number) => torch.tensor(values).view(b, 1, 2, 2);
      const source = { value: torch.zeros([1, 1, 2]), jacobian: jacobian([1, 0.2, 0, 1.5], 1) };
      const initial = { value: torch.zeros([1, 1, 2]), jacobian: jacobian([2, 0, 0, 0.5], 1) };
      const driving = { value: torch.zeros([2, 1, 2]), jacobian: jacobian([2, 0, 0, 0.5, 4, 0, 0, 0.5], 2) };
      const target = targetKeypoints(source, driving, initial, { mode: "relative", scale: 1 });
      assertClose(target.jacobian!.data<"float32">(), [1, 0.2, 0, 1.5, 2, 0.4, 0, 1.5], 1e-6, 0, "jacobians");
    });
  });
});
