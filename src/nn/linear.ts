// The fully connected layer (torch.nn.Linear), initialised as PyTorch does.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { WeightedLayer } from "./weighted.js";
import { recordMacs } from "./macs.js";

/** y = x W^T + b: (..., inFeatures) -> (..., outFeatures). Parameters `weight` (out, in) and `bias` (out). */
export class Linear extends WeightedLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.initWeightAndBias([outFeatures, inFeatures], outFeatures, options.bias !== false);
  }

  forward(x: Tensor): Tensor {
    const out = torch.F.linear(x, this.weight, this.bias);
    recordMacs(out.numel * this.inFeatures);
    return out;
  }
}
