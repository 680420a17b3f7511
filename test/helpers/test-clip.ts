// Short real videos made with ffmpeg's testsrc pattern (and a sine tone when asked), for tests
// that need an encoded clip of a given size, rate and length.
import { execFileSync } from "node:child_process";

export interface TestClip {
  width: number;
  height: number;
  /** Frames per second. */
  rate: number;
  /** The length: `seconds`, or a number of `frames`. */
  seconds?: number;
  frames?: number;
  /** Add an AAC track of a 440 Hz tone, as long as the picture. */
  audio?: boolean;
  /** More output options (an encoder preset, say). */
  args?: string[];
}

/** Writes `clip` to `path` (H.264 yuv420p by the extension's default encoder), replacing a file there. */
export function makeTestClip(path: string, clip: TestClip): void {
  const length = clip.frames !== undefined ? ["-frames:v", String(clip.frames)] : ["-t", String(clip.seconds)];
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc=size=${clip.width}x${clip.height}:rate=${clip.rate}`,
    ...(clip.audio ? ["-f", "lavfi", "-i", "sine=frequency=440"] : []),
    ...length,
    "-pix_fmt",
    "yuv420p",
    ...(clip.audio ? ["-c:a", "aac", "-shortest"] : []),
    ...(clip.args ?? []),
    path,
  ]);
}
