// The second device tests compare with the CPU: DIME_TEST_DEVICE (cuda or cuda:N on a GPU machine;
// cpu runs the same comparisons on one machine, to check the tests themselves), its tolerances,
// and why a test skips without it.
import * as torch from "../../src/torch/index.js";
import type { Device, Tensor } from "../../src/torch/index.js";
import { assertClose } from "./assert.js";

const named = process.env.DIME_TEST_DEVICE;

/** The device under test, or undefined when DIME_TEST_DEVICE is unset. */
export const TEST_DEVICE: Device | undefined = named ? torch.parseDevice(named) : undefined;

/** A skip reason (for node:test's `skip`), or false when the comparison can run here. */
export function deviceSkip(): string | false {
  if (TEST_DEVICE === undefined) return "set DIME_TEST_DEVICE=cuda (or cuda:N) to compare with the CPU on a GPU";
  if (TEST_DEVICE !== "cpu" && !torch.cuda.isAvailable()) return `DIME_TEST_DEVICE=${TEST_DEVICE}, but this libtorch sees no CUDA device`;
  return false;
}

/**
 * CPU against the device under test, float32. cuDNN convolutions may run in TF32 on Ampere and
 * later (PyTorch's default), which keeps 10 mantissa bits: ~1e-3 relative per product.
 */
export const DEVICE_TOL = {
  /** Element-wise work and small sums (grid_sample, interpolate, pooling, batch-norm statistics). */
  elementwise: { atol: 1e-5, rtol: 1e-4 },
  /** Convolutions (TF32 allowed) and what is built on them. */
  conv: { atol: 5e-3, rtol: 5e-3 },
  /** A whole model or training step: ||device - cpu|| / ||cpu|| over all of a tensor's values. */
  relative: 2e-2,
  /** Whole animated frames in [0, 1]: the largest and the mean absolute difference. */
  frames: { maxAbs: 3e-2, meanAbs: 2e-3 },
};

/** values of t (any device) as a flat float64 array. */
export function valuesOf(t: Tensor): number[] {
  return t.detach().cpu().toArray();
}

/** Asserts the device's tensor is within tol of the CPU's, element-wise. */
export function assertSameOnDevice(onDevice: Tensor, onCpu: Tensor, tol: { atol: number; rtol: number }, what: string): void {
  if (TEST_DEVICE !== undefined && onDevice.device !== torch.canonicalDevice(TEST_DEVICE))
    throw new Error(`${what}: expected a tensor on ${TEST_DEVICE}, got one on ${onDevice.device}`);
  assertClose(valuesOf(onDevice), valuesOf(onCpu), tol.atol, tol.rtol, what);
}

/** ||a - b|| / ||b|| over flat arrays (0 when both are zero). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}
