// Geometry shared by every DiME component: coordinate grids, keypoint Gaussians, warps and the
// anti-aliased downscale (FOMM's make_coordinate_grid, kp2gaussian, AntiAliasInterpolation2d).
//
// Conventions (DESIGN section 3): a grid or flow is (B, h, w, 2) holding (x, y) in [-1, 1] with -1
// and +1 at the centres of the corner pixels (grid_sample with align_corners true).
import * as torch from "../torch/index.js";
import type { Tensor, Device, DType } from "../torch/index.js";
import { Module } from "../nn/index.js";

export interface GridOptions {
  dtype?: DType;
  device?: Device;
}

/**
 * The identity sampling grid of an h x w image: (h, w, 2) with x = 2j/(w-1) - 1 along the width
 * and y = 2i/(h-1) - 1 along the height (computed as FOMM does, so float32 values match it).
 */
export function makeCoordinateGrid(h: number, w: number, options: GridOptions = {}): Tensor {
  return torch.tidy(() => {
    const axis = (n: number) =>
      torch
        .arange(0, n, 1, { dtype: options.dtype ?? "float32", device: options.device })
        .div(n - 1)
        .mul(2)
        .sub(1);
    const x = axis(w).view(1, w).expand(h, w); // (h, w)
    const y = axis(h).view(h, 1).expand(h, w); // (h, w)
    return torch.stack([x, y], 2); // (h, w, 2)
  });
}

/** The identity grid repeated for a batch: (B, h, w, 2). */
export function identityGrid(batch: number, h: number, w: number, like: Tensor): Tensor {
  return torch.tidy(() => makeCoordinateGrid(h, w, { dtype: like.dtype, device: like.device }).unsqueeze(0).expand(batch, h, w, 2));
}

/**
 * Gaussians centred on keypoints: kp (..., K, 2) -> (..., K, h, w) with
 * exp(-0.5 |z - kp|^2 / variance) over the h x w coordinate grid.
 */
export function kpToGaussian(kp: Tensor, h: number, w: number, variance: number): Tensor {
  return torch.tidy(() => {
    const grid = makeCoordinateGrid(h, w, { dtype: kp.dtype, device: kp.device }); // (h, w, 2)
    const lead = kp.shape.slice(0, -1); // (..., K)
    const mean = kp.view(...lead, 1, 1, 2); // (..., K, 1, 1, 2)
    const diff = grid.view(...lead.map(() => 1), h, w, 2).sub(mean); // (..., K, h, w, 2)
    return diff
      .pow(2)
      .sum(-1)
      .mul(-0.5 / variance)
      .exp(); // (..., K, h, w)
  });
}

/** Keypoints as heatmap-weighted means of the coordinate grid: heatmap (B, K, h, w) summing to 1 -> (B, K, 2). */
export function heatmapToKp(heatmap: Tensor): Tensor {
  return torch.tidy(() => {
    const [h, w] = [heatmap.size(2), heatmap.size(3)];
    const grid = makeCoordinateGrid(h, w, { dtype: heatmap.dtype, device: heatmap.device }); // (h, w, 2)
    return heatmap.unsqueeze(-1).mul(grid).sum([2, 3]); // (B, K, 2)
  });
}

/**
 * Samples images (B, C, H, W) at a flow (B, h, w, 2); zero outside, as FOMM. Returns (B, C, h, w),
 * in fp32 under autocast too: grid_sample's coordinates are an fp32 island.
 */
export function warp(image: Tensor, flow: Tensor): Tensor {
  if (!torch.isAutocastEnabled()) return torch.F.gridSample(image, flow, { alignCorners: true });
  return torch.tidy(() => torch.fp32Island(() => torch.F.gridSample(torch.widen(image), torch.widen(flow), { alignCorners: true })));
}

/**
 * Resizes a map (B, C, h, w) on the motion's grid to (B, C, H, W) bilinearly; returns the map
 * itself when the size already matches. By default corners are aligned because the grid's
 * samples are (makeCoordinateGrid: pixel 0 at -1, pixel n - 1 at +1).
 * DEVIATION: FOMM's deform_input and occlusion resize use align_corners false (`aligned` false
 * here, switches.aligned_resize), which turns an identity flow 16 -> 64 px into a 5% stretch
 * clamped at the borders (up to 1.5 px off). FOMM's configs resize only the deformed-source
 * picture; ours at 64 px resize the features' flow too.
 */
export function resizeMap(map: Tensor, h: number, w: number, aligned = true): Tensor {
  if (map.size(2) === h && map.size(3) === w) return map;
  return torch.F.interpolate(map, { size: [h, w], mode: "bilinear", alignCorners: aligned });
}

/** A flow (B, h, w, 2) resized to (B, H, W, 2) by resizeMap: aligned, an identity flow stays the identity. */
export function resizeFlow(flow: Tensor, h: number, w: number, aligned = true): Tensor {
  if (flow.size(1) === h && flow.size(2) === w) return flow;
  return torch.tidy(() => resizeMap(flow.permute(0, 3, 1, 2), h, w, aligned).permute(0, 2, 3, 1));
}

/** A displacement map (B, 2, h, w) as a flow: identity + displacement, (B, h, w, 2). */
export function displacementToFlow(displacement: Tensor): Tensor {
  return torch.tidy(() => {
    const [b, , h, w] = displacement.shape;
    return identityGrid(b, h, w, displacement).add(displacement.permute(0, 2, 3, 1));
  });
}

/** A flow (B, h, w, 2) as its displacement from the identity, (B, 2, h, w). */
export function flowToDisplacement(flow: Tensor): Tensor {
  return torch.tidy(() => {
    const [b, h, w] = flow.shape;
    return flow.sub(identityGrid(b, h, w, flow)).permute(0, 3, 1, 2);
  });
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Anti-aliased downscale (FOMM's AntiAliasInterpolation2d): a Gaussian blur with
 * sigma = (1/scale - 1)/2 and kernel 2*round(4 sigma)+1, zero padding, then every (1/scale)-th
 * pixel from index 0. The kernel is the buffer `weight` (C, 1, k, k), as in FOMM's state dict.
 * At scale 1 the input is returned unchanged.
 */
export class AntiAliasInterpolation2d extends Module {
  readonly step: number;
  readonly #padBefore: number;
  readonly #padAfter: number;

  constructor(
    readonly channels: number,
    readonly scale: number,
  ) {
    super();
    if (!(scale > 0 && scale <= 1)) throw new RangeError(`AntiAliasInterpolation2d: scale must be in (0, 1], got ${scale}`);
    this.step = Math.trunc(1 / scale);
    const sigma = (1 / scale - 1) / 2;
    const size = 2 * roundHalfEven(sigma * 4) + 1;
    this.#padBefore = Math.floor(size / 2);
    this.#padAfter = size % 2 === 0 ? this.#padBefore - 1 : this.#padBefore;
    // Built with float32 tensor ops in FOMM's order so that the kernel matches it bit for bit.
    const kernel = torch.tidy(() => {
      const mean = (size - 1) / 2;
      const axis = torch.arange(0, size, 1, { dtype: "float32" });
      const g =
        sigma === 0
          ? torch.onesLike(axis)
          : axis
              .sub(mean)
              .pow(2)
              .neg()
              .div(2 * sigma ** 2)
              .exp(); // (k)
      const k2 = g.view(size, 1).mul(g.view(1, size)); // (k, k)
      return k2.div(k2.sum()).view(1, 1, size, size).repeat(channels, 1, 1, 1); // (C, 1, k, k)
    });
    this.registerBuffer("weight", kernel);
  }

  /** (B, C, H, W) -> (B, C, ceil(H*scale), ceil(W*scale)). */
  forward(x: Tensor): Tensor {
    if (this.scale === 1) return x;
    return torch.tidy(() => {
      const padded = torch.F.pad(x, [this.#padBefore, this.#padAfter, this.#padBefore, this.#padAfter]);
      const blurred = torch.F.conv2d(padded, this.buffer("weight"), undefined, { groups: this.channels });
      return blurred.slice(2, 0, undefined, this.step).slice(3, 0, undefined, this.step);
    });
  }
}
