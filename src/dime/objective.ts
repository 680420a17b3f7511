// The training objective (paper eq. 13-14, DESIGN section 5; FOMM's GeneratorFullModel): DiME
// reconstructs the driving frame from the source (and references); the loss is the reconstruction
// pyramid (perceptual on VGG-19 features, or the pixel stand-in) plus the equivariance of the
// keypoints under a random thin-plate-spline warp X of the driving frame (and, with Jacobians,
// FOMM's Jacobian equivariance), and with an AdversarialLoss FOMM's LSGAN and feature-matching
// terms. Terms are a named map; zero-weighted ones are skipped.
import * as torch from "../torch/index.js";
import type { Tensor, Generator } from "../torch/index.js";
import type { DiME, DimeOptions, DimeOutput } from "./dime.js";
import type { TrainParams } from "./config/schema.js";
import type { ReconstructionLoss } from "./losses/index.js";
import type { AdversarialLoss } from "./losses/adversarial.js";
import { Transform } from "./losses/transform.js";
import { equivarianceLosses } from "./losses/equivariance.js";

/** One training batch: a source, a driving frame and any number of references of the same videos. */
export interface TrainingBatch {
  /** (B, C, H, W) */
  source: Tensor;
  /** (B, C, H, W): the frame to reconstruct. */
  driving: Tensor;
  /** Each (B, C, H, W). */
  references: Tensor[];
}

export interface ObjectiveResult {
  /** The scalar to backpropagate: the sum of the weighted terms. */
  total: Tensor;
  /**
   * Weighted terms: `perceptual` or `pixel`, `gen_gan` and `feature_matching` (with an
   * adversarial loss), `equivariance_value`, `equivariance_jacobian`.
   */
  losses: Map<string, Tensor>;
  /** The reconstruction loss's unweighted terms by scale and layer (detached, for the log). */
  details: Map<string, Tensor>;
  output: DimeOutput;
  /** X(D), when the equivariance terms ran. */
  transformedFrame?: Tensor;
}

export interface ObjectiveOptions extends DimeOptions {
  /** The warp X to use instead of a random one (tests; it is not disposed). */
  transform?: Transform;
}

export class TrainingObjective {
  constructor(
    readonly model: DiME,
    readonly trainParams: TrainParams,
    readonly reconstruction: ReconstructionLoss,
    /** FOMM's adversarial terms, when train_params switch them on (adversarialOn). */
    readonly adversarial?: AdversarialLoss,
  ) {}

  /**
   * Runs the model on the batch and computes every loss term. `generator` draws the random warp X.
   * The detector runs on the source, the references, the driving frame and X(D) in one call, each
   * a batch of its own for batch norm, in that order (as FOMM's full model's separate calls).
   */
  compute(batch: TrainingBatch, generator: Generator | undefined, options: ObjectiveOptions = {}): ObjectiveResult {
    return torch.tidy(() => {
      const weights = this.trainParams.loss_weights;
      const jacobians = options.jacobians ?? this.model.params.switches.jacobians;
      let transform: Transform | undefined;
      let transformedFrame: Tensor | undefined;
      if (weights.equivariance_value !== 0 || (jacobians && weights.equivariance_jacobian !== 0)) {
        transform = options.transform ?? Transform.random(this.trainParams.transform_params, batch.driving.size(0), generator);
        transformedFrame = transform.transformFrame(batch.driving);
      }
      const output = this.model.forward(batch.source, batch.driving, batch.references, { ...options, alsoDetect: transformedFrame });
      const recon = this.reconstruction.forward(output.prediction, batch.driving);
      const losses = new Map<string, Tensor>([[this.reconstruction.kind === "vgg" ? "perceptual" : "pixel", recon.total]]);
      const result: ObjectiveResult = { total: recon.total, losses, details: recon.terms, output };
      if (this.adversarial)
        for (const [name, value] of this.adversarial.generatorTerms(output.prediction, batch.driving, output.kpDriving.value))
          losses.set(name, value);
      if (transform && transformedFrame && output.kpAlso) {
        const kpTransformed = output.kpAlso;
        // fp32 island: the keypoints are fp32 already; the Jacobians' products would not be.
        const equivariance = torch.fp32Island(() => equivarianceLosses(output.kpDriving, kpTransformed, transform, weights));
        for (const [name, value] of equivariance) losses.set(name, value);
        result.transformedFrame = transformedFrame;
      }
      result.total = [...losses.values()].reduce((sum, term) => sum.add(term));
      return result;
    });
  }
}
