// The C library's allocator under libtorch's CPU tensors: keep freed memory for reuse.
import { native } from "./binding.js";

/** Blocks up to this size come from malloc's heap, not fresh mmaps (glibc's largest allowed on 64-bit). */
const MMAP_THRESHOLD = 32 * 1024 * 1024;
/** Free memory kept at the heap's top before any is given back to the system. */
const TRIM_THRESHOLD = 1024 * 1024 * 1024;

/**
 * Makes the process keep freed CPU memory for reuse: glibc's malloc then serves tensors up to
 * 32 MiB from its heap and gives it back only past 1 GiB free. By default glibc maps large blocks
 * fresh and trims its heap as soon as they are freed, so each frame of inference faults in and
 * zeroes its activations' pages again (at 256 px about 100 MB a frame, a fifth of the CPU time at
 * one thread; docs/speed.md). The cost: the process's resident memory stays at its peak.
 * Process-wide and not undone. Returns false where it cannot apply (not glibc).
 */
export function retainFreedMemory(): boolean {
  return native.retainFreedMemory(MMAP_THRESHOLD, TRIM_THRESHOLD);
}
