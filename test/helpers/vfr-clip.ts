// A variable-frame-rate clip with audio, made with ffmpeg, and the frame times of a video.
import { execFileSync } from "node:child_process";

/**
 * A variable-rate clip with audio: 30 frames at 30 fps, then 30 at about 15 fps (x264 moves a few
 * by a frame: gaps of 1/30, 1/15 and 1/10 s), and 3 s of sine beside them.
 */
export function makeVfrClip(path: string): void {
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=64x64:rate=30",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:duration=3",
    "-vf",
    "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'",
    "-fps_mode",
    "vfr",
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-t",
    "3",
    path,
  ]);
}

/** Presentation times (s) of a video's frames, as ffprobe reads them. */
export function frameTimes(path: string): number[] {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path],
    { encoding: "utf8" },
  );
  // A frame with side data prints a second, empty field (and line): keep the numbers.
  return out
    .split("\n")
    .map((line) => parseFloat(line))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
}
