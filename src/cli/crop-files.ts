// `dime crop`: a training set cut from raw footage, as FOMM's preprocessing does (face tracks,
// one fixed enlarged box per track, each track a clip at the model's size), with ffmpeg run by
// dime itself. Files are split into train and test by source file with a seed, so one person's
// clips never land on both sides.
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";

import type { FaceApi } from "../faceapi/index.js";
import { detectFaces, type Face } from "../face/detect.js";
import { linkTracks, type LinkedTrack, type LinkOptions } from "../face/links.js";
import { fillBoxes } from "../face/track.js";
import { cropImage } from "../infer/footage.js";
import { MediaError } from "../media/errors.js";
import { probeMedia } from "../media/probe.js";
import { readFrames } from "../media/video-read.js";
import { VideoWriter } from "../media/video-write.js";
import { VIDEO_EXTENSIONS } from "../data/layout.js";
import { Rng } from "../util/prng.js";

export interface CropJob {
  inputs: string[];
  out: string;
  /** Side of the clips' frames (the config's frame_shape). */
  size: number;
  /** Share of the source files that go to test/ (default 0.1; at least one when there are two or more files). */
  testFraction: number;
  seed: number;
  /** Detect on every Nth frame. */
  every: number;
  link: LinkOptions;
  api: FaceApi;
  /** Progress: frames done (detection and writing passes together) of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface FileReport {
  file: string;
  split?: "train" | "test";
  frames: number;
  kept: number;
  short: number;
  small: number;
  clips: string[];
  error?: string;
}

/** The source files behind the arguments: a video file or frame folder as is; a folder of video files, its videos sorted. */
export function expandInputs(inputs: readonly string[]): string[] {
  return inputs.flatMap((input) => {
    let entries: string[];
    try {
      if (!statSync(input).isDirectory()) return [input];
      entries = readdirSync(input)
        .filter((n) => VIDEO_EXTENSIONS.has(extname(n).toLowerCase()))
        .sort();
    } catch {
      return [input]; // reported when it is read
    }
    return entries.length > 0 ? entries.map((n) => join(input, n)) : [input];
  });
}

/** Which files go to test/: a seeded permutation's first round(n * fraction) (at least 1 when n >= 2, never all). */
export function splitFiles(files: readonly string[], fraction: number, seed: number): Set<string> {
  const count = files.length < 2 ? 0 : Math.min(files.length - 1, Math.max(1, Math.round(files.length * fraction)));
  const order = Rng.from(seed, "dime crop split").permutation(files.length);
  return new Set(order.slice(0, count).map((i) => files[i]));
}

/** Clip names: the source file's name (extension dropped, unsafe characters replaced) and the track's number. */
function clipName(file: string, index: number): string {
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${stem}#${String(index).padStart(2, "0")}`;
}

/** Crops every file; one file's failure is recorded in its report and the others go on. */
export async function cropFiles(job: CropJob): Promise<FileReport[]> {
  const files = expandInputs(job.inputs);
  const test = splitFiles(files, job.testFraction, job.seed);
  const counts = new Map<string, number>();
  for (const file of files) {
    try {
      counts.set(file, (await probeMedia(file)).frameCount);
    } catch {
      counts.set(file, 0);
    }
  }
  const total = 2 * [...counts.values()].reduce((a, b) => a + b, 0);
  let done = 0;
  const tick = () => job.onProgress?.(++done, total);
  const reports: FileReport[] = [];
  for (const file of files) {
    const split = test.has(file) ? "test" : "train";
    const report: FileReport = { file, split, frames: 0, kept: 0, short: 0, small: 0, clips: [] };
    reports.push(report);
    const start = done;
    try {
      await cropOne(job, file, split, report, tick);
    } catch (error) {
      if (!(error instanceof MediaError || error instanceof RangeError)) throw error;
      report.error = error instanceof MediaError ? error.message : `${file}: ${error.message}`;
      done = start + 2 * (counts.get(file) ?? 0); // the frames this file will not go through
    }
  }
  return reports;
}

async function cropOne(job: CropJob, file: string, split: "train" | "test", report: FileReport, tick: () => void): Promise<void> {
  const info = await probeMedia(file);
  const perFrame: (Face[] | undefined)[] = [];
  for await (const frame of readFrames(file, { info })) {
    perFrame.push(frame.index % job.every === 0 ? detectFaces(job.api, frame.image) : undefined);
    tick();
  }
  report.frames = perFrame.length;
  if (perFrame.length === 0) throw new MediaError(file, "empty", "video has no frames");
  const tracks = linkTracks(perFrame, job.link);
  report.short = tracks.filter((t) => t.dropped === "short").length;
  report.small = tracks.filter((t) => t.dropped === "small").length;
  const kept = tracks.filter((t) => !t.dropped);
  report.kept = kept.length;
  // A file without a face is readable: its row shows 0 tracks, and it is not an error.
  if (kept.length === 0) {
    for (let i = 0; i < perFrame.length; i++) tick();
    return;
  }
  const dir = join(job.out, split);
  mkdirSync(dir, { recursive: true });
  const fps = info.fps > 0 ? info.fpsFraction : "25/1";
  const writers = kept.map((track, i) => ({ track, name: clipName(file, i), writer: undefined as VideoWriter | undefined }));
  try {
    for await (const frame of readFrames(file, { info })) {
      for (const w of writers) {
        if (frame.index < w.track.start || frame.index > w.track.end) continue;
        w.writer ??= new VideoWriter(join(dir, `${w.name}.mp4`), { fps, width: job.size, height: job.size });
        await w.writer.write(cropImage(frame.image, w.track.box, { width: job.size, height: job.size }));
      }
      tick();
    }
    for (const w of writers) {
      await w.writer?.close();
      writeFileSync(join(dir, `${w.name}.meta.json`), JSON.stringify(clipMeta(file, w.track, job.size), null, 1));
      report.clips.push(join(split, `${w.name}.mp4`));
    }
  } catch (error) {
    for (const w of writers) w.writer?.abort();
    throw error;
  }
}

/** A clip's meta.json: where it came from, the frame range, its box, and the face's box on every frame (from its landmarks; interpolated where undetected). */
function clipMeta(file: string, track: LinkedTrack, size: number) {
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    format: "dime-crop",
    source: file,
    frames: { first: track.start, last: track.end },
    size,
    box: { cx: r(track.box.cx), cy: r(track.box.cy), side: r(track.box.side) },
    faces: fillBoxes(track.detected).map((b, i) => ({
      frame: track.start + i,
      cx: r(b.cx),
      cy: r(b.cy),
      side: r(b.side),
      detected: track.detected[i] !== undefined,
    })),
  };
}
