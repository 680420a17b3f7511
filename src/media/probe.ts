// `probeMedia`: what a file is (image, video, frame folder), its size, fps, frame count, duration
// and audio; or the one-line MediaError dime would give when reading it.
import { readFileSync } from "node:fs";
import { extname } from "node:path";

import sharp from "sharp";

import { decodeBmp, isBmp } from "./bmp.js";
import { MediaError } from "./errors.js";
import { folderFps, IMAGE_EXTENSIONS, listFrames } from "./frame-folder.js";
import { statReadable } from "./fs-checks.js";
import { emptyFile, sharpError } from "./image-read.js";
import type { MediaInfo } from "./info.js";
import { fractionOf, rateValue } from "./rate.js";
import { frameTiming } from "./timing.js";
import { ffprobePath, runTool, toolReason } from "./tools.js";

/** Probes an image, a video file or a frame folder. Throws `MediaError` naming `path` when dime could not read it. */
export async function probeMedia(path: string): Promise<MediaInfo> {
  const { kind } = statReadable(path);
  if (kind === "folder") return probeFolder(path);
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext) && ext !== ".gif") return probeImage(path);
  if (ext === ".gif") {
    const still = await probeImage(path);
    if (still.frameCount === 1) return still;
  }
  return probeVideo(path);
}

async function probeImage(path: string): Promise<MediaInfo> {
  const bytes = readFileSync(path);
  if (bytes.length === 0) throw emptyFile(path);
  let width: number,
    height: number,
    format: string,
    pages = 1;
  if (isBmp(bytes)) {
    try {
      ({ width, height } = decodeBmp(bytes));
    } catch (error) {
      throw new MediaError(path, "corrupt", `cannot decode BMP: ${(error as Error).message}`);
    }
    format = "bmp";
  } else {
    try {
      const meta = await sharp(bytes, { failOn: "error" }).metadata();
      ({ width, height } = meta.autoOrient ?? { width: meta.width, height: meta.height });
      format = meta.format ?? "image";
      pages = meta.pages ?? 1;
      // The header alone says nothing of the pixels: a truncated file has a good header. Decode
      // the first page as reading it would, so that probe accepts only what animate can read.
      await sharp(bytes, { failOn: "error", pages: 1 }).raw().toBuffer();
    } catch (error) {
      throw sharpError(path, error);
    }
  }
  return { path, kind: "image", format, codec: format, width, height, fps: 1, fpsFraction: "1/1", frameCount: pages, duration: 0 };
}

async function probeFolder(path: string): Promise<MediaInfo> {
  const frames = listFrames(path);
  const first = await probeImage(frames[0]);
  const fps = folderFps(path);
  return {
    path,
    kind: "frames",
    format: `frames:${first.format}`,
    codec: first.format,
    width: first.width,
    height: first.height,
    fps,
    fpsFraction: fractionOf(fps),
    frameCount: frames.length,
    duration: frames.length / fps,
  };
}

interface ProbeStream {
  index?: number;
  time_base?: string;
  codec_type?: string;
  codec_name?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  side_data_list?: Array<{ rotation?: number }>;
  tags?: { rotate?: string };
}

/** Quarter turns a player applies to this stream (phone videos store portrait as rotated landscape). */
function quarterTurns(stream: ProbeStream): number {
  const rotation = stream.side_data_list?.find((d) => typeof d.rotation === "number")?.rotation ?? Number(stream.tags?.rotate ?? 0);
  return Math.round(rotation / 90) & 3;
}

async function probeVideo(path: string): Promise<MediaInfo> {
  // Every packet's pts, for the frames' times: the same pass -count_packets makes anyway.
  const args = [
    "-v",
    "error",
    "-count_packets",
    "-print_format",
    "json",
    "-show_format",
    "-show_streams",
    "-show_entries",
    "packet=pts,stream_index",
    path,
  ];
  const { code, stdout, stderr } = await runTool(ffprobePath(), args, path);
  if (code !== 0) {
    if (/Invalid data found|could not find codec|Unknown format/i.test(stderr)) {
      throw new MediaError(path, "unsupported", "is not a video or image dime can read (ffprobe found no known format)");
    }
    throw new MediaError(path, "corrupt", `cannot read (${toolReason(stderr)}): the file may be truncated or damaged`);
  }
  const parsed = JSON.parse(stdout) as {
    streams?: ProbeStream[];
    format?: { format_name?: string; duration?: string };
    packets?: { stream_index?: number; pts?: number }[];
  };
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video");
  // ffmpeg renders any text as "tty" video (ANSI art); that is never what a user meant.
  if (parsed.format?.format_name === "tty") throw new MediaError(path, "unsupported", "is a text file, not a video or image");
  if (!video?.width || !video.height) throw new MediaError(path, "empty", "has no video stream");
  const frameCount = Number(video.nb_read_packets ?? video.nb_frames ?? 0);
  if (frameCount === 0) throw new MediaError(path, "empty", "video has no frames");
  if (stderr.trim()) throw new MediaError(path, "corrupt", `is damaged (${toolReason(stderr)}): re-encode or re-download it`);
  const fpsFraction = usableRate(video.avg_frame_rate) ?? usableRate(video.r_frame_rate) ?? "0/1";
  const fps = rateValue(fpsFraction);
  const durationText = video.duration ?? parsed.format?.duration;
  const duration = durationText !== undefined ? Number(durationText) : fps > 0 ? frameCount / fps : NaN;
  const audio = streams.find((s) => s.codec_type === "audio")?.codec_name;
  const pts = (parsed.packets ?? []).filter((p) => p.stream_index === video.index).map((p) => p.pts);
  const timing =
    video.time_base && pts.length === frameCount
      ? frameTiming(pts, video.time_base, Number.isFinite(duration) ? duration : undefined)
      : undefined;
  return {
    path,
    kind: "video",
    format: parsed.format?.format_name ?? "unknown",
    codec: video.codec_name ?? "unknown",
    // ffmpeg turns rotated frames upright while decoding, so report the upright size.
    width: quarterTurns(video) % 2 ? video.height : video.width,
    height: quarterTurns(video) % 2 ? video.width : video.height,
    fps: fps > 0 ? fps : NaN,
    fpsFraction,
    frameCount,
    duration,
    ...(video.pix_fmt ? { pixelFormat: video.pix_fmt } : {}),
    ...(audio ? { audio } : {}),
    ...(timing?.variable ? { variableRate: timing } : {}),
    ...(video.r_frame_rate && usableRate(video.r_frame_rate) && video.r_frame_rate !== fpsFraction
      ? { nominalRate: video.r_frame_rate }
      : {}),
  };
}

function usableRate(rate: string | undefined): string | undefined {
  return rate && rateValue(rate) > 0 ? rate : undefined;
}
