// Which video and frames each item of an epoch uses, and its augmentation draw: a pure function of
// (seed, epoch, position), so samples do not depend on how many workers load them or in what order.
import { Rng } from "../util/prng.js";
import { groupByIdentity } from "./identity.js";
import type { SampleOptions } from "./options.js";

/** Everything needed to load one item. */
export interface ItemPlan {
  video: number;
  /** Frame indices, all distinct. */
  driving: number;
  source: number;
  refs: number[];
  hflip: boolean;
  /** Colour jitter factors (1 = unchanged) and hue shift in turns (0 = unchanged). */
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** The video index of each position of an epoch. */
export function epochOrder(names: readonly string[], options: SampleOptions, epoch: number): number[] {
  const rng = Rng.from(options.seed, "epoch", epoch);
  const order: number[] = [];
  if (options.identitySampling) {
    const groups = groupByIdentity(names, options.identitySeparator);
    for (let r = 0; r < options.repeats; r++)
      for (const g of rng.permutation(groups.length)) order.push(groups[g][rng.int(groups[g].length)]);
  } else {
    for (let r = 0; r < options.repeats; r++) order.push(...rng.permutation(names.length));
  }
  return order;
}

/** k distinct integers in [0, n), in random order (partial Fisher-Yates on a sparse map). */
export function distinct(rng: Rng, n: number, k: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(vj);
  }
  return out;
}

/** The plan of item `position` of `epoch` for a video of `frameCount` frames. */
export function planItem(
  options: SampleOptions,
  epoch: number,
  position: number,
  video: number,
  frameCount: number,
  videoName: string,
): ItemPlan {
  const needed = 2 + options.numRefs;
  if (frameCount < needed)
    throw new RangeError(
      `${videoName} has ${frameCount} frames; an item needs ${needed} distinct frames (source, driving and ${options.numRefs} references): lower numRefs or drop the video`,
    );
  const rng = Rng.from(options.seed, "item", epoch, position);
  let [source, driving, ...refs] = distinct(rng, frameCount, needed);
  const aug = options.augment;
  if (aug.timeFlip && rng.chance(0.5)) [source, driving] = [driving, source];
  const hflip = aug.hflip && rng.chance(0.5);
  const j = aug.jitter;
  const factor = (x: number) => 1 + x * (2 * rng.float() - 1);
  return {
    video,
    driving,
    source,
    refs,
    hflip,
    brightness: j ? factor(j.brightness) : 1,
    contrast: j ? factor(j.contrast) : 1,
    saturation: j ? factor(j.saturation) : 1,
    hue: j ? j.hue * (2 * rng.float() - 1) : 0,
  };
}
