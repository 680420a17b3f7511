// One file job: the source (and references) animated with the driving video, written as the
// result and the side-by-side view (source | driving | output, keypoints drawn) into the work
// folder's results. Checked for cancellation at every frame; a cancelled or failed job aborts
// both writers, whose temporary files are removed, so no partial file is ever left.
import { rmSync } from "node:fs";

import type { DiME } from "../dime/dime.js";
import { animate, type AnimationOptions } from "../infer/animate.js";
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
}

export interface AnimationProgress {
  phase: "searching" | "animating";
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
  const frames = animate({
    model: request.model,
    size: request.size,
    source: request.source,
    references: request.references,
    driving: request.driving,
    options: {
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
      writer ??= new VideoWriter(out.video, { fps, ...request.size });
      await writer.write(frame.image);
      const panels = sideBySide([
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
    throw error;
  }
  const count = writer?.frameCount ?? 0;
  const [num, den] = fps.split("/").map(Number);
  return { video: out.video, sideBySide: out.sideBySide, frames: count, fps, duration: (count * (den || 1)) / num, initialFrame };
}
