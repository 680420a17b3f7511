// MotionODE (paper eq. 6-8): refines the coarse motion by integrating d phi / d eps = f(phi, eps)
// from eps = 0 to 1. The state is the displacement u = phi - identity (B, 2, h, w); the dynamics
// net sees [u, eps, the view warped by identity + u, the driving keypoint heatmaps, the coarse
// motion's context] and ends in a zero-initialised conv, so an untrained ODE returns phi(0): the
// model starts as its FOMM-style baseline. f0 serves the source view; f_ref is shared by every
// reference view, so any number of references can be used at inference.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, type Conv2d } from "../nn/index.js";
import { odeint, type OdeMethod } from "../ode/index.js";
import type { Hourglass } from "./blocks.js";
import { zeroDisplacementHead } from "./zero-head.js";
import { displacementToFlow, warp } from "./geometry.js";
import type { CommonParams, MotionOdeParams } from "./config/schema.js";

/** A dynamics net's arguments: common_params and motion_ode_params as the YAML writes them. */
export interface DynamicsOptions extends CommonParams, MotionOdeParams {
  /** Channels of CoarseMotion's context map (CoarseMotion.contextChannels). */
  context_channels: number;
}

/** What the dynamics are conditioned on, all at motion resolution (B views). */
export interface MotionConditions {
  /** (B, C, h, w): the view. */
  viewDown: Tensor;
  /** (B, K, h, w): Gaussians at the driving keypoints. */
  drivingHeatmaps: Tensor;
  /** (B, C_ctx, h, w): CoarseMotion's hourglass output. */
  context: Tensor;
}

/** One dynamics net f(u, eps): (B, 2, h, w) -> (B, 2, h, w). */
export class MotionDynamics extends Module {
  readonly hourglass: Hourglass;
  readonly final: Conv2d;

  constructor(options: DynamicsOptions) {
    super();
    const head = zeroDisplacementHead(options, 2 + 1 + options.num_channels + options.num_kp + options.context_channels);
    this.hourglass = this.registerModule("hourglass", head.hourglass);
    this.final = this.registerModule("final", head.final);
  }

  /**
   * The share of the first convolution that does not change during the integration: over the
   * driving heatmaps and the context, bias included, (B, w1, h, w). Computed once per frame
   * instead of at every evaluation of f (the heatmaps and context are most of f's input channels).
   */
  constantPart(conditions: MotionConditions): Tensor {
    return torch.tidy(() => {
      const first = this.hourglass.encoder.down_blocks.at(0);
      const constant = torch.cat([conditions.drivingHeatmaps, conditions.context], 1);
      return first.convPart(constant, 2 + 1 + conditions.viewDown.size(1), true);
    });
  }

  /** f(u, eps): (B, 2, h, w); `constant` from constantPart(conditions) saves recomputing that share. */
  forward(eps: number, u: Tensor, conditions: MotionConditions, constant?: Tensor): Tensor {
    return torch.tidy(() => {
      const [b, , h, w] = u.shape;
      const time = torch.full([b, 1, h, w], eps, { dtype: u.dtype, device: u.device });
      const warped = warp(conditions.viewDown, displacementToFlow(u));
      const varying = torch.cat([u, time, warped], 1); // (B, 2 + 1 + C, h, w)
      const input = torch.cat([varying, conditions.drivingHeatmaps, conditions.context], 1);
      const firstConv = constant ? this.hourglass.encoder.down_blocks.at(0).convPart(varying, 0, false).add(constant) : undefined;
      // fp32 out: the solver sums several of these into the state u.
      return torch.widen(this.final.forward(this.hourglass.forward(input, firstConv)));
    });
  }
}

export interface OdeSettings {
  method: OdeMethod;
  steps: number;
}

export class MotionODE extends Module {
  readonly f0: MotionDynamics;
  readonly f_ref?: MotionDynamics;

  /** withReferenceNet: build f_ref (models trained with references); without it f0 serves every view. */
  constructor(options: DynamicsOptions, withReferenceNet: boolean) {
    super();
    this.f0 = this.registerModule("f0", new MotionDynamics(options));
    if (withReferenceNet) this.f_ref = this.registerModule("f_ref", new MotionDynamics(options));
  }

  /**
   * Integrates from the coarse displacement u0 (V*B, 2, h, w), views stacked view-major (the first
   * `batch` rows are the source, the rest references), to u(1), same shape.
   */
  forward(u0: Tensor, conditions: MotionConditions, batch: number, settings: OdeSettings): Tensor {
    const rows = u0.size(0);
    if (rows === batch || !this.f_ref) return this.#integrate(this.f0, u0, conditions, settings);
    return torch.tidy(() => {
      const part = (t: Tensor, source: boolean) => (source ? t.narrow(0, 0, batch) : t.narrow(0, batch, rows - batch));
      const split = (source: boolean): [Tensor, MotionConditions] => [
        part(u0, source),
        {
          viewDown: part(conditions.viewDown, source),
          drivingHeatmaps: part(conditions.drivingHeatmaps, source),
          context: part(conditions.context, source),
        },
      ];
      const source = this.#integrate(this.f0, ...split(true), settings);
      const references = this.#integrate(this.f_ref!, ...split(false), settings);
      return torch.cat([source, references], 0);
    });
  }

  #integrate(f: MotionDynamics, u0: Tensor, conditions: MotionConditions, settings: OdeSettings): Tensor {
    return torch.tidy(() => {
      const constant = f.constantPart(conditions);
      return odeint((eps, u) => f.forward(eps, u, conditions, constant), u0, {
        t0: 0,
        t1: 1,
        method: settings.method,
        steps: settings.steps,
      });
    });
  }
}
