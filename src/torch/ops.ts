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
