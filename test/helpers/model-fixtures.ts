// Model configurations for tests: FOMM's tiny golden configuration (../shared/golden/README.md)
// and a small DiME with every branch on; batch-norm statistics as a trained model has them.
import * as torch from "../../src/torch/index.js";
import { BatchNorm2d, type Module } from "../../src/nn/index.js";
import { DEFAULT_CONFIG, type ModelParams, type Switches } from "../../src/dime/config/schema.js";

/** The golden fixtures' FOMM configuration, as DiME's baseline switches (jacobians on, the rest off). */
export function fommTinyParams(): ModelParams {
  return {
    common_params: { num_kp: 4, num_channels: 3 },
    kp_detector_params: {
      temperature: 0.1,
      block_expansion: 8,
      max_features: 64,
      scale_factor: 0.25,
      num_blocks: 3,
      pad: 0,
      single_jacobian_map: false,
    },
    generator_params: {
      block_expansion: 8,
      max_features: 32,
      num_down_blocks: 2,
      num_bottleneck_blocks: 2,
      estimate_occlusion_map: true,
      dense_motion_params: { block_expansion: 8, max_features: 64, num_blocks: 3, scale_factor: 0.25, kp_variance: 0.01 },
    },
    motion_ode_params: { block_expansion: 8, max_features: 32, num_blocks: 2 },
    self_flow_params: { block_expansion: 8, max_features: 32, num_blocks: 2 },
    switches: {
      refine: false,
      identity_flow: false,
      num_refs: 0,
      jacobians: true,
      aligned_resize: false,
      ode: { method: "midpoint", steps: 2 },
    },
    // The golden discriminator (../shared/golden/checkpoints/README.md): spectral norm on, no keypoints.
    discriminator_params: { scales: [1], block_expansion: 8, max_features: 32, num_blocks: 4, sn: true, use_kp: false, kp_variance: 0.01 },
  };
}

/** A tiny DiME (64 px) with the given switches over the full model's (refine, ID, one reference). */
export function tinyDimeParams(switches: Partial<Switches> = {}): ModelParams {
  const params = fommTinyParams();
  params.switches = { ...DEFAULT_CONFIG.model_params.switches, ...switches };
  return params;
}

/**
 * Sets every BatchNorm2d's running statistics and affine terms away from their defaults (mean 0,
 * variance 1, identity), as training leaves them: with the defaults, folding a batch norm changes
 * almost nothing, so a test of the fold would prove little.
 */
export function randomiseBatchNorm(model: Module, generator: torch.Generator): void {
  torch.noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      const n = m.numFeatures;
      torch.tidy(() => {
        m.runningMean?.copy_(torch.randn([n], { generator }).mul(0.5));
        m.runningVar?.copy_(torch.rand([n], { generator }).add(0.5));
        m.weight?.copy_(torch.rand([n], { generator }).add(0.5));
        m.bias?.copy_(torch.randn([n], { generator }).mul(0.1));
      });
    }
  });
}
