// The animation task's source/driving pairs (paper section 4.1: "we randomly generated 200 pairs of
// videos containing different identities as source-driving pairs"): drawn with dime's seeded
// generator from the sorted test videos, so the same videos and seed give the same pairs on every
// machine, and never two videos of one identity.
import { identityOf } from "../data/identity.js";
import type { VideoEntry } from "../data/layout.js";
import { Rng } from "../util/prng.js";
import type { EvalMeta } from "./video-meta.js";

/** A pair of videos by their index in the video list. */
export interface AnimationPair {
  /** The video whose first frame (and seeded other frames, the references) is animated. */
  source: number;
  /** The video whose motion drives it. */
  driving: number;
}

/**
 * Each video's identity: `kind:identity` from meta.json (synthetic data), else the name's part
 * before '#' (FOMM's VoxCeleb names, `id10001#...`, the loader's convention), which is the whole
 * name when it has no '#' (then every video is its own identity).
 */
export function videoIdentities(videos: readonly VideoEntry[], metas: readonly (EvalMeta | undefined)[]): string[] {
  return videos.map((video, i) => {
    const meta = metas[i];
    return meta ? `${meta.kind}:${meta.identity}` : identityOf(video.name);
  });
}

/** How many ordered (source, driving) pairs of different identities `identities` allow. */
export function countValidPairs(identities: readonly string[]): number {
  const sizes = new Map<string, number>();
  for (const id of identities) sizes.set(id, (sizes.get(id) ?? 0) + 1);
  return identities.length ** 2 - [...sizes.values()].reduce((sum, g) => sum + g * g, 0);
}

/**
 * `count` distinct ordered pairs of videos of different identities, drawn uniformly from all such
 * pairs with the stream ("animation pairs", seed), in the order drawn. When fewer than `count`
 * exist, all of them (sorted by source, then driving). Throws RangeError when there is none (one
 * identity only).
 */
export function animationPairs(identities: readonly string[], count: number, seed = 0): AnimationPair[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the pair count must be a positive integer, got ${count}`);
  const n = identities.length;
  const total = countValidPairs(identities);
  if (total === 0)
    throw new RangeError(
      `animation needs videos of at least two identities; the ${n} test video${n === 1 ? " is" : "s are"} all one identity`,
    );
  const rng = Rng.from(seed, "animation pairs");
  const all = (): AnimationPair[] => {
    const pairs: AnimationPair[] = [];
    for (let source = 0; source < n; source++) {
      for (let driving = 0; driving < n; driving++) if (identities[source] !== identities[driving]) pairs.push({ source, driving });
    }
    return pairs;
  };
  if (total <= count) return all();
  // Many pairs to choose from: rejection sampling stays quick. Otherwise list them and shuffle.
  if (total < 2 * count) {
    const pairs = all();
    return rng
      .permutation(total)
      .slice(0, count)
      .map((i) => pairs[i]);
  }
  const chosen: AnimationPair[] = [];
  const seen = new Set<number>();
  while (chosen.length < count) {
    const source = rng.int(n);
    const driving = rng.int(n);
    const key = source * n + driving;
    if (identities[source] === identities[driving] || seen.has(key)) continue;
    seen.add(key);
    chosen.push({ source, driving });
  }
  return chosen;
}
