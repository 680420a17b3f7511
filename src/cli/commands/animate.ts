// `dime animate`: a source picture moved like a driving video (DESIGN section 6), written as a
// video with the driving clip's frame rate and frame count, and optionally a side-by-side view.
import { closeSync, existsSync, openSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";

import { cuda, parseDevice, type Device } from "../../torch/index.js";
import type { OdeMethod } from "../../dime/config.js";
import type { OdeSettings } from "../../dime/motion_ode.js";
import { animate } from "../../infer/animate.js";
import { loadModel } from "../../infer/model.js";
import { sideBySide } from "../../infer/visualize.js";
import { MediaError } from "../../media/errors.js";
import { probeMedia } from "../../media/probe.js";
import { VideoWriter } from "../../media/video-write.js";
import { videoFormatFor } from "../../media/video-formats.js";
import { UsageError, type Command } from "../command.js";
import { parseFlags } from "../flags.js";

const HELP = `Usage: dime animate --checkpoint CKPT --source IMG [--ref IMG ...] --driving VIDEO -o OUT [options]

Animates the source picture with the driving video's motion. The output has the driving clip's
frame rate and frame count, at the model's frame size (the config's frame_shape); pictures and
video frames of another shape are scaled to cover that size and center-cropped. Frames are
decoded, animated in batches and encoded as they come, so memory does not grow with the length.

  --checkpoint CKPT     a checkpoint of dime train (RUN/checkpoints/step-NNNNNN.safetensors, its
                        .json sidecar beside it), or a run folder for its latest checkpoint
  --source IMG          the picture to animate (PNG, JPEG, WebP, TIFF, GIF, BMP)
  --ref IMG             another view of the same object; repeat for more (default none)
  --driving VIDEO       the motion: a video file, a frame folder or a still image
  -o, --out OUT         .mp4/.mov/.mkv (H.264), .webm (VP9), .gif, or a folder (PNG frames)
  --config FILE         use this config with the checkpoint: its model must be the checkpoint's
                        (switches.ode may differ); its frame_shape sets the size
  --absolute            move the keypoints to the driving frame's (default: relative motion,
                        kp_source + kp_driving(t) - kp_driving(0))
  --adapt-scale         relative motion scaled by sqrt(hull area of the source's keypoints
                        / hull area of the initial driving frame's)
  --find-best-frame     relative motion from the driving frame whose keypoints look most like
                        the source's (normalised for position and size), instead of frame 0
  --ode-steps N         MotionODE steps (default: the config's); fewer is faster
  --ode-method M        euler | midpoint | rk4 (default: the config's)
  --batch N             driving frames per batch (default 8)
  --visualize           also write OUT's sibling NAME-visualize.EXT: source | driving |
                        output side by side, keypoints drawn
  --visualize-out FILE  write the side-by-side view here instead (implies --visualize)
  --audio               copy the driving video's audio track (mp4, webm)
  --device D            cpu (default), cuda or cuda:N`;

const FLAGS = {
  checkpoint: "string", source: "string", ref: "list", driving: "string", out: "string", config: "string",
  absolute: "bool", "adapt-scale": "bool", "find-best-frame": "bool", "ode-steps": "int", "ode-method": "string",
  batch: "int", visualize: "bool", "visualize-out": "string", audio: "bool", device: "string",
} as const;

/** OUT's sibling for the side-by-side view: out.mp4 -> out-visualize.mp4, frames/ -> frames-visualize/. */
export function visualizePath(out: string): string {
  const trimmed = out.replace(/\/+$/, "");
  const ext = extname(trimmed);
  return join(dirname(trimmed), `${basename(trimmed, ext)}-visualize${ext}`) + (trimmed !== out ? "/" : "");
}

/** Fails early, before any work, when `path` cannot be written: its folder is missing or read-only. */
function checkWritable(path: string): void {
  videoFormatFor(path);
  const folder = dirname(path.replace(/\/+$/, ""));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new MediaError(path, "write", `folder ${folder} does not exist: create it first`);
  const probe = join(folder, `.dime-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, "wx"));
    rmSync(probe);
  } catch (error) {
    throw new MediaError(path, "write", `cannot write in folder ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)}): pick a writable folder`);
  }
}

function required(flags: Record<string, unknown>, name: string, what: string): string {
  const value = flags[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} ${what} is required (see dime animate --help)`);
  return value;
}

function inRange(flags: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const value = flags[name] as number | undefined;
  if (value !== undefined && !(value >= min && value <= max)) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${value}`);
  return value;
}

function deviceOf(name = "cpu"): Device {
  let device: Device;
  try {
    device = parseDevice(name);
  } catch (error) {
    throw new UsageError(`--device: ${(error as Error).message}`);
  }
  if (device !== "cpu" && !cuda.isAvailable()) throw new UsageError(`--device ${name}: this libtorch has no CUDA or no GPU is visible; use --device cpu`);
  return device;
}

/** A progress line with the rate and the time left, on a terminal only (logs and pipes stay clean). */
function progress(total: number) {
  const start = performance.now();
  const tty = process.stderr.isTTY;
  return {
    searched(done: number) {
      if (tty) process.stderr.write(`\r  finding the best frame: ${done}/${total} frames`);
    },
    animated(done: number) {
      if (!tty) return;
      const seconds = (performance.now() - start) / 1000;
      const rate = done / seconds;
      const left = Math.max(0, total - done) / rate;
      const eta = `${Math.floor(left / 60)}:${String(Math.round(left % 60)).padStart(2, "0")}`;
      process.stderr.write(`\r\x1b[K  ${done}/${total} frames, ${rate.toFixed(1)} frames/s, ETA ${eta}${done >= total ? "\n" : ""}`);
    },
  };
}

export const animateCommand: Command = {
  name: "animate",
  summary: "animate a picture with a driving video (relative motion, references, side-by-side view)",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv.map((a) => (a === "-o" ? "--out" : a)), FLAGS);
    if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}' (see dime animate --help)`);
    const checkpoint = required(flags, "checkpoint", "CKPT");
    const sourcePath = required(flags, "source", "IMG");
    const drivingPath = required(flags, "driving", "VIDEO");
    const out = required(flags, "out", "OUT (or -o OUT)");
    const odeSteps = inRange(flags, "ode-steps", 1, 1000);
    const batch = inRange(flags, "batch", 1, 1024) ?? 8;
    const odeMethod = flags["ode-method"] as string | undefined;
    if (odeMethod !== undefined && !["euler", "midpoint", "rk4"].includes(odeMethod)) throw new UsageError(`--ode-method must be euler, midpoint or rk4, got '${odeMethod}'`);
    if (flags.absolute && (flags["adapt-scale"] || flags["find-best-frame"])) {
      throw new UsageError("--adapt-scale and --find-best-frame shape relative motion: drop them, or drop --absolute");
    }
    const device = deviceOf(flags.device as string | undefined);
    const ode: Partial<OdeSettings> = {};
    if (odeSteps !== undefined) ode.steps = odeSteps;
    if (odeMethod !== undefined) ode.method = odeMethod as OdeMethod;
    const visualizeOut = (flags["visualize-out"] as string | undefined) ?? (flags.visualize ? visualizePath(out) : undefined);

    checkWritable(out);
    if (visualizeOut) checkWritable(visualizeOut);
    const info = await probeMedia(drivingPath);
    const loaded = loadModel(checkpoint, { config: flags.config as string | undefined, device });
    const { size } = loaded;
    const audioFrom = flags.audio && info.audio ? drivingPath : undefined;
    if (flags.audio && !info.audio) process.stderr.write(`dime animate: note: ${drivingPath} has no audio track; the output is silent\n`);
    const fps = info.fps > 0 ? info.fpsFraction : "25/1";

    const bar = progress(info.frameCount);
    const frames = animate({
      model: loaded.model,
      size,
      source: sourcePath,
      references: (flags.ref as string[] | undefined) ?? [],
      driving: drivingPath,
      options: {
        mode: flags.absolute ? "absolute" : "relative",
        adaptScale: Boolean(flags["adapt-scale"]),
        findBestFrame: Boolean(flags["find-best-frame"]),
        ode,
        batch,
        device,
        onSearch: (done) => bar.searched(done),
      },
    });
    const started = performance.now();
    // Writers open with the first frame, so an input that fails before it leaves nothing behind.
    let writer: VideoWriter | undefined;
    let sideWriter: VideoWriter | undefined;
    let bestFrame = 0;
    try {
      for await (const frame of frames) {
        writer ??= new VideoWriter(out, { fps, width: size.width, height: size.height, audioFrom });
        await writer.write(frame.image);
        if (visualizeOut) {
          const panels = sideBySide([
            { image: frame.plan.source, keypoints: frame.plan.kpSource },
            { image: frame.driving, keypoints: frame.kpDriving },
            { image: frame.image, keypoints: frame.kpTarget },
          ]);
          sideWriter ??= new VideoWriter(visualizeOut, { fps, width: panels.width, height: panels.height, audioFrom });
          await sideWriter.writeRgb24(panels.rgb);
        }
        bestFrame = frame.plan.initialFrame;
        bar.animated(frame.index + 1);
      }
      await writer?.close();
      await sideWriter?.close();
    } catch (error) {
      writer?.abort();
      sideWriter?.abort();
      throw error;
    } finally {
      loaded.model.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const count = writer?.frameCount ?? 0;
    const notes = [flags["find-best-frame"] ? `relative motion from driving frame ${bestFrame}` : "", visualizeOut ? `side by side in ${visualizeOut}` : ""].filter(Boolean);
    console.log(`${out}: ${count} frames ${size.width}x${size.height} at ${fps.replace(/\/1$/, "")} fps in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(1)} frames/s)${notes.length ? `; ${notes.join("; ")}` : ""}`);
    return 0;
  },
};
