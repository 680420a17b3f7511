// The image pyramid of the reconstruction losses (FOMM's ImagePyramide; paper section 3.3): the
// image at each scale, anti-aliased (Gaussian blur, then subsample) by AntiAliasInterpolation2d.
import type { Tensor } from "../../torch/index.js";
import { Module } from "../../nn/index.js";
import { AntiAliasInterpolation2d } from "../geometry.js";

export interface PyramidLevel {
  scale: number;
  /** (B, C, ceil(H * scale), ceil(W * scale)); at scale 1 the input itself, not a copy. */
  image: Tensor;
}

/** What a reconstruction loss returns: the weighted total and each unweighted term by name. */
export interface LossTerms {
  /** The scalar to backpropagate: sum of weight * term over the non-zero-weighted terms. */
  total: Tensor;
  /** Every unweighted term (scalars, detached, for logging), e.g. `scale_0.5.relu3_1`. */
  terms: Map<string, Tensor>;
}

/** The name of a scale in loss terms, as FOMM and the golden files write it: `scale_1`, `scale_0.25`. */
export function scaleName(scale: number): string {
  return `scale_${scale}`;
}

/**
 * One AntiAliasInterpolation2d per scale, registered as `down_1`, `down_0-5`, ... (FOMM's
 * ModuleDict names; their kernels are buffers but belong to no checkpoint).
 */
export class ImagePyramid extends Module {
  readonly #levels: { scale: number; down: AntiAliasInterpolation2d }[];

  constructor(
    readonly scales: readonly number[],
    readonly channels: number,
  ) {
    super();
    if (scales.length === 0) throw new RangeError("ImagePyramid: give at least one scale");
    if (new Set(scales).size !== scales.length) throw new RangeError(`ImagePyramid: scales [${scales.join(", ")}] repeat a value`);
    this.#levels = scales.map((scale) => ({
      scale,
      down: this.registerModule(`down_${String(scale).replace(".", "-")}`, new AntiAliasInterpolation2d(channels, scale)),
    }));
  }

  /** x (B, C, H, W) -> one level per scale, in the order of `scales`. */
  forward(x: Tensor): PyramidLevel[] {
    return this.#levels.map(({ scale, down }) => ({ scale, image: down.forward(x) }));
  }
}
