// The real-footage case of `dime bench animate`: face detection and landmarks on a 1280x720 frame,
// and dime animate's face pipeline end to end on a 1280x720 driving clip (track the face, crop
// every frame, animate, paste back into a 1280x720 source, encode), split into its parts, so the
// pipeline's own cost can be compared with the model's. Needs a clip with a real face: the shared
// data folder's (beside the repository; real people are never shipped), else the case is skipped.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { loadFaceApi, type FaceApi } from "../faceapi/index.js";
import { detectFaces, trackFaces, cropForModel, faceCropBox, pasteBackImage, type CropBox } from "../face/index.js";
import { animate } from "../infer/animate.js";
import { animateFootage } from "../infer/footage.js";
import { writeImage } from "../media/image-write.js";
import type { RgbImage } from "../media/image.js";
import { readAllFrames } from "../media/video-read.js";
import { ffmpegPath } from "../media/tools.js";
import { VideoWriter } from "../media/video-write.js";

/** The shared data folder's talking-head clip (512 px) the 1280x720 clip is made from. */
export const FOOTAGE_CLIP = join(new URL("../..", import.meta.url).pathname, "..", "shared", "data", "video", "liveportrait_d0.mp4");

export interface FootageFigure {
  config: string;
  size: number;
  threads: number;
  frames: number;
  /** Detect on every Nth driving frame. */
  every: number;
  /** detectFaces (detector + 68 landmarks) on one 1280x720 frame, median ms. */
  detectMs: number;
  /** Per driving frame, ms: tracking (its share of trackFaces), cropping the driving frame, the model (animate on the crops), pasting back. */
  trackMs: number;
  cropMs: number;
  modelMs: number;
  pasteMs: number;
  /** (track + crop + paste) / model. */
  overhead: number;
  /** Frames per second of the whole job: decode 1280x720, track, crop, animate, paste back, encode 1280x720. */
  endToEndFps: number;
  /** Mean |difference| in pixels (centre x, y and side) of the per-frame boxes (follow, unsmoothed) against detection on every frame; 0 for every 1. */
  boxDifferencePx: number;
}

/** The clip set in a 1280x720 grey frame (the face at 360 px, left of centre), `frames` frames; the source a frame of it. */
function wideClip(path: string, frames: number): void {
  const args = [
    "-loglevel",
    "error",
    "-y",
    "-i",
    FOOTAGE_CLIP,
    "-frames:v",
    String(frames),
    "-vf",
    "scale=360:360,pad=1280:720:300:180:color=gray",
    "-pix_fmt",
    "yuv420p",
    path,
  ];
  const result = spawnSync(ffmpegPath(), args, { stdio: ["ignore", "ignore", "pipe"] });
  if (result.status !== 0) throw new Error(`ffmpeg could not write ${path}: ${result.stderr?.toString().trim()}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(
  api: FaceApi,
  model: DiME,
  config: DimeConfig,
  name: string,
  clip: string,
  frames: RgbImage[],
  every: number,
  threads: number,
  out: string,
  reference?: CropBox[],
): Promise<FootageFigure & { boxes: CropBox[] }> {
  const [height, width] = config.dataset_params.frame_shape;
  const size = { width, height };
  const source = frames[0];
  const detectMs = median(
    [0, 1, 2].map(() => {
      const t = performance.now();
      detectFaces(api, source);
      return performance.now() - t;
    }),
  );
  const sourceBox = faceCropBox(detectFaces(api, source)[0].landmarks);
  let t = performance.now();
  // Per-frame boxes (what --track follow smooths, and --track fixed summarises): the mode costs nothing next to detection.
  const track = await trackFaces(api, frames, { every, mode: "follow", smoothing: false });
  const trackMs = (performance.now() - t) / frames.length;
  t = performance.now();
  const crops = torch.tidy(() =>
    frames.map((f, i) => ({ data: cropForModel(f, track.boxes[i], size).contiguous().data<"float32">().slice(), ...size })),
  );
  const sourceCrop = torch.tidy(() => ({ data: cropForModel(source, sourceBox, size).contiguous().data<"float32">().slice(), ...size }));
  const cropMs = (performance.now() - t) / frames.length;
  t = performance.now();
  const animated: RgbImage[] = [];
  for await (const frame of animate({ model, size, source: sourceCrop, driving: crops })) animated.push(frame.image);
  const modelMs = (performance.now() - t) / frames.length;
  t = performance.now();
  for (const a of animated) pasteBackImage(source, a, sourceBox);
  const pasteMs = (performance.now() - t) / frames.length;

  // The whole job as dime animate runs it, from the file to the file.
  const writer = new VideoWriter(out, { fps: 25, width: source.width, height: source.height });
  const sourcePng = `${out}.png`;
  await writeImage(sourcePng, source);
  const start = performance.now();
  for await (const frame of animateFootage({
    model,
    size,
    source: sourcePng,
    driving: clip,
    options: { crop: "face", detectEvery: every, faceApi: api },
  }))
    await writer.write(frame.output);
  await writer.close();
  const endToEndFps = frames.length / ((performance.now() - start) / 1000);
  const ref = reference ?? track.boxes;
  const boxDifferencePx =
    track.boxes.reduce(
      (sum, b, i) => sum + (Math.abs(b.cx - ref[i].cx) + Math.abs(b.cy - ref[i].cy) + Math.abs(b.side - ref[i].side)) / 3,
      0,
    ) / frames.length;
  return {
    config: name,
    size: width,
    threads,
    frames: frames.length,
    every,
    detectMs,
    trackMs,
    cropMs,
    modelMs,
    pasteMs,
    overhead: (trackMs + cropMs + pasteMs) / modelMs,
    endToEndFps,
    boxDifferencePx,
    boxes: track.boxes,
  };
}

/** The footage figures for each case at each thread count and detection interval; undefined (with the reason) without the shared clip. */
export async function benchFootage(
  cases: { name: string; config: DimeConfig; frames: number }[],
  threads: number[],
  folder: string,
  progress?: (m: string) => void,
): Promise<{ figures: FootageFigure[]; skipped?: string }> {
  if (!existsSync(FOOTAGE_CLIP)) return { figures: [], skipped: `no clip with a real face at ${FOOTAGE_CLIP} (the shared data folder)` };
  const api = loadFaceApi();
  const figures: FootageFigure[] = [];
  const saved = torch.getNumThreads();
  try {
    for (const c of cases) {
      const clip = join(folder, `wide-${c.frames}.mp4`);
      wideClip(clip, c.frames);
      const frames = await readAllFrames(clip);
      torch.manualSeed(0);
      const model = new DiME(c.config.model_params).eval();
      try {
        for (const n of threads) {
          torch.setNumThreads(n);
          let reference: CropBox[] | undefined;
          for (const every of [1, 5]) {
            progress?.(
              `${c.name}: face crop, track (every ${every}) and paste-back on ${c.frames} frames at 1280x720, ${n} thread${n === 1 ? "" : "s"}`,
            );
            const { boxes, ...figure } = await measure(
              api,
              model,
              c.config,
              c.name,
              clip,
              frames,
              every,
              n,
              join(folder, "footage.mp4"),
              reference,
            );
            reference ??= boxes;
            figures.push(figure);
          }
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    torch.setNumThreads(saved);
    api.dispose();
  }
  return { figures };
}

export function formatFootage(figures: readonly FootageFigure[], skipped?: string): string[] {
  if (skipped) return [`real footage: skipped, ${skipped}`];
  return [
    "real footage, 1280x720 (ms per driving frame; overhead = (track + crop + paste) / model):",
    ...figures.map(
      (f) =>
        `${f.config.padEnd(28)} ${String(f.size).padStart(4)} px  ${f.threads} thr  detect every ${f.every}: detect+landmarks ${f.detectMs.toFixed(0)} ms/frame; ` +
        `track ${f.trackMs.toFixed(1)}, crop ${f.cropMs.toFixed(1)}, model ${f.modelMs.toFixed(1)}, paste ${f.pasteMs.toFixed(1)}; overhead ${(100 * f.overhead).toFixed(0)}%; end to end ${f.endToEndFps.toFixed(2)} frames/s; boxes off every-frame detection by ${f.boxDifferencePx.toFixed(2)} px`,
    ),
  ];
}
