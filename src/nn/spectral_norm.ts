// A Conv2d under spectral normalisation, as torch.nn.utils.spectral_norm(nn.Conv2d(...)) leaves it:
// parameters `bias` and `weight_orig`, buffers `weight_u` and `weight_v` (the power iteration's
// vectors), and the weight used in the forward is weight_orig / sigma, sigma the largest singular
// value of weight_orig viewed as (out, in*kh*kw), estimated by power iteration.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "./module.js";
import { defaultLayerInit_ } from "./init.js";
import { recordMacs } from "./macs.js";

export interface SpectralNormOptions {
  /** Power iterations per training-mode forward (PyTorch's n_power_iterations, default 1). */
  nPowerIterations?: number;
  /** Added to norms before dividing (PyTorch's default 1e-12). */
  eps?: number;
  /** Zero padding on each side (default 0). */
  padding?: number;
}

/** v / max(|v|, eps): torch.nn.functional.normalize(v, dim=0, eps). */
function normalize(v: Tensor, eps: number): Tensor {
  return torch.tidy(() => v.div(v.norm().clamp(eps)));
}

/**
 * Spectrally normalised 2-D convolution: (N, inChannels, H, W) -> (N, outChannels, H', W'), stride
 * 1. In training mode each forward first runs the power iteration and updates `weight_u` and
 * `weight_v` in place (as PyTorch's forward pre-hook does); in eval mode they are used as they are.
 * Gradients flow through sigma = u . (W v) with u and v held constant, as in PyTorch.
 */
export class SpectralNormConv2d extends Module {
  readonly nPowerIterations: number;
  readonly eps: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: SpectralNormOptions = {},
  ) {
    super();
    this.nPowerIterations = options.nPowerIterations ?? 1;
    this.eps = options.eps ?? 1e-12;
    this.padding = options.padding ?? 0;
    const weight = torch.empty([outChannels, inChannels, kernelSize, kernelSize]);
    const bias = torch.empty([outChannels]);
    defaultLayerInit_(weight, bias);
    // PyTorch's order: spectral_norm deletes `weight` and registers `weight_orig` after `bias`.
    this.registerParameter("bias", bias);
    this.registerParameter("weight_orig", weight);
    const [u, v] = torch.tidy(() => [
      normalize(torch.randn([outChannels]), this.eps),
      normalize(torch.randn([inChannels * kernelSize * kernelSize]), this.eps),
    ]);
    this.registerBuffer("weight_u", u);
    this.registerBuffer("weight_v", v);
  }

  get weightOrig(): Tensor {
    return this.parameter("weight_orig");
  }
  get bias(): Tensor {
    return this.parameter("bias");
  }

  /** weight_orig / sigma, (out, in, k, k); in training mode after updating u and v. */
  weight(): Tensor {
    return torch.tidy(() => {
      const matrix = this.weightOrig.reshape(this.outChannels, -1); // (out, in*k*k)
      const u = this.buffer("weight_u");
      const v = this.buffer("weight_v");
      if (this.training && this.nPowerIterations > 0)
        torch.noGrad(() => {
          const m = matrix.detach();
          for (let i = 0; i < this.nPowerIterations; i++) {
            v.copy_(normalize(m.mT.matmul(u), this.eps));
            u.copy_(normalize(m.matmul(v), this.eps));
          }
        });
      // PyTorch clones u and v after the update: autograd sees constants, and the next forward's
      // in-place update does not touch what this one's backward needs.
      const sigma = u.detach().clone().mul(matrix.matmul(v.detach().clone())).sum();
      return this.weightOrig.div(sigma);
    });
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const out = torch.F.conv2d(x, this.weight(), this.bias, { padding: this.padding });
      recordMacs(out.numel * this.inChannels * this.kernelSize * this.kernelSize);
      return out;
    });
  }
}
