// One file job: the source (and references) animated with the driving video, written as the
// result and the side-by-side view (source | driving | output, keypoints drawn) into the work
// folder's results. Checked for cancellation at every frame; a cancelled or failed job aborts
// both writers, whose temporary files are removed, so no partial file is ever left. Real footage
// is cropped as `dime animate` crops it (infer/footage.ts): the result is the pasted output at the
// source's size, and the side-by-side view the footage panels, as `dime animate --visualize`.
import { rmSync } from "node:fs";

import type { DiME } from "../dime/dime.js";
import { NoFaceError } from "../face/errors.js";
import type { TrackMode } from "../face/track.js";
import type { AnimationOptions } from "../infer/animate.js";
import { animateFootage, type CropChoice } from "../infer/footage.js";
import { footagePanels } from "../infer/footage-visualize.js";
import type { FrameSize } from "../infer/model.js";
import { sideBySide } from "../infer/visualize.js";
import { probeMedia } from "../media/probe.js";
import { VideoWriter } from "../media/video-write.js";

export interface AnimationRequest {
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
  /** How source and driving are cropped (default "auto", as `dime animate --crop`). */
  crop?: CropChoice;
  faceIndex?: number;
  track?: TrackMode;
  /** Paste the animated crop back into the source (default: when cropped around a face or a box). */
  pasteBack?: boolean;
  /** Driving keypoint smoothing strength (undefined: none). */
  smooth?: number;
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
  const fps = info.fps > 0 ? info.fpsFraction : "25/1";
  const frames = animateFootage({
    model: request.model,
    size: request.size,
    source: request.source,
    references: request.references,
    driving: request.driving,
    drivingInfo: info,
    options: {
      crop: request.crop,
      faceIndex: request.faceIndex,
      track: request.track,
      pasteBack: request.pasteBack,
      smooth: request.smooth,
      rate: info.fps > 0 ? info.fps : 25,
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
  let writer: VideoWriter | undefined;
  let sideWriter: VideoWriter | undefined;
  let initialFrame = 0;
  const started = performance.now();
  try {
    for await (const frame of frames) {
      check();
      writer ??= new VideoWriter(out.video, { fps, width: frame.output.width, height: frame.output.height });
      await writer.write(frame.output);
      // With a crop: source and driving at their own size with their boxes, the crop output, the pasted result.
      const panels =
        frame.pasted || frame.drivingPicture !== undefined
          ? footagePanels(frame)
          : sideBySide([
              { image: frame.plan.source, keypoints: frame.plan.kpSource },
              { image: frame.driving, keypoints: frame.kpDriving },
              { image: frame.image, keypoints: frame.kpTarget },
            ]);
      sideWriter ??= new VideoWriter(out.sideBySide, { fps, width: panels.width, height: panels.height });
      await sideWriter.writeRgb24(panels.rgb);
      initialFrame = frame.plan.initialFrame;
      const done = frame.index + 1;
      onProgress({ phase: "animating", done, total: Math.max(total, done), fps: done / ((performance.now() - started) / 1000) });
    }
    check();
    await writer?.close();
    await sideWriter?.close();
  } catch (error) {
    writer?.abort();
    sideWriter?.abort();
    // One of the two may already be closed and renamed into place when the other fails.
    for (const path of [out.video, out.sideBySide]) rmSync(path, { force: true });
    await frames.return(undefined);
    throw error instanceof NoFaceError ? pageNoFace(error, request.names) : error;
  }
  const count = writer?.frameCount ?? 0;
  const [num, den] = fps.split("/").map(Number);
  return { video: out.video, sideBySide: out.sideBySide, frames: count, fps, duration: (count * (den || 1)) / num, initialFrame };
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
