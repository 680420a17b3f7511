// Parameter-free layers, for use inside Sequential: activations, Identity and Dropout.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, type Layer } from "./module.js";

export class ReLU extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class LeakyReLU extends Module implements Layer {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
}

export class Sigmoid extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

export class Tanh extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** Returns its input itself, as PyTorch's nn.Identity. */
export class Identity extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) in training mode; identity in eval. */
export class Dropout extends Module implements Layer {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return torch.F.dropout(x, this.p, this.training);
  }
}
