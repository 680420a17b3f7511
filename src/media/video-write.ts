// Writes a video frame by frame: mp4/mov/mkv (H.264 yuv420p, even size, +faststart), webm (VP9),
// gif, or a folder of PNGs; keeps the given fps, or each frame's time for a variable-rate driving
// clip; can copy the driving video's audio in. Output goes to a temporary name and is renamed on
// `close()` only once it is proven whole: ffmpeg's stderr is read for write errors whatever its
// exit code (ffmpeg 5.1 exits 0 after "Error writing trailer: No space left on device"), and the
// finished file is probed for its frame count and duration. `write` waits while ffmpeg is
// behind, so memory stays flat however long the video is.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, extname, join } from "node:path";

import { trackTemp } from "../io/temp-files.js";
import { diskFull, writeCause } from "../io/write-errors.js";
import { commitTemp, discardTemp, tempPathFor } from "./atomic.js";
import { MediaError, oneLine } from "./errors.js";
import { statReadable } from "./fs-checks.js";
import { evenSize, padToEven } from "./even-size.js";
import { encodeRgb24, writeEncoded } from "./image-write.js";
import { imageToRgb24, type RgbImage } from "./image.js";
import { rateValue } from "./rate.js";
import { slotCounts, type FrameTiming } from "./timing.js";
import { ffmpegPath, ffprobePath, runTool, startTool, toolReason, type ToolProcess } from "./tools.js";
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
  /**
   * The times of the frames to be written (a variable-rate driving clip's `MediaInfo.variableRate`):
   * each frame is repeated or dropped at the constant rate `fps` so that it shows from its time to
   * the next frame's (`slotCounts`), and sound stays with the picture. Ignored for frame folders.
   */
  timing?: Pick<FrameTiming, "timestamps" | "end">;
}

/** ffmpeg messages that mean the output did not reach the disk whole, whatever the exit code. */
const WRITE_FAILURE =
  /No space left on device|Disk quota exceeded|Error writing trailer|Input\/output error|File too large|Read-only file system|Error (closing|writing|submitting)|av_interleaved_write_frame|Permission denied/i;

/** Writes one video; `write` each frame, then `close` (or `abort` on failure). */
export class VideoWriter {
  readonly format: VideoFormat;
  private readonly target: string;
  private readonly temp: string;
  private readonly tool?: ToolProcess;
  private readonly padded?: Uint8Array;
  private readonly slots?: number[];
  private frames = 0;
  private written = 0;
  private pipeError?: Error;
  private finished = false;

  constructor(
    readonly path: string,
    private readonly options: WriteVideoOptions,
  ) {
    const { width, height } = options;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new RangeError(`video size must be positive integers, got ${width}x${height}`);
    const fps = String(options.fps);
    if (!/^\d+(\.\d+)?(\/\d+)?$/.test(fps) || rateValue(fps) <= 0)
      throw new RangeError(`fps must be a positive number or a fraction like 30000/1001, got '${fps}'`);
    this.format = videoFormatFor(path);
    if (options.audioFrom) statReadable(options.audioFrom);
    this.target = path.replace(/\/+$/, "");
    const folder = dirname(this.target);
    if (!existsSync(folder)) throw new MediaError(path, "write", `folder ${folder} does not exist: create it first`);
    this.temp = tempPathFor(this.target);
    if (this.format === "frames") {
      mkdirSync(this.temp, { recursive: true });
      return;
    }
    if (options.timing) this.slots = slotCounts(options.timing, fps);
    const even = evenSize(width, height);
    if (this.format !== "gif" && (even.width !== width || even.height !== height))
      this.padded = new Uint8Array(even.width * even.height * 3);
    const size = this.padded ? even : { width, height };
    const input = [
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-s",
      `${size.width}x${size.height}`,
      "-framerate",
      String(options.fps),
      "-i",
      "pipe:0",
    ];
    const audio = options.audioFrom && this.format !== "gif" ? ["-i", options.audioFrom] : [];
    const args = [
      "-v",
      "error",
      "-y",
      "-sws_flags",
      SWS_FLAGS,
      ...input,
      ...audio,
      ...encoderArgs(this.format, options.crf, audio.length > 0),
      this.temp,
    ];
    this.tool = startTool(ffmpegPath(), args, path, "pipe");
    this.tool.done.catch(() => undefined); // awaited in close()
    this.tool.child.stdin!.on("error", (error) => (this.pipeError = error));
    // On a signal, ffmpeg is stopped before its file is removed (it would otherwise finish it).
    trackTemp(this.temp, () => this.abortQuietly());
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
    if (pixels.length !== expected)
      throw new RangeError(
        `frame holds ${pixels.length} bytes, a ${this.options.width}x${this.options.height} rgb24 frame holds ${expected}`,
      );
    const index = this.frames++;
    if (this.format === "frames") {
      const bytes = await encodeRgb24(pixels, this.options.width, this.options.height, "png");
      try {
        await writeEncoded(join(this.temp, `${String(index).padStart(6, "0")}.png`), bytes);
      } catch (error) {
        this.abort();
        throw this.writeFailure(writeCause(this.target, (error as { cause?: unknown }).cause ?? error));
      }
      this.written += 1;
      return;
    }
    if (this.slots && index >= this.slots.length)
      throw new RangeError(`${this.path}: frame ${index} written, the timing has ${this.slots.length} frames`);
    const repeats = this.slots ? this.slots[index] : 1;
    const data = this.padded ? padToEven(pixels, this.options.width, this.options.height, this.padded) : pixels;
    for (let r = 0; r < repeats; r++) await this.pipe(data);
  }

  private async pipe(data: Uint8Array): Promise<void> {
    const stdin = this.tool!.child.stdin!;
    if (this.pipeError) throw await this.failure();
    // Always copy: the pipe holds on to a chunk until ffmpeg reads it, and callers (and the
    // padding buffer) reuse theirs.
    const ok = stdin.write(Buffer.from(data));
    this.written += 1;
    if (!ok)
      await new Promise<void>((resolve) => {
        const go = () => {
          stdin.off("drain", go);
          stdin.off("close", go);
          resolve();
        };
        stdin.on("drain", go);
        stdin.on("close", go);
      });
  }

  /**
   * Finishes the file, proves it whole (frame count and duration, as probed) and renames it into
   * place. Throws `MediaError` ("write") naming the user's path when ffmpeg failed, the disk filled
   * or no frame was written; the temporary file is then removed and a previous file left as it was.
   */
  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.frames === 0) {
      this.abortQuietly();
      throw new MediaError(this.path, "write", "no frames were written");
    }
    try {
      if (this.tool) {
        this.tool.child.stdin!.end();
        const { code, stderr } = await this.tool.done;
        const failure = stderr.split("\n").find((line) => WRITE_FAILURE.test(line));
        if (failure !== undefined)
          throw this.writeFailure(() =>
            /No space left|Disk quota/i.test(failure) ? diskFull(this.target) : `ffmpeg could not write it (${toolReason(failure)})`,
          );
        if (code !== 0) throw new MediaError(this.path, "write", `ffmpeg failed to encode (${toolReason(stderr)})`);
        await this.proveVideo();
      } else {
        this.proveFolder();
        replaceFrameFolder(this.target);
      }
      commitTemp(this.temp, this.target);
    } catch (error) {
      discardTemp(this.temp);
      if (error instanceof MediaError) throw error;
      throw this.writeFailure(writeCause(this.target, error));
    }
  }

  /** Stops writing and removes the temporary output; the target path is left as it was. */
  abort(): void {
    this.finished = true;
    this.abortQuietly();
  }

  /** Frames written so far (driving frames: a repeated or dropped frame counts once). */
  get frameCount(): number {
    return this.frames;
  }

  /** Frames in the file: `frameCount` with the repeats and drops of `timing`. */
  get encodedFrames(): number {
    return this.written;
  }

  /** The error for a failed write, made after the temporary output is gone (so the free space it reports is what the user has). */
  private writeFailure(cause: string | (() => string)): MediaError {
    this.abortQuietly();
    if (typeof cause === "function") cause = cause();
    return new MediaError(this.path, "write", cause, `cannot write ${this.path}: ${oneLine(cause)}`);
  }

  /** The temporary video opens and holds every frame written, for as long as they last. */
  private async proveVideo(): Promise<void> {
    const args = [
      "-v",
      "error",
      "-count_packets",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=nb_read_packets,duration:format=duration",
      "-print_format",
      "json",
      this.temp,
    ];
    const { code, stdout, stderr } = await runTool(ffprobePath(), args, this.path);
    if (code !== 0) throw this.writeFailure(`the finished file does not open (${toolReason(stderr)})`);
    const parsed = JSON.parse(stdout) as { streams?: { nb_read_packets?: string; duration?: string }[]; format?: { duration?: string } };
    const stream = parsed.streams?.[0];
    const frames = Number(stream?.nb_read_packets ?? 0);
    if (frames !== this.written) throw this.writeFailure(`the finished file holds ${frames} of the ${this.written} frames written`);
    const fps = rateValue(String(this.options.fps));
    const duration = Number(stream?.duration ?? parsed.format?.duration);
    const expected = this.written / fps;
    // GIF stores delays in hundredths of a second, so its duration drifts a little from frames / fps.
    if (Number.isFinite(duration) && Math.abs(duration - expected) > 2 / fps + 0.05 * expected) {
      throw this.writeFailure(
        `the finished file lasts ${duration.toFixed(2)} s, its ${this.written} frames at ${oneLine(String(this.options.fps))} fps make ${expected.toFixed(2)} s`,
      );
    }
  }

  /** The temporary frame folder holds one non-empty PNG per frame written. */
  private proveFolder(): void {
    const pngs = readdirSync(this.temp).filter((name) => name.endsWith(".png"));
    const empty = pngs.find((name) => statSync(join(this.temp, name)).size === 0);
    if (pngs.length !== this.written || empty)
      throw this.writeFailure(`the frame folder holds ${pngs.length - (empty ? 1 : 0)} whole frames of the ${this.written} written`);
  }

  private abortQuietly(): void {
    if (this.tool && this.tool.child.exitCode === null) this.tool.child.kill("SIGKILL");
    discardTemp(this.temp);
  }

  private async failure(): Promise<MediaError> {
    this.finished = true;
    const { stderr } = await this.tool!.done.catch(() => ({ stderr: "" }));
    discardTemp(this.temp);
    if (/No space left|Disk quota/i.test(stderr)) return this.writeFailure(() => diskFull(this.target));
    return new MediaError(this.path, "write", `ffmpeg stopped (${toolReason(stderr || String(this.pipeError))})`);
  }
}

/** Clears an earlier frame folder at `target` so the new one can take its place; refuses folders holding anything else. */
function replaceFrameFolder(target: string): void {
  if (!existsSync(target)) return;
  const foreign = readdirSync(target).filter((name) => extname(name).toLowerCase() !== ".png");
  if (foreign.length > 0)
    throw new MediaError(target, "write", `already exists and holds other files (${foreign[0]}): choose a new or empty folder`);
  discardTemp(target);
}
