// Frame timing of a video: each frame's presentation time, whether the rate varies (most phone
// clips: the camera slows down in low light, drops frames under load), and the constant-rate
// schedule that keeps such a clip's frames at their times (docs/media.md, "Variable frame rate").
import type { MediaInfo } from "./info.js";
import { fractionOf, rateValue } from "./rate.js";

/** When each frame of a video is shown. */
export interface FrameTiming {
  /** Seconds from the first frame, one per frame in presentation order (the first is 0). */
  timestamps: number[];
  /** Seconds from the first frame to the end of the last one. */
  end: number;
  /** True when the gaps between frames differ by more than jitter (VARIATION of the typical gap). */
  variable: boolean;
  /** The slowest and fastest rates between two frames (frames per second). */
  minFps: number;
  maxFps: number;
}

/** Gaps that differ from the median gap by more than this fraction make a variable rate (phones jitter by a few percent). */
const VARIATION = 0.2;

/**
 * The timing of frames whose presentation timestamps are `pts` (in stream time-base units, any
 * order: packets come in decode order), the stream's `timeBase` ("1/15360") and its duration in
 * seconds when known. Undefined when there are fewer than two frames or a timestamp is missing.
 */
export function frameTiming(pts: readonly (number | undefined)[], timeBase: string, duration?: number): FrameTiming | undefined {
  if (pts.length < 2 || pts.some((p) => p === undefined || !Number.isFinite(p))) return undefined;
  const unit = rateValue(timeBase);
  if (!(unit > 0)) return undefined;
  const sorted = (pts as number[]).slice().sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((p, i) => p - sorted[i]);
  if (gaps.some((g) => g <= 0)) return undefined; // duplicate timestamps: nothing to go by
  const median = gaps.slice().sort((a, b) => a - b)[gaps.length >> 1];
  // One tick of rounding (29.97 fps in a 1/15360 time base alternates 512 and 513) is not a change of rate.
  const variable = gaps.some((g) => Math.abs(g - median) > Math.max(1, VARIATION * median));
  const timestamps = sorted.map((p) => (p - sorted[0]) * unit);
  const last = timestamps.at(-1)!;
  const end = duration !== undefined && duration > last ? duration : last + median * unit;
  return { timestamps, end, variable, minFps: 1 / (Math.max(...gaps) * unit), maxFps: 1 / (Math.min(...gaps) * unit) };
}

/** The highest rate an output gets: beyond it, a frame shown for less time than a display refresh is dropped. */
const MAX_OUTPUT_FPS = 60;

/**
 * The constant rate a variable-rate clip is written at: its fastest typical rate (the 5th
 * percentile of the gaps, so one jittered pair of frames does not set it), as the stream's nominal
 * rate `nominal` when that is within 2% of it, at most 60 fps. At that rate hardly any frame is
 * dropped; slower parts repeat frames.
 */
export function outputRateFor(timing: FrameTiming, nominal?: string): string {
  const gaps = timing.timestamps
    .slice(1)
    .map((t, i) => t - timing.timestamps[i])
    .sort((a, b) => a - b);
  const fast = 1 / gaps[Math.floor(0.05 * (gaps.length - 1))];
  const rate = Math.min(MAX_OUTPUT_FPS, fast);
  if (nominal && Math.abs(rateValue(nominal) - rate) <= 0.02 * rate) return nominal;
  return fractionOf(Math.round(rate * 1000) / 1000);
}

/** The rate a video made from a clip is written at, and for a variable-rate clip the times its frames keep. */
export interface OutputTiming {
  /** ffmpeg's frame-rate fraction ("30000/1001"). */
  fps: string;
  /** Set for a variable-rate clip: each frame is repeated or dropped at `fps` to keep its time (slotCounts). */
  timing?: FrameTiming;
}

/**
 * How a video made frame for frame from the clip probed as `info` is written: at the clip's rate
 * (25 when it has none), or for a variable rate at outputRateFor's constant one with each frame
 * kept at its time.
 */
export function outputTiming(info: MediaInfo): OutputTiming {
  const timing = info.variableRate;
  if (timing) return { fps: outputRateFor(timing, info.kind === "video" ? info.nominalRate : undefined), timing };
  return { fps: info.fps > 0 ? info.fpsFraction : "25/1" };
}

/**
 * How many times each frame is written at the constant rate `fps` so that it is on screen from its
 * timestamp to the next frame's: frame i fills the output slots from round(t_i fps) to
 * round(t_{i+1} fps), the last frame up to round(end fps). 0 drops a frame, 2 or more repeat it.
 * The sum is the output's frame count; each slot shows the frame whose time it starts in, to half a
 * slot (1/(2 fps) seconds), which keeps picture and sound together.
 */
export function slotCounts(timing: Pick<FrameTiming, "timestamps" | "end">, fps: number | string): number[] {
  const rate = typeof fps === "number" ? fps : rateValue(fps);
  const starts = timing.timestamps.map((t) => Math.round(t * rate));
  const stop = Math.max(Math.round(timing.end * rate), starts.at(-1)! + 1);
  return starts.map((start, i) => (i + 1 < starts.length ? starts[i + 1] : stop) - start);
}
