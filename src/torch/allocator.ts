// The C library's allocator under libtorch's CPU tensors: keep freed memory for reuse.
import { native } from "./binding.js";

/** The largest block glibc may still map on its own when its heap cannot grow (its cap on 64-bit). */
const MMAP_THRESHOLD = 32 * 1024 * 1024;
/** Free memory kept at the heap's top before any is given back to the system. */
const TRIM_THRESHOLD = 1024 * 1024 * 1024;

/**
 * Makes the process keep freed CPU memory for reuse: glibc's malloc then serves every tensor from
 * its heap (no block is mapped on its own) and gives memory back only past 1 GiB free. By default
 * glibc maps large blocks fresh and trims its heap as soon as they are freed, so each frame of
 * inference faults in and zeroes its activations' pages again (at 256 px about 100 MB a frame, a
 * fifth of the CPU time at one thread). A threshold alone is not enough: glibc caps it at 32 MiB,
 * and a 256 px frame's largest tensors (128 channels at 256x256) are 32 MiB and a little more, so
 * whether they were mapped afresh each frame depended on the heap's layout, differing from process
 * to process (docs/speed.md). The cost: the process's resident memory stays at its peak.
 * Process-wide and not undone. Returns false where it cannot apply (not glibc).
 */
export function retainFreedMemory(): boolean {
  return native.retainFreedMemory(MMAP_THRESHOLD, TRIM_THRESHOLD);
}
