// Frames between the host and a GPU: into the device in one copy per batch (through pinned memory,
// non-blocking: creation.fromArray with a CUDA device), and out through pinned memory with
// non-blocking copies and a single wait for all of them.
import { cuda } from "./device.js";
import { tidy } from "./scope.js";
import type { Tensor } from "./tensor.js";

/**
 * The elements of each tensor as float32 in JS (copies), from any device. Tensors on a GPU are
 * copied to pinned host memory without waiting, then one wait covers every copy.
 */
export function hostFloats(tensors: readonly Tensor[]): Float32Array[] {
  return tidy(() => {
    const floats = tensors.map((t) => t.detach().float().contiguous());
    if (floats.every((t) => t.device === "cpu")) return floats.map((t) => t.data<"float32">());
    const copies = floats.map((t) => (t.device === "cpu" ? t : t.to("cpu", { nonBlocking: true })));
    cuda.synchronize();
    return copies.map((t) => t.data<"float32">());
  });
}
