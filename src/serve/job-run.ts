// One file job: the source (and references) animated with the driving video, written as the
// result and the side-by-side view (source | driving | output, keypoints drawn) into the work
// folder's results. Checked for cancellation at every frame; a cancelled or failed job aborts
// both writers, whose temporary files are removed, so no partial file is ever left. Real footage
// is cropped as `dime animate` crops it (infer/footage.ts): the result is the pasted output at the
// source's size, and the side-by-side view the footage panels, as `dime animate --visualize`; and
// the files are written as `dime animate` writes them (infer/footage-write.ts), so a variable-rate
// driving clip keeps each frame at its time.
import { rmSync } from "node:fs";

import type { DiME } from "../dime/dime.js";
import { NoFaceError } from "../face/errors.js";
import type { AnimationOptions } from "../infer/animate.js";
import { animateFootage } from "../infer/footage.js";
import { footageCrop, writeFootage, writtenSeconds, type FootageCrop, type WrittenFootage } from "../infer/footage-write.js";
import type { FrameSize } from "../infer/model.js";
import { probeMedia } from "../media/probe.js";
import { outputTiming } from "../media/timing.js";

/** A job; its crop choices (FootageCrop) default to "auto", as `dime animate --crop`. */
export interface AnimationRequest extends FootageCrop {
  model: DiME;
  size: FrameSize;
  source: string;
  references: readonly string[];
  driving: string;
  mode: NonNullable<AnimationOptions["mode"]>;
  adaptScale: boolean;
  findBestFrame: boolean;
  /** MotionODE steps; undefined: the model's config. */
  odeSteps?: number;
  batch: number;
  /** The name to show for each input path (an upload's client name), in place of its work path. */
  names?: ReadonlyMap<string, string>;
}

export interface AnimationProgress {
  phase: "tracking" | "searching" | "animating";
  done: number;
  total: number;
  /** Frames per second so far (animating), 0 before the first frame. */
  fps: number;
}

export interface AnimationResult {
  video: string;
  sideBySide: string;
  frames: number;
  fps: string;
  /** Seconds of video. */
  duration: number;
  /** The driving frame relative motion started from. */
  initialFrame: number;
}

/** Thrown out of a job when its signal was aborted. */
export class CancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "CancelledError";
  }
}

/** Runs the animation into `out.video` and `out.sideBySide` (both renamed into place only when complete). */
export async function runAnimation(
  request: AnimationRequest,
  out: { video: string; sideBySide: string },
  signal: AbortSignal,
  onProgress: (progress: AnimationProgress) => void,
): Promise<AnimationResult> {
  const check = () => {
    if (signal.aborted) throw new CancelledError();
  };
  const info = await probeMedia(request.driving);
  check();
  const total = info.frameCount;
  // A variable-rate clip keeps each frame at its time, as with `dime animate` (docs/media.md).
  const rate = outputTiming(info);
  const frames = animateFootage({
    model: request.model,
    size: request.size,
    source: request.source,
    references: request.references,
    driving: request.driving,
    drivingInfo: info,
    options: {
      ...footageCrop(request),
      onTrack: (done) => {
        check();
        onProgress({ phase: "tracking", done, total, fps: 0 });
      },
      mode: request.mode,
      adaptScale: request.adaptScale,
      findBestFrame: request.findBestFrame,
      ode: request.odeSteps !== undefined ? { steps: request.odeSteps } : {},
      batch: request.batch,
      onSearch: (done) => {
        check();
        onProgress({ phase: "searching", done, total, fps: 0 });
      },
    },
  });
  const started = performance.now();
  let written: WrittenFootage;
  try {
    written = await writeFootage(frames, {
      ...out,
      rate,
      check,
      onFrame: (frame) => {
        const done = frame.index + 1;
        onProgress({ phase: "animating", done, total: Math.max(total, done), fps: done / ((performance.now() - started) / 1000) });
      },
    });
  } catch (error) {
    // One of the two may already be closed and renamed into place when the other fails.
    for (const path of [out.video, out.sideBySide]) rmSync(path, { force: true });
    await frames.return(undefined);
    throw error instanceof NoFaceError ? pageNoFace(error, request.names) : error;
  }
  return {
    video: out.video,
    sideBySide: out.sideBySide,
    frames: written.frames,
    fps: rate.fps,
    duration: writtenSeconds(written, rate),
    initialFrame: written.plan?.initialFrame ?? 0,
  };
}

/** A no-face error for the page: the upload's name for its work path, the page's controls for the CLI's flags. */
function pageNoFace(error: NoFaceError, names: ReadonlyMap<string, string> | undefined): Error {
  const name = names?.get(error.file) ?? "an upload";
  const message = error.message.startsWith(`no face found in ${error.file}:`)
    ? `no face found in ${name}: frame the face larger, or pick the crop center, none or a box`
    : error.message
        .split(error.file)
        .join(name)
        .replace(/ \(dime probe --faces .*\)$/, "")
        .replace("--face-index", "face index");
  return new Error(message);
}
