// Inference-time graph tidying, done once when a model is loaded to animate (never for training):
// batch norm folded into the convolution before it, ReLU in place after it, and the generator's
// residual and up blocks run channels-last. docs/speed.md has the measurements behind each choice.
import type { Module } from "../nn/index.js";
import { FoldableBlock } from "./blocks.js";
import { Generator } from "./generator.js";

export interface InferenceTuning {
  /** Fold batch norm into convolutions (default true). */
  foldBatchNorm?: boolean;
  /** The generator's wide convolutions in channels-last memory (default true). */
  channelsLast?: boolean;
}

/** Puts `model` in eval mode and applies the tuning; returns the model. Outputs stay those of eval mode within float rounding. */
export function tuneForInference<M extends Module>(model: M, tuning: InferenceTuning = {}): M {
  model.eval();
  for (const m of model.modules()) {
    if (m instanceof FoldableBlock && tuning.foldBatchNorm !== false) m.foldBatchNorm();
    if (m instanceof Generator) m.channelsLast = tuning.channelsLast !== false;
  }
  return model;
}
