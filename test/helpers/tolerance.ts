// One tolerance per dtype and purpose, so tests carry no scattered magic numbers.
import type { DType } from "../../src/torch/index.js";

export const TOL = {
  /** Finite differences in float64 with a central step of 1e-6. */
  gradcheck: { atol: 1e-5, rtol: 1e-4 },
  /** Hand-computed golden values. */
  exact: { float64: 1e-12, float32: 1e-6 } as Partial<Record<DType, number>>,
};
