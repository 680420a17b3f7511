// Inference-time graph tidying, done once when a model is loaded to animate (never for training):
// batch norm folded into the convolution before it, ReLU in place after it, the generator, the
// source encoder and the hourglasses channels-last with channels-last weights, and freed memory
// kept for the next frame.
// docs/speed.md has the measurements behind each choice.
import * as torch from "../torch/index.js";
import type { Module } from "../nn/index.js";
import { FoldableBlock, Hourglass } from "./blocks.js";
import { Animator } from "./animator.js";
import type { Encoder } from "./encoder.js";
import type { Generator } from "./generator.js";

export interface InferenceTuning {
  /** Fold batch norm into convolutions (default true). */
  foldBatchNorm?: boolean;
  /** The generator's and the source encoder's wide convolutions in channels-last memory (default true). */
  channelsLast?: boolean;
  /** The hourglasses' convolutions (keypoint detector, coarse motion, MotionODE, SelfFlow) channels-last (default true). */
  hourglassChannelsLast?: boolean;
  /**
   * Keep freed CPU memory for reuse (torch.retainFreedMemory; default true): frames then reuse
   * warm pages instead of faulting in fresh ones. Process-wide, and not undone by false.
   */
  retainFreedMemory?: boolean;
}

/** Puts `model` in eval mode and applies the tuning; returns the model. Outputs stay those of eval mode within float rounding. */
export function tuneForInference<M extends Module>(model: M, tuning: InferenceTuning = {}): M {
  model.eval();
  if (tuning.retainFreedMemory !== false) torch.retainFreedMemory();
  for (const m of model.modules()) {
    if (m instanceof FoldableBlock && tuning.foldBatchNorm !== false) m.foldBatchNorm();
  }
  // After the folds: they write new weights, which the layout pass then moves.
  for (const m of layoutParts(model)) {
    m.channelsLast = (m instanceof Hourglass ? tuning.hourglassChannelsLast : tuning.channelsLast) !== false;
    weightsLayout(m, m.channelsLast);
  }
  return model;
}

/**
 * The parts of `model` that can run channels-last: its hourglasses, and the source encoder and
 * generator of each Animator. (The animator adopts those two parts' layers to keep FOMM's flat
 * state-dict keys, so modules() yields their layers but not the parts themselves.)
 */
function layoutParts(model: Module): (Generator | Encoder | Hourglass)[] {
  return [...model.modules()].flatMap<Generator | Encoder | Hourglass>((m) => {
    if (m instanceof Hourglass) return [m];
    if (m instanceof Animator) return [m.encoder, m.generator];
    return [];
  });
}

/**
 * Moves the folded convolution weights (FoldableBlock's eval-only buffers: every 4-D buffer) of
 * `part` to channels-last memory (or back), in place. With NHWC activations libtorch 1.13 copies an
 * NCHW weight to NHWC at every call, which made channels-last hourglasses slower than NCHW ones
 * (docs/speed.md): their deep levels are weight-bound. The parameters are not touched, so
 * training is unchanged; values are unchanged.
 */
function weightsLayout(part: Module, channelsLast: boolean): void {
  for (const t of part.buffers()) {
    if (t.ndim !== 4 || (channelsLast ? t.isChannelsLast() : t.isContiguous())) continue;
    const moved = torch.noGrad(() => (channelsLast ? t.toChannelsLast() : t.contiguous()));
    t.setData_(moved);
    moved.dispose();
  }
}
