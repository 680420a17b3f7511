// Adam (Kingma & Ba, 2015) exactly as torch.optim.Adam with amsgrad off: L2 weight decay added to
// the gradient, bias-corrected moments, one step counter per parameter.
import type { Tensor } from "../torch/index.js";
import * as torch from "../torch/index.js";
import { Optimizer, type BaseHyper, type ParamsArgument, type ParamState, type ParamUpdate } from "./optimizer.js";

export interface AdamHyper extends BaseHyper {
  /** Decay rates of the first and second moment estimates. */
  betas: [number, number];
  /** Added to the denominator for stability. */
  eps: number;
  /** L2 penalty: weightDecay * param is added to the gradient (not AdamW's decoupled decay). */
  weightDecay: number;
}

export type AdamOptions = Partial<AdamHyper>;

export class Adam extends Optimizer<AdamHyper> {
  protected readonly stateTensorNames = ["exp_avg", "exp_avg_sq"] as const;

  /** Defaults as PyTorch: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0. */
  constructor(params: ParamsArgument<AdamHyper>, options: AdamOptions = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
    });
  }

  protected validate(group: AdamHyper): void {
    if (!(group.lr >= 0)) throw new RangeError(`Adam: invalid learning rate ${group.lr}`);
    if (!(group.eps >= 0)) throw new RangeError(`Adam: invalid eps ${group.eps}`);
    group.betas.forEach((beta, i) => {
      if (!(beta >= 0 && beta < 1)) throw new RangeError(`Adam: invalid beta at index ${i}: ${beta} (must be in [0, 1))`);
    });
    if (!(group.weightDecay >= 0)) throw new RangeError(`Adam: invalid weightDecay ${group.weightDecay}`);
  }

  // The single-tensor update of torch.optim.adam (PyTorch 1.13), operation for operation.
  /**
   * Contiguous CPU float32 parameters (with such gradients and moments) take one fused native
   * step for the whole group (torch.adamStep_: one pass over each tensor, not about twenty); the
   * others, e.g. on a GPU or with moments loaded in another layout, take update()'s ops. Both
   * compute the same update up to float rounding.
   */
  protected override updateGroup(group: AdamHyper, updates: readonly ParamUpdate[]): void {
    const fusable = (t: Tensor, like: Tensor) => t.device === "cpu" && t.dtype === "float32" && t.isContiguous() && t.numel === like.numel;
    const fused: (ParamUpdate & { expAvg: Tensor; expAvgSq: Tensor })[] = [];
    for (const u of updates) {
      const { expAvg, expAvgSq } = this.#moments(u.param, u.state);
      if ([u.param, u.grad, expAvg, expAvgSq].every((t) => fusable(t, u.param))) fused.push({ ...u, expAvg, expAvgSq });
      else this.update(u.param, u.grad, group, u.state);
    }
    if (fused.length === 0) return;
    const steps = fused.map(({ state }) => (state.numbers.step = (state.numbers.step ?? 0) + 1));
    torch.adamStep_(
      fused.map((u) => u.param),
      fused.map((u) => u.grad),
      fused.map((u) => u.expAvg),
      fused.map((u) => u.expAvgSq),
      steps,
      group,
    );
  }

  /** The parameter's first and second moment estimates, zeros at its first step. */
  #moments(param: Tensor, state: ParamState): { expAvg: Tensor; expAvgSq: Tensor } {
    state.tensors.exp_avg ??= this.keepState(torch.zerosLike(param));
    state.tensors.exp_avg_sq ??= this.keepState(torch.zerosLike(param));
    return { expAvg: state.tensors.exp_avg, expAvgSq: state.tensors.exp_avg_sq };
  }

  protected update(param: Tensor, grad: Tensor, group: AdamHyper, state: ParamState): void {
    const { lr, betas, eps, weightDecay } = group;
    const [beta1, beta2] = betas;
    const { expAvg, expAvgSq } = this.#moments(param, state);
    const step = (state.numbers.step ?? 0) + 1;
    state.numbers.step = step;

    const g = weightDecay !== 0 ? grad.add(param, weightDecay) : grad;
    expAvg.mul_(beta1).add_(g, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(g, g, 1 - beta2);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const stepSize = lr / biasCorrection1;
    const denom = expAvgSq.sqrt().div(Math.sqrt(biasCorrection2)).add_(eps);
    param.addcdiv_(expAvg, denom, -stepSize);
  }
}
