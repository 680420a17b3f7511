// Writes a video frame by frame: mp4/mov/mkv (H.264 yuv420p, even size, +faststart), webm (VP9),
// gif, or a folder of PNGs; keeps the given fps; can copy the driving video's audio in. Output goes
// to a temporary name and is renamed on `close()`. `write` waits while ffmpeg is behind, so memory
// stays flat however long the video is.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, extname, join } from "node:path";

import { commitTemp, discardTemp, tempPathFor } from "./atomic.js";
import { MediaError } from "./errors.js";
import { statReadable } from "./fs-checks.js";
import { evenSize, padToEven } from "./even-size.js";
import { encodeRgb24, writeEncoded } from "./image-write.js";
import { imageToRgb24, type RgbImage } from "./image.js";
import { rateValue } from "./rate.js";
import { ffmpegPath, startTool, toolReason, type ToolProcess } from "./tools.js";
import { encoderArgs, SWS_FLAGS, videoFormatFor, type VideoFormat } from "./video-formats.js";

export interface WriteVideoOptions {
  /** Frames per second: a number or ffmpeg's fraction ("30000/1001"), usually the driving video's `fpsFraction`. */
  fps: number | string;
  /** Frame size; every frame written must have it. */
  width: number;
  height: number;
  /** Copy the first audio track of this file into the output (mp4/webm; ignored for gif and folders). */
  audioFrom?: string;
  /** Encoder quality (see `encoderArgs`). */
  crf?: number;
}

/** Writes one video; `write` each frame, then `close` (or `abort` on failure). */
export class VideoWriter {
  readonly format: VideoFormat;
  private readonly temp: string;
  private readonly tool?: ToolProcess;
  private readonly padded?: Uint8Array;
  private frames = 0;
  private pipeError?: Error;
  private finished = false;

  constructor(
    readonly path: string,
    private readonly options: WriteVideoOptions,
  ) {
    const { width, height } = options;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`video size must be positive integers, got ${width}x${height}`);
    const fps = String(options.fps);
    if (!/^\d+(\.\d+)?(\/\d+)?$/.test(fps) || rateValue(fps) <= 0) throw new RangeError(`fps must be a positive number or a fraction like 30000/1001, got '${fps}'`);
    this.format = videoFormatFor(path);
    if (options.audioFrom) statReadable(options.audioFrom);
    const folder = dirname(path.replace(/\/+$/, ""));
    if (!existsSync(folder)) throw new MediaError(path, "write", `folder ${folder} does not exist: create it first`);
    this.temp = tempPathFor(path.replace(/\/+$/, ""));
    if (this.format === "frames") {
      mkdirSync(this.temp, { recursive: true });
      return;
    }
    const even = evenSize(width, height);
    if (this.format !== "gif" && (even.width !== width || even.height !== height)) this.padded = new Uint8Array(even.width * even.height * 3);
    const size = this.padded ? even : { width, height };
    const input = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${size.width}x${size.height}`, "-framerate", String(options.fps), "-i", "pipe:0"];
    const audio = options.audioFrom && this.format !== "gif" ? ["-i", options.audioFrom] : [];
    const args = ["-v", "error", "-y", "-sws_flags", SWS_FLAGS, ...input, ...audio, ...encoderArgs(this.format, options.crf, audio.length > 0), this.temp];
    this.tool = startTool(ffmpegPath(), args, path, "pipe");
    this.tool.done.catch(() => undefined); // awaited in close()
    this.tool.child.stdin!.on("error", (error) => (this.pipeError = error));
  }

  /** Appends one frame (3, H, W) float RGB in [0, 1]. */
  async write(image: RgbImage): Promise<void> {
    if (image.width !== this.options.width || image.height !== this.options.height) {
      throw new RangeError(`frame is ${image.width}x${image.height}, the video is ${this.options.width}x${this.options.height}`);
    }
    await this.writeRgb24(imageToRgb24(image));
  }

  /** Appends one frame of interleaved 8-bit RGB (HWC), width x height. */
  async writeRgb24(pixels: Uint8Array): Promise<void> {
    if (this.finished) throw new Error(`${this.path}: write after close`);
    const expected = this.options.width * this.options.height * 3;
    if (pixels.length !== expected) throw new RangeError(`frame holds ${pixels.length} bytes, a ${this.options.width}x${this.options.height} rgb24 frame holds ${expected}`);
    const index = this.frames++;
    if (this.format === "frames") {
      const bytes = await encodeRgb24(pixels, this.options.width, this.options.height, "png");
      await writeEncoded(join(this.temp, `${String(index).padStart(6, "0")}.png`), bytes);
      return;
    }
    const stdin = this.tool!.child.stdin!;
    const data = this.padded ? padToEven(pixels, this.options.width, this.options.height, this.padded) : pixels;
    if (this.pipeError) throw await this.failure();
    // Always copy: the pipe holds on to a chunk until ffmpeg reads it, and callers (and the
    // padding buffer) reuse theirs.
    const ok = stdin.write(Buffer.from(data));
    if (!ok) await new Promise<void>((resolve) => {
      const go = () => { stdin.off("drain", go); stdin.off("close", go); resolve(); };
      stdin.on("drain", go);
      stdin.on("close", go);
    });
  }

  /** Finishes the file and renames it into place. Throws `MediaError` ("write") when ffmpeg failed or no frame was written. */
  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.frames === 0) {
      this.abortQuietly();
      throw new MediaError(this.path, "write", "no frames were written");
    }
    if (this.tool) {
      this.tool.child.stdin!.end();
      const { code, stderr } = await this.tool.done.catch((error: unknown) => {
        discardTemp(this.temp);
        throw error;
      });
      if (code !== 0) {
        discardTemp(this.temp);
        throw new MediaError(this.path, "write", `ffmpeg failed to encode (${toolReason(stderr)})`);
      }
    }
    try {
      if (this.format === "frames") replaceFrameFolder(this.path.replace(/\/+$/, ""));
      commitTemp(this.temp, this.path.replace(/\/+$/, ""));
    } catch (error) {
      discardTemp(this.temp);
      if (error instanceof MediaError) throw error;
      throw new MediaError(this.path, "write", `cannot move the finished file into place (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }

  /** Stops writing and removes the temporary output; the target path is left as it was. */
  abort(): void {
    this.finished = true;
    this.abortQuietly();
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.frames;
  }

  private abortQuietly(): void {
    if (this.tool && this.tool.child.exitCode === null) this.tool.child.kill("SIGKILL");
    discardTemp(this.temp);
  }

  private async failure(): Promise<MediaError> {
    this.finished = true;
    const { stderr } = await this.tool!.done.catch(() => ({ stderr: "" }));
    discardTemp(this.temp);
    return new MediaError(this.path, "write", `ffmpeg stopped (${toolReason(stderr || String(this.pipeError))})`);
  }
}

/** Clears an earlier frame folder at `target` so the new one can take its place; refuses folders holding anything else. */
function replaceFrameFolder(target: string): void {
  if (!existsSync(target)) return;
  const foreign = readdirSync(target).filter((name) => extname(name).toLowerCase() !== ".png");
  if (foreign.length > 0) throw new MediaError(target, "write", `already exists and holds other files (${foreign[0]}): choose a new or empty folder`);
  discardTemp(target);
}
