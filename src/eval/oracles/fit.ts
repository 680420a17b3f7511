// The optimisation loop both oracles share: Adam, a short warm-up then a cosine decay of the
// learning rate to zero, one tidy scope per step, progress on the trainer's progress bar.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Adam } from "../../optim/index.js";
import type { Module } from "../../nn/index.js";
import type { ProgressReporter } from "../../util/progress.js";

export interface FitOptions {
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warm-up (default 50). */
  warmup?: number;
  progress: ProgressReporter;
}

/** Learning rate at step `step` (0-based) of `steps`: linear warm-up, then cosine to zero. */
export function learningRate(step: number, steps: number, lr: number, warmup: number): number {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  return 0.5 * lr * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
}

/**
 * Trains `module` (and `extra` parameters, a training-only head) for `options.steps` steps.
 * `loss(step)` builds one batch and returns the loss to minimise and the named numbers to show.
 * Returns the wall time in seconds.
 */
export function fit(
  module: Module,
  extra: Tensor[],
  loss: (step: number) => { total: Tensor; show: Record<string, Tensor> },
  options: FitOptions,
): number {
  const { steps, lr, progress } = options;
  const warmup = options.warmup ?? 50;
  const optimizer = new Adam([...module.parameters(), ...extra], { lr });
  const started = performance.now();
  module.train();
  try {
    for (let step = 0; step < steps; step++) {
      const stepStarted = performance.now();
      const rate = learningRate(step, steps, lr, warmup);
      for (const group of optimizer.paramGroups) group.lr = rate;
      const shown = torch.tidy(() => {
        const { total, show } = loss(step);
        optimizer.zeroGrad();
        total.backward();
        optimizer.step();
        return Object.fromEntries(Object.entries(show).map(([name, value]) => [name, value.item()]));
      });
      const now = performance.now();
      progress.step({ step: step + 1, step_seconds: (now - stepStarted) / 1000, loss: shown }, steps);
    }
  } finally {
    optimizer.dispose();
    module.eval();
  }
  return (performance.now() - started) / 1000;
}
