// `dime synth`: writes the synthetic benchmark (faces, bodies or shapes) with exact ground truth.
import { noArguments } from "../checks.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { withInterrupts } from "../interrupt.js";
import { refuseOutputsOverInputs } from "../same-file.js";
import { generateDataset } from "../../synth/generate.js";
import { KINDS, type KindName } from "../../synth/kinds.js";

const help = `Usage: dime synth --kind faces|bodies|shapes --out DIR [options]

Writes a synthetic video dataset in the FOMM layout (DIR/train/<video>/000000.png ...,
DIR/test/...), with meta.json per video: landmarks in [-1, 1] (x right, y down), their
visibility (from the renderer's depth test), the identity id and the pose of every frame.
The same options and seed write byte-identical files.

Options:
  --kind K             faces | bodies | shapes (required)
  --out DIR            output folder; must not exist or be empty (required)
  --videos N           number of videos (default 8)
  --frames T           frames per video (default 32)
  --size S             frame width and height in pixels (default 64)
  --seed X             random seed (default 0)
  --test-fraction F    fraction of identities held out in DIR/test (default 0.2)
  --per-identity K     videos per identity, named idNNNN#KK (default 2)
  --format png|mp4     a folder of PNG frames per video (default) or one mp4 per video
  --fps F              frame rate written to meta.json / the mp4 (default 25)
  --samples 1|5        rays per pixel; 5 smooths edges (default 5)
  --preview FILE.png   also write a contact sheet: frames with landmarks drawn
                       (green dots visible, red rings hidden)`;

const FLAGS = defineFlags({
  kind: "string",
  out: "string",
  videos: "int",
  frames: "int",
  size: "int",
  seed: "int",
  "test-fraction": "number",
  "per-identity": "int",
  format: "string",
  fps: "number",
  samples: "int",
  preview: "string",
});

function positiveInt<N extends string>(flags: { [K in N]?: number }, name: N, fallback: number, max: number): number {
  const value = flags[name] ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`--${name} must be an integer in 1..${max}, got ${value}`);
  return value;
}

export const synthCommand: Command = {
  name: "synth",
  summary: "write the synthetic benchmark (faces, bodies, shapes) with ground-truth landmarks",
  help,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "synth");
    const kind = flags.kind;
    if (!kind || !(kind in KINDS))
      throw new UsageError(`--kind must be one of ${Object.keys(KINDS).join(", ")}${kind ? `, got '${kind}'` : ""}`);
    const out = flags.out;
    if (!out) throw new UsageError("--out DIR is required");
    const testFraction = flags["test-fraction"] ?? 0.2;
    if (!(testFraction >= 0 && testFraction < 1)) throw new UsageError(`--test-fraction must be in [0, 1), got ${testFraction}`);
    const format = flags.format ?? "png";
    if (format !== "png" && format !== "mp4") throw new UsageError(`--format must be png or mp4, got '${format}'`);
    const samples = flags.samples ?? 5;
    if (samples !== 1 && samples !== 5) throw new UsageError(`--samples must be 1 or 5, got ${samples}`);
    const fps = flags.fps ?? 25;
    if (!(fps > 0 && fps <= 240)) throw new UsageError(`--fps must be in (0, 240], got ${fps}`);
    const preview = flags.preview;
    if (preview && !preview.toLowerCase().endsWith(".png")) throw new UsageError(`--preview must name a .png file, got '${preview}'`);
    const seed = flags.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER)
      throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
    if (preview)
      refuseOutputsOverInputs(
        [
          { flag: "--out", path: out },
          { flag: "--preview", path: preview },
        ],
        [],
      );
    const kept = () => `${out} not made (the dataset is written under a temporary name and renamed when complete)`;
    const report = await withInterrupts({ command: "dime synth", kept }, () =>
      generateDataset({
        kind: kind as KindName,
        out,
        videos: positiveInt(flags, "videos", 8, 100000),
        frames: positiveInt(flags, "frames", 32, 100000),
        size: positiveInt(flags, "size", 64, 4096),
        seed,
        testFraction,
        perIdentity: positiveInt(flags, "per-identity", 2, 100000),
        format,
        fps,
        samples,
        preview,
        // Progress on a terminal only, so logs and pipes stay clean.
        onProgress: process.stderr.isTTY
          ? (done, total) => process.stderr.write(`\r  ${done}/${total} videos${done === total ? "\n" : ""}`)
          : undefined,
      }),
    );
    const rate = report.frames / report.seconds;
    console.log(
      `${out}: ${report.train.length} train + ${report.test.length} test videos of ${kind}, ${report.frames} frames in ${report.seconds.toFixed(1)} s (${rate.toFixed(0)} frames/s)${preview ? `; contact sheet ${preview}` : ""}`,
    );
    return 0;
  },
};
