// How good the oracles themselves are, measured on held-out synthetic data with its ground truth
// (docs/oracles.md reports these figures; the tests check the shipped weights reach them).
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { swapBackground, toUnit } from "./augment.js";
import type { SynthSet } from "./synth-set.js";

/** frames (B, 3, 64, 64) in [0, 1] -> points (B, K, 2) in [-1, 1] and visible (B, K) bool. */
export type LandmarkFn = (frames: Tensor) => { points: Tensor; visible: Tensor };
/** frames (B, 3, 64, 64) in [0, 1] -> unit embeddings (B, D). */
export type EmbedFn = (frames: Tensor) => Tensor;

export interface LandmarkAccuracy {
  /** Euclidean error in pixels of the frame, over landmarks visible in the ground truth. */
  meanPx: number;
  medianPx: number;
  p90Px: number;
  /** The same over hidden landmarks (where the oracle guesses what it cannot see). */
  hiddenMeanPx: number;
  /** Fraction of all landmarks whose predicted visibility is the ground truth's. */
  visibilityAccuracy: number;
  visibleLandmarks: number;
  hiddenLandmarks: number;
  frames: number;
}

export interface IdentityAccuracy {
  /** Fraction of queries whose nearest gallery embedding (cosine) is their own identity's. */
  top1: number;
  /** The same with each query put on the backdrop of another identity (the next in the split). */
  top1SwappedBackground: number;
  /** Mean cosine of a query and its own identity's gallery frame (what CSIM of the same person reads), and of a query and the other identities' (of different people). */
  sameCosine: number;
  otherCosine: number;
  /** 1 / identities: the top-1 of a guess. */
  chance: number;
  identities: number;
  queries: number;
}

const BATCH = 256;

/** Runs `fn` on the set's frames (as floats in [0, 1]) batch by batch; returns its outputs per batch. */
function inBatches<T>(frames: Tensor, fn: (x: Tensor) => T): T[] {
  const out: T[] = [];
  for (let start = 0; start < frames.size(0); start += BATCH) {
    const length = Math.min(BATCH, frames.size(0) - start);
    out.push(torch.tidy(() => fn(toUnit(frames.narrow(0, start, length)))));
  }
  return out;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

/** Landmark error in pixels (at the set's frame size) and visibility accuracy over every frame of `set`. */
export function measureLandmarks(landmarks: LandmarkFn, set: SynthSet): LandmarkAccuracy {
  const pixelsPerUnit = (set.info.size - 1) / 2;
  const parts = inBatches(set.frames, (x) => {
    const out = landmarks(x);
    return { points: out.points, visible: out.visible.to("float32") };
  });
  const predicted = torch.cat(parts.map((p) => p.points));
  const predictedVisible = torch.cat(parts.map((p) => p.visible));
  const result = torch.tidy(() => {
    const error = predicted.sub(set.points).pow(2).sum(-1).sqrt().mul(pixelsPerUnit).flatten().toArray(); // (N K)
    const truth = set.visible.flatten().toArray();
    const agree = predictedVisible.eq(set.visible).to("float32").mean().item();
    return { error, truth, agree };
  });
  for (const t of [predicted, predictedVisible, ...parts.flatMap((p) => [p.points, p.visible])]) t.dispose();
  const visibleErrors = Float64Array.from(result.error.filter((_, i) => result.truth[i] === 1)).sort();
  const hiddenErrors = result.error.filter((_, i) => result.truth[i] !== 1);
  const mean = (xs: Iterable<number>) => {
    let sum = 0,
      count = 0;
    for (const x of xs) {
      sum += x;
      count++;
    }
    return sum / count;
  };
  return {
    meanPx: mean(visibleErrors),
    medianPx: quantile(visibleErrors, 0.5),
    p90Px: quantile(visibleErrors, 0.9),
    hiddenMeanPx: hiddenErrors.length > 0 ? mean(hiddenErrors) : NaN,
    visibilityAccuracy: result.agree,
    visibleLandmarks: visibleErrors.length,
    hiddenLandmarks: hiddenErrors.length,
    frames: set.frames.size(0),
  };
}

/**
 * Identity top-1 on `set` (a split whose identities the embedder never saw): the gallery is the
 * first frame of each identity's first video (take 0), the queries every frame of its other videos;
 * a query is right when its nearest gallery embedding is its own identity's. Needs two or more
 * videos per identity (`dime synth --per-identity 2`, the default).
 */
export function measureIdentity(embed: EmbedFn, set: SynthSet): IdentityAccuracy {
  const labels = set.label.toArray();
  const identities = set.identities.length;
  const galleryRows = set.identities.map((_, i) => labels.findIndex((l, n) => l === i && set.take[n] === 0 && set.frameIndex[n] === 0));
  const queryRows = labels.flatMap((_, n) => (set.take[n] > 0 ? [n] : []));
  if (identities < 2 || galleryRows.includes(-1) || queryRows.length === 0) {
    throw new RangeError(
      `identity top-1 needs two or more identities, each with a take 0 and another video; this ${set.split} split has ${identities} identities and ${queryRows.length} query frames`,
    );
  }
  return torch.tidy(() => {
    const pick = (rows: number[]) => torch.tensor(rows, { dtype: "int64" });
    const queries = set.frames.indexSelect(0, pick(queryRows));
    const queryLabels = set.label.indexSelect(0, pick(queryRows));
    const embedAll = (frames: Tensor) => torch.cat(inBatches(frames, embed));
    const gallery = embedAll(set.frames.indexSelect(0, pick(galleryRows))); // (I, D)
    const top1 = (cosine: Tensor) => cosine.argmax(1).eq(queryLabels).to("float32").mean().item();
    const cosine = embedAll(queries).matmul(gallery.transpose(0, 1)); // (Q, I)
    const own = torch.zeros(cosine.shape).scatter(1, queryLabels.view(-1, 1), torch.ones([queryRows.length, 1])); // (Q, I) one-hot
    // The backdrop of identity (label + 1) mod I behind every query, the person kept.
    const otherBackdrop = set.backgrounds.indexSelect(0, queryLabels.add(1).remainder(identities));
    const foreground = set.foreground.indexSelect(0, pick(queryRows));
    const swapped = swapBackground(queries, foreground, otherBackdrop, torch.ones([queryRows.length], { dtype: "bool" }));
    return {
      top1: top1(cosine),
      sameCosine: cosine.mul(own).sum().item() / queryRows.length,
      otherCosine: cosine.mul(own.rsub(1)).sum().item() / (queryRows.length * (identities - 1)),
      top1SwappedBackground: top1(embedAll(swapped).matmul(gallery.transpose(0, 1))),
      chance: 1 / identities,
      identities,
      queries: queryRows.length,
    };
  });
}
