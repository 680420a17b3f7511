// The TPS transform X and the equivariance losses: FOMM's golden training steps, the analytic
// jacobian against autograd and finite differences, the identity transform, loss gradients and
// the random constructor.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { Transform } from "../src/dime/losses/transform.js";
import { equivarianceLosses, equivarianceValueLoss, equivarianceJacobianLoss } from "../src/dime/losses/equivariance.js";
import { makeCoordinateGrid } from "../src/dime/geometry.js";
import { loadGolden, NO_GOLDEN, assertTensorClose } from "./helpers/golden.js";
import { gradcheck, input, values } from "./helpers/gradcheck.js";
import { assertClose } from "./helpers/assert.js";

/** Golden tensors are float32 roundings of a float64 run; we recompute in float64 from them. */
const GOLDEN_ATOL = 2e-7;
/** Loss values against the float64 reference, relative. */
const GOLDEN_LOSS_RTOL = 1e-6;
/** transformFrame against the reference, in float64 and in float32 (where the sampling index's rounding shows). */
const GOLDEN_FRAME_ATOL = 2e-7;
const FRAME_F32_ATOL = 1e-5;
/** Two float64 computations of the same quantity in different orders. */
const F64_ATOL = 1e-10;
/** Central differences in float64 with step FD_EPS. */
const FD_EPS = 1e-6;
const FD_ATOL = 1e-7;

const WEIGHTS = { equivariance_value: 10, equivariance_jacobian: 10 };
const F64 = { dtype: "float64" } as const;

/** A float64 transform of batch b with random affine and TPS parts (bigger than training's, to test more). */
function randomTransform64(b: number, seed: number, sigmaTps = 0.05): Transform {
  const [theta, points, params] = torch.tidy(() => {
    const t = Transform.random({ sigma_affine: 0.2, sigma_tps: sigmaTps, points_tps: 5 }, b, new torch.Generator(seed));
    return [t.theta.double(), t.controlPoints.double(), t.controlParams.double()];
  });
  return new Transform(theta, points, params);
}

/** The identity: theta = eye(2, 3), no TPS weight. */
function identityTransform(b: number, options: { dtype?: torch.DType } = {}): Transform {
  const theta = torch
    .tensor(
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      options,
    )
    .view(1, 2, 3)
    .repeat(b, 1, 1);
  return new Transform(theta, makeCoordinateGrid(5, 5, options), torch.zeros([b, 1, 25], options));
}

/** FOMM's way: dX/dc row by row from autograd of X(c)[..., k].sum(), with a graph for higher orders. */
function autogradJacobian(transform: Transform, c: Tensor): Tensor {
  const warped = transform.warpCoordinates(c);
  const rows = [0, 1].map((k) => torch.grad(warped.select(-1, k).sum(), c, { createGraph: true, retainGraph: true })[0]!.unsqueeze(-2));
  return torch.cat(rows, -2); // (B, N, 2, 2)
}

function largestDifference(a: Tensor, b: Tensor): number {
  return torch.tidy(() => a.detach().double().sub(b.double()).abs().amax().item());
}

for (const file of ["fomm-tiny-train-64px.safetensors", "fomm-tiny-train.safetensors"]) {
  describe(`golden ${file}`, { skip: NO_GOLDEN }, () => {
    const g = NO_GOLDEN ? new Map<string, Tensor>() : loadGolden(file);
    const get = (key: string) => {
      const t = g.get(key);
      if (t === undefined) throw new Error(`${file} has no tensor '${key}'`);
      return t.double();
    };
    const transform = () => new Transform(get("transform.theta"), get("transform.control_points"), get("transform.control_params"));

    test("warpCoordinates(transformed_kp) == transform.warped_kp", () =>
      torch.tidy(() => {
        const actual = transform().warpCoordinates(get("transformed_kp.value"));
        console.log(`  ${file} warped_kp: largest difference ${largestDifference(actual, get("transform.warped_kp")).toExponential(2)}`);
        assertTensorClose(actual, get("transform.warped_kp"), "warped_kp", GOLDEN_ATOL);
      }));

    test("jacobian(transformed_kp) == transform.jacobian_at_kp", () =>
      torch.tidy(() => {
        const actual = transform().jacobian(get("transformed_kp.value"));
        console.log(
          `  ${file} jacobian_at_kp: largest difference ${largestDifference(actual, get("transform.jacobian_at_kp")).toExponential(2)}`,
        );
        assertTensorClose(actual, get("transform.jacobian_at_kp"), "jacobian_at_kp", GOLDEN_ATOL);
      }));

    test("loss.equivariance_value and loss.equivariance_jacobian", () =>
      torch.tidy(() => {
        const kpDriving = { value: get("kp_driving.value"), jacobian: get("kp_driving.jacobian") };
        const kpTransformed = { value: get("transformed_kp.value"), jacobian: get("transformed_kp.jacobian") };
        const losses = equivarianceLosses(kpDriving, kpTransformed, transform(), WEIGHTS);
        assert.deepEqual([...losses.keys()], ["equivariance_value", "equivariance_jacobian"]);
        for (const [name, value] of losses) {
          const expected = get(`loss.${name}`);
          const relative = Math.abs(value.item() - expected.item()) / Math.abs(expected.item());
          console.log(`  ${file} ${name}: ${value.item()} vs ${expected.item()} (relative ${relative.toExponential(2)})`);
          assertTensorClose(value, expected, name, 0, GOLDEN_LOSS_RTOL);
        }
      }));

    if (file === "fomm-tiny-train-64px.safetensors") {
      test("transformFrame(input.driving) == transformed_frame", () =>
        torch.tidy(() => {
          const t = transform();
          const expected = get("transformed_frame");
          const actual64 = t.transformFrame(get("input.driving"));
          const actual32 = t.transformFrame(get("input.driving").float());
          console.log(
            `  transformed_frame: largest difference ${largestDifference(actual64, expected).toExponential(2)} (float64), ${largestDifference(actual32, expected).toExponential(2)} (float32)`,
          );
          assertTensorClose(actual64, expected, "transformed_frame", GOLDEN_FRAME_ATOL);
          assertTensorClose(actual32, expected, "transformed_frame (float32)", FRAME_F32_ATOL);
        }));
    }
  });
}

describe("jacobian", () => {
  // Points off the control grid lines (x, y in {-1, -0.5, 0, 0.5, 1}), where |.| has kinks.
  const points = () => torch.fromArray(Float64Array.from(values(2 * 7 * 2, 11, -1.2, 1.2)), [2, 7, 2]);

  test("analytic == autograd (FOMM's way), values and their gradients", () =>
    torch.tidy(() => {
      const transform = randomTransform64(2, 3);
      const c = points().requiresGrad_();
      const analytic = transform.jacobian(c);
      const reference = autogradJacobian(transform, c);
      assertTensorClose(analytic, reference, "jacobian", F64_ATOL);
      // Second order: d/dc of a weighted sum of the jacobian, through both constructions.
      const w = torch.randn([2, 7, 2, 2], { ...F64, generator: new torch.Generator(5) });
      const [gradAnalytic] = torch.grad(analytic.mul(w).sum(), c);
      const [gradReference] = torch.grad(reference.mul(w).sum(), c);
      assert.ok(gradReference!.abs().amax().item() > 1e-3, "the second-order terms are not trivially zero");
      assertTensorClose(gradAnalytic!, gradReference!, "d jacobian / dc", F64_ATOL);
    }));

  test("analytic == central finite differences of warpCoordinates", () =>
    torch.tidy(() => {
      const transform = randomTransform64(2, 4);
      const c = points();
      const analytic = transform.jacobian(c);
      const columns = [0, 1].map((j) => {
        const step = torch.tensor([[[j === 0 ? FD_EPS : 0, j === 1 ? FD_EPS : 0]]], F64); // (1, 1, 2)
        return transform
          .warpCoordinates(c.add(step))
          .sub(transform.warpCoordinates(c.sub(step)))
          .div(2 * FD_EPS); // (B, N, 2) = column j
      });
      assertTensorClose(analytic, torch.stack(columns, -1), "jacobian vs finite differences", FD_ATOL);
    }));

  test("a batch-1 set of coordinates broadcasts over the transform's batch", () =>
    torch.tidy(() => {
      const transform = randomTransform64(2, 6);
      const c = points().slice(0, 0, 1); // (1, 7, 2)
      assert.deepEqual(transform.warpCoordinates(c).shape, [2, 7, 2]);
      assertTensorClose(transform.jacobian(c), transform.jacobian(c.expand(2, 7, 2)), "broadcast jacobian", 0);
      assert.throws(() => transform.warpCoordinates(torch.zeros([3, 7, 2], F64)), /B = 2 \(or 1\)/);
    }));
});

describe("identity transform", () => {
  test("leaves coordinates and frames unchanged; jacobian is the identity", () =>
    torch.tidy(() => {
      const transform = identityTransform(2, F64);
      const c = torch.fromArray(Float64Array.from(values(2 * 9 * 2, 21, -1, 1)), [2, 9, 2]);
      assertTensorClose(transform.warpCoordinates(c), c, "X(c)", 0);
      assertTensorClose(transform.jacobian(c), torch.eye(2, F64).expand(2, 9, 2, 2), "dX/dc", 0);
      const frame = torch.rand([2, 3, 8, 11], { ...F64, generator: new torch.Generator(2) });
      assertTensorClose(transform.transformFrame(frame), frame, "X(frame) float64", 1e-12);
      const frame32 = frame.float();
      assertTensorClose(identityTransform(2).transformFrame(frame32), frame32, "X(frame) float32", 1e-6);
    }));

  test("losses are zero for identical keypoints", () =>
    torch.tidy(() => {
      const value = torch.fromArray(Float64Array.from(values(2 * 4 * 2, 31)), [2, 4, 2]);
      const jacobian = torch.eye(2, F64).add(torch.fromArray(Float64Array.from(values(2 * 4 * 4, 32, -0.3, 0.3)), [2, 4, 2, 2]));
      const kp = { value, jacobian };
      const losses = equivarianceLosses(kp, kp, identityTransform(2, F64), WEIGHTS);
      assert.equal(losses.get("equivariance_value")!.item(), 0);
      assert.ok(losses.get("equivariance_jacobian")!.item() < 1e-14, `jacobian loss ${losses.get("equivariance_jacobian")!.item()}`);
    }));
});

describe("equivariance losses", () => {
  const B = 2;
  const K = 3;
  const transform = () => randomTransform64(B, 8);
  // Jacobians near the identity stay invertible.
  const jacobianInput = (seed: number) => {
    const spec = input([B, K, 2, 2], seed, -0.3, 0.3);
    spec.data = spec.data.map((v, i) => v + (i % 4 === 0 || i % 4 === 3 ? 1 : 0));
    return spec;
  };

  test("value loss: finite-difference gradient w.r.t. both keypoint sets", () =>
    gradcheck("equivariance_value", (kpDriving, kpTransformed) => equivarianceValueLoss(kpDriving, kpTransformed, transform()), [
      input([B, K, 2], 41, -0.9, 0.9),
      input([B, K, 2], 42, -0.9, 0.9),
    ]));

  test("jacobian loss: finite-difference gradient w.r.t. jacobians and the transformed keypoints", () =>
    gradcheck(
      "equivariance_jacobian",
      (jDriving, kpTransformed, jTransformed) => equivarianceJacobianLoss(jDriving, kpTransformed, jTransformed, transform()),
      [jacobianInput(43), input([B, K, 2], 44, -0.9, 0.9), jacobianInput(45)],
    ));

  test("zero-weighted terms and missing jacobians are skipped; one-sided jacobians are refused", () =>
    torch.tidy(() => {
      const value = torch.fromArray(Float64Array.from(values(B * K * 2, 51)), [B, K, 2]);
      const jacobian = torch.eye(2, F64).expand(B, K, 2, 2);
      const t = transform();
      assert.deepEqual(
        [...equivarianceLosses({ value, jacobian }, { value, jacobian }, t, { equivariance_value: 0, equivariance_jacobian: 10 }).keys()],
        ["equivariance_jacobian"],
      );
      assert.deepEqual(
        [...equivarianceLosses({ value, jacobian }, { value, jacobian }, t, { equivariance_value: 10, equivariance_jacobian: 0 }).keys()],
        ["equivariance_value"],
      );
      assert.deepEqual([...equivarianceLosses({ value }, { value }, t, WEIGHTS).keys()], ["equivariance_value"]);
      assert.throws(() => equivarianceLosses({ value, jacobian }, { value }, t, WEIGHTS), /only one of kpDriving and kpTransformed/);
      const weighted = equivarianceLosses({ value }, { value: value.flip(1) }, t, WEIGHTS).get("equivariance_value")!;
      assertClose([weighted.item()], [10 * equivarianceValueLoss(value, value.flip(1), t).item()], 0, 1e-15, "weight 10");
    }));

  test("frees every intermediate tensor", () => {
    const t = randomTransform64(B, 9);
    const kp = {
      value: torch.fromArray(Float64Array.from(values(B * K * 2, 61)), [B, K, 2]),
      jacobian: torch.eye(2, F64).repeat(B, K, 1, 1),
    };
    const frame = torch.rand([B, 3, 8, 8], F64);
    const run = () => torch.dispose([equivarianceLosses(kp, kp, t, WEIGHTS), t.transformFrame(frame), t.jacobian(kp.value)]);
    run();
    const before = torch.memory();
    run();
    const after = torch.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.nativeTensors, before.nativeTensors);
    torch.dispose([kp, frame]);
    t.dispose();
  });
});

describe("Transform.random", () => {
  const params = { sigma_affine: 0.05, sigma_tps: 0.005, points_tps: 5 };

  test("draws FOMM's stream: theta = eye + 0.05 N(0,1), then 0.005 N(0,1) control params", () =>
    torch.tidy(() => {
      const t = Transform.random(params, 1, new torch.Generator(0));
      // torch.manual_seed(0); torch.randn(2, 3) in PyTorch prints these (4 decimals).
      const published = [1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986];
      const eye = [1, 0, 0, 0, 1, 0];
      assertClose(
        t.theta.toArray(),
        published.map((v, i) => eye[i] + 0.05 * v),
        0.05 * 1e-4,
        0,
        "theta",
      );
      const g = new torch.Generator(0);
      torch.randn([1, 2, 3], { generator: g });
      assertTensorClose(t.controlParams, torch.randn([1, 1, 25], { generator: g }).mul(torch.full([1, 1, 25], 0.005)), "control params", 0);
      assertTensorClose(t.controlPoints, makeCoordinateGrid(5, 5), "control points", 0);
      assert.equal(t.theta.dtype, "float32");
    }));

  test("deterministic for a seeded generator, different for another seed", () =>
    torch.tidy(() => {
      const a = Transform.random(params, 3, new torch.Generator(17));
      const b = Transform.random(params, 3, new torch.Generator(17));
      const c = Transform.random(params, 3, new torch.Generator(18));
      assert.ok(a.theta.equal(b.theta) && a.controlParams.equal(b.controlParams));
      assert.ok(!a.theta.equal(c.theta) && !a.controlParams.equal(c.controlParams));
    }));

  test("has the requested statistics", () =>
    torch.tidy(() => {
      const n = 4000;
      const t = Transform.random(params, n, new torch.Generator(99));
      const theta = t.theta.double();
      // Standard error of a mean over n draws is sigma / sqrt(n); allow 5 of them.
      assertClose(theta.mean(0).toArray(), [1, 0, 0, 0, 1, 0], (5 * 0.05) / Math.sqrt(n), 0, "mean theta");
      assertClose(theta.std(0).toArray(), new Array(6).fill(0.05), 0.05 * 0.05, 0, "std theta");
      const p = t.controlParams.double();
      assertClose([p.mean().item(), p.std().item()], [0, 0.005], 0.005 * 0.02, 0, "control params mean, std");
      assert.deepEqual(p.shape, [n, 1, 25]);
    }));

  test("refuses a bad batch size or control grid", () => {
    assert.throws(() => Transform.random(params, 0), /batch size/);
    assert.throws(() => Transform.random({ ...params, points_tps: 1 }, 2), /points_tps/);
  });
});
