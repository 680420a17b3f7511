// The net MotionODE's dynamics (eq. 6-8) and SelfFlow (eq. 10) share: an hourglass ending in a 3x3
// conv to a 2-channel displacement, that conv zero-initialised so an untrained net outputs zero
// motion and the model starts as its FOMM-style baseline (DESIGN section 4).
import * as torch from "../torch/index.js";
import { Conv2d } from "../nn/index.js";
import { Hourglass } from "./blocks.js";

/** An hourglass's size as the YAML writes it (motion_ode_params, self_flow_params). */
export interface HourglassSize {
  block_expansion: number;
  max_features: number;
  num_blocks: number;
}

/**
 * The hourglass over `inFeatures` channels and `final`, its output to a (B, 2, h, w) displacement
 * with weight and bias zero; the owner registers them as "hourglass" and "final" (the state-dict
 * keys both modules' checkpoints use), in this order of creation (the random initialisation).
 */
export function zeroDisplacementHead(size: HourglassSize, inFeatures: number): { hourglass: Hourglass; final: Conv2d } {
  const hourglass = new Hourglass({
    blockExpansion: size.block_expansion,
    maxFeatures: size.max_features,
    numBlocks: size.num_blocks,
    inFeatures,
  });
  const final = new Conv2d(hourglass.outFilters, 2, 3, { padding: 1 });
  torch.noGrad(() => {
    final.weight.zero_();
    final.bias!.zero_();
  });
  return { hourglass, final };
}
