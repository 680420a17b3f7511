// `generateDataset`: writes a synthetic benchmark in the anchors' layout, DIR/train/<video>/ frames
// (or DIR/train/<video>.mp4) plus meta.json per video, deterministically from a seed. The whole
// folder is built under a temporary name and renamed when complete.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

import { commitTemp, discardTemp, tempPathFor } from "../media/atomic.js";
import { MediaError } from "../media/errors.js";
import { encodeRgb24, writeEncoded } from "../media/image-write.js";
import { writeCause } from "../io/write-errors.js";
import { VideoWriter } from "../media/video-write.js";
import { contactSheet, type SheetCell } from "./contact-sheet.js";
import type { KindName } from "./kinds.js";
import { kindByName } from "./kinds.js";
import { metaJson, LANDMARK_CONVENTION, type VideoMeta } from "./meta.js";
import { testIdentityCount, videoName } from "./naming.js";
import { Rng } from "../util/prng.js";
import { landmarkVisibility, renderScene } from "./render.js";

export interface GenerateOptions {
  kind: KindName;
  videos: number;
  frames: number;
  size: number;
  seed: number;
  out: string;
  /** Fraction of identities held out as DIR/test (default 0.2). */
  testFraction?: number;
  /** Videos per identity (default 2). */
  perIdentity?: number;
  /** "png": a folder of frames per video (default); "mp4": one H.264 file per video. */
  format?: "png" | "mp4";
  fps?: number;
  /** Rays per pixel, 1 or 5 (default 5: anti-aliased edges). */
  samples?: 1 | 5;
  /** Write a contact sheet (PNG) here. */
  preview?: string;
  /** Called after each video is written. */
  onProgress?: (videosDone: number, videos: number) => void;
}

export interface GenerateReport {
  train: string[];
  test: string[];
  frames: number;
  seconds: number;
}

const SHEET_ROWS = 6;
const SHEET_COLS = 8;

/** Writes the dataset; returns the video names per split. Refuses an `out` folder that exists and is not empty. */
export async function generateDataset(options: GenerateOptions): Promise<GenerateReport> {
  const started = performance.now();
  const kind = kindByName(options.kind);
  if (!kind) throw new RangeError(`unknown kind '${options.kind}': use faces, bodies or shapes`);
  const { videos, frames, size, seed } = options;
  const perIdentity = options.perIdentity ?? 2;
  const fps = options.fps ?? 25;
  const format = options.format ?? "png";
  const out = resolve(options.out);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new MediaError(options.out, "write", "already exists and is not empty: remove it or choose another --out");
  mkdirSync(dirname(out), { recursive: true });
  const temp = tempPathFor(out);
  const identities = Math.ceil(videos / perIdentity);
  const testCount = testIdentityCount(identities, options.testFraction ?? 0.2);
  const report: GenerateReport = { train: [], test: [], frames: 0, seconds: 0 };
  const sheet: SheetCell[][] = [];
  try {
    for (const split of ["train", "test"]) mkdirSync(join(temp, split), { recursive: true });
    for (let v = 0; v < videos; v++) {
      const identity = Math.floor(v / perIdentity);
      const split = identity >= identities - testCount ? "test" : "train";
      const name = videoName(identity, v % perIdentity);
      const looks = kind.identity(Rng.from(seed, options.kind, "identity", identity));
      const motion = kind.motion(Rng.from(seed, options.kind, "video", v), frames);
      const meta: VideoMeta = {
        name,
        kind: options.kind,
        split,
        identity,
        seed,
        width: size,
        height: size,
        fps,
        frames,
        convention: LANDMARK_CONVENTION,
        landmarkNames: kind.landmarkNames,
        landmarks: [],
        visible: [],
        pose: [],
        identityParams: kind.describe(looks),
      };
      const row: SheetCell[] = [];
      const base = join(temp, split, name);
      const writer = format === "mp4" ? new VideoWriter(`${base}.mp4`, { fps, width: size, height: size }) : undefined;
      if (!writer) mkdirSync(base);
      for (let t = 0; t < frames; t++) {
        const scene = kind.scene(looks, motion(t));
        const frame = renderScene(scene, size, size, options.samples ?? 5);
        const visible = landmarkVisibility(scene);
        meta.landmarks.push(scene.landmarks.map((l) => [l.x, l.y]));
        meta.visible.push(visible.map((v) => (v ? 1 : 0)));
        meta.pose.push(scene.pose);
        if (writer) await writer.writeRgb24(frame.rgb);
        else writeFileSync(join(base, `${String(t).padStart(6, "0")}.png`), await encodeRgb24(frame.rgb, size, size, "png"));
        if (
          options.preview &&
          sheet.length < SHEET_ROWS &&
          t % Math.max(1, Math.floor(frames / SHEET_COLS)) === 0 &&
          row.length < SHEET_COLS
        ) {
          row.push({
            rgb: frame.rgb,
            width: size,
            height: size,
            landmarks: scene.landmarks.map((l, i) => ({ x: l.x, y: l.y, visible: visible[i] })),
          });
        }
      }
      if (writer) await writer.close();
      writeFileSync(writer ? `${base}.meta.json` : join(base, "meta.json"), metaJson(meta));
      if (row.length > 0 && sheet.length < SHEET_ROWS) sheet.push(row);
      report[split === "test" ? "test" : "train"].push(name);
      report.frames += frames;
      options.onProgress?.(v + 1, videos);
    }
    writeFileSync(
      join(temp, "synth.json"),
      `${JSON.stringify({ kind: options.kind, videos, frames, size, seed, fps, format, perIdentity, testFraction: options.testFraction ?? 0.2, samples: options.samples ?? 5, train: report.train, test: report.test }, null, 2)}\n`,
    );
    if (existsSync(out)) discardTemp(out); // an empty folder the user made
    commitTemp(temp, out);
  } catch (error) {
    discardTemp(temp);
    // A failed write inside the temporary folder is reported against the folder the user named.
    if (error instanceof MediaError || !(error as NodeJS.ErrnoException).code) throw error;
    const cause = writeCause(options.out, error);
    throw new MediaError(options.out, "write", cause, `cannot write ${options.out}: ${cause}`, { cause: error });
  }
  if (options.preview && sheet.length > 0) {
    const pic = contactSheet(sheet);
    await writeEncoded(options.preview, await encodeRgb24(pic.rgb, pic.width, pic.height, "png"));
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
