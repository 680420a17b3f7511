// Inputs and weights for the evaluation-metric tests, rebuilt with libtorch ops exactly as
// test/fixtures/make_eval_metrics_reference.py builds them in numpy (see its header), so the
// committed reference values (test/fixtures/eval-metrics-reference.json) apply.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { MetricWeightsError } from "../../src/eval/metrics/index.js";

export interface MetricsReference {
  ssim_64: number[];
  ms_ssim: Record<string, { values: number[]; windows: number[] }>;
  lpips_64: { alex: number[]; vgg: number[] };
  inception_64: { shape: number[]; first8: number[][]; sum: number[]; sumsq: number[] };
  fid: { mu_a: number[]; sigma_a: number[][]; a_vs_b: number; a_vs_singular: number };
}

/**
 * Relative tolerances of the metric tests against the references, with what was measured. The
 * float64 runs of the networks do not reach round-off of the sums alone: numpy's and libtorch's sin
 * differ in the last bit now and then, which the hash's factor 43758 lifts to one float32 ulp in a
 * few weights (167 of VGG-16's 14.7M).
 */
export const METRIC_REL = {
  /** SSIM / MS-SSIM in float64 against numpy/scipy: the same sums in another order (measured 3.5e-16). */
  pixel64: 1e-12,
  /** SSIM / MS-SSIM of the float32-rounded images against the float64 reference (measured 1.1e-7). */
  pixel32: 1e-6,
  /** LPIPS, float64 module (measured 2.6e-11 alex, 1.4e-9 vgg). */
  lpips64: 1e-8,
  /** LPIPS, float32 module (measured 8.7e-7 alex, 1.0e-6 vgg). */
  lpips32: 1e-5,
  /** LPIPS module against the plain-ops LPIPS of the test, both float32. */
  lpipsPlainOps: 1e-5,
  /** FID Inception features, float64 network (measured 2.6e-10). */
  inception64: 1e-8,
  /** FID Inception features, float32 network (measured 2.8e-8). */
  inception32: 1e-6,
  /** Frechet distances in float64 against scipy and closed forms (measured 4.6e-13). */
  frechet: 1e-10,
};

export const REFERENCE: MetricsReference = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "fixtures", "eval-metrics-reference.json"), "utf8"),
);

/** The script's image pair x, y (B, C, H, W), float64 (its `images`). */
export function referenceImages(b: number, c: number, h: number, w: number): [Tensor, Tensor] {
  return torch.tidy(() => {
    const axis = (size: number, dims: number[]) => torch.arange(0, size, 1, { dtype: "float64" }).view(...dims);
    const n = axis(b, [b, 1, 1, 1]);
    const ch = axis(c, [1, c, 1, 1]);
    const i = axis(h, [1, 1, h, 1]);
    const j = axis(w, [1, 1, 1, w]);
    const s1 = i.mul(0.07).mul(n.add(1)).add(j.mul(0.05)).add(ch.mul(1.1)).sin();
    const s2 = j.mul(0.31).sub(i.mul(0.23)).add(n.mul(0.7)).add(ch.mul(0.5)).sin();
    const c3 = i.mul(0.013).mul(j).cos();
    const x = s1.mul(0.25).add(0.5).add(s2.mul(0.2).mul(c3));
    const ripple = i.mul(1.7).sub(j.mul(0.9)).add(ch).add(n).sin().mul(0.15).mul(i.add(j).mul(0.05).cos());
    return [x, x.add(ripple).clamp(0, 1)];
  });
}

/** The script's name_hash. */
export function nameHash(name: string): number {
  let h = 0;
  for (let k = 0; k < name.length; k++) h += name.charCodeAt(k) * (k + 1);
  return h % 9973;
}

/** The script's hash_uniform: values in (-1, 1), float64, of the given shape. */
export function hashUniform(name: string, shape: readonly number[]): Tensor {
  const numel = shape.reduce((a, b) => a * b, 1);
  return torch.tidy(() =>
    torch
      .arange(0, numel, 1, { dtype: "float64" })
      .mul(12.9898)
      .add(nameHash(name) * 78.233)
      .sin()
      .mul(43758.5453)
      .frac()
      .reshape(...shape),
  );
}

/**
 * The script's float32 hash weight for a tensor name and shape: conv weights (4-D), conv biases,
 * batch-norm tensors and LPIPS heads by their names' endings.
 */
export function hashWeight(name: string, shape: readonly number[]): Tensor {
  return torch.tidy(() => {
    const u = hashUniform(name, shape);
    let value: Tensor;
    if (/^lin\d\.model\.1\.weight$/.test(name)) value = u.add(1).mul(0.05);
    else if (name.endsWith("bn.weight")) value = u.mul(0.1).add(1);
    else if (name.endsWith("bn.bias")) value = u.mul(0.05);
    else if (name.endsWith("running_mean")) value = u.mul(0.05);
    else if (name.endsWith("running_var")) value = u.mul(0.2).add(1);
    else if (shape.length === 4) value = u.mul(Math.sqrt(6 / (shape[1] * shape[2] * shape[3])));
    else value = u.mul(0.01);
    return value.float();
  });
}

/** Hash weights for every name -> shape. */
export function hashWeights(shapes: ReadonlyMap<string, readonly number[]>): Map<string, Tensor> {
  return new Map([...shapes].map(([name, shape]) => [name, hashWeight(name, shape)]));
}

/** A temporary folder for weight files, removed after the test file. */
export function weightsDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts that `load` throws a one-line MetricWeightsError matching `pattern`. */
export function assertRefuses(load: () => unknown, pattern: RegExp): void {
  assert.throws(load, (error: unknown) => {
    assert.ok(error instanceof MetricWeightsError, `not a MetricWeightsError: ${error}`);
    assert.ok(!error.message.includes("\n"), `not one line: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}
