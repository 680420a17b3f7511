// The base of layers with a `weight` and an optional `bias` (Linear, Conv2d, ConvTranspose2d),
// initialised as PyTorch does.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "./module.js";
import { defaultLayerInit_ } from "./init.js";

export abstract class WeightedLayer extends Module {
  /**
   * Registers `weight` with the given shape and, unless `bias` is false, `bias` of size
   * `biasSize`, both drawn with PyTorch's default layer initialisation (fan_in from weight dim 1).
   */
  protected initWeightAndBias(weightShape: number[], biasSize: number, bias: boolean): void {
    const weight = torch.empty(weightShape);
    const b = bias ? torch.empty([biasSize]) : undefined;
    defaultLayerInit_(weight, b);
    this.registerParameter("weight", weight);
    if (b !== undefined) this.registerParameter("bias", b);
  }

  get weight(): Tensor {
    return this.parameter("weight");
  }
  get bias(): Tensor | undefined {
    return this.hasParameter("bias") ? this.parameter("bias") : undefined;
  }
}
