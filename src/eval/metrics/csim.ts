// CSIM (DiME section 4): the cosine similarity between identity embeddings of the generated and
// the real (source) image, per pair; the embedding network is the caller's.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";

/**
 * cos(a_i, b_i) = a_i . b_i / (max(|a_i|, 1e-8) max(|b_i|, 1e-8)) for embeddings (B, D) -> (B),
 * as torch.nn.functional.cosine_similarity(a, b, dim=1).
 */
export function csim(embA: Tensor, embB: Tensor): Tensor {
  if (embA.ndim !== 2 || embA.shape.join() !== embB.shape.join()) {
    throw new RangeError(
      `csim: needs two embedding batches (B, D) of the same shape, got [${embA.shape.join(", ")}] and [${embB.shape.join(", ")}]`,
    );
  }
  return torch.tidy(() => {
    const dot = embA.mul(embB).sum(1);
    return dot.div(embA.norm(2, 1).clamp(1e-8).mul(embB.norm(2, 1).clamp(1e-8)));
  });
}
