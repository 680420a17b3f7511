// `dime animate`: a source picture moved like a driving video (DESIGN section 6), written as a
// video with the driving clip's frame rate and frame count, and optionally a side-by-side view.
import { existsSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";

import { animateFiles } from "../animate-files.js";
import { deviceOf, inRange, odeFlags, precisionHelp, precisionOf, required, noArguments } from "../checks.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import type { CropChoice } from "../../infer/footage.js";
import { withInterrupts } from "../interrupt.js";
import { applyThreads, threadsHelp } from "../threads.js";
import { AUTO_BATCH_HELP } from "../../infer/batch-size.js";

const HELP = `Usage: dime animate --checkpoint CKPT --source IMG [--ref IMG ...] --driving VIDEO -o OUT [options]

Animates the source picture with the driving video's motion. The output has the driving clip's
frame rate and frame count. Faces are found, cropped as the training data was framed, animated at
the model's frame size (the config's frame_shape) and pasted back into the source picture, so the
output has the source's size; pictures without a face are center-cropped to the model's size.
Frames are decoded, animated in batches and encoded as they come.
A driving clip with a variable frame rate (most phone clips) gives a constant-rate output in
which each frame shows at its own time, repeated or dropped, so the picture stays with --audio.
The output is written under a hidden temporary name, checked (every frame there, nothing cut
short by a full disk) and only then renamed over OUT; an OUT that is one of the inputs is
refused. Ctrl-C or SIGTERM stops, removes the temporary file and exits 130 or 143.

  --checkpoint CKPT     a checkpoint of dime train (RUN/checkpoints/step-NNNNNN.safetensors, its
                        .json sidecar beside it), or a run folder for its latest checkpoint, or
                        a PyTorch checkpoint of FOMM's (.pth, .pth.tar) with --config (docs/fomm.md)
  --source IMG          the picture to animate (PNG, JPEG, WebP, TIFF, GIF, BMP)
  --ref IMG             another view of the same object; repeat for more (default none)
  --driving VIDEO       the motion: a video file, a frame folder or a still image
  -o, --out OUT         .mp4/.mov/.mkv (H.264), .webm (VP9), .gif, or a folder (PNG frames)
  --config FILE         use this config with the checkpoint: its model must be the checkpoint's
                        (switches.ode may differ); its frame_shape sets the size. Needed with
                        a .pth/.pth.tar: the configs/fomm/*.yaml of the file
  --absolute            move the keypoints to the driving frame's (default: relative motion,
                        kp_source + kp_driving(t) - kp_driving(0))
  --adapt-scale         relative motion scaled by sqrt(hull area of the source's keypoints
                        / hull area of the initial driving frame's)
  --find-best-frame     relative motion from the driving frame whose keypoints look most like
                        the source's (normalised for position and size), instead of frame 0
  --crop C              face: the largest face (no face: an error); center: the centred square;
                        none: the whole picture, padded square; X,Y,W,H: the square around this
                        box in source pixels (any object). Default: face where a face is found,
                        center elsewhere; a picture already framed like the training data, or
                        no larger than the model's frame, is used whole
  --face-index N        animate the Nth largest face, from 0 (dime probe --faces IMG lists them)
  --track T             the driving crop: fixed (default; one box for the clip, as datasets are
                        cut) or follow (a box per frame, smoothed)
  --detect-every N      detect the driving face on every Nth frame (and the last), interpolating
                        the boxes between (default 5; 1 for every frame)
  --paste-back          paste the animated crop back into the source (the default with a face crop)
  --no-paste-back       write the animated crop at the model's size instead
  --smooth [S]          smooth the driving keypoints over time (one-euro filter), strength S
                        (default 1; 2 is smoother with more lag); also smooths a followed box
  --ode-steps N         MotionODE steps (default: the config's); fewer is faster
  --ode-method M        euler | midpoint | rk4 (default: the config's)
  --batch N             driving frames per batch; the frames are the same at any batch, only
                        speed and memory change. Default: the fastest measured for the frame
                        size and --threads (docs/speed.md):
                        ${AUTO_BATCH_HELP}
  --visualize           also write OUT's sibling NAME-visualize.EXT: source | driving |
                        output side by side, keypoints drawn (with a crop: source and driving
                        with their boxes | crop output | pasted result)
  --visualize-out FILE  write the side-by-side view here instead (implies --visualize)
  --audio               copy the driving video's audio track (mp4, webm)
  --device D            cpu (default), cuda or cuda:N
${threadsHelp(24)}
${precisionHelp()}`;

const FLAGS = defineFlags({
  checkpoint: "string",
  source: "string",
  ref: "list",
  driving: "string",
  out: "string",
  config: "string",
  absolute: "bool",
  "adapt-scale": "bool",
  "find-best-frame": "bool",
  "ode-steps": "int",
  "ode-method": "string",
  batch: "int",
  visualize: "bool",
  "visualize-out": "string",
  audio: "bool",
  device: "string",
  precision: "string",
  crop: "string",
  "face-index": "int",
  track: "string",
  "detect-every": "int",
  "paste-back": "bool",
  "no-paste-back": "bool",
  smooth: "number",
  threads: "int",
});

/** `--smooth` may come without its strength: then it is 1. */
export function withSmoothDefault(argv: string[]): string[] {
  return argv.flatMap((a, i) => (a === "--smooth" && !(i + 1 < argv.length && /^[0-9.]+$/.test(argv[i + 1])) ? ["--smooth", "1"] : [a]));
}

/** `--crop face|center|none|auto|X,Y,W,H`. */
export function parseCrop(value: string | undefined): CropChoice | undefined {
  if (value === undefined) return undefined;
  if (["face", "center", "none", "auto"].includes(value)) return value as CropChoice;
  const parts = value.split(",").map(Number);
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v)) || parts[2] <= 0 || parts[3] <= 0) {
    throw new UsageError(`--crop must be face, center, none or X,Y,W,H (pixels, W and H positive), got '${value}'`);
  }
  return { x: parts[0], y: parts[1], width: parts[2], height: parts[3] };
}

/** OUT's sibling for the side-by-side view: out.mp4 -> out-visualize.mp4, frames/ -> frames-visualize/. */
export function visualizePath(out: string): string {
  const trimmed = out.replace(/\/+$/, "");
  const ext = extname(trimmed);
  return join(dirname(trimmed), `${basename(trimmed, ext)}-visualize${ext}`) + (trimmed !== out ? "/" : "");
}

export const animateCommand: Command = {
  name: "animate",
  summary: "animate a picture with a driving video (relative motion, references, side-by-side view)",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(withSmoothDefault(argv.map((a) => (a === "-o" ? "--out" : a))), FLAGS);
    noArguments(positional, "animate");
    const checkpoint = required(flags, "checkpoint", "CKPT", "animate");
    const sourcePath = required(flags, "source", "IMG", "animate");
    const drivingPath = required(flags, "driving", "VIDEO", "animate");
    const out = required(flags, "out", "OUT (or -o OUT)", "animate");
    const batch = inRange(flags, "batch", 1, 1024);
    if (flags.absolute && (flags["adapt-scale"] || flags["find-best-frame"])) {
      throw new UsageError("--adapt-scale and --find-best-frame shape relative motion: drop them, or drop --absolute");
    }
    const device = deviceOf(flags.device);
    applyThreads(flags);
    const precision = precisionOf(flags.precision, device, "animate");
    const ode = odeFlags(flags);
    const crop = parseCrop(flags.crop);
    const track = flags.track;
    if (track !== undefined && track !== "fixed" && track !== "follow")
      throw new UsageError(`--track must be fixed or follow, got '${track}'`);
    if (flags["paste-back"] && flags["no-paste-back"])
      throw new UsageError("--paste-back and --no-paste-back contradict each other: keep one");
    const smooth = flags.smooth;
    if (smooth !== undefined && !(smooth > 0)) throw new UsageError(`--smooth: the strength must be positive, got ${smooth}`);
    const visualizeOut = flags["visualize-out"] ?? (flags.visualize ? visualizePath(out) : undefined);

    const outputs = [out, ...(visualizeOut ? [visualizeOut] : [])];
    const before = outputs.filter((path) => existsSync(path));
    const kept = () =>
      before.length > 0
        ? `${before.join(" and ")} left as ${before.length > 1 ? "they were" : "it was"}; nothing else written`
        : "nothing written";
    const {
      frames: count,
      width,
      height,
      fps,
      seconds,
      bestFrame,
      batch: batchUsed,
      encodedFrames,
    } = await withInterrupts({ command: "dime animate", kept }, () =>
      animateFiles({
        checkpoint,
        config: flags.config,
        source: sourcePath,
        references: flags.ref ?? [],
        driving: drivingPath,
        out,
        visualizeOut,
        audio: Boolean(flags.audio),
        mode: flags.absolute ? "absolute" : "relative",
        adaptScale: Boolean(flags["adapt-scale"]),
        findBestFrame: Boolean(flags["find-best-frame"]),
        ode,
        batch,
        device,
        precision,
        crop,
        faceIndex: inRange(flags, "face-index", 0, 1000) ?? 0,
        track,
        detectEvery: inRange(flags, "detect-every", 1, 1000),
        pasteBack: flags["no-paste-back"] ? false : undefined,
        smooth,
      }),
    );
    const notes = [
      flags["find-best-frame"] ? `relative motion from driving frame ${bestFrame}` : "",
      encodedFrames !== undefined
        ? `the driving clip has a variable frame rate: ${encodedFrames} frames at a constant ${fps.replace(/\/1$/, "")} fps keep each frame at its time`
        : "",
      visualizeOut ? `side by side in ${visualizeOut}` : "",
    ].filter(Boolean);
    console.log(
      `${out}: ${count} frames ${width}x${height} at ${fps.replace(/\/1$/, "")} fps in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(1)} frames/s, batch ${batchUsed})${notes.length ? `; ${notes.join("; ")}` : ""}`,
    );
    return 0;
  },
};
