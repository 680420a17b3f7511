// What dime sees in a media file: the answer of `probeMedia` and `dime probe`.
import type { FrameTiming } from "./timing.js";

/** A still image, a video file, or a folder of numbered frames. */
export interface MediaInfo {
  path: string;
  kind: "image" | "video" | "frames";
  /** Container or image format as the decoder names it (e.g. "mov,mp4,m4a,3gp,3g2,mj2", "png", "frames:png"). */
  format: string;
  /** Video codec (e.g. "h264"); the image format for images. */
  codec: string;
  width: number;
  height: number;
  /** Frames per second (1 for images); NaN when the file does not say. */
  fps: number;
  /** The rate as ffmpeg writes it ("30000/1001"), kept so that outputs keep exact timing. */
  fpsFraction: string;
  /** Number of frames (1 for images). */
  frameCount: number;
  /** Seconds; 0 for images. */
  duration: number;
  /** The decoder's pixel format for videos (e.g. "yuv420p", "bgra"); tells whether frames carry alpha. */
  pixelFormat?: string;
  /** The first audio stream's codec, or undefined when there is no audio. */
  audio?: string;
  /**
   * Set when the gaps between frames vary (most phone clips): each frame's time, which writers
   * keep (src/media/timing.ts). `fps` is then the average rate.
   */
  variableRate?: FrameTiming;
  /** The stream's nominal rate (ffprobe's r_frame_rate) when it differs from `fpsFraction`. */
  nominalRate?: string;
}

/** One human-readable line for `dime probe`. */
export function describeMedia(info: MediaInfo): string {
  const size = `${info.width}x${info.height}`;
  if (info.kind === "image") return `${info.path}: image ${info.codec} ${size}`;
  const vfr = info.variableRate;
  const fps = vfr
    ? `variable frame rate (${round(vfr.minFps, 2)} to ${round(vfr.maxFps, 2)} fps, ${round(info.fps, 3)} on average)`
    : Number.isFinite(info.fps)
      ? `${round(info.fps, 3)} fps`
      : "fps unknown";
  const audio = info.audio ? `audio ${info.audio}` : "no audio";
  const what = info.kind === "frames" ? `frame folder (${info.codec})` : `video ${info.codec}`;
  return `${info.path}: ${what} ${size}, ${fps}, ${info.frameCount} frames, ${round(info.duration, 3)} s, ${audio}`;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** `info` for JSON output: a variable rate as its range, without the per-frame timestamps. */
export function mediaInfoJson(info: MediaInfo): object {
  const { variableRate, ...rest } = info;
  return variableRate ? { ...rest, variableRate: { minFps: variableRate.minFps, maxFps: variableRate.maxFps } } : rest;
}
