// libtorch's intra-op thread pool.
import { native } from "./binding.js";

export function getNumThreads(): number {
  return native.numThreads();
}

/** Sets the number of threads libtorch's CPU kernels use (as torch.set_num_threads). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads(${n}): need a positive integer`);
  native.setNumThreads(n);
}

/**
 * OpenBLAS's own threads: 1 (the addon runs it on the calling thread so that its spinning helper
 * threads never take a core from libtorch's; native/compat.h), or -1 where libtorch has no
 * OpenBLAS (PyPI's wheels use MKL).
 */
export function blasThreads(): number {
  return native.blasThreads();
}

/** The libtorch version the addon was built against. */
export function libtorchVersion(): string {
  return native.version();
}
