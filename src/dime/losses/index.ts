// The reconstruction losses of training (paper section 3.3, DESIGN section 5): the perceptual
// pyramid on VGG-19 features, or its `pixel` stand-in (L1 + SSIM), chosen by train_params.
import type { Device } from "../../torch/index.js";
import type { TrainParams } from "../config/schema.js";
import { PerceptualPyramidLoss } from "./perceptual.js";
import { PixelPyramidLoss } from "./pixel.js";
import { Vgg19 } from "./vgg19.js";

export { ImagePyramid, scaleName, type PyramidLevel, type LossTerms } from "./pyramid.js";
export { Vgg19, VGG19_BLOCKS, VGG19_CONVS, VGG19_LAYER_NAMES, vgg19TensorShapes, vgg19MinSize, type VggConv } from "./vgg19.js";
export { hashVgg19Weights, hashScale } from "./vgg19-hash.js";
export { PerceptualPyramidLoss, type PerceptualOptions } from "./perceptual.js";
export { ssim, ssimMap, gaussianWindow, type SsimOptions } from "./ssim.js";
export { PixelPyramidLoss, SSIM_WINDOW, type PixelOptions } from "./pixel.js";

export type ReconstructionLoss = PerceptualPyramidLoss | PixelPyramidLoss;

export interface ReconstructionLossOptions {
  /** VGG-19 weights file; overrides train_params.vgg_weights (a CLI flag, say). */
  vggWeights?: string;
  /** Where the loss runs (default cpu); its VGG and kernels move there. */
  device?: Device;
}

/**
 * The reconstruction loss train_params asks for: `perceptual: vgg` loads VGG-19 from
 * options.vggWeights or train_params.vgg_weights and fails without one (training never switches
 * loss by itself); `perceptual: pixel` needs no file. Dispose the result when training ends.
 */
export function reconstructionLoss(trainParams: TrainParams, options: ReconstructionLossOptions = {}): ReconstructionLoss {
  const { scales, loss_weights: weights } = trainParams;
  let loss: ReconstructionLoss;
  if (trainParams.perceptual === "pixel") {
    loss = new PixelPyramidLoss({ scales, l1: weights.pixel_l1, ssim: weights.pixel_ssim });
  } else if (trainParams.perceptual === "vgg") {
    const file = options.vggWeights || trainParams.vgg_weights;
    if (!file) {
      throw new Error(
        "train_params.perceptual is 'vgg' but no VGG-19 weights were given: set train_params.vgg_weights to a safetensors file " +
          "holding torchvision's vgg19 features.* tensors (docs/losses.md shows how to make one), or set `perceptual: pixel` to train with L1 + SSIM instead.",
      );
    }
    loss = new PerceptualPyramidLoss(Vgg19.fromFile(file), { scales, weights: weights.perceptual });
  } else {
    throw new TypeError(`train_params.perceptual must be 'vgg' or 'pixel', got '${String(trainParams.perceptual)}'`);
  }
  return options.device === undefined ? loss : loss.to(options.device);
}

/** One line for the training log saying which reconstruction loss runs and how it is weighted. */
export function describeReconstructionLoss(loss: ReconstructionLoss): string {
  const scales = `scales [${loss.pyramid.scales.join(", ")}]`;
  if (loss.kind === "vgg")
    return `reconstruction loss: perceptual (VGG-19 relu1_1..relu5_1, weights [${loss.weights.join(", ")}]), ${scales}`;
  return `reconstruction loss: pixel (L1 x ${loss.options.l1} + (1 - SSIM) x ${loss.options.ssim}; no VGG-19), ${scales}`;
}
