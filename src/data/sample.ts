// Loads one planned item: its frames at the training size, augmented, as flat float arrays.
import { colourJitter, hflip } from "./augment.js";
import type { FrameStore } from "./frame-store.js";
import type { VideoEntry } from "./layout.js";
import type { ItemPlan } from "./plan.js";

/** One training item. Each frame is (3, size, size) float RGB in [0, 1]; `refs` is (numRefs, 3, size, size). */
export interface Sample {
  video: string;
  /** Frame indices in the video: [driving, source, ...refs]. */
  frames: number[];
  hflip: boolean;
  driving: Float32Array;
  source: Float32Array;
  refs: Float32Array;
}

export async function loadSample(video: VideoEntry, plan: ItemPlan, store: FrameStore, size: number): Promise<Sample> {
  const indices = [plan.driving, plan.source, ...plan.refs];
  const images = await store.frames(video, indices);
  for (const image of images) {
    if (plan.hflip) hflip(image.data, size, size);
    colourJitter(image.data, size, size, plan);
  }
  const frameLength = 3 * size * size;
  const refs = new Float32Array(plan.refs.length * frameLength);
  images.slice(2).forEach((image, i) => refs.set(image.data, i * frameLength));
  return { video: video.name, frames: indices, hflip: plan.hflip, driving: images[0].data, source: images[1].data, refs };
}
