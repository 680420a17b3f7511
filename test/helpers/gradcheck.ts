// Finite-difference gradient checks in float64: compares autograd's gradient of
// sum(f(inputs) * w) (w a fixed random weighting, so every output element matters) with central
// differences, element by element.
import assert from "node:assert/strict";

import * as torch from "../../src/torch/index.js";
import { TOL } from "./tolerance.js";

export interface GradcheckOptions {
  /** Indices of the inputs to check (default: all). */
  wrt?: number[];
  eps?: number;
  atol?: number;
  rtol?: number;
}

function weighted(out: torch.Tensor, weights: torch.Tensor): torch.Tensor {
  return out.mul(weights).sum();
}

/**
 * Checks d sum(f(x) * w) / dx_i for every element of every input in `wrt`. Inputs are float64
 * arrays given with their shapes; the function builds everything else it needs itself.
 */
export function gradcheck(
  name: string,
  f: (...inputs: torch.Tensor[]) => torch.Tensor,
  inputs: { data: number[]; shape: number[] }[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? TOL.gradcheck.atol;
  const rtol = options.rtol ?? TOL.gradcheck.rtol;
  const wrt = options.wrt ?? inputs.map((_, i) => i);
  torch.tidy(() => {
    const make = (datas: Float64Array[], grad: boolean) =>
      datas.map((d, i) => {
        const t = torch.fromArray(d, inputs[i].shape);
        return grad && wrt.includes(i) ? t.requiresGrad_() : t;
      });
    const base = inputs.map((x) => Float64Array.from(x.data));
    const probe = torch.noGrad(() => f(...make(base, false)));
    const weights = torch.randn([...probe.shape], { dtype: "float64", generator: new torch.Generator(7) });
    const leaves = make(base, true);
    const loss = weighted(f(...leaves), weights);
    const analytic = torch.grad(
      loss,
      wrt.map((i) => leaves[i]),
      { allowUnused: true },
    );
    wrt.forEach((inputIndex, k) => {
      const g = analytic[k];
      const gotAll = g === undefined ? new Array(base[inputIndex].length).fill(0) : g.toArray();
      for (let e = 0; e < base[inputIndex].length; e++) {
        const value = base[inputIndex][e];
        const at = (delta: number) =>
          torch.tidy(() => {
            base[inputIndex][e] = value + delta;
            const out = torch.noGrad(() => weighted(f(...make(base, false)), weights).item());
            base[inputIndex][e] = value;
            return out;
          });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const got = gotAll[e];
        const ok = Math.abs(got - numeric) <= atol + rtol * Math.abs(numeric);
        assert.ok(
          ok,
          `${name}: d/d input${inputIndex}[${e}] autograd ${got} vs finite difference ${numeric} (|diff| ${Math.abs(got - numeric).toExponential(2)})`,
        );
      }
    });
  });
}

/** Deterministic float64 values in [lo, hi) from a seed (for test inputs). */
export function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(lo + ((s >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

/** An input spec of the given shape filled by values(). */
export function input(shape: number[], seed: number, lo = -1, hi = 1): { data: number[]; shape: number[] } {
  return {
    data: values(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  };
}
