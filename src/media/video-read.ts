// Streams the frames of a video (any container ffmpeg reads), a frame folder, or a still image,
// as planar RGB float. ffmpeg decodes into a pipe of raw rgb24; the async iterator pulls one frame
// at a time, so an unread frame holds ffmpeg back (backpressure) and memory stays flat.
import { MediaError } from "./errors.js";
import type { FitOptions } from "./fit.js";
import { listFrames } from "./frame-folder.js";
import { resolveRange, type FrameRange } from "./frame-range.js";
import { readImage, type ReadImageOptions } from "./image-read.js";
import { rgb24ToImage, rgba32ToImage, type Rgb, type RgbImage } from "./image.js";
import type { MediaInfo } from "./info.js";
import { probeMedia } from "./probe.js";
import { ffmpegPath, startTool, toolReason } from "./tools.js";
import { scaleFilters } from "./video-fit.js";
import { SWS_FLAGS } from "./video-formats.js";
import { turnEventLoop } from "../util/event-loop.js";

export interface ReadFramesOptions extends FrameRange {
  /** Resize every frame (anti-aliased) to this size; default: the video's own size. */
  fit?: FitOptions;
  /** Background for transparent frames (image folders, GIF and other video with an alpha channel); RGB in [0, 1], default white. */
  background?: ReadImageOptions["background"];
  /** The probe result, when the caller already has it (saves one ffprobe run). */
  info?: MediaInfo;
}

/** One decoded frame: its index in the source video and its (3, H, W) pixels. */
export interface VideoFrame {
  index: number;
  image: RgbImage;
}

/**
 * Yields the frames of `path` (video file, frame folder or still image) in order.
 * Throws `MediaError` naming the file when it is missing, not a video, damaged or has no frames;
 * a damaged stream is reported when it is detected, after the frames decoded before it.
 */
export async function* readFrames(path: string, options: ReadFramesOptions = {}): AsyncGenerator<VideoFrame> {
  const info = options.info ?? (await probeMedia(path));
  const range = resolveRange(options, info.frameCount);
  if (info.kind === "video") {
    yield* decodeVideo(path, info, range, options.fit, options.background ?? [1, 1, 1]);
    return;
  }
  const files = info.kind === "frames" ? listFrames(path) : [path];
  for (let index = range.start; index < range.end; index += range.stride) {
    yield { index, image: await readImage(files[index], { fit: options.fit, background: options.background }) };
  }
}

/** Reads every frame of a video into memory: for short clips only (tests, datasets' small videos). */
export async function readAllFrames(path: string, options: ReadFramesOptions = {}): Promise<RgbImage[]> {
  const frames: RgbImage[] = [];
  for await (const frame of readFrames(path, options)) frames.push(frame.image);
  return frames;
}

/** Pixel formats with an alpha channel (or palette transparency): such frames are composited in JS. */
const ALPHA_FORMATS = /^(yuva|rgba|bgra|argb|abgr|ya|gbrap|pal8)/;

async function* decodeVideo(
  path: string,
  info: MediaInfo,
  range: ReturnType<typeof resolveRange>,
  fit: FitOptions | undefined,
  background: Rgb,
): AsyncGenerator<VideoFrame> {
  const { filters, width, height } = scaleFilters(info.width, info.height, fit);
  const alpha = ALPHA_FORMATS.test(info.pixelFormat ?? "");
  const pixelFormat = alpha ? "rgba" : "rgb24";
  const select =
    range.start === 0 && range.stride === 1 ? [] : [`select='gte(n\\,${range.start})*not(mod(n-${range.start}\\,${range.stride}))'`];
  const graph = [...select, ...filters, `format=${pixelFormat}`].join(",");
  const args = [
    "-v",
    "error",
    "-nostdin",
    "-sws_flags",
    SWS_FLAGS,
    "-i",
    path,
    "-map",
    "0:v:0",
    "-vf",
    graph,
    "-fps_mode",
    "passthrough",
    "-frames:v",
    String(range.count),
    "-f",
    "rawvideo",
    "-pix_fmt",
    pixelFormat,
    "pipe:1",
  ];
  const proc = startTool(ffmpegPath(), args, path);
  proc.done.catch(() => undefined); // awaited below; this only silences an early-return rejection
  const frameBytes = width * height * (alpha ? 4 : 3);
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  let produced = 0;
  try {
    for await (const chunk of proc.child.stdout! as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          const image = alpha ? rgba32ToImage(frame, width, height, background) : rgb24ToImage(frame, width, height);
          // The consumer's work would otherwise run inside this pipe's read callback, ahead of any
          // signal (util/event-loop.ts): face tracking and the best-frame search read this way too.
          await turnEventLoop();
          yield { index: range.start + produced * range.stride, image };
          produced += 1;
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    const { code, stderr } = await proc.done;
    if (code !== 0)
      throw new MediaError(path, "corrupt", `ffmpeg could not decode it (${toolReason(stderr)}): the file may be truncated or damaged`);
    if (produced === 0)
      throw new MediaError(
        path,
        stderr.trim() ? "corrupt" : "empty",
        stderr.trim() ? `decoded no frames (${toolReason(stderr)})` : "video has no frames",
      );
    if (stderr.trim() && produced < range.count) {
      throw new MediaError(
        path,
        "corrupt",
        `decoded only ${produced} of ${range.count} frames (${toolReason(stderr)}): the file is truncated or damaged`,
      );
    }
  } finally {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
  }
}
