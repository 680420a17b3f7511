// Free functions over several tensors: joining, selection, matrix products.
import { native } from "./binding.js";
import { Tensor } from "./tensor.js";

function handles(ts: readonly Tensor[], op: string) {
  return ts.map((t) => t.handle(op));
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(handles(tensors, "cat"), dim));
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(handles(tensors, "stack"), dim));
}
/** Elements of a where cond is true, else of b. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.where(cond.handle("where"), a.handle("where"), b.handle("where")));
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.matmul(a.handle("matmul"), b.handle("matmul")));
}
export function mm(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.mm(a.handle("mm"), b.handle("mm")));
}
/** Batched matrix product: (B, n, m) x (B, m, p) -> (B, n, p). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.bmm(a.handle("bmm"), b.handle("bmm")));
}
export function outer(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.outer(a.handle("outer"), b.handle("outer")));
}
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  return new Tensor(native.einsum(equation, handles(tensors, "einsum")));
}
/** Pairwise p-norm distances: (B, P, M) x (B, R, M) -> (B, P, R). */
export function cdist(a: Tensor, b: Tensor, p = 2): Tensor {
  return new Tensor(native.cdist(a.handle("cdist"), b.handle("cdist"), p));
}

/** What adamStep_ applies: torch.optim.Adam's hyper-parameters (L2 weight decay, no amsgrad). */
export interface AdamStepOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

/**
 * Adam's update of many parameters in one native call, in place: for each i, params[i],
 * expAvgs[i] and expAvgSqs[i] change as torch.optim.Adam's step would change them, with grads[i]
 * and steps[i] (the step count including this step, from 1). One pass over each tensor's memory
 * instead of about twenty; equal to the per-op update up to float rounding. Takes contiguous CPU
 * float32 tensors of the parameter's size only (throws otherwise).
 */
export function adamStep_(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  steps: readonly number[],
  options: AdamStepOptions,
): void {
  const { lr, betas, eps, weightDecay } = options;
  native.adamStep_(
    handles(params, "adamStep_"),
    handles(grads, "adamStep_"),
    handles(expAvgs, "adamStep_"),
    handles(expAvgSqs, "adamStep_"),
    [...steps],
    lr,
    betas[0],
    betas[1],
    eps,
    weightDecay,
  );
}
