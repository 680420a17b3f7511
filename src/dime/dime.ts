// DiME (paper section 3, Fig. 1): the keypoint detector and the Animator, wired for a source image,
// any number of reference views (0 = one-shot) and a driving frame. State-dict keys are
// `kp_detector.*` and `generator.*`, as a FOMM checkpoint converted to safetensors has them; with
// refine, identity_flow and references off and jacobians on, the model is FOMM.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, batchNormGroups } from "../nn/index.js";
import { KeypointDetector, type Keypoints } from "./keypoint_detector.js";
import { Animator, type AnimateOptions, type AnimatorOutput, type PreparedViews } from "./animator.js";
import type { ModelParams } from "./config/schema.js";

export interface DimeOptions extends AnimateOptions {
  /** Use keypoint Jacobians (FOMM's first order); only a model built with switches.jacobians has them. */
  jacobians?: boolean;
  /**
   * forward: one more batch of images (B', C, H, W) whose keypoints are wanted too (training's
   * X(D)); they are found in the same detector call as the source's and the driving frame's and
   * returned as `kpAlso`.
   */
  alsoDetect?: Tensor;
}

export interface DimeOutput extends AnimatorOutput {
  kpSource: Keypoints;
  kpDriving: Keypoints;
  /** (B, N, K, 2): the references' keypoints, when there are references. */
  kpReferences?: Tensor;
  /** The keypoints of options.alsoDetect, when given. */
  kpAlso?: Keypoints;
}

/** Keypoints without their Jacobians. */
function valueOnly(kp: Keypoints): Keypoints {
  return { value: kp.value };
}

export class DiME extends Module {
  readonly kp_detector: KeypointDetector;
  readonly generator: Animator;

  constructor(readonly params: ModelParams) {
    super();
    // FOMM's KPDetector(**kp_detector_params, **common_params): the YAML sections are the arguments.
    const kpOptions = { ...params.kp_detector_params, ...params.common_params, estimate_jacobian: params.switches.jacobians };
    this.kp_detector = this.registerModule("kp_detector", new KeypointDetector(kpOptions));
    this.generator = this.registerModule("generator", new Animator(params));
  }

  /** Keypoints of images (B, C, H, W), without Jacobians when `jacobians` is false. */
  keypoints(images: Tensor, jacobians = this.params.switches.jacobians): Keypoints {
    if (jacobians && !this.kp_detector.jacobian)
      throw new Error("jacobians: this model was built with switches.jacobians false, so it has no Jacobian head");
    const kp = this.kp_detector.forward(images);
    if (jacobians || !kp.jacobian) return kp;
    kp.jacobian.dispose();
    return valueOnly(kp);
  }

  /**
   * The keypoints of each batch of `batches` (each (B_i, C, H, W)) from one detector call on them
   * joined: in training mode batch norm takes each batch's statistics on its own and updates the
   * running ones in the batches' order (batchNormGroups), so the keypoints are those of one call
   * per batch (within float rounding) and each weight is read, and its gradient made, once.
   */
  keypointsOfEach(batches: readonly Tensor[], jacobians = this.params.switches.jacobians): Keypoints[] {
    if (batches.length === 1) return [this.keypoints(batches[0], jacobians)];
    return torch.tidy(() => {
      const sizes = batches.map((images) => images.size(0));
      const kp = batchNormGroups(sizes, () => this.keypoints(torch.cat([...batches], 0), jacobians));
      let start = 0;
      return sizes.map((size) => {
        const part: Keypoints = { value: kp.value.narrow(0, start, size) };
        if (kp.jacobian) part.jacobian = kp.jacobian.narrow(0, start, size);
        start += size;
        return part;
      });
    });
  }

  /**
   * The per-job work on the source (B, C, H, W) and references (each (B, C, H, W)): keypoints,
   * motion-resolution images and encoder features. The detector runs on the source and on the
   * references as separate batches (in training mode batch norm sees each set on its own, as FOMM's
   * separate source and driving calls do).
   */
  prepare(source: Tensor, references: readonly Tensor[] = [], options: DimeOptions = {}): PreparedViews {
    return torch.tidy(() => {
      const jacobians = options.jacobians ?? this.params.switches.jacobians;
      const kpSource = this.keypoints(source, jacobians);
      const kpRefs = references.length > 0 ? this.keypoints(torch.cat([...references], 0), jacobians) : undefined;
      return this.#prepareViews(source, references, kpSource, kpRefs);
    });
  }

  /** prepare() with the keypoints found: kpRefs are those of the references joined (N*B, K, 2). */
  #prepareViews(source: Tensor, references: readonly Tensor[], kpSource: Keypoints, kpRefs?: Keypoints): PreparedViews {
    return torch.tidy(() => {
      const images = references.length === 0 ? source : torch.cat([source, ...references], 0); // (V*B, C, H, W)
      let kp = kpSource;
      if (kpRefs) {
        kp = { value: torch.cat([kpSource.value, kpRefs.value], 0) };
        if (kpSource.jacobian && kpRefs.jacobian) kp.jacobian = torch.cat([kpSource.jacobian, kpRefs.jacobian], 0);
      }
      return this.generator.prepare(images, kp, 1 + references.length);
    });
  }

  /**
   * The per-frame call on views from `prepare`: the generated frame (B, C, H, W) and its flows,
   * masks and confidences, moved toward the target keypoints kpDriving (B, K, 2) (and Jacobians):
   * the driving frame's own (absolute motion, reconstruction) or relative ones (infer/motion.ts).
   * Views prepared for one sample serve a whole batch of driving frames.
   */
  animateFrame(prepared: PreparedViews, kpDriving: Keypoints, options: AnimateOptions = {}): AnimatorOutput {
    return this.generator.forward(prepared, kpDriving, options);
  }

  /** The source's keypoints (B, K, 2) (and Jacobians) among prepared views (the source comes first). */
  sourceKeypoints(prepared: PreparedViews): Keypoints {
    const kp: Keypoints = { value: prepared.kp.value.narrow(0, 0, prepared.batch) };
    if (prepared.kp.jacobian) kp.jacobian = prepared.kp.jacobian.narrow(0, 0, prepared.batch);
    return kp;
  }

  /**
   * source (B, C, H, W) and driving (B, C, H, W) in [0, 1], and any number of references (each
   * (B, C, H, W), other views of the source's object). Returns the generated frame (B, C, H, W)
   * with the keypoints, flows, masks and confidences (see AnimatorOutput). The detector runs once
   * on the source, the references, the driving frame and options.alsoDetect together, each a batch
   * of its own for batch norm (keypointsOfEach; as FOMM's separate calls, in that order).
   */
  forward(source: Tensor, driving: Tensor, references: readonly Tensor[] = [], options: DimeOptions = {}): DimeOutput {
    return torch.tidy(() => {
      const jacobians = options.jacobians ?? this.params.switches.jacobians;
      const refs = references.length > 0 ? [torch.cat([...references], 0)] : [];
      const also = options.alsoDetect ? [options.alsoDetect] : [];
      const [kpSource, ...rest] = this.keypointsOfEach([source, ...refs, driving, ...also], jacobians);
      const kpRefs = refs.length > 0 ? rest.shift() : undefined;
      const kpDriving = rest.shift()!;
      const prepared = this.#prepareViews(source, references, kpSource, kpRefs);
      const out = this.animateFrame(prepared, kpDriving, options);
      const b = source.size(0);
      const result: DimeOutput = { ...out, kpSource: this.sourceKeypoints(prepared), kpDriving };
      if (also.length > 0) result.kpAlso = rest.shift();
      if (references.length > 0) {
        const k = prepared.kp.value.size(1);
        result.kpReferences = prepared.kp.value
          .narrow(0, b, b * references.length)
          .view(references.length, b, k, 2)
          .transpose(0, 1);
      }
      return result;
    });
  }
}
