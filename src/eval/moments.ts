// Streaming feature statistics for FID and FD-synth: the mean and covariance of a feature set
// gathered batch by batch, so an evaluation of thousands of frames never holds (N, 2048) features.
// Sums are kept in float64 about a pivot (the first batch's mean), which keeps the covariance's
// sum-of-squares form from cancelling when the mean is large against the spread:
//   mu = p + s / n,   sigma = (S - s s^T / n) / (n - 1),   s = sum (x - p),  S = sum (x - p)(x - p)^T
// The same numbers as metrics/frechet.ts's featureStats on the whole set (unbiased, numpy.cov).
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { FeatureStats } from "./metrics/index.js";

export class FeatureMoments {
  #pivot?: Tensor; // (D)
  #sum?: Tensor; // (D)
  #outer?: Tensor; // (D, D)
  #count = 0;

  /** Vectors added so far. */
  get count(): number {
    return this.#count;
  }

  /** Adds features (B, D), any float dtype and device (the sums stay on that device, in float64). */
  add(features: Tensor): void {
    if (features.ndim !== 2 || (this.#sum !== undefined && features.size(1) !== this.#sum.size(0))) {
      throw new RangeError(`FeatureMoments: needs features (B, D) of one D, got [${features.shape.join(", ")}]`);
    }
    torch.tidy(() => {
      const f = features.double();
      this.#pivot ??= torch.keep(f.mean(0));
      const centred = f.sub(this.#pivot); // (B, D)
      const sum = centred.sum(0);
      const outer = torch.matmul(centred.mT, centred); // (D, D)
      const old = [this.#sum, this.#outer];
      this.#sum = torch.keep(this.#sum ? this.#sum.add(sum) : sum);
      this.#outer = torch.keep(this.#outer ? this.#outer.add(outer) : outer);
      torch.dispose(old);
    });
    this.#count += features.size(0);
  }

  /** The mean (D) and unbiased covariance (D, D), float64; needs at least 2 vectors. The caller owns them. */
  stats(): FeatureStats {
    if (this.#count < 2) throw new RangeError(`FeatureMoments: needs at least 2 feature vectors for a covariance, got ${this.#count}`);
    const n = this.#count;
    return torch.tidy(() => {
      const mean = this.#sum!.div(n); // (D)
      const sigma = this.#outer!.sub(torch.outer(this.#sum!, mean)).div(n - 1); // (S - s s^T / n) / (n - 1)
      return { mu: this.#pivot!.add(mean), sigma };
    });
  }

  dispose(): void {
    torch.dispose([this.#pivot, this.#sum, this.#outer]);
    [this.#pivot, this.#sum, this.#outer] = [undefined, undefined, undefined];
    this.#count = 0;
  }
}
