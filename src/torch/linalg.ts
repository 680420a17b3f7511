// Small dense linear algebra (LAPACK through libtorch), batched over leading dimensions. Use
// float64 where accuracy matters (thin-plate splines, Frechet distances).
import { native } from "./binding.js";
import { Tensor } from "./tensor.js";

/** X with A X = B; A (..., n, n), B (..., n, k) or (..., n). */
export function solve(a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.solve(a.handle("solve"), b.handle("solve")));
}
export function inv(a: Tensor): Tensor {
  return new Tensor(native.inverse(a.handle("inv")));
}
export function det(a: Tensor): Tensor {
  return new Tensor(native.det(a.handle("det")));
}
export function cholesky(a: Tensor): Tensor {
  return new Tensor(native.cholesky(a.handle("cholesky")));
}
/** Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix. */
export function eigh(a: Tensor, uplo: "L" | "U" = "L"): { values: Tensor; vectors: Tensor } {
  const [values, vectors] = native.eigh(a.handle("eigh"), uplo);
  return { values: new Tensor(values), vectors: new Tensor(vectors) };
}
/** A = U diag(S) Vh. */
export function svd(a: Tensor, fullMatrices = false): { U: Tensor; S: Tensor; Vh: Tensor } {
  const [U, S, Vh] = native.svd(a.handle("svd"), fullMatrices);
  return { U: new Tensor(U), S: new Tensor(S), Vh: new Tensor(Vh) };
}
/** The symmetric square root of a symmetric positive semi-definite matrix. */
export function sqrtmPsd(a: Tensor): Tensor {
  return new Tensor(native.sqrtmPsd(a.handle("sqrtmPsd")));
}
