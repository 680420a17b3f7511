// The perceptual pyramid loss (paper section 3.3, FOMM's GeneratorFullModel `perceptual`):
//   L = sum_s sum_i w_i * mean |VGG_i(pyr_s(prediction)) - VGG_i(pyr_s(target))|
// over the pyramid scales s and the VGG-19 layers relu1_1..relu5_1; the target side is constant.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Module } from "../../nn/index.js";
import { ImagePyramid, scaleName, type LossTerms } from "./pyramid.js";
import { VGG19_LAYER_NAMES, type Vgg19, vgg19MinSize } from "./vgg19.js";

export interface PerceptualOptions {
  /** Pyramid scales (train_params.scales), e.g. [1, 0.5, 0.25, 0.125]. */
  scales: readonly number[];
  /** One weight per VGG layer relu1_1..relu5_1 (train_params.loss_weights.perceptual). */
  weights: readonly number[];
}

/**
 * Owns its Vgg19 (disposed with it) and the pyramid; neither belongs to a checkpoint. Terms with
 * weight 0 are neither computed into the total nor reported, and VGG stops at the deepest layer
 * with a non-zero weight.
 */
export class PerceptualPyramidLoss extends Module {
  readonly kind = "vgg" as const;
  readonly pyramid: ImagePyramid;
  readonly vgg: Vgg19;
  readonly weights: readonly number[];
  /** How many VGG outputs are needed: 1 + the index of the last non-zero weight. */
  readonly depth: number;

  constructor(vgg: Vgg19, options: PerceptualOptions) {
    super();
    if (options.weights.length !== VGG19_LAYER_NAMES.length) {
      throw new RangeError(
        `perceptual loss: loss_weights.perceptual needs ${VGG19_LAYER_NAMES.length} weights (relu1_1..relu5_1), got ${options.weights.length}`,
      );
    }
    this.weights = [...options.weights];
    this.depth = this.weights.reduce((deepest, w, i) => (w !== 0 ? i + 1 : deepest), 0);
    this.vgg = this.registerModule("vgg", vgg);
    this.pyramid = this.registerModule("pyramid", new ImagePyramid(options.scales, 3));
  }

  /** prediction, target (B, 3, H, W) in [0, 1] -> total (scalar) and `scale_{s}.relu{i}_1` terms. */
  forward(prediction: Tensor, target: Tensor): LossTerms {
    return torch.tidy(() => {
      const terms = new Map<string, Tensor>();
      let total = torch.zeros([], { dtype: prediction.dtype, device: prediction.device });
      if (this.depth === 0) return { total, terms };
      const predicted = this.pyramid.forward(prediction);
      const targets = torch.noGrad(() => this.pyramid.forward(target.detach()));
      predicted.forEach(({ scale, image }, level) => {
        this.#checkSize(scale, image);
        const xs = this.vgg.forward(image, this.depth);
        const ys = torch.noGrad(() => this.vgg.forward(targets[level].image, this.depth));
        xs.forEach((x, i) => {
          if (this.weights[i] === 0) return;
          // fp32 island: features from a bf16/fp16 VGG are compared in fp32.
          const term = torch.fp32Island(() => torch.F.l1Loss(torch.widen(x), torch.widen(ys[i])));
          terms.set(`${scaleName(scale)}.${VGG19_LAYER_NAMES[i]}`, term.detach());
          total = total.add(term.mul(this.weights[i]));
        });
      });
      return { total, terms };
    });
  }

  #checkSize(scale: number, image: Tensor): void {
    const need = vgg19MinSize(this.depth);
    if (image.size(-2) >= need && image.size(-1) >= need) return;
    throw new RangeError(
      `perceptual loss: at scale ${scale} the image is ${image.size(-2)}x${image.size(-1)}, but VGG-19 needs at least ${need}x${need} to reach ${VGG19_LAYER_NAMES[this.depth - 1]}: ` +
        `drop scale ${scale} from train_params.scales or train on larger frames`,
    );
  }
}
