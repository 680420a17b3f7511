// Stacks samples into one batch of NCHW arrays (the engine turns them into tensors with fromArray).
import type { Sample } from "./sample.js";

export interface Batch {
  /** (B, 3, H, W) */
  driving: Float32Array;
  /** (B, 3, H, W) */
  source: Float32Array;
  /** (B, N, 3, H, W) */
  refs: Float32Array;
  shape: { batch: number; refs: number; channels: 3; height: number; width: number };
  videos: string[];
  /** Per item: [driving, source, ...refs] frame indices. */
  frames: number[][];
}

export function stack(samples: Sample[], size: number, numRefs: number): Batch {
  const frame = 3 * size * size;
  const batch = samples.length;
  const driving = new Float32Array(batch * frame);
  const source = new Float32Array(batch * frame);
  const refs = new Float32Array(batch * numRefs * frame);
  samples.forEach((s, b) => {
    driving.set(s.driving, b * frame);
    source.set(s.source, b * frame);
    refs.set(s.refs, b * numRefs * frame);
  });
  return {
    driving,
    source,
    refs,
    shape: { batch, refs: numRefs, channels: 3, height: size, width: size },
    videos: samples.map((s) => s.video),
    frames: samples.map((s) => s.frames),
  };
}
