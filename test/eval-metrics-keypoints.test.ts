// The metrics over detector outputs (src/eval/metrics): AKD on keypoint sets with hand-computed
// distances (normalised and pixel coordinates, non-square frames, visibility) and CSIM on
// embeddings with known angles.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { akd, csim } from "../src/eval/metrics/index.js";
import { assertClose } from "./helpers/assert.js";
import { TOL } from "./helpers/tolerance.js";

const kp = (points: number[][][]) => torch.tensor(points, { dtype: "float64" });

describe("AKD", () => {
  test("normalised coordinates: a difference of d is d (side - 1) / 2 pixels (align_corners true)", () => {
    torch.tidy(() => {
      // Frame 0: (0.5, 0) apart = 15.75 px at 64 px, and (0, 2) apart = 63 px -> mean 39.375.
      // Frame 1: identical keypoints -> 0.
      const a = kp([
        [
          [0, 0],
          [1, 1],
        ],
        [
          [0.2, -0.3],
          [0.9, 0.1],
        ],
      ]);
      const b = kp([
        [
          [0.5, 0],
          [1, -1],
        ],
        [
          [0.2, -0.3],
          [0.9, 0.1],
        ],
      ]);
      assertClose(akd(a, b, 64).toArray(), [39.375, 0], TOL.exact.float64!, 0, "akd 64 px");
      // A 32 (high) x 64 (wide) frame: x scales by 31.5, y by 15.5 -> (15.75 + 31) / 2.
      assertClose(akd(a, b, [32, 64]).toArray(), [23.375, 0], TOL.exact.float64!, 0, "akd 32x64 px");
    });
  });

  test("pixel coordinates, and pose-evaluation's mean |dx|, |dy| as an option", () => {
    torch.tidy(() => {
      const a = kp([
        [
          [10, 20],
          [0, 0],
        ],
      ]);
      const b = kp([
        [
          [13, 24],
          [6, 8],
        ],
      ]);
      assertClose(akd(a, b, 64, { coords: "pixels" }).toArray(), [7.5], TOL.exact.float64!, 0, "euclidean: (5 + 10) / 2");
      assertClose(
        akd(a, b, 64, { coords: "pixels", distance: "mean-abs" }).toArray(),
        [5.25],
        TOL.exact.float64!,
        0,
        "mean-abs: (3.5 + 7) / 2",
      );
    });
  });

  test("visibility: only keypoints marked in the mask count; a frame with none gives NaN", () => {
    torch.tidy(() => {
      const a = kp([
        [
          [10, 20],
          [0, 0],
          [5, 5],
        ],
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
      ]);
      const b = kp([
        [
          [13, 24],
          [6, 8],
          [5, 5],
        ],
        [
          [0, 1],
          [0, 2],
          [0, 3],
        ],
      ]);
      const visible = torch.tensor([
        [true, false, true],
        [false, false, false],
      ]);
      const got = akd(a, b, 64, { coords: "pixels", visible }).toArray();
      assertClose([got[0]], [2.5], TOL.exact.float64!, 0, "(5 + 0) / 2");
      assert.ok(Number.isNaN(got[1]), `no visible keypoint: ${got[1]}`);
    });
  });

  test("bad inputs: shapes, mask shape, size", () => {
    torch.tidy(() => {
      const a = kp([
        [
          [0, 0],
          [1, 1],
        ],
      ]);
      assert.throws(
        () => akd(a, kp([[[0, 0]]]), 64),
        /akd: needs two keypoint sets \(B, K, 2\) of the same shape, got \[1, 2, 2\] and \[1, 1, 2\]/,
      );
      assert.throws(() => akd(a, a, 64, { visible: torch.ones([1, 3]) }), /akd: visible must be \(B, K\) = \[1, 2\], got \[1, 3\]/);
      assert.throws(() => akd(a, a, 0), /akd: size must be the frame's side in pixels/);
    });
  });
});

describe("CSIM", () => {
  test("cosine similarity per pair: known angles, scale invariance, zero vectors give 0", () => {
    torch.tidy(() => {
      const a = torch.tensor(
        [
          [1, 0],
          [1, 2],
          [1, 0],
          [3, 4],
          [0, 0],
        ],
        { dtype: "float64" },
      );
      const b = torch.tensor(
        [
          [0, 1],
          [2, 4],
          [-1, 0],
          [4, 3],
          [1, 1],
        ],
        { dtype: "float64" },
      );
      assertClose(csim(a, b).toArray(), [0, 1, -1, 24 / 25, 0], TOL.exact.float64!, 0, "csim");
    });
  });

  test("bad inputs: shapes", () => {
    torch.tidy(() => {
      assert.throws(
        () => csim(torch.zeros([2, 4]), torch.zeros([2, 3])),
        /csim: needs two embedding batches \(B, D\) of the same shape, got \[2, 4\] and \[2, 3\]/,
      );
    });
  });
});
