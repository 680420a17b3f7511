// The random thin-plate-spline transform X of the equivariance constraint (paper eq. 14; FOMM's
// Transform in modules/model.py, followed exactly, including its L1-distance TPS kernel).
//
// X(c) = theta[:, :, :2] c + theta[:, :, 2] + sum_j p_j d_j^2 log(d_j + 1e-6),  d_j = |c - cp_j|_1,
// where the TPS sum is added to both output coordinates (as FOMM does). See docs/equivariance.md.
import * as torch from "../../torch/index.js";
import type { Tensor, Generator } from "../../torch/index.js";
import type { TrainParams } from "../config/schema.js";
import { makeCoordinateGrid } from "../geometry.js";

/** FOMM's epsilon inside the TPS kernel's log. */
const LOG_EPS = 1e-6;

export type TransformParams = TrainParams["transform_params"];

/** t in the dtype and on the device of `like` (FOMM's `.type(coordinates.type())`). */
function castLike(t: Tensor, like: Tensor): Tensor {
  const typed = t.dtype === like.dtype ? t : t.to(like.dtype);
  return typed.device === like.device ? typed : typed.to(like.device);
}

/**
 * A batch of random warps of the image plane: an affine part plus a thin-plate spline on a grid
 * of control points. Its tensors belong to the scope it was made in, like any tensor; dispose()
 * (or `using`) frees them early.
 */
export class Transform implements Disposable {
  /** (B, 2, 3) affine part. */
  readonly theta: Tensor;
  /** (..., 2) control points (x, y), used flattened as P points. */
  readonly controlPoints: Tensor;
  /** (B, 1, P) TPS weights. */
  readonly controlParams: Tensor;

  /**
   * A transform from explicit parameters (taken over, not copied): theta (B, 2, 3), control
   * points (..., 2) with P points in all, control params (B, 1, P).
   */
  constructor(theta: Tensor, controlPoints: Tensor, controlParams: Tensor) {
    const [b, rows, cols] = theta.shape;
    if (theta.ndim !== 3 || rows !== 2 || cols !== 3) throw new RangeError(`Transform: theta must be (B, 2, 3), got [${theta.shape}]`);
    if (controlPoints.shape[controlPoints.ndim - 1] !== 2)
      throw new RangeError(`Transform: control points must be (..., 2), got [${controlPoints.shape}]`);
    const points = controlPoints.numel / 2;
    const [pb, one, pn] = controlParams.shape;
    if (controlParams.ndim !== 3 || pb !== b || one !== 1 || pn !== points) {
      throw new RangeError(
        `Transform: control params must be (B, 1, P) = (${b}, 1, ${points}) to match theta and the control points, got [${controlParams.shape}]`,
      );
    }
    this.theta = theta;
    this.controlPoints = controlPoints;
    this.controlParams = controlParams;
  }

  /**
   * Rows [first, first + count) of the batch's warps (the control points are shared): one rank's
   * share of the warps drawn for a whole batch, in a data-parallel run.
   */
  rows(first: number, count: number): Transform {
    return new Transform(this.theta.narrow(0, first, count), this.controlPoints, this.controlParams.narrow(0, first, count));
  }

  /**
   * A random transform as FOMM draws it: theta = eye(2, 3) + sigma_affine N(0, 1) of shape
   * (B, 2, 3), then control params sigma_tps N(0, 1) of shape (B, 1, points_tps^2), on a
   * points_tps x points_tps coordinate grid of control points. Drawn in float32 on the CPU in
   * FOMM's order and arithmetic (torch.normal(0, std tensor) is normal_(0, 1) times std), so a
   * generator seeded with s gives FOMM's numbers after torch.manual_seed(s).
   */
  static random(params: TransformParams, batchSize: number, generator?: Generator): Transform {
    const { sigma_affine: sigmaAffine, sigma_tps: sigmaTps, points_tps: pointsTps } = params;
    if (!(Number.isInteger(batchSize) && batchSize > 0))
      throw new RangeError(`Transform.random: batch size must be a positive integer, got ${batchSize}`);
    if (!(Number.isInteger(pointsTps) && pointsTps >= 2))
      throw new RangeError(`Transform.random: transform_params.points_tps must be an integer >= 2, got ${pointsTps}`);
    const [theta, controlPoints, controlParams] = torch.tidy(() => {
      const affineShape = [batchSize, 2, 3];
      const noise = torch.randn(affineShape, { generator }).mul(torch.full(affineShape, sigmaAffine)); // (B, 2, 3)
      const eye23 = torch
        .tensor([
          [1, 0, 0],
          [0, 1, 0],
        ])
        .view(1, 2, 3);
      const tpsShape = [batchSize, 1, pointsTps ** 2];
      const weights = torch.randn(tpsShape, { generator }).mul(torch.full(tpsShape, sigmaTps)); // (B, 1, P)
      return [noise.add(eye23), makeCoordinateGrid(pointsTps, pointsTps), weights];
    });
    return new Transform(theta, controlPoints, controlParams);
  }

  get batchSize(): number {
    return this.theta.size(0);
  }

  /** The coordinates' batch checked against the transform's: (B or 1, N, 2). */
  #checkCoordinates(coordinates: Tensor, what: string): void {
    const [b, , two] = coordinates.shape;
    if (coordinates.ndim !== 3 || two !== 2 || (b !== 1 && b !== this.batchSize)) {
      throw new RangeError(
        `Transform.${what}: coordinates must be (B, N, 2) with B = ${this.batchSize} (or 1), got [${coordinates.shape}]`,
      );
    }
  }

  /** c - cp_j for every control point and d_j = |c - cp_j|_1: (B', N, P, 2) and (B', N, P). */
  #distances(coordinates: Tensor): { diff: Tensor; d: Tensor } {
    const points = castLike(this.controlPoints, coordinates).reshape(1, 1, -1, 2); // (1, 1, P, 2)
    const diff = coordinates.unsqueeze(2).sub(points); // (B', N, P, 2)
    return { diff, d: diff.abs().sum(-1) }; // (B', N, P)
  }

  /** X(c): coordinates (B or 1, N, 2) -> (B, N, 2). Differentiable in c. */
  warpCoordinates(coordinates: Tensor): Tensor {
    this.#checkCoordinates(coordinates, "warpCoordinates");
    return torch.tidy(() => {
      const theta = castLike(this.theta, coordinates).unsqueeze(1); // (B, 1, 2, 3)
      const linear = torch.matmul(theta.slice(3, 0, 2), coordinates.unsqueeze(-1)); // (B, N, 2, 1)
      const affine = linear.add(theta.slice(3, 2, 3)).squeeze(-1); // (B, N, 2)
      const { d } = this.#distances(coordinates);
      const kernel = d.pow(2).mul(d.add(LOG_EPS).log()); // (B', N, P)
      const tps = kernel.mul(castLike(this.controlParams, coordinates)).sum(2, true); // (B, N, 1)
      return affine.add(tps); // (B, N, 2)
    });
  }

  /**
   * dX/dc at coordinates (B or 1, N, 2) -> (B, N, 2, 2), rows = output (x, y), columns = input
   * (x, y). Analytic: theta[:, :, :2] plus, in both rows, sum_j p_j g(d_j) sign(c - cp_j) with
   * g(d) = 2 d log(d + eps) + d^2 / (d + eps). Built from tensor ops of c, so it is itself
   * differentiable in c (second-order terms included; sign contributes none, as abs's backward).
   */
  jacobian(coordinates: Tensor): Tensor {
    this.#checkCoordinates(coordinates, "jacobian");
    return torch.tidy(() => {
      const theta = castLike(this.theta, coordinates); // (B, 2, 3)
      const linear = theta.slice(2, 0, 2).unsqueeze(1); // (B, 1, 2, 2)
      const { diff, d } = this.#distances(coordinates);
      const shifted = d.add(LOG_EPS); // (B', N, P)
      const dKernel = d.mul(2).mul(shifted.log()).add(d.pow(2).div(shifted)); // (B', N, P)
      const weights = dKernel.mul(castLike(this.controlParams, coordinates)); // (B, N, P)
      const tpsGrad = weights.unsqueeze(-1).mul(diff.sign()).sum(2); // (B, N, 2)
      return linear.add(tpsGrad.unsqueeze(2)); // (B, N, 2, 2)
    });
  }

  /**
   * The frames warped by X: frame (B, C, H, W) -> (B, C, H, W), sampled at X(identity grid)
   * with reflection padding and align_corners true (FOMM's transform_frame).
   */
  transformFrame(frame: Tensor): Tensor {
    const [b, , h, w] = frame.shape;
    if (frame.ndim !== 4 || b !== this.batchSize) {
      throw new RangeError(`Transform.transformFrame: frame must be (B, C, H, W) with B = ${this.batchSize}, got [${frame.shape}]`);
    }
    return torch.tidy(() => {
      const grid = makeCoordinateGrid(h, w, { dtype: frame.dtype, device: frame.device }).view(1, h * w, 2); // (1, H*W, 2)
      const warped = this.warpCoordinates(grid).view(b, h, w, 2); // (B, H, W, 2)
      return torch.F.gridSample(frame, warped, { paddingMode: "reflection", alignCorners: true });
    });
  }

  dispose(): void {
    torch.dispose([this.theta, this.controlPoints, this.controlParams]);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
