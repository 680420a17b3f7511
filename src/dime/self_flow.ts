// SelfFlow (paper eq. 10, the "ID" branch): an appearance flow Psi_V within the view's own
// driving-posed features, so that visible parts of the object can fill what the new pose reveals
// (the far side of a face). An hourglass over [the view warped by Phi_V, sigmoid(c_V), the driving
// keypoint heatmaps] at motion resolution gives a displacement; the last conv starts at zero, so an
// untrained SelfFlow is the identity warp.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, type Conv2d } from "../nn/index.js";
import type { Hourglass } from "./blocks.js";
import { zeroDisplacementHead } from "./zero-head.js";
import { displacementToFlow } from "./geometry.js";
import type { CommonParams, SelfFlowParams } from "./config/schema.js";

/** SelfFlow's arguments: common_params and self_flow_params as the YAML writes them. */
export interface SelfFlowOptions extends CommonParams, SelfFlowParams {}

export class SelfFlow extends Module {
  readonly hourglass: Hourglass;
  readonly final: Conv2d;

  constructor(options: SelfFlowOptions) {
    super();
    const head = zeroDisplacementHead(options, options.num_channels + 1 + options.num_kp);
    this.hourglass = this.registerModule("hourglass", head.hourglass);
    this.final = this.registerModule("final", head.final);
  }

  /**
   * warpedView (B, C, h, w): the view warped by Phi_V; confidence (B, 1, h, w) = sigmoid(c_V);
   * drivingHeatmaps (B, K, h, w). Returns the flow Psi_V (B, h, w, 2).
   */
  forward(warpedView: Tensor, confidence: Tensor, drivingHeatmaps: Tensor): Tensor {
    return torch.tidy(() => {
      const input = torch.cat([warpedView, confidence, drivingHeatmaps], 1);
      return displacementToFlow(this.final.forward(this.hourglass.forward(input)));
    });
  }
}
