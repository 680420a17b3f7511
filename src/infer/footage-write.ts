// Animated footage written into files, as `dime animate` (cli/animate-files.ts) and the web app's
// file jobs (serve/job-run.ts) write it: the result and the side-by-side view written frame by
// frame at the output timing of the driving clip (a variable-rate clip keeps each frame at its
// time, docs/media.md), each file opened with its first frame and aborted on failure.
import { rateValue } from "../media/rate.js";
import type { OutputTiming } from "../media/timing.js";
import { VideoWriter } from "../media/video-write.js";
import type { Picture } from "../util/draw.js";
import { turnEventLoop } from "../util/event-loop.js";
import type { AnimationPlan } from "./animate.js";
import type { FootageFrame, FootageOptions } from "./footage.js";
import { footagePanels } from "./footage-visualize.js";
import { sideBySide } from "./visualize.js";

/** How a job's pictures and frames are cropped: `dime animate`'s crop flags, the page's crop options. */
export type FootageCrop = Pick<FootageOptions, "crop" | "faceIndex" | "track" | "detectEvery" | "pasteBack" | "smooth">;

/** The crop choices of `job` (any object holding them), as animateFootage's options take them. */
export function footageCrop(job: FootageCrop): FootageCrop {
  const { crop, faceIndex, track, detectEvery, pasteBack, smooth } = job;
  return { crop, faceIndex, track, detectEvery, pasteBack, smooth };
}

/** Seconds of video of `written` at `rate` (the repeats and drops of a variable rate included). */
export function writtenSeconds(written: WrittenFootage, rate: OutputTiming): number {
  return (written.encodedFrames ?? written.frames) / rateValue(rate.fps);
}

/**
 * The side-by-side view of a frame: with a crop, the four footage panels (source and driving at
 * their own size with their boxes, the animated crop, the pasted result); else source | driving |
 * output at the model's size, keypoints drawn.
 */
export function footageView(frame: FootageFrame): Picture {
  if (frame.pasted || frame.drivingPicture !== undefined) return footagePanels(frame);
  return sideBySide([
    { image: frame.plan.source, keypoints: frame.plan.kpSource },
    { image: frame.driving, keypoints: frame.kpDriving },
    { image: frame.image, keypoints: frame.kpTarget },
  ]);
}

export interface FootageFiles {
  /** The animation (each frame's `output`). */
  video: string;
  /** The side-by-side view (footageView), when wanted. */
  sideBySide?: string;
  /** Copy this file's audio track into both. */
  audioFrom?: string;
  rate: OutputTiming;
  /** Called before each frame is written and before the files are closed: throw to stop (the files are aborted). */
  check?: () => void;
  /** Sees each frame after it was written. */
  onFrame?: (frame: FootageFrame) => void;
}

export interface WrittenFootage {
  /** Frames written (one per driving frame). */
  frames: number;
  /** The output's size: the last frame's; undefined when there was none. */
  width?: number;
  height?: number;
  /** Set for a variable rate: the frames in the file, with the repeats and drops that keep each frame's time. */
  encodedFrames?: number;
  /** The last frame's plan (the initial frame relative motion started from, ...); undefined when there was none. */
  plan?: AnimationPlan;
}

/**
 * Writes `frames` into `files.video` (and `files.sideBySide`), each renamed into place when closed.
 * Writers open with the first frame, so an input that fails before it leaves nothing behind; on
 * any failure both writers are aborted and the error is thrown on.
 */
export async function writeFootage(frames: AsyncIterable<FootageFrame>, files: FootageFiles): Promise<WrittenFootage> {
  const { fps, timing } = files.rate;
  const { audioFrom } = files;
  let writer: VideoWriter | undefined;
  let sideWriter: VideoWriter | undefined;
  let last: FootageFrame | undefined;
  try {
    for await (const frame of frames) {
      // A signal or a cancel waits at most for the batch this frame came from (util/event-loop.ts).
      await turnEventLoop();
      files.check?.();
      const { width, height } = frame.output;
      writer ??= new VideoWriter(files.video, { fps, width, height, audioFrom, timing });
      await writer.write(frame.output);
      if (files.sideBySide) {
        const view = footageView(frame);
        sideWriter ??= new VideoWriter(files.sideBySide, { fps, width: view.width, height: view.height, audioFrom, timing });
        await sideWriter.writeRgb24(view.rgb);
      }
      last = frame;
      files.onFrame?.(frame);
    }
    files.check?.();
    await writer?.close();
    await sideWriter?.close();
  } catch (error) {
    writer?.abort();
    sideWriter?.abort();
    throw error;
  }
  return {
    frames: writer?.frameCount ?? 0,
    width: last?.output.width,
    height: last?.output.height,
    ...(timing ? { encodedFrames: writer?.encodedFrames ?? 0 } : {}),
    plan: last?.plan,
  };
}
