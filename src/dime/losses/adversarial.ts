// FOMM's adversarial losses (modules/model.py, GeneratorFullModel and DiscriminatorFullModel): an
// LSGAN on the multi-scale patch discriminator, plus feature matching between the discriminator's
// maps of the real and the generated frame, a learned perceptual loss that needs no pretrained
// weights. The discriminator sees the frame at each of its scales (anti-aliased, as the pyramid
// of the reconstruction loss), the generated frame first and the real one second in each loss, as
// FOMM does: with spectral norm each forward advances the power iteration, so the order matters.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Module } from "../../nn/index.js";
import { MultiScaleDiscriminator } from "../discriminator.js";
import type { DiscriminatorParams, TrainParams } from "../config/schema.js";
import { ImagePyramid } from "./pyramid.js";

export type AdversarialWeights = Pick<TrainParams["loss_weights"], "generator_gan" | "discriminator_gan" | "feature_matching">;

export interface DiscriminatorLoss {
  /** disc_gan, the scalar to backpropagate. */
  total: Tensor;
  /** (B, 1, h, w): the first scale's scores of the real and the generated frame (detached). */
  real: Tensor;
  generated: Tensor;
}

/** Whether train_params switch the adversarial terms on (FOMM's train.py: generator_gan != 0). */
export function adversarialOn(trainParams: TrainParams): boolean {
  return trainParams.loss_weights.generator_gan !== 0;
}

/**
 * The discriminator and the pyramid of its scales. Registered as `discriminator` (so its state
 * dict reads `discriminator.discs.1...`, as in FOMM's checkpoints) and `pyramid` (kernels only,
 * in no checkpoint: use `discriminator.stateDict()` to save).
 */
export class AdversarialLoss extends Module {
  readonly discriminator: MultiScaleDiscriminator;
  readonly pyramid: ImagePyramid;

  constructor(
    params: DiscriminatorParams,
    readonly weights: AdversarialWeights,
    numChannels: number,
    numKp: number,
  ) {
    super();
    this.discriminator = this.registerModule("discriminator", new MultiScaleDiscriminator(params, numChannels, numKp));
    this.pyramid = this.registerModule("pyramid", new ImagePyramid(params.scales, numChannels));
  }

  #levels(image: Tensor): Map<number, Tensor> {
    return new Map(this.pyramid.forward(image).map((level) => [level.scale, level.image]));
  }

  /**
   * The generator's terms (weighted): `gen_gan` = sum over scales of generator_gan * mean((1 -
   * D(G))^2), and `feature_matching` = sum over scales and blocks i of feature_matching[i] *
   * mean|D_i(real) - D_i(G)| (left out when every weight is 0). prediction and driving (B, C, H,
   * W); kpDriving (B, K, 2), used (detached) with use_kp. Gradients reach the discriminator too;
   * the trainer clears them before the discriminator's own step, as FOMM's train.py does.
   */
  generatorTerms(prediction: Tensor, driving: Tensor, kpDriving: Tensor): Map<string, Tensor> {
    return torch.tidy(() => {
      const generated = this.discriminator.forward(this.#levels(prediction), kpDriving);
      const real = this.discriminator.forward(this.#levels(driving), kpDriving);
      const { generator_gan: ganWeight, feature_matching: fmWeights } = this.weights;
      let gan: Tensor | undefined;
      let matching: Tensor | undefined;
      const add = (sum: Tensor | undefined, term: Tensor) => (sum === undefined ? term : sum.add(term));
      for (const [scale, fake] of generated) {
        gan = add(gan, fake.predictionMap.rsub(1).pow(2).mean().mul(ganWeight));
        const realMaps = real.get(scale)!.featureMaps;
        fake.featureMaps.forEach((map, i) => {
          if (fmWeights[i] === 0 || i >= realMaps.length) return;
          matching = add(matching, realMaps[i].sub(map).abs().mean().mul(fmWeights[i]));
        });
      }
      const terms = new Map<string, Tensor>([["gen_gan", gan!]]);
      if (matching !== undefined) terms.set("feature_matching", matching);
      return terms;
    });
  }

  /**
   * The discriminator's LSGAN loss `disc_gan` = sum over scales of discriminator_gan * mean((1 -
   * D(real))^2 + D(G)^2), on the generated frame detached (no gradient reaches the generator),
   * and the first scale's patch scores (B, 1, h, w) of both (detached, for the sample pictures).
   */
  discriminatorLoss(prediction: Tensor, driving: Tensor, kpDriving: Tensor): DiscriminatorLoss {
    return torch.tidy(() => {
      const generated = this.discriminator.forward(this.#levels(prediction.detach()), kpDriving);
      const real = this.discriminator.forward(this.#levels(driving), kpDriving);
      let total: Tensor | undefined;
      for (const [scale, fake] of generated) {
        const value = real.get(scale)!.predictionMap.rsub(1).pow(2).add(fake.predictionMap.pow(2)).mean();
        const term = value.mul(this.weights.discriminator_gan);
        total = total === undefined ? term : total.add(term);
      }
      const first = this.discriminator.scales[0];
      return { total: total!, real: real.get(first)!.predictionMap.detach(), generated: generated.get(first)!.predictionMap.detach() };
    });
  }
}
