// Dynamic loss scaling for fp16 training (torch.cuda.amp.GradScaler): the loss is multiplied by a
// scale before backward so that small gradients survive fp16; the gradients are divided by it
// before the optimizer step; a step whose gradients hold an Inf or NaN (the scale was too large)
// is skipped and the scale halved; after `growthInterval` clean steps in a row it doubles.
// Disabled (bf16, fp32: their range is fp32's) it passes everything through unchanged.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { BaseHyper, Optimizer } from "./optimizer.js";

export interface GradScalerOptions {
  /** Default true. */
  enabled?: boolean;
  /** Default 2^16, as PyTorch. */
  initScale?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Clean steps before the scale grows (default 2000). */
  growthInterval?: number;
}

/** The scaler's state as a checkpoint's sidecar holds it (PyTorch's state_dict names). */
export interface GradScalerState {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  growth_tracker: number;
}

export class GradScaler {
  readonly enabled: boolean;
  #scale: number;
  #growthFactor: number;
  #backoffFactor: number;
  #growthInterval: number;
  #growthTracker = 0;
  /** This step's verdict once the gradients were unscaled: true when one held an Inf or NaN. */
  #foundInf: boolean | undefined;

  constructor(options: GradScalerOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.#scale = options.initScale ?? 2 ** 16;
    this.#growthFactor = options.growthFactor ?? 2;
    this.#backoffFactor = options.backoffFactor ?? 0.5;
    this.#growthInterval = options.growthInterval ?? 2000;
    if (!(this.#scale > 0 && this.#growthFactor > 1 && this.#backoffFactor > 0 && this.#backoffFactor < 1))
      throw new RangeError("GradScaler: needs initScale > 0, growthFactor > 1 and 0 < backoffFactor < 1");
    if (!(Number.isInteger(this.#growthInterval) && this.#growthInterval >= 1))
      throw new RangeError("GradScaler: growthInterval must be a positive integer");
  }

  /** The current scale (1 when disabled). */
  get scale(): number {
    return this.enabled ? this.#scale : 1;
  }

  /** Clean steps since the scale last changed. */
  get growthTracker(): number {
    return this.#growthTracker;
  }

  /** loss (scalar) times the scale, to call backward() on; the loss itself when disabled. */
  scaleLoss(loss: Tensor): Tensor {
    return this.enabled ? loss.mul(this.#scale) : loss;
  }

  /**
   * Divides every gradient of the optimizer's parameters by the scale, in place (call it before
   * clipping or reading gradients); returns true when one holds an Inf or NaN. Once per step.
   */
  unscale<H extends BaseHyper>(optimizer: Optimizer<H>): boolean {
    if (!this.enabled) return false;
    if (this.#foundInf !== undefined)
      throw new Error("GradScaler: unscale() was already called for this step; call update() after the step");
    const inverse = 1 / this.#scale;
    this.#foundInf = torch.tidy(() =>
      torch.noGrad(() => {
        let bad: Tensor | undefined;
        for (const group of optimizer.paramGroups) {
          for (const p of group.params) {
            const g = p.grad;
            if (g === undefined) continue;
            g.mul_(inverse);
            const count = g.isfinite().logicalNot().sum();
            bad = bad === undefined ? count : bad.add(count);
          }
        }
        return bad !== undefined && bad.item() > 0;
      }),
    );
    return this.#foundInf;
  }

  /** Unscales (unless done) and runs optimizer.step() unless a gradient overflowed; returns whether it stepped. */
  step<H extends BaseHyper>(optimizer: Optimizer<H>): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    const foundInf = this.#foundInf ?? this.unscale(optimizer);
    if (!foundInf) optimizer.step();
    return !foundInf;
  }

  /** After each step: backs the scale off after an overflow, grows it after growthInterval clean steps. */
  update(): void {
    if (!this.enabled) return;
    if (this.#foundInf === undefined) throw new Error("GradScaler: update() before step() in this step");
    if (this.#foundInf) {
      this.#scale *= this.#backoffFactor;
      this.#growthTracker = 0;
    } else if (++this.#growthTracker === this.#growthInterval) {
      this.#scale *= this.#growthFactor;
      this.#growthTracker = 0;
    }
    this.#foundInf = undefined;
  }

  stateDict(): GradScalerState {
    return {
      scale: this.#scale,
      growth_factor: this.#growthFactor,
      backoff_factor: this.#backoffFactor,
      growth_interval: this.#growthInterval,
      growth_tracker: this.#growthTracker,
    };
  }

  loadStateDict(state: GradScalerState): void {
    const numbers = [state.scale, state.growth_factor, state.backoff_factor, state.growth_interval, state.growth_tracker];
    if (!numbers.every((n) => typeof n === "number" && Number.isFinite(n)) || !(state.scale > 0))
      throw new RangeError(`GradScaler: a state needs finite numbers and a positive scale, got ${JSON.stringify(state)}`);
    this.#scale = state.scale;
    this.#growthFactor = state.growth_factor;
    this.#backoffFactor = state.backoff_factor;
    this.#growthInterval = state.growth_interval;
    this.#growthTracker = state.growth_tracker;
    this.#foundInf = undefined;
  }
}
