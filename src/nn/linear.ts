// The fully connected layer (torch.nn.Linear), initialised as PyTorch does.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "./module.js";
import { defaultLayerInit_ } from "./init.js";

/** y = x W^T + b: (..., inFeatures) -> (..., outFeatures). Parameters `weight` (out, in) and `bias` (out). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const weight = torch.empty([outFeatures, inFeatures]);
    const bias = options.bias === false ? undefined : torch.empty([outFeatures]);
    defaultLayerInit_(weight, bias);
    this.registerParameter("weight", weight);
    if (bias !== undefined) this.registerParameter("bias", bias);
  }

  get weight(): Tensor {
    return this.parameter("weight");
  }
  get bias(): Tensor | undefined {
    return this.hasParameter("bias") ? this.parameter("bias") : undefined;
  }

  forward(x: Tensor): Tensor {
    return torch.F.linear(x, this.weight, this.bias);
  }
}
