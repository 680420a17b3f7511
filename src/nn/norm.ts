// Normalisation layers: BatchNorm2d and InstanceNorm2d (torch.nn.BatchNorm2d, torch.nn.InstanceNorm2d),
// with PyTorch's parameters, buffers, names and defaults.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "./module.js";

export interface NormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of the newest batch in the running statistics (default 0.1); null: a cumulative
   * average over all batches seen (batch norm only, as PyTorch).
   */
  momentum?: number | null;
  /** Learnable per-channel `weight` (ones) and `bias` (zeros). */
  affine?: boolean;
  /** Keep `running_mean`, `running_var` and `num_batches_tracked` buffers. */
  trackRunningStats?: boolean;
}

/** The parameters and buffers shared by the normalisation layers (PyTorch's _NormBase). */
abstract class NormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  /** Weight of the newest batch in the running statistics; null: a cumulative average (settable, as PyTorch's). */
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, options: Required<NormOptions>) {
    super();
    this.numFeatures = numFeatures;
    this.eps = options.eps;
    this.momentum = options.momentum;
    this.affine = options.affine;
    this.trackRunningStats = options.trackRunningStats;
    if (this.affine) {
      this.registerParameter("weight", torch.ones([numFeatures]));
      this.registerParameter("bias", torch.zeros([numFeatures]));
    }
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", torch.zeros([numFeatures]));
      this.registerBuffer("running_var", torch.ones([numFeatures]));
      this.registerBuffer("num_batches_tracked", torch.zeros([], { dtype: "int64" }));
    }
  }

  get weight(): Tensor | undefined {
    return this.affine ? this.parameter("weight") : undefined;
  }
  get bias(): Tensor | undefined {
    return this.affine ? this.parameter("bias") : undefined;
  }
  get runningMean(): Tensor | undefined {
    return this.trackRunningStats ? this.buffer("running_mean") : undefined;
  }
  get runningVar(): Tensor | undefined {
    return this.trackRunningStats ? this.buffer("running_var") : undefined;
  }
  get numBatchesTracked(): Tensor | undefined {
    return this.trackRunningStats ? this.buffer("num_batches_tracked") : undefined;
  }

  /** Zeroes the running mean and counter and sets the running variance to one. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    this.buffer("running_mean").zero_();
    this.buffer("running_var").fill_(1);
    this.buffer("num_batches_tracked").zero_();
  }

  protected checkInput(layer: string, x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`${layer}: expected a 4-D input (N, C, H, W), got shape [${x.shape.join(", ")}]`);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${layer}: expected ${this.numFeatures} channels, got shape [${x.shape.join(", ")}]`);
    }
  }
}

/**
 * Batch normalisation over (N, H, W) for each channel of (N, C, H, W). Training mode normalises
 * with the batch's statistics and updates the running ones in place (variance unbiased, as
 * PyTorch); eval mode normalises with the running statistics.
 */
export class BatchNorm2d extends NormBase {
  constructor(numFeatures: number, options: NormOptions = {}) {
    super(numFeatures, {
      eps: options.eps ?? 1e-5,
      momentum: options.momentum === undefined ? 0.1 : options.momentum,
      affine: options.affine ?? true,
      trackRunningStats: options.trackRunningStats ?? true,
    });
  }

  forward(x: Tensor): Tensor {
    this.checkInput("BatchNorm2d", x);
    const groups = statisticGroups;
    if (groups === undefined || groups.length < 2 || !(this.training || !this.trackRunningStats)) return this.#forwardOne(x);
    const total = groups.reduce((sum, size) => sum + size, 0);
    if (total !== x.shape[0])
      throw new RangeError(`BatchNorm2d: batch-norm groups of sizes [${groups.join(", ")}] do not add up to the batch of ${x.shape[0]}`);
    return torch.tidy(() => {
      let start = 0;
      const parts = groups.map((size) => {
        const part = this.#forwardOne(x.narrow(0, start, size));
        start += size;
        return part;
      });
      return torch.cat(parts, 0);
    });
  }

  #forwardOne(x: Tensor): Tensor {
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats) {
      const count = this.buffer("num_batches_tracked");
      count.add_(1);
      if (this.momentum === null) factor = 1 / count.item();
    }
    if (this.training && syncBatchNormOn && torch.distributed.getWorldSize() > 1) return this.#syncForward(x, factor);
    // Without running statistics, batch statistics are used in eval mode too (as PyTorch).
    const useBatchStats = this.training || !this.trackRunningStats;
    // PyTorch passes the buffers (and so updates them) unless training without tracking.
    const passRunningStats = !this.training || this.trackRunningStats;
    return torch.F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: passRunningStats ? this.runningMean : undefined,
      runningVar: passRunningStats ? this.runningVar : undefined,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  /**
   * Training-mode batch norm with statistics over every rank's batch, one collective each way (as
   * SyncBatchNorm: each rank's count, mean and sum of squared deviations are gathered, and
   * combined exactly with Chan's formula). The gather is a differentiable all-reduce of a table in
   * which each rank fills its own row, so gradients reach every rank's statistics as in
   * SyncBatchNorm's backward.
   */
  #syncForward(x: Tensor, factor: number): Tensor {
    const [n, c, h, w] = x.shape;
    const ranks = torch.distributed.getWorldSize();
    const rank = torch.distributed.getRank();
    return torch.tidy(() => {
      const localMean = x.mean([0, 2, 3]); // (C)
      const localM2 = x
        .sub(localMean.view(1, c, 1, 1))
        .square()
        .sum([0, 2, 3]); // (C)
      const row = torch.cat([torch.full([1], n * h * w, { dtype: x.dtype }), localMean, localM2]).view(1, 2 * c + 1);
      const rows = [
        ...(rank > 0 ? [torch.zeros([rank, 2 * c + 1], { dtype: x.dtype })] : []),
        row,
        ...(rank < ranks - 1 ? [torch.zeros([ranks - 1 - rank, 2 * c + 1], { dtype: x.dtype })] : []),
      ];
      const table = torch.distributed.allReduceSum(torch.cat(rows, 0)); // (ranks, 2C + 1)
      const counts = table.narrow(1, 0, 1); // (ranks, 1)
      const means = table.narrow(1, 1, c); // (ranks, C)
      const count = counts.sum(); // ()
      const mean = means.mul(counts).sum(0).div(count); // (C)
      const m2 = table
        .narrow(1, 1 + c, c)
        .sum(0)
        .add(means.sub(mean.view(1, c)).square().mul(counts).sum(0)); // (C)
      const variance = m2.div(count); // (C), biased
      const centred = x.sub(mean.view(1, c, 1, 1)); // (N, C, H, W)
      let y = centred.mul(variance.add(this.eps).rsqrt().view(1, c, 1, 1));
      if (this.weight && this.bias) y = y.mul(this.weight.view(1, c, 1, 1)).add(this.bias.view(1, c, 1, 1));
      if (this.trackRunningStats) {
        torch.noGrad(() => {
          const all = count.item();
          const unbiased = variance.detach().mul(all / Math.max(all - 1, 1));
          this.buffer("running_mean")
            .mul_(1 - factor)
            .add_(mean.detach().mul(factor));
          this.buffer("running_var")
            .mul_(1 - factor)
            .add_(unbiased.mul(factor));
        });
      }
      return y;
    });
  }
}

/**
 * Synchronised batch norm (torch.nn.SyncBatchNorm) for every BatchNorm2d in training mode while a
 * process group of more than one rank exists: the batch statistics are those of the batches of
 * all ranks together, so N ranks with B items each normalise as one process with N x B would.
 */
export function setSyncBatchNorm(on: boolean): void {
  syncBatchNormOn = on;
}

let syncBatchNormOn = false;

/**
 * Runs `fn` with every BatchNorm2d that uses batch statistics (training mode) taking them over
 * each group of consecutive samples on its own: a batch made of batches of `sizes` normalises,
 * and updates the running statistics (in the groups' order), as one call per batch would. The
 * layers between see one batch, so a network called once on the joined batches computes what it
 * computes called on each (within float rounding) while reading each weight once. Eval-mode
 * layers with running statistics do not depend on the batch and ignore the groups.
 */
export function batchNormGroups<T>(sizes: readonly number[], fn: () => T): T {
  if (sizes.some((size) => !Number.isInteger(size) || size < 1))
    throw new RangeError(`batchNormGroups: group sizes must be positive integers, got [${sizes.join(", ")}]`);
  const outer = statisticGroups;
  statisticGroups = sizes;
  try {
    return fn();
  } finally {
    statisticGroups = outer;
  }
}

let statisticGroups: readonly number[] | undefined;

/**
 * Instance normalisation over (H, W) for each sample and channel of (N, C, H, W). PyTorch's
 * defaults: no affine parameters and no running statistics; with trackRunningStats the running
 * statistics are updated in training and used in eval (num_batches_tracked is kept for the
 * state dict but, as in PyTorch, not counted).
 */
export class InstanceNorm2d extends NormBase {
  constructor(numFeatures: number, options: NormOptions = {}) {
    super(numFeatures, {
      eps: options.eps ?? 1e-5,
      momentum: options.momentum === undefined ? 0.1 : options.momentum,
      affine: options.affine ?? false,
      trackRunningStats: options.trackRunningStats ?? false,
    });
  }

  forward(x: Tensor): Tensor {
    this.checkInput("InstanceNorm2d", x);
    return torch.F.instanceNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum ?? 0,
      eps: this.eps,
    });
  }
}
