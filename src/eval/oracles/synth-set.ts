// One split of a `dime synth` dataset held in memory for the oracles: every frame as bytes, the
// ground truth of meta.json (landmarks, visibility, identity), and each identity's bare background,
// rendered again from the dataset's seed, which tells the person's pixels from the background's
// (for background swaps in training and in the identity test).
import { readFileSync } from "node:fs";
import { join } from "node:path";

import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { FrameStore } from "../../data/frame-store.js";
import { listVideos } from "../../data/layout.js";
import type { VideoMeta } from "../../synth/meta.js";
import { kindByName, type KindName } from "../../synth/kinds.js";
import { Rng } from "../../util/prng.js";
import { renderScene } from "../../synth/render.js";

/** The options `dime synth` wrote to DIR/synth.json (those the oracles need). */
export interface SynthInfo {
  kind: KindName;
  size: number;
  seed: number;
  videos: number;
  frames: number;
  perIdentity: number;
  testFraction: number;
  samples: 1 | 5;
}

export interface SynthSet {
  info: SynthInfo;
  split: "train" | "test";
  landmarkNames: readonly string[];
  /** (N, 3, S, S) uint8 RGB, every frame of every video of the split, in name then frame order. */
  frames: Tensor;
  /** (N, K, 2) float32 landmark (x, y) in [-1, 1]. */
  points: Tensor;
  /** (N, K) float32, 1 where the landmark is visible. */
  visible: Tensor;
  /** (N) int64: each frame's identity as a class index into `identities`. */
  label: Tensor;
  /** The identity ids (the NNNN of idNNNN#KK) of the split, sorted; label i is identities[i]. */
  identities: number[];
  /** Per frame: its video's take (KK of idNNNN#KK) and its index in the video. */
  take: number[];
  frameIndex: number[];
  /** (N, 1, S, S) bool: true where the frame is not its identity's bare background (the person and edges). */
  foreground: Tensor;
  /** (I, 3, S, S) uint8: the bare background of each identity, in the order of `identities`. */
  backgrounds: Tensor;
  dispose(): void;
}

/** Reads DIR/synth.json, the record `dime synth` leaves of how it made the dataset. */
export function readSynthInfo(dir: string): SynthInfo {
  const path = join(dir, "synth.json");
  let raw: Partial<SynthInfo>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Partial<SynthInfo>;
  } catch (error) {
    throw new Error(`${path}: cannot read the dataset's synth.json (${(error as Error).message}): give a folder written by \`dime synth\``);
  }
  if (!raw.kind || !kindByName(raw.kind) || typeof raw.size !== "number" || typeof raw.seed !== "number") {
    throw new Error(`${path}: not a \`dime synth\` record (needs kind, size and seed)`);
  }
  return { perIdentity: 2, testFraction: 0.2, samples: 5, videos: 0, frames: 0, ...raw } as SynthInfo;
}

/**
 * The bare background of one identity as `dime synth` draws it: (3, S, S) uint8. The scene of
 * the identity's first pose with no primitives, through the same renderer and samples, so every
 * pixel no ray of a frame hits a primitive comes out byte for byte the same.
 */
export function renderBackground(info: SynthInfo, identity: number): Uint8Array {
  const kind = kindByName(info.kind)!;
  const looks = kind.identity(Rng.from(info.seed, info.kind, "identity", identity));
  const pose = kind.motion(Rng.from(info.seed, info.kind, "video", 0), 1)(0);
  const scene = { ...kind.scene(looks, pose), primitives: [] };
  return hwcToChw(renderScene(scene, info.size, info.size, info.samples).rgb, info.size);
}

function hwcToChw(rgb: Uint8Array, size: number): Uint8Array {
  const plane = size * size;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = rgb[i * 3 + c];
  return out;
}

/** Bytes a frame's pixel may differ from the bare background and still count as background. */
const BACKGROUND_TOLERANCE = 2;

/** `idNNNN#KK` -> [NNNN, KK]. */
function parseVideoName(name: string): [number, number] {
  const match = /^id(\d+)#(\d+)$/.exec(name);
  if (!match) throw new Error(`video '${name}' is not named idNNNN#KK as \`dime synth\` names them`);
  return [Number(match[1]), Number(match[2])];
}

/** Loads `split` of the dataset at `dir` (frame folders or mp4, as `dime synth` wrote it). */
export async function loadSynthSet(dir: string, split: "train" | "test"): Promise<SynthSet> {
  const info = readSynthInfo(dir);
  const size = info.size;
  const plane = 3 * size * size;
  const entries = await listVideos(dir, split);
  const store = new FrameStore(size);
  const metas: VideoMeta[] = entries.map((e) => {
    if (!e.metaPath) throw new Error(`${e.path}: no meta.json beside it; the oracles train on \`dime synth\` ground truth`);
    return JSON.parse(readFileSync(e.metaPath, "utf8")) as VideoMeta;
  });
  const total = metas.reduce((n, m) => n + m.frames, 0);
  const bytes = new Uint8Array(total * plane);
  const points: number[] = [];
  const visible: number[] = [];
  const ids: number[] = [];
  const take: number[] = [];
  const frameIndex: number[] = [];
  let n = 0;
  for (const [v, entry] of entries.entries()) {
    const meta = metas[v];
    const [identity, k] = parseVideoName(entry.name);
    const images = await store.frames(
      entry,
      Array.from({ length: meta.frames }, (_, t) => t),
    );
    images.forEach((image, t) => {
      const offset = (n + t) * plane;
      for (let i = 0; i < plane; i++) bytes[offset + i] = Math.round(image.data[i] * 255);
      points.push(...meta.landmarks[t].flat());
      visible.push(...meta.visible[t]);
      ids.push(identity);
      take.push(k);
      frameIndex.push(t);
    });
    n += meta.frames;
  }
  const identities = [...new Set(ids)].sort((a, b) => a - b);
  const slot = new Map(identities.map((id, i) => [id, i]));
  const k = metas[0].landmarkNames.length;
  const backgroundBytes = new Uint8Array(identities.length * plane);
  identities.forEach((id, i) => backgroundBytes.set(renderBackground(info, id), i * plane));
  return torch.tidy(() => {
    const frames = torch.fromArray(bytes, [total, 3, size, size]);
    const label = torch.tensor(
      ids.map((id) => slot.get(id)!),
      { dtype: "int64" },
    );
    const backgrounds = torch.fromArray(backgroundBytes, [identities.length, 3, size, size]);
    // A tolerance, not equality: the image reader may return a byte off (8-bit PNGs go through 16 bits).
    const difference = frames.to("int16").sub(backgrounds.indexSelect(0, label).to("int16")).abs(); // (N, 3, S, S)
    const foreground = difference.gt(BACKGROUND_TOLERANCE).any(1, true); // (N, 1, S, S)
    const set: SynthSet = {
      info,
      split,
      landmarkNames: metas[0].landmarkNames,
      identities,
      take,
      frameIndex,
      frames: torch.keep(frames),
      points: torch.keep(torch.tensor(points).view(total, k, 2)),
      visible: torch.keep(torch.tensor(visible).view(total, k)),
      label: torch.keep(label),
      foreground: torch.keep(foreground),
      backgrounds: torch.keep(backgrounds),
      dispose() {
        for (const t of [set.frames, set.points, set.visible, set.label, set.foreground, set.backgrounds]) t.dispose();
      },
    };
    return set;
  });
}
