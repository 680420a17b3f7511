// `dime eval`: the paper's metrics table (section 4, Table 1) for one or more checkpoints, on the
// reconstruction or the animation task (src/eval/run.ts), printed as text and optionally written
// as JSON and markdown, each atomically, only once every checkpoint is done.
import { dirname, resolve } from "node:path";

import * as torch from "../../torch/index.js";
import { writeTextAtomic } from "../../io/atomic-file.js";
import { METRICS, type MetricKey } from "../../eval/columns.js";
import { jsonReport, type EvalReport } from "../../eval/report.js";
import { runEvaluation, type EvalCheckpoint } from "../../eval/run.js";
import { markdownTable, textTable } from "../../eval/table.js";
import {
  checkWritableFolder,
  deviceOf,
  frameProgress,
  inRange,
  odeFlags,
  precisionHelp,
  precisionOf,
  required,
  noArguments,
} from "../checks.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { writeJson } from "../json.js";
import { withInterrupts } from "../interrupt.js";
import { checkpointInputs, datasetInputs, refuseOutputsOverInputs, type NamedPath } from "../same-file.js";

const HELP = `Usage: dime eval --checkpoint CKPT [--checkpoint CKPT2 ...] --data DIR --task reconstruction|animation [options]

The paper's metrics (section 4, Table 1) for each checkpoint, one row each, on the videos of
DIR/test. docs/evaluation.md has the protocols and every metric's convention.

  reconstruction  every test video animates its own frame 0 (references: --refs other frames of
                  it, drawn with --seed) with every frame driving (absolute motion); each
                  generated frame is compared with the real one: L1 ↓, LPIPS ↓, PSNR ↑, SSIM ↑,
                  MS-SSIM ↑, AKD ↓ per frame, averaged over all frames; FID ↓ of all generated
                  frames against all real frames
  animation       --pairs source/driving pairs of videos of different identities (seeded),
                  relative motion; the source is the source video's frame 0, the references
                  --refs other frames of it; CSIM ↑ (identity embedding of each generated frame
                  against the source image), FID ↓ against the source videos' frames
  On synthetic data (dime synth, meta.json beside each video) AKD, CSIM and FD-synth ↓ (a Frechet
  distance in the identity oracle's feature space, not FID) use the shipped oracles of its kind.
  A metric whose network is missing prints as "unavailable", with the reason; none is estimated
  another way.

  --checkpoint CKPT     a checkpoint of dime train, or a run folder for its latest, or a
                        PyTorch checkpoint of FOMM's (.pth, .pth.tar) with --config; repeat to
                        compare several side by side
  --config FILE         the config to use with the checkpoints (needed for a .pth/.pth.tar:
                        configs/fomm/*.yaml); once for all, or once per --checkpoint in order
  --name NAME           the row's name, once per --checkpoint in order (default: the run folder
                        or checkpoint file name)
  --data DIR            a dataset folder with test/ (frame folders or video files)
  --task T              reconstruction or animation
  --refs N              reference frames per source (default: each checkpoint's num_refs); a
                        comma list gives one per --checkpoint (e.g. 1,2,3 for the same one thrice)
  --seed S              seeds the reference frames and the pairs (default 0)
  --pairs N             animation: source/driving pairs (default 200; fewer when the videos
                        allow fewer pairs of different identities)
  --driving-frames N    animation: only the first N frames of each driving video (default all)
  --limit N             only the first N test videos by name (before pairs are drawn)
  --split NAME          test (default) or train
  --lpips-backbone FILE torchvision's ImageNet AlexNet (or VGG-16 with --lpips-net vgg) weights as
                        safetensors; without it LPIPS is unavailable
  --lpips-net NET       alex (default) or vgg
  --lpips-heads FILE    LPIPS v0.1 heads (default: models/lpips/lpips_v0.1_NET.safetensors, shipped)
  --inception FILE      pytorch-fid's FID Inception-v3 weights as safetensors; without it FID is
                        unavailable
  --face-api            real faces: AKD with face-api.js's 68 landmarks and CSIM with its face
                        descriptors (weights shipped in models/face-api); without it, on real
                        data, AKD and CSIM are unavailable
  --json FILE           also write everything (settings, per-metric values with frame counts or
                        the reason they are unavailable, per-video or per-pair means) as JSON
  --markdown FILE       also write the table as markdown, the best value of each column in bold
  --batch N             frames per batch (default 8)
  --device D            cpu (default), cuda or cuda:N
${precisionHelp()}
                        (the model only; every metric is computed in fp32)
  --threads N           libtorch threads (default: libtorch's choice)
  --ode-steps N         MotionODE steps (default: each checkpoint's config)
  --ode-method M        euler | midpoint | rk4 (default: each checkpoint's config)`;

const FLAGS = defineFlags({
  checkpoint: "list",
  name: "list",
  config: "list",
  data: "string",
  task: "string",
  refs: "string",
  seed: "int",
  pairs: "int",
  "driving-frames": "int",
  limit: "int",
  split: "string",
  "lpips-backbone": "string",
  "lpips-net": "string",
  "lpips-heads": "string",
  inception: "string",
  "face-api": "bool",
  json: "string",
  markdown: "string",
  batch: "int",
  device: "string",
  precision: "string",
  threads: "int",
  "ode-steps": "int",
  "ode-method": "string",
});

/** --refs: one count for all checkpoints, or one per checkpoint. */
function refsFlag(value: string | undefined, checkpoints: number): (number | undefined)[] {
  if (value === undefined) return Array(checkpoints).fill(undefined);
  const list = value.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 0 || n > 64))
    throw new UsageError(`--refs must be an integer in 0..64 or a comma list of them, got '${value}'`);
  if (list.length === 1) return Array(checkpoints).fill(list[0]);
  if (list.length !== checkpoints)
    throw new UsageError(
      `--refs gives ${list.length} counts for ${checkpoints} --checkpoint${checkpoints === 1 ? "" : "s"}: give one, or one per checkpoint`,
    );
  return list;
}

/** The markdown file: a title, the table, and what measured what. */
function markdown(report: EvalReport): string {
  const keys = report.columns.map((c) => c.key);
  const judges = Object.entries(report.judges).map(([key, what]) => `- ${METRICS[key as MetricKey].label}: ${what}`);
  const data = `${report.data} (${report.split}, ${report.dataset.videos} videos, ${report.dataset.identities} identities${report.dataset.kind ? `, synthetic ${report.dataset.kind}` : ""})`;
  const pairs = report.animation
    ? `, ${report.animation.pairs.length} pairs, ${report.animation.drivingFrames ?? "all"} driving frames each`
    : "";
  return [
    `# dime eval: ${report.task}`,
    "",
    `${data}, seed ${report.seed}${pairs}; ${report.rows.map((r) => `${r.name}: ${r.refs} reference${r.refs === 1 ? "" : "s"}, ${r.frames} frames`).join("; ")}.`,
    "",
    markdownTable(report.rows, keys),
    ...(judges.length > 0 ? ["", "Judges:", "", ...judges] : []),
    "",
  ].join("\n");
}

function writeText(path: string, text: string): void {
  writeTextAtomic(path, text);
  console.log(`wrote ${path}`);
}

export const evalCommand: Command = {
  name: "eval",
  summary: "the paper's metrics table (reconstruction: L1, LPIPS, PSNR, SSIM, MS-SSIM, AKD, FID; animation: FID, CSIM) for checkpoints",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    noArguments(positional, "eval");
    const paths = flags.checkpoint ?? [];
    if (paths.length === 0) throw new UsageError("--checkpoint CKPT is required (see dime eval --help)");
    const data = required(flags, "data", "DIR", "eval");
    const task = required(flags, "task", "reconstruction|animation", "eval");
    if (task !== "reconstruction" && task !== "animation")
      throw new UsageError(`--task must be reconstruction or animation, got '${task}'`);
    const names = flags.name;
    if (names !== undefined && names.length !== paths.length)
      throw new UsageError(
        `--name given ${names.length} times for ${paths.length} --checkpoint${paths.length === 1 ? "" : "s"}: give one per checkpoint`,
      );
    const refs = refsFlag(flags.refs, paths.length);
    const configs = flags.config ?? [];
    if (configs.length > 1 && configs.length !== paths.length)
      throw new UsageError(
        `--config given ${configs.length} times for ${paths.length} --checkpoints: give one for all, or one per checkpoint`,
      );
    const split = flags.split ?? "test";
    if (split !== "test" && split !== "train") throw new UsageError(`--split must be test or train, got '${split}'`);
    const pairs = inRange(flags, "pairs", 1, 1e6);
    const drivingFrames = inRange(flags, "driving-frames", 1, 1e9);
    if (task === "reconstruction" && (pairs !== undefined || drivingFrames !== undefined))
      throw new UsageError(`--${pairs !== undefined ? "pairs" : "driving-frames"} applies to --task animation only`);
    const lpipsNet = flags["lpips-net"] ?? "alex";
    if (lpipsNet !== "alex" && lpipsNet !== "vgg") throw new UsageError(`--lpips-net must be alex or vgg, got '${lpipsNet}'`);
    const limit = inRange(flags, "limit", 1, 1e9);
    const batch = inRange(flags, "batch", 1, 1024) ?? 8;
    const threads = inRange(flags, "threads", 1, 1024);
    const ode = odeFlags(flags);
    const device = deviceOf(flags.device);
    const precision = precisionOf(flags.precision, device, "eval");
    const outputs = [flags.json, flags.markdown].filter((p) => p !== undefined);
    if (outputs.length === 2 && resolve(outputs[0]) === resolve(outputs[1]))
      throw new UsageError("--json and --markdown name the same file");
    const networkFlags = (["lpips-backbone", "lpips-heads", "inception"] as const).flatMap((f): NamedPath[] =>
      flags[f] !== undefined ? [{ flag: `--${f}`, path: flags[f] }] : [],
    );
    refuseOutputsOverInputs(
      [
        ...(typeof flags.json === "string" ? [{ flag: "--json", path: flags.json }] : []),
        ...(typeof flags.markdown === "string" ? [{ flag: "--markdown", path: flags.markdown }] : []),
      ],
      [...datasetInputs("--data", data), ...paths.flatMap((path) => checkpointInputs("--checkpoint", path)), ...networkFlags],
    );
    for (const path of outputs) checkWritableFolder(dirname(path), path);
    if (threads !== undefined) torch.setNumThreads(threads);

    const checkpoints: EvalCheckpoint[] = paths.map((path, i) => ({
      path,
      ...(names ? { name: names[i] } : {}),
      ...(refs[i] !== undefined ? { refs: refs[i] } : {}),
      ...(configs.length > 0 ? { config: configs[configs.length === 1 ? 0 : i] } : {}),
    }));
    let bar: ReturnType<typeof frameProgress> | undefined;
    const kept = () => (outputs.length > 0 ? `no report written (${outputs.join(", ")} left as they were)` : "nothing written");
    const report = await withInterrupts({ command: "dime eval", kept }, () =>
      runEvaluation({
        checkpoints,
        data,
        task,
        split,
        limit,
        batch,
        device,
        ode,
        precision,
        seed: flags.seed ?? 0,
        ...(pairs !== undefined ? { pairs } : {}),
        ...(drivingFrames !== undefined ? { drivingFrames } : {}),
        networks: {
          lpipsNet,
          ...(flags["lpips-backbone"] !== undefined ? { lpipsBackbone: flags["lpips-backbone"] } : {}),
          ...(flags["lpips-heads"] !== undefined ? { lpipsHeads: flags["lpips-heads"] } : {}),
          ...(flags.inception !== undefined ? { inception: flags.inception } : {}),
        },
        faceApi: flags["face-api"] === true,
        onStart: (total) => (bar = frameProgress(total)),
        onFrames: (done, label) => bar?.animated(done, label),
      }),
    );

    console.log(
      textTable(
        report.rows,
        report.columns.map((c) => c.key),
      ),
    );
    const frames = report.rows.reduce((n, r) => n + r.frames, 0);
    const what = report.animation ? `${report.animation.pairs.length} pairs` : `${report.dataset.videos} videos`;
    console.log(
      `${report.task} on ${data}: ${what}, ${frames} generated frames in ${report.seconds.toFixed(1)} s (${(frames / report.seconds).toFixed(1)} frames/s with the metrics)`,
    );
    if (flags.json !== undefined) writeJson(flags.json, jsonReport(report));
    if (flags.markdown !== undefined) writeText(flags.markdown, markdown(report));
    return 0;
  },
};
