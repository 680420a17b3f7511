// The Frechet distance between two Gaussians fitted to feature sets (Heusel et al. 2017, FID;
// pytorch-fid's calculate_frechet_distance):
//   d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))
// in float64. pytorch-fid takes scipy.linalg.sqrtm of the non-symmetric product S1 S2 (and adds
// 1e-6 I to both covariances when that fails). We use the same trace through a symmetric matrix:
// S1 S2 is similar to M = S1^(1/2) S2 S1^(1/2) (symmetric, positive semi-definite), so
// tr((S1 S2)^(1/2)) = sum_i sqrt(lambda_i(M)); both square roots come from symmetric
// eigendecompositions, whose tiny negative eigenvalues (round-off on singular covariances, e.g.
// fewer samples than the 2048 dimensions) are clamped to zero. No offset, no complex parts.
// Eigenvalues of M under numpy's matrix-rank tolerance (lambda_max * D * float64 epsilon) are
// round-off too, and count as zero: their square roots are not small (1e-13 -> 3e-7), and the
// 1849 null directions of a 200-sample 2048-d covariance would otherwise add about 1e-3 to
// the trace and put a set's distance to itself at -2e-4 instead of ~0.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";

export interface FeatureStats {
  /** (D) float64. */
  mu: Tensor;
  /** (D, D) float64, unbiased (divided by N - 1), as numpy.cov(features, rowvar=False). */
  sigma: Tensor;
}

/** Mean and covariance of features (N, D), N >= 2, in float64 on the features' device. */
export function featureStats(features: Tensor): FeatureStats {
  if (features.ndim !== 2) throw new RangeError(`featureStats: needs features (N, D), got [${features.shape.join(", ")}]`);
  const n = features.size(0);
  if (n < 2) throw new RangeError(`featureStats: needs at least 2 feature vectors for a covariance, got ${n}`);
  return torch.tidy(() => {
    const f = features.double();
    const mu = f.mean(0); // (D)
    const centred = f.sub(mu); // (N, D)
    return { mu, sigma: torch.matmul(centred.mT, centred).div(n - 1) }; // (D, D)
  });
}

/**
 * The Frechet distance (a number, >= 0 up to round-off) between N(mu1, sigma1) and N(mu2, sigma2):
 * mu (D), sigma (D, D), any float dtype (computed in float64 on their device).
 */
export function frechetDistance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor): number {
  const d = mu1.numel;
  const shapes = [mu1, sigma1, mu2, sigma2].map((t) => `[${t.shape.join(", ")}]`).join(", ");
  if (mu1.ndim !== 1 || mu2.ndim !== 1 || mu2.numel !== d || sigma1.shape.join() !== `${d},${d}` || sigma2.shape.join() !== `${d},${d}`) {
    throw new RangeError(`frechetDistance: needs mu1 (D), sigma1 (D, D), mu2 (D), sigma2 (D, D), got ${shapes}`);
  }
  return torch.tidy(() => {
    const [m1, s1, m2, s2] = [mu1, sigma1, mu2, sigma2].map((t) => t.double());
    const root1 = torch.linalg.sqrtmPsd(s1); // S1^(1/2)
    const m = torch.matmul(torch.matmul(root1, s2), root1);
    const symmetric = m.add(m.mT).mul(0.5); // round-off asymmetry out before eigh
    const values = torch.linalg.eigh(symmetric).values; // (D), ascending
    const cutoff = values.amax().mul(d * Number.EPSILON);
    const traceRoot = torch.where(values.gt(cutoff), values, torch.zerosLike(values)).sqrt().sum();
    const meanTerm = m1.sub(m2).square().sum();
    const traces = torch.einsum("ii->", s1).add(torch.einsum("ii->", s2));
    return meanTerm.add(traces).sub(traceRoot.mul(2)).item();
  });
}

/** FID between two feature sets (N1, D) and (N2, D): the Frechet distance of their featureStats. */
export function fid(featuresA: Tensor, featuresB: Tensor): number {
  if (featuresA.ndim !== 2 || featuresB.ndim !== 2 || featuresA.size(1) !== featuresB.size(1)) {
    throw new RangeError(
      `fid: needs two feature sets (N, D) of one D, got [${featuresA.shape.join(", ")}] and [${featuresB.shape.join(", ")}]`,
    );
  }
  return torch.tidy(() => {
    const a = featureStats(featuresA);
    const b = featureStats(featuresB);
    return frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
  });
}
