// The identity oracle (DESIGN section 7, for CSIM and FD-synth on the synthetic benchmark): a small
// CNN from a 64x64 frame to a unit vector, trained to classify the training identities through a
// cosine head, so that frames of one person, seen or not in training, point the same way. CSIM is
// the cosine of two embeddings (ArcFace's role on real faces); FD-synth is the Frechet distance of
// the pooled features (Inception's pool3 role in FID).
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Linear, Module } from "../../nn/index.js";
import { HourglassEncoder } from "../../dime/blocks.js";

/** The architecture, stored in the weights' JSON sidecar so that a loader rebuilds the same net. */
export interface IdentityEmbedderOptions {
  /** Channels of the first level; each level doubles up to maxFeatures. */
  blockExpansion: number;
  maxFeatures: number;
  /** Conv + 2x2-pool levels (5: 64 px down to 2x2). */
  numBlocks: number;
  /** D, the embedding's size. */
  embeddingDim: number;
}

export interface IdentityOutput {
  /** (B, F): the last level's ReLU outputs averaged over space, F = that level's channels (FD-synth's space). */
  features: Tensor;
  /** (B, D): the embedding, L2-normalised. */
  embedding: Tensor;
}

export class IdentityEmbedder extends Module {
  readonly encoder: HourglassEncoder;
  readonly embed: Linear;
  /** F, the size of `features`. */
  readonly featureDim: number;

  constructor(readonly options: IdentityEmbedderOptions) {
    super();
    const { blockExpansion, maxFeatures, numBlocks, embeddingDim } = options;
    this.encoder = this.registerModule("encoder", new HourglassEncoder(blockExpansion, 3, numBlocks, maxFeatures));
    this.featureDim = Math.min(maxFeatures, blockExpansion * 2 ** numBlocks);
    this.embed = this.registerModule("embed", new Linear(this.featureDim, embeddingDim));
  }

  /** frames (B, 3, 64, 64) in [0, 1] -> features (B, F) and unit embeddings (B, D). */
  forward(frames: Tensor): IdentityOutput {
    return torch.tidy(() => {
      const levels = this.encoder.forward(frames);
      const features = levels[levels.length - 1].mean([2, 3]); // (B, F)
      return { features, embedding: normalize(this.embed.forward(features)) };
    });
  }
}

/** Rows scaled to unit length: (..., D) -> (..., D). */
export function normalize(x: Tensor): Tensor {
  return torch.tidy(() => x.div(x.norm(2, -1, true).clamp(1e-12)));
}
