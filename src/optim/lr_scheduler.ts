// Learning-rate schedules (torch.optim.lr_scheduler): StepLR and MultiStepLR. Call step() once
// per epoch (or per iteration, if the schedule counts iterations), after optimizer.step().
//
// They are chainable as in PyTorch: each step multiplies every group's current lr, so a
// schedule composes with others and with manual changes, and the state dict holds only counters.
import type { BaseHyper, Optimizer } from "./optimizer.js";

/** A schedule's state as a checkpoint stores it (JSON-able). */
export interface SchedulerStateDict {
  scheduler: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [hyper: string]: unknown;
}

export abstract class LRScheduler {
  readonly optimizer: Optimizer<BaseHyper>;
  /** Learning rates the schedule started from (each group's initialLr). */
  baseLrs: number[];
  /** The number of step() calls so far (0 after construction, as PyTorch's last_epoch). */
  lastEpoch: number;
  #lastLr: number[] = [];

  /** lastEpoch -1 starts a new schedule; otherwise the groups must already hold initialLr. */
  constructor(optimizer: Optimizer<BaseHyper>, lastEpoch = -1) {
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    } else {
      optimizer.paramGroups.forEach((group, i) => {
        if (group.initialLr === undefined) {
          throw new Error(
            `${this.constructor.name}: lastEpoch ${lastEpoch} given, but param group ${i} has no initialLr; resume with loadStateDict() instead`,
          );
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** PyTorch's initial step (lastEpoch -1 becomes 0); subclasses call it once their fields are set. */
  protected start(): void {
    this.step();
  }

  /** The learning rates for epoch lastEpoch, from the groups' current ones. */
  protected abstract nextLrs(): number[];

  /** Hyper-parameters to store in the state dict (restored by loadStateDict). */
  protected abstract hyper(): Record<string, unknown>;
  protected abstract setHyper(values: Record<string, unknown>): void;

  /** Advances one epoch and sets every group's lr. */
  step(): void {
    this.lastEpoch += 1;
    const lrs = this.nextLrs();
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i];
    });
    this.#lastLr = lrs;
  }

  /** The learning rates the last step() set, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  stateDict(): SchedulerStateDict {
    return {
      scheduler: this.constructor.name,
      lastEpoch: this.lastEpoch,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.#lastLr],
      ...structuredClone(this.hyper()),
    };
  }

  /** Restores counters and hyper-parameters (the groups' lr come from the optimizer's own state dict). */
  loadStateDict(state: SchedulerStateDict): void {
    if (state.scheduler !== this.constructor.name) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: the state was saved by ${state.scheduler}; build the same schedule it was saved with`,
      );
    }
    if (state.baseLrs.length !== this.optimizer.paramGroups.length) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: the state has ${state.baseLrs.length} groups, the optimizer ${this.optimizer.paramGroups.length}`,
      );
    }
    const { scheduler: _name, lastEpoch, baseLrs, lastLr, ...hyper } = structuredClone(state);
    this.lastEpoch = lastEpoch;
    this.baseLrs = baseLrs;
    this.#lastLr = lastLr;
    this.setHyper(hyper);
  }
}

/** Multiplies the learning rate by gamma every stepSize epochs: lr = initialLr * gamma^floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options.lastEpoch);
    const { stepSize, gamma = 0.1 } = options;
    if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new RangeError(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.start();
  }

  protected nextLrs(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected hyper(): Record<string, unknown> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
  protected setHyper(values: Record<string, unknown>): void {
    this.stepSize = values.stepSize as number;
    this.gamma = values.gamma as number;
  }
}

/**
 * Multiplies the learning rate by gamma at each milestone epoch (a milestone listed twice
 * multiplies by gamma twice, as PyTorch's Counter does).
 */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options.lastEpoch);
    const { milestones, gamma = 0.1 } = options;
    for (const m of milestones) {
      if (!Number.isInteger(m) || m < 0) throw new RangeError(`MultiStepLR: milestones must be non-negative integers, got ${m}`);
    }
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = gamma;
    this.start();
  }

  protected nextLrs(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma ** hits);
  }

  protected hyper(): Record<string, unknown> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }
  protected setHyper(values: Record<string, unknown>): void {
    this.milestones = [...(values.milestones as number[])];
    this.gamma = values.gamma as number;
  }
}
