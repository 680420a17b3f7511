// The output formats `VideoWriter` knows, chosen by the path: how ffmpeg is told to encode each.
import { extname } from "node:path";

import { MediaError } from "./errors.js";

export type VideoFormat = "mp4" | "webm" | "gif" | "frames";

/** The format for an output path: `.mp4/.mov/.mkv` H.264, `.webm` VP9, `.gif`, no extension or a trailing `/`: a folder of PNGs. */
export function videoFormatFor(path: string): VideoFormat {
  if (path.endsWith("/")) return "frames";
  const ext = extname(path).toLowerCase();
  if (ext === "") return "frames";
  if (ext === ".mp4" || ext === ".mov" || ext === ".mkv" || ext === ".m4v") return "mp4";
  if (ext === ".webm") return "webm";
  if (ext === ".gif") return "gif";
  throw new MediaError(
    path,
    "unsupported",
    `cannot write '${ext}' video: use .mp4, .mov, .mkv, .webm, .gif, or a folder name (PNG frames)`,
  );
}

/**
 * ffmpeg's output arguments for a format. `crf` is the quality (lower is better; H.264 default 18,
 * VP9 default 24). `withAudio`: a second input's audio track is mapped in.
 */
export function encoderArgs(format: Exclude<VideoFormat, "frames">, crf: number | undefined, withAudio: boolean): string[] {
  // The picture sets the length: a shorter audio track is padded with silence (apad), a longer one cut (-shortest).
  const audioMap = withAudio ? ["-map", "1:a:0?", "-af", "apad", "-shortest"] : [];
  switch (format) {
    case "mp4":
      return [
        "-map",
        "0:v:0",
        ...audioMap,
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        String(crf ?? 18),
        "-pix_fmt",
        "yuv420p",
        ...(withAudio ? ["-c:a", "aac", "-b:a", "192k"] : []),
        "-movflags",
        "+faststart",
      ];
    case "webm":
      return [
        "-map",
        "0:v:0",
        ...audioMap,
        "-c:v",
        "libvpx-vp9",
        "-crf",
        String(crf ?? 24),
        "-b:v",
        "0",
        "-row-mt",
        "1",
        "-deadline",
        "good",
        "-cpu-used",
        "4",
        "-pix_fmt",
        "yuv420p",
        ...(withAudio ? ["-c:a", "libopus", "-b:a", "128k"] : []),
      ];
    case "gif":
      // One palette per frame (stats_mode=single, new=1): streams frame by frame, where a global
      // palette would make ffmpeg hold every frame until the end.
      return [
        "-map",
        "0:v:0",
        "-filter:v",
        "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1:dither=bayer:bayer_scale=3",
        "-loop",
        "0",
      ];
  }
}

/** swscale flags for every RGB <-> YUV conversion: accurate rounding and full-resolution chroma (about +2 dB PSNR on a round trip). */
export const SWS_FLAGS = "lanczos+accurate_rnd+full_chroma_int+full_chroma_inp";
