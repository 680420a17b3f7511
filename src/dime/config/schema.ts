// The typed configuration of a DiME model and its training (configs/*.yaml). Keys are snake_case
// and named like the constructor arguments of the parts they configure, as in FOMM's configs, so a
// FOMM user recognises every key; the DiME additions are motion_ode_params, self_flow_params and
// switches. DEFAULT_CONFIG is the paper's model at 256 px (DESIGN section 4); a YAML file
// overrides any subset of it (see file.ts).

export type OdeMethod = "euler" | "midpoint" | "rk4";
export type PerceptualKind = "vgg" | "pixel";

export interface CommonParams {
  /** K, the number of keypoints. */
  num_kp: number;
  num_channels: number;
}

export interface KpDetectorParams {
  temperature: number;
  block_expansion: number;
  max_features: number;
  /** The detector works on the image scaled by this (anti-aliased). */
  scale_factor: number;
  num_blocks: number;
  /** Zero padding of the 7x7 keypoint conv (FOMM's `pad`; 0 crops the heatmap by 3 px a side). */
  pad: number;
  /**
   * With switches.jacobians: one Jacobian map shared by every keypoint instead of one each
   * (FOMM's mgif-256 model). Without Jacobians it changes nothing.
   */
  single_jacobian_map: boolean;
}

export interface DenseMotionParams {
  block_expansion: number;
  max_features: number;
  num_blocks: number;
  /** The motion resolution relative to the image (DESIGN's motion_scale). */
  scale_factor: number;
  /** Variance of the keypoint Gaussians in [-1, 1] coordinates. */
  kp_variance: number;
}

export interface GeneratorParams {
  block_expansion: number;
  max_features: number;
  num_down_blocks: number;
  num_bottleneck_blocks: number;
  /** The confidence/occlusion map c_V; without it every view is fully trusted (v = 1). */
  estimate_occlusion_map: boolean;
  dense_motion_params: DenseMotionParams;
}

/** The dynamics nets f0 and f_ref of the MotionODE (eq. 6). */
export interface MotionOdeParams {
  block_expansion: number;
  max_features: number;
  num_blocks: number;
}

/** The SelfFlow net (eq. 10). */
export interface SelfFlowParams {
  block_expansion: number;
  max_features: number;
  num_blocks: number;
}

/** The paper's ablation switches; every one can be overridden per call. */
export interface Switches {
  /** Integrate the MotionODE (eq. 6-8); off, the coarse motion is the final one. */
  refine: boolean;
  /** The SelfFlow branch and F_id (eq. 10-12). */
  identity_flow: boolean;
  /** Reference views per training sample (0 = one-shot). Inference takes any number. */
  num_refs: number;
  /** FOMM's first-order terms (keypoint Jacobians) in the coarse motion. */
  jacobians: boolean;
  /**
   * Resize flows, fusion weights and visibility from the motion grid to the features' (and the
   * image's) size with corners aligned, so an identity flow stays the identity (DEVIATION,
   * docs/model.md). false is FOMM's resize, for exact parity with FOMM's weights.
   */
  aligned_resize: boolean;
  ode: { method: OdeMethod; steps: number };
}

/**
 * FOMM's MultiScaleDiscriminator (modules/discriminator.py), used in training only when
 * train_params.loss_weights.generator_gan is not 0; the generator's weights do not depend on it.
 */
export interface DiscriminatorParams {
  /** One patch discriminator per scale of the frame (FOMM's released configs: [1]). */
  scales: number[];
  block_expansion: number;
  max_features: number;
  /** Down blocks: 4x4 conv, instance norm (not on the first), leaky ReLU 0.2, 2x2 pooling (not on the last). */
  num_blocks: number;
  /** Spectral norm on every conv (PyTorch's power iteration, one step per training forward). */
  sn: boolean;
  /** The driving keypoints' Gaussian heatmaps as extra input channels. */
  use_kp: boolean;
  /** Variance of those heatmaps (FOMM's default). */
  kp_variance: number;
}

export interface ModelParams {
  common_params: CommonParams;
  kp_detector_params: KpDetectorParams;
  generator_params: GeneratorParams;
  motion_ode_params: MotionOdeParams;
  self_flow_params: SelfFlowParams;
  switches: Switches;
  discriminator_params: DiscriminatorParams;
}

export interface DatasetParams {
  /** [height, width, channels] of the frames the model sees. */
  frame_shape: [number, number, number];
  augmentation_params: {
    flip_param: { horizontal_flip: boolean; time_flip: boolean };
    jitter_param: { brightness: number; contrast: number; saturation: number; hue: number };
  };
}

export interface TrainParams {
  num_steps: number;
  batch_size: number;
  lr: number;
  betas: [number, number];
  /** Adam's epsilon (PyTorch's default 1e-8), for the generator's and the discriminator's optimizers. */
  adam_eps: number;
  /** Fractions of num_steps where the learning rate is multiplied by 0.1. */
  lr_milestones: number[];
  /** The discriminator's Adam learning rate before the first drop (its schedule is the generator's). */
  lr_discriminator: number;
  /** Pyramid scales of the reconstruction loss. */
  scales: number[];
  /** `vgg` needs vgg_weights (a safetensors file); `pixel` is L1 + SSIM at the same scales. */
  perceptual: PerceptualKind;
  /** Path of VGG-19 weights with torchvision's names (docs/losses.md); "" when not given. */
  vgg_weights: string;
  transform_params: { sigma_affine: number; sigma_tps: number; points_tps: number };
  loss_weights: {
    /** One weight per VGG layer relu1_1..relu5_1. */
    perceptual: number[];
    /** Weights of the `pixel` loss's L1 and (1 - SSIM) terms. */
    pixel_l1: number;
    pixel_ssim: number;
    equivariance_value: number;
    /** Used only with switches.jacobians. */
    equivariance_jacobian: number;
    /**
     * FOMM's LSGAN term of the generator, sum over discriminator scales of mean((1 - D(G))^2); 0
     * switches the discriminator and all adversarial terms off (FOMM's train.py).
     */
    generator_gan: number;
    /** The discriminator's LSGAN loss, mean((1 - D(real))^2 + D(G)^2) per scale. */
    discriminator_gan: number;
    /** Feature matching: one weight per discriminator block, L1 between its maps of real and generated. */
    feature_matching: number[];
  };
  checkpoint_freq: number;
  sample_freq: number;
  keep_checkpoints: number;
}

export interface DimeConfig {
  dataset_params: DatasetParams;
  model_params: ModelParams;
  train_params: TrainParams;
}

/** The paper's full model at 256 px (DESIGN section 4), trained with three references (paper section 4). */
export const DEFAULT_CONFIG: DimeConfig = {
  dataset_params: {
    frame_shape: [256, 256, 3],
    augmentation_params: {
      flip_param: { horizontal_flip: true, time_flip: true },
      jitter_param: { brightness: 0.1, contrast: 0.1, saturation: 0.1, hue: 0.1 },
    },
  },
  model_params: {
    common_params: { num_kp: 10, num_channels: 3 },
    kp_detector_params: {
      temperature: 0.1,
      block_expansion: 32,
      max_features: 1024,
      scale_factor: 0.25,
      num_blocks: 5,
      pad: 0,
      single_jacobian_map: false,
    },
    generator_params: {
      block_expansion: 64,
      max_features: 512,
      num_down_blocks: 2,
      num_bottleneck_blocks: 6,
      estimate_occlusion_map: true,
      dense_motion_params: { block_expansion: 64, max_features: 1024, num_blocks: 5, scale_factor: 0.25, kp_variance: 0.01 },
    },
    motion_ode_params: { block_expansion: 32, max_features: 256, num_blocks: 3 },
    self_flow_params: { block_expansion: 32, max_features: 256, num_blocks: 3 },
    switches: {
      refine: true,
      identity_flow: true,
      num_refs: 3,
      jacobians: false,
      aligned_resize: true,
      ode: { method: "midpoint", steps: 2 },
    },
    // FOMM's vox-256.yaml discriminator; kp_variance is its Discriminator's default.
    discriminator_params: {
      scales: [1],
      block_expansion: 32,
      max_features: 512,
      num_blocks: 4,
      sn: true,
      use_kp: false,
      kp_variance: 0.01,
    },
  },
  train_params: {
    num_steps: 100000,
    batch_size: 8,
    lr: 2e-4,
    betas: [0.5, 0.999],
    adam_eps: 1e-8,
    lr_milestones: [0.6, 0.9],
    lr_discriminator: 2e-4,
    scales: [1, 0.5, 0.25, 0.125],
    perceptual: "vgg",
    vgg_weights: "",
    transform_params: { sigma_affine: 0.05, sigma_tps: 0.005, points_tps: 5 },
    loss_weights: {
      perceptual: [10, 10, 10, 10, 10],
      pixel_l1: 10,
      pixel_ssim: 10,
      equivariance_value: 10,
      equivariance_jacobian: 10,
      // FOMM's vox-256.yaml: adversarial training off (its -adv configs set generator_gan 1).
      generator_gan: 0,
      discriminator_gan: 1,
      feature_matching: [10, 10, 10, 10],
    },
    checkpoint_freq: 1000,
    sample_freq: 500,
    keep_checkpoints: 3,
  },
};
