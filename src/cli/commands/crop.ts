// `dime crop VIDEO_OR_FOLDER... -o DIR`: cuts a training set (DIR/train, DIR/test) of face clips
// from raw footage, as FOMM's VoxCeleb preprocessing does.
import { loadFaceApi } from "../../faceapi/index.js";
import { loadConfig } from "../../dime/config/file.js";
import { inRange, makeOutputFolder, required } from "../checks.js";
import { UsageError, type Command } from "../command.js";
import { cropFiles } from "../crop-files.js";
import { defineFlags, parseFlags } from "../flags.js";

const HELP = `Usage: dime crop VIDEO_OR_FOLDER... -o DIR [options]

Prepares a training set from raw footage. Faces are detected (face-api's detector and 68-point
landmarks) on every frame, linked into tracks (a detection continues the track whose last box
it overlaps most), and each track long enough becomes one clip cut with one fixed square box
(enlarged as FOMM's VoxCeleb crops are: docs/animate.md), at the config's frame size, in the
dataset layout: DIR/train/NAME#NN.mp4 and DIR/test/..., each with NAME#NN.meta.json (source
file, frame range, box, the face's box per frame). Source files are split between train and
test with a seed, so the clips of one file never land on both sides. A file that cannot be read
is one line on stderr and the exit code is 1; the other files are still cut.

  -o, --out DIR         the dataset folder (made if missing)
  --config FILE         take the clips' size from this config's frame_shape
  --size N              the clips' side in pixels (default 256; --config overrides)
  --test-fraction F     share of the source files that go to test/ (default 0.1; at least one
                        file when there are two or more)
  --seed S              the split's seed (default 0)
  --every N             detect on every Nth frame (default 1); tracks bridge the frames between
  --min-frames N        drop tracks shorter than N frames (default 16, FOMM's)
  --max-gap N           a track ends after N frames in a row without its face (default 5)
  --min-iou X           least overlap for a detection to continue a track (default 0.25, FOMM's)
  --min-size N          drop tracks whose box is smaller than N pixels (default 0: keep all)`;

const FLAGS = defineFlags({
  out: "string",
  config: "string",
  size: "int",
  "test-fraction": "number",
  seed: "int",
  every: "int",
  "min-frames": "int",
  "max-gap": "int",
  "min-iou": "number",
  "min-size": "int",
});

export const cropCommand: Command = {
  name: "crop",
  summary: "cut a training set of face clips from raw videos (tracks, fixed boxes, seeded split)",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(
      argv.map((a) => (a === "-o" ? "--out" : a)),
      FLAGS,
    );
    const out = required(flags, "out", "DIR (or -o DIR)", "crop");
    if (positional.length === 0) throw new UsageError("no videos given. Usage: dime crop VIDEO_OR_FOLDER... -o DIR");
    const size =
      flags.config !== undefined ? loadConfig(flags.config).dataset_params.frame_shape[1] : (inRange(flags, "size", 8, 4096) ?? 256);
    const testFraction = flags["test-fraction"] ?? 0.1;
    if (!(testFraction >= 0 && testFraction < 1)) throw new UsageError(`--test-fraction must be in [0, 1), got ${testFraction}`);
    const minIou = flags["min-iou"] ?? 0.25;
    if (!(minIou > 0 && minIou <= 1)) throw new UsageError(`--min-iou must be in (0, 1], got ${minIou}`);
    const every = inRange(flags, "every", 1, 1000) ?? 1;
    makeOutputFolder(out);
    const api = loadFaceApi();
    const started = performance.now();
    const tty = process.stderr.isTTY;
    let reports: Awaited<ReturnType<typeof cropFiles>>;
    try {
      reports = await cropFiles({
        inputs: positional,
        out,
        size,
        testFraction,
        seed: inRange(flags, "seed", 0, 2 ** 31) ?? 0,
        every,
        link: {
          minOverlap: minIou,
          maxGap: Math.max(inRange(flags, "max-gap", 0, 100000) ?? 5, every),
          minFrames: inRange(flags, "min-frames", 1, 1e9) ?? 16,
          minSize: inRange(flags, "min-size", 0, 100000) ?? 0,
        },
        api,
        onProgress: (done, total) => {
          if (!tty || total === 0) return;
          const seconds = (performance.now() - started) / 1000;
          const left = ((total - done) * seconds) / done;
          process.stderr.write(
            `\r\x1b[K  ${done}/${total} frame passes (detect, then write), ETA ${Math.floor(left / 60)}:${String(Math.round(left % 60)).padStart(2, "0")}${done >= total ? "\n" : ""}`,
          );
        },
      });
    } finally {
      api.dispose();
    }
    const rows = reports.map((r) => [
      r.file,
      r.split ?? "",
      String(r.frames),
      String(r.kept),
      String(r.short),
      String(r.small),
      r.error ? "error" : String(r.clips.length),
    ]);
    const head = ["file", "split", "frames", "tracks kept", "dropped: short", "dropped: small", "clips"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [head, ...rows]) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
    const clips = reports.reduce((n, r) => n + r.clips.length, 0);
    console.log(
      `${out}: ${clips} clips at ${size}x${size} (train ${reports.filter((r) => r.split === "train").reduce((n, r) => n + r.clips.length, 0)}, test ${reports.filter((r) => r.split === "test").reduce((n, r) => n + r.clips.length, 0)}) from ${reports.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const failed = reports.filter((r) => r.error);
    for (const r of failed) console.error(`dime crop: ${r.error}`);
    return failed.length > 0 ? 1 : 0;
  },
};
