// The constraints on config values that the type of a default value cannot say (a width is a
// positive integer, a scale is 1/n, a method is one of three names), and hints for keys a FOMM
// user may bring over. check.ts reads these tables; it has no per-key code of its own.

/** A rule on one number or string; on a list, every element must satisfy it. */
export type Rule =
  | { kind: "int"; min: number }
  | { kind: "range"; min: number; max: number; minOpen?: boolean; maxOpen?: boolean }
  /** In (0, 1] with 1/x a whole number, as the anti-aliased downscale samples every (1/x)-th pixel. */
  | { kind: "unitFraction" }
  | { kind: "oneOf"; values: readonly string[] };

export interface Constraint {
  rule?: Rule;
  /** A list of exactly this many elements. */
  length?: number;
  /** A list of at least one element. */
  nonEmpty?: boolean;
  /** A list whose elements strictly increase. */
  increasing?: boolean;
}

const positiveInt: Constraint = { rule: { kind: "int", min: 1 } };
const nonNegativeInt: Constraint = { rule: { kind: "int", min: 0 } };
const positive: Constraint = { rule: { kind: "range", min: 0, max: Infinity, minOpen: true } };
const nonNegative: Constraint = { rule: { kind: "range", min: 0, max: Infinity } };
const scale: Constraint = { rule: { kind: "unitFraction" } };

/**
 * Constraints by the last key of a dotted path; a key means the same wherever it appears
 * (block_expansion is a width in the detector, the dense motion net and the ODE nets alike).
 */
export const RULES_BY_KEY: Readonly<Record<string, Constraint>> = {
  num_kp: positiveInt,
  num_channels: positiveInt,
  block_expansion: positiveInt,
  max_features: positiveInt,
  num_blocks: positiveInt,
  num_down_blocks: nonNegativeInt,
  num_bottleneck_blocks: nonNegativeInt,
  pad: nonNegativeInt,
  num_refs: nonNegativeInt,
  steps: positiveInt,
  num_steps: positiveInt,
  batch_size: positiveInt,
  checkpoint_freq: positiveInt,
  sample_freq: positiveInt,
  keep_checkpoints: positiveInt,
  points_tps: { rule: { kind: "int", min: 2 } },
  temperature: positive,
  kp_variance: positive,
  lr: positive,
  scale_factor: scale,
  method: { rule: { kind: "oneOf", values: ["euler", "midpoint", "rk4"] } },
  brightness: nonNegative,
  contrast: nonNegative,
  saturation: nonNegative,
  hue: { rule: { kind: "range", min: 0, max: 0.5 } },
  sigma_affine: nonNegative,
  sigma_tps: nonNegative,
  pixel_l1: nonNegative,
  pixel_ssim: nonNegative,
  equivariance_value: nonNegative,
  equivariance_jacobian: nonNegative,
  generator_gan: nonNegative,
  discriminator_gan: nonNegative,
  lr_discriminator: positive,
  adam_eps: positive,
};

/** Constraints by full dotted path, for keys whose name is ambiguous; these win over RULES_BY_KEY. */
export const RULES_BY_PATH: Readonly<Record<string, Constraint>> = {
  "dataset_params.frame_shape": { rule: { kind: "int", min: 1 }, length: 3 },
  "train_params.betas": { rule: { kind: "range", min: 0, max: 1, maxOpen: true }, length: 2 },
  "train_params.lr_milestones": { rule: { kind: "range", min: 0, max: 1, minOpen: true, maxOpen: true }, increasing: true },
  "train_params.scales": { rule: { kind: "unitFraction" }, nonEmpty: true },
  "train_params.perceptual": { rule: { kind: "oneOf", values: ["vgg", "pixel"] } },
  "model_params.discriminator_params.scales": { rule: { kind: "unitFraction" }, nonEmpty: true },
  // One weight per discriminator block; crossCheck compares the count with num_blocks.
  "train_params.loss_weights.feature_matching": { rule: { kind: "range", min: 0, max: Infinity } },
  // One weight per VGG-19 layer relu1_1..relu5_1.
  "train_params.loss_weights.perceptual": { rule: { kind: "range", min: 0, max: Infinity }, length: 5 },
};

/** The constraint on a dotted path, if any. */
export function constraintFor(dotted: string): Constraint | undefined {
  const key = dotted.slice(dotted.lastIndexOf(".") + 1);
  return Object.hasOwn(RULES_BY_PATH, dotted) ? RULES_BY_PATH[dotted] : Object.hasOwn(RULES_BY_KEY, key) ? RULES_BY_KEY[key] : undefined;
}

/**
 * Keys of FOMM's and MRAA's configs that DiME spells differently or does without, by last key:
 * the hint replaces the generic "valid keys" list, so a FOMM config fails with a way forward.
 */
export const FOREIGN_KEY_HINTS: Readonly<Record<string, string>> = {
  estimate_jacobian: "DiME sets this with model_params.switches.jacobians",
  root_dir: "pass the data folder on the command line (dime train --data DIR); remove it",
  image_shape: "DiME calls it dataset_params.frame_shape",
  id_sampling: "the loader always samples one video per identity when the dataset names identities; remove it",
  pairs_list: "animation pairs are chosen by dime eval with a seed; remove it",
  num_epochs: "DiME counts training in steps: set train_params.num_steps (docs/configs.md shows the conversion)",
  num_repeats: "DiME counts training in steps: set train_params.num_steps (docs/configs.md shows the conversion)",
  epoch_milestones: "set train_params.lr_milestones as fractions of num_steps (FOMM's [60, 90] of 100 epochs is [0.6, 0.9])",
  lr_generator: "DiME's generator and keypoint detector share one learning rate: train_params.lr",
  lr_kp_detector: "DiME's generator and keypoint detector share one learning rate: train_params.lr",
};
