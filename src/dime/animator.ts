// The Animator: everything after the keypoints (paper eq. 4-12). For each view V (the source and
// any references) it builds the coarse motion phi_V(0), refines it with the MotionODE to Phi_V,
// warps the view's features, applies the SelfFlow, fuses the views and generates the frame. It
// holds FOMM's OcclusionAwareGenerator layers under FOMM's names (dense_motion_network, first,
// down_blocks, up_blocks, bottleneck, final) plus DiME's motion_ode, self_flow and fuse, which
// exist only when the config switches them on; the baseline configuration's state dict is
// therefore exactly FOMM's.
//
// Views are batched view-major: row v*B + b holds view v of sample b (v = 0 the source).
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "../nn/index.js";
import { CoarseMotion, type CoarseMotionOutput } from "./coarse_motion.js";
import { Encoder } from "./encoder.js";
import { Generator } from "./generator.js";
import { MotionODE, type OdeSettings } from "./motion_ode.js";
import { SelfFlow } from "./self_flow.js";
import { fuseViews } from "./fusion.js";
import { flowToDisplacement, displacementToFlow, kpToGaussian, resizeFlow, warp } from "./geometry.js";
import type { Keypoints } from "./keypoint_detector.js";
import type { ModelParams } from "./config/schema.js";

/** Per-call switches (paper's ablations); undefined fields take the config's values. */
export interface AnimateOptions {
  refine?: boolean;
  identityFlow?: boolean;
  ode?: Partial<OdeSettings>;
}

/** The per-job work on the source and reference views, done once and reused for every driving frame. */
export interface PreparedViews {
  /** V: 1 + the number of references. */
  views: number;
  /** B: samples per view. */
  batch: number;
  /** (V*B, C, H, W) */
  images: Tensor;
  /** (V*B, K, 2) (and Jacobians) */
  kp: Keypoints;
  /** (V*B, C, h, w): the views at motion resolution. */
  down: Tensor;
  /** (V*B, C_f, h_f, w_f): F_V. */
  features: Tensor;
}

/** Everything one animation step produces; per-view tensors are (B, V, ...). */
export interface AnimatorOutput {
  /** (B, C, H, W) in [0, 1]. */
  prediction: Tensor;
  /** (B, V, h, w, 2): phi_V(0), the coarse motion. */
  coarseFlow: Tensor;
  /** (B, V, h, w, 2): Phi_V, after the ODE (equal to coarseFlow when refine is off). */
  refinedFlow: Tensor;
  /** (B, V, h, w, 2): Psi_V, when the identity branch ran. */
  selfFlow?: Tensor;
  /** (B, V, K+1, h, w): CoarseMotion's masks. */
  mask: Tensor;
  /** (B, V, h, w): sigmoid(c_V), when the model estimates confidence. */
  confidence?: Tensor;
  /** (B, V, h, w): alpha, the fusion weights. */
  weights: Tensor;
  /** (B, 1, h, w): v, the fused visibility (FOMM's occlusion map with one view). */
  visibility: Tensor;
  /** (B, C, H, W): the source image warped by its refined flow. */
  deformed: Tensor;
  /** CoarseMotion's raw outputs for all views (view-major rows), for tests and inspection. */
  coarse: CoarseMotionOutput;
}

/** (V*B, ...) view-major -> (B, V, ...). */
function perSample(t: Tensor, views: number): Tensor {
  const b = t.size(0) / views;
  return t.view(views, b, ...t.shape.slice(1)).transpose(0, 1);
}

/** Repeats (B, ...) for each of V views: (V*B, ...). */
function forEachView(t: Tensor, views: number): Tensor {
  return t
    .unsqueeze(0)
    .expand(views, ...t.shape)
    .reshape(views * t.size(0), ...t.shape.slice(1));
}

export class Animator extends Module {
  readonly dense_motion_network: CoarseMotion;
  readonly encoder: Encoder;
  readonly generator: Generator;
  readonly motion_ode?: MotionODE;
  readonly self_flow?: SelfFlow;

  constructor(readonly params: ModelParams) {
    super();
    // Each part takes its YAML sections as they are written (FOMM's `Part(**part_params, **common_params)`).
    const common = params.common_params;
    const gen = params.generator_params;
    const switches = params.switches;
    this.dense_motion_network = this.registerModule(
      "dense_motion_network",
      new CoarseMotion({ ...gen.dense_motion_params, ...common, estimate_occlusion_map: gen.estimate_occlusion_map }),
    );
    // FOMM defines these layers directly on its generator: adopt them to keep its flat keys.
    this.encoder = this.adoptChildren(new Encoder({ ...gen, ...common }));
    this.generator = this.adoptChildren(new Generator({ ...gen, ...common, identity_flow: switches.identity_flow }));
    if (switches.refine) {
      const context_channels = this.dense_motion_network.contextChannels;
      this.motion_ode = this.registerModule(
        "motion_ode",
        new MotionODE({ ...params.motion_ode_params, ...common, context_channels }, switches.num_refs > 0),
      );
    }
    if (switches.identity_flow) this.self_flow = this.registerModule("self_flow", new SelfFlow({ ...params.self_flow_params, ...common }));
  }

  /**
   * The per-job work: source (B, C, H, W), references (B, C, H, W) each, and their keypoints
   * (views stacked view-major, (V*B, K, 2)).
   */
  prepare(images: Tensor, kp: Keypoints, views: number): PreparedViews {
    return torch.tidy(() => ({
      views,
      batch: images.size(0) / views,
      images,
      kp,
      down: this.dense_motion_network.downscale(images),
      features: this.encoder.forward(images),
    }));
  }

  /**
   * Animates the prepared views toward the driving keypoints (B, K, 2). When the views were
   * prepared for one sample and the driving batch is larger, the views serve every driving frame.
   */
  forward(prepared: PreparedViews, kpDriving: Keypoints, options: AnimateOptions = {}): AnimatorOutput {
    const refine = options.refine ?? this.params.switches.refine;
    const identityFlow = options.identityFlow ?? this.params.switches.identity_flow;
    const aligned = this.params.switches.aligned_resize;
    const ode: OdeSettings = {
      method: options.ode?.method ?? this.params.switches.ode.method,
      steps: options.ode?.steps ?? this.params.switches.ode.steps,
    };
    if (refine && !this.motion_ode)
      throw new Error("refine: this model was built with switches.refine false, so it has no MotionODE to integrate");
    if (identityFlow && !this.self_flow)
      throw new Error("identity_flow: this model was built with switches.identity_flow false, so it has no SelfFlow");

    return torch.tidy(() => {
      const views = prepared.views;
      const batch = kpDriving.value.size(0);
      const p = prepared.batch === batch ? prepared : expandPrepared(prepared, batch);
      const kpDrivingPerView: Keypoints = { value: forEachView(kpDriving.value, views) };
      if (kpDriving.jacobian && p.kp.jacobian) kpDrivingPerView.jacobian = forEachView(kpDriving.jacobian, views);

      // Coarse motion phi_V(0) and confidence c_V (eq. 4-5).
      const coarse = this.dense_motion_network.forward(p.images, p.kp, kpDrivingPerView, p.down);
      const [, , h, w] = coarse.viewDown.shape;
      const drivingHeatmaps = kpToGaussian(kpDrivingPerView.value, h, w, this.params.generator_params.dense_motion_params.kp_variance);

      // Refinement Phi_V = phi_V(1) (eq. 6-8).
      let flow = coarse.deformation;
      if (refine) {
        const conditions = { viewDown: coarse.viewDown, drivingHeatmaps, context: coarse.context };
        flow = displacementToFlow(this.motion_ode!.forward(flowToDisplacement(flow), conditions, batch, ode));
      }

      // F_V->D (eq. 9), at the features' resolution.
      const [, , hf, wf] = p.features.shape;
      const motionFeatures = warp(p.features, resizeFlow(flow, hf, wf, aligned));
      const confidence = coarse.confidenceLogit && torch.fp32Island(() => torch.widen(coarse.confidenceLogit!).sigmoid());

      // F_V->V (eq. 10): the SelfFlow, or (a model with the branch, called without it) the identity.
      let identityFeatures: Tensor | undefined;
      let selfFlow: Tensor | undefined;
      if (identityFlow) {
        const visible = confidence ?? torch.onesLike(coarse.viewDown.narrow(1, 0, 1));
        selfFlow = this.self_flow!.forward(warp(coarse.viewDown, flow), visible, drivingHeatmaps);
        identityFeatures = warp(motionFeatures, resizeFlow(selfFlow, hf, wf, aligned));
      } else if (this.generator.fuse) {
        identityFeatures = motionFeatures;
      }

      // Fusion over views (eq. 11) and generation (eq. 12).
      const fused = fuseViews({
        motion: motionFeatures,
        identity: identityFeatures,
        confidenceLogit: coarse.confidenceLogit,
        views,
        alignedResize: aligned,
      });
      const prediction = this.generator.forward(fused.motion, fused.identity);

      const [, , H, W] = p.images.shape;
      const sourceFlow = flow.narrow(0, 0, batch);
      const out: AnimatorOutput = {
        prediction,
        coarseFlow: perSample(coarse.deformation, views),
        refinedFlow: perSample(flow, views),
        mask: perSample(coarse.mask, views),
        weights: fused.weights,
        visibility: fused.visibility,
        deformed: warp(p.images.narrow(0, 0, batch), resizeFlow(sourceFlow, H, W, aligned)),
        coarse,
      };
      if (selfFlow) out.selfFlow = perSample(selfFlow, views);
      if (confidence) out.confidence = perSample(confidence.squeeze(1), views);
      return out;
    });
  }
}

/** Views prepared for one sample, repeated for a batch of driving frames. */
function expandPrepared(prepared: PreparedViews, batch: number): PreparedViews {
  if (prepared.batch !== 1) {
    throw new RangeError(`Animator: views prepared for ${prepared.batch} samples cannot drive ${batch} (prepare for 1 or for ${batch})`);
  }
  // (V, ...) -> (V*batch, ...): each view repeated for every driving frame, view-major.
  const repeat = (t: Tensor) =>
    t
      .unsqueeze(1)
      .expand(t.size(0), batch, ...t.shape.slice(1))
      .reshape(t.size(0) * batch, ...t.shape.slice(1));
  const kp: Keypoints = { value: repeat(prepared.kp.value) };
  if (prepared.kp.jacobian) kp.jacobian = repeat(prepared.kp.jacobian);
  return {
    views: prepared.views,
    batch,
    images: repeat(prepared.images),
    kp,
    down: repeat(prepared.down),
    features: repeat(prepared.features),
  };
}
