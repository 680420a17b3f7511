// `dime bench`: performance figures as a table and, with --json, a file.
import { benchAnimate, defaultAnimateBenchOptions, formatAnimateBench } from "../../bench/animate.js";
import { benchData, formatDataBench } from "../../data/bench.js";
import { benchChecksum, formatChecksumBench } from "../../bench/checksum.js";
import { benchEngine, formatEngineBench } from "../../bench/engine.js";
import { benchEval, formatEvalBench } from "../../bench/eval.js";
import { benchIo, formatIoBench } from "../../bench/io.js";
import { benchServe, formatServeBench } from "../../bench/serve.js";
import { animateFiles } from "../animate-files.js";
import { benchModel, defaultModelBenchOptions, formatModelBench, NAMED_SETTINGS, type SwitchSetting } from "../../bench/model.js";
import { benchModelVsPytorch, formatModelVsPytorch } from "../../bench/model-peer.js";
import { deviceOf } from "../checks.js";
import { UsageError, type Command } from "../command.js";
import { defineFlags, parseFlags } from "../flags.js";
import { writeJson } from "../json.js";
import { precisionOf } from "../checks.js";

const HELP = `Usage: dime bench engine|data|model|animate|eval|checksum|io|serve [--json FILE] [options]

Measures performance and prints a table.

  engine          per-op overhead (a 1-element add, repeated) and a 3x3 convolution
                  64->64 channels on 1x64x64x64, forward and forward+backward, in ms and GFLOP/s
  data            synthetic frames per second at 64, 128 and 256 px, and loader samples per
                  second at 64 and 256 px for the frame-folder and mp4 layouts
  model           dime beside eager PyTorch in the same run, random weights, 256 px, batch 1: ms per
                  driving frame (keypoints, relative motion, animation) and per job (the source's
                  keypoints and encoding) for vox-256 in FOMM's configuration (Jacobians on, no
                  refine, identity flow or references) and as the full DiME with 3 references;
                  then the FOMM-equivalent training step at 64 px, batch 4 (vox-256 widths,
                  Jacobians, VGG-19 pyramid at scales 1, 0.5, 0.25 with hash weights, equivariance
                  on values and Jacobians; forward, backward, Adam). PyTorch runs FOMM's own modules
                  from the checkout named by FOMM_DIR with --python (default /usr/bin/python3, Debian's
                  python3-torch), in two processes: as users run it (its demo loop and training
                  step, glibc's default allocator) and as an expert would (source encoded once,
                  channels-last, fp32 and bf16 autocast, and the training step again, with freed
                  memory kept as dime keeps it); skipped with a note when either is missing. Cases
                  alternate round by round (--rounds, --runs each); each dime figure is given as a
                  ratio to each of the two. About 6-8 minutes at --threads 1,2 on an idle 2-core
                  machine with the defaults.
  model --ablation
                  (also selected by any of --config, --settings, --precision, --device, --batch,
                  --train-config, --train-batch, which are its options)
                  the older suite, dime alone: synth-faces-64 and vox-256 built four ways
                  (baseline: no refine, ID, references or Jacobians; +refine; +ID; +3 refs), per
                  frame and per job, GFLOP/s, live-tensor checks, and synth-faces-64's training
                  step at batch 8 with the pixel and the VGG loss. About 1.5 minutes.
  animate         dime animate end to end with random weights (decode a test-pattern mp4,
                  keypoints, animation, encode an mp4; relative motion; the model tuned for
                  inference as dime animate loads it: docs/speed.md): frames per second for
                  configs/synth-faces-64.yaml (64 px, 96 frames, 1 reference) and
                  configs/vox-256.yaml (256 px, 8 frames, 3 references), in fp32 and, on CPUs with
                  native bf16, bf16, at the batch dime animate chooses for each thread count (or
                  --batch); the per-job set-up (prepare() on the source and references) in ms; and,
                  for every case, the peak resident memory of a fresh process animating a 30-frame
                  and a 300-frame clip (--memory-frames), which must not grow with the length, with
                  its RSS every tenth of the frames and the tensors left alive. About 15 minutes
                  with the defaults on an idle 2-core machine (the 300-frame runs at 256 px are
                  most of it); --memory-frames 30,60 or --config configs/vox-256.yaml shorten it
  eval            dime eval --task reconstruction with every metric at 64 px: frames per second
                  and each stage's ms per frame (the model, L1, PSNR, SSIM, MS-SSIM, LPIPS, AKD,
                  Inception and oracle features, the Frechet distances) for configs/synth-faces-64.yaml
                  with random weights on a dime synth faces split made in a temp folder; LPIPS's
                  backbone and the FID Inception get random weights (cost only, values meaningless).
                  About 4 minutes (--threads 1,2) on a busy 2-core machine.
  checksum        the SHA-256 checked on every checkpoint load: loading models/demo's weights
                  and a 250 MB checkpoint (random float32, written to a temp folder) with and
                  without the check, and hashing alone; median ms of --runs (default 5) after a
                  warm-up, so from the page cache. About 30 s.
  io              the PyTorch checkpoint reader on the --file checkpoints given (a zip and a
                  legacy torch.save of ~250 MB of float32 tensors are the reference case:
                  experiments/fomm/fomm_reference.py sizes writes them): read throughput (MB/s of
                  tensors) and peak resident memory over the process's baseline, each read in a
                  fresh process, --runs times (median); the same with torch.load(weights_only=True)
                  in --python (a Python with torch) when given; and --fuzz-cases seeded mutations
                  of each --fuzz checkpoint (each must load or be refused with the reader's error)
  serve           the web app (dime serve) with the shipped demo model: live mode's latency (a
                  frame sent over the WebSocket to its animated frame back; median and 95th
                  percentile) and animated frames per second, fed the demo clip at 30 fps by a
                  client process for --seconds; and a file job's time through the server against
                  dime animate --visualize on the same inputs (the server's overhead in percent, in
                  wall time and in the process's CPU time, steadier on a busy machine).
                  One thread count: the first of --threads (default 2). About a minute.
  --file FILE     io: a checkpoint to read; repeat for more
  --python PATH   io: a Python with torch for the torch.load figures (default: none); model: the
                  Python with torch that runs FOMM (default /usr/bin/python3)
  --rounds N      model: rounds of alternation between dime and PyTorch (default 3)
  --untuned       model: also time dime without its inference tuning (batch norm folded,
                  channels-last generator and hourglasses), for before/after figures (freed
                  memory stays retained: that setting is process-wide)
  --no-train      model: skip the training steps
  --no-forward    model: skip the 256 px frame and job figures
  --fuzz FILE     io: a checkpoint to fuzz; repeat for more
  --fuzz-cases N  io: mutations per --fuzz file (default 20000)
  --seconds N     serve: seconds of live frames (default 10)
  --json FILE     also write the figures as JSON to FILE (model: the machine with its CPU model,
                  cores, libtorch version and load average, then every figure with its thread
                  count, runs, warm-up runs, median, min, live tensor counts and others' CPU)
  --threads LIST  engine, model, animate, eval: libtorch thread counts to measure, comma-separated (default 1,2);
                  animate's memory runs use the largest
  --calls N       engine: adds timed for the overhead figure (default 100000)
  --runs N        animate: timed runs of each clip (default 3); io: reads per file and reader (default 3);
                  serve: timed file jobs each way (default 3)
                  engine: timed runs of each convolution case; the median is reported (default 20)
                  model: timed runs of every figure per round (default 2; one untimed warm-up
                  run first); model --ablation: timed runs of every figure (default 20 at 64 px,
                  5 at 256 px, 8 for the training step); warm-up runs come first and are not timed
  --footage       animate: only the real-footage case (face detection and landmarks on a 1280x720
                  frame; face crop, tracking every frame and every 5th, paste-back, end to end on a
                  1280x720 clip made from the shared data's talking head; skipped without it)
  --no-footage    animate: skip the real-footage case
  --workers N     data: loader worker threads (default 2)
  --device D      model --ablation: cpu (default), cuda or cuda:N; CUDA figures wait for the GPU before the
                  clock stops
  --batch LIST    model --ablation: driving frames per forward call, comma-separated (default 1); each
                  batch is its own figure, with frames per second = batch / median; animate: batch
                  sizes to time, each its own case (default: dime animate's choice per thread count)
  --config LIST   model --ablation: the configs timed forward, comma-separated paths (default
                  configs/synth-faces-64.yaml,configs/vox-256.yaml), or none for the training step alone;
                  animate: the configs animated (same default)
  --memory-frames LIST
                  animate: clip lengths whose peak memory is measured for each case (default 30,300;
                  none for no memory runs)
  --settings LIST model --ablation: which switch settings, comma-separated, from baseline, +refine, +ID,
                  +3refs and fomm (FOMM itself, with Jacobians: not in the default)
  --train-config FILE  model --ablation: the training step's config (default configs/synth-faces-64.yaml),
                  or none for no training step
  --train-batch N model --ablation: the training step's batch (default 8)

  --precision P   model --ablation: the forward figures in these precisions, comma-separated (fp32, bf16,
                  fp16 on CUDA, auto; default fp32): autocast with fp32 islands (docs/precision.md);
                  animate: the same list (default fp32, and bf16 on CPUs with native bf16)`;

const progress = (message: string) => process.stderr.write(`  ${message}\n`);

function positiveList(flag: string, value: string): number[] {
  const numbers = value.split(",").map((s) => Number(s));
  if (numbers.some((t) => !Number.isInteger(t) || t < 1))
    throw new UsageError(`${flag}: expected positive integers like 1,2, got '${value}'`);
  return numbers;
}

const threadList = (value = "1,2"): number[] => positiveList("--threads", value);

// Setting names as typed on a command line: "+3refs" or "+3 refs".
function settingList(value: string): SwitchSetting[] {
  return value.split(",").map((name) => {
    const hit = NAMED_SETTINGS.find((s) => s.name.replace(/ /g, "") === name.replace(/ /g, ""));
    if (!hit)
      throw new UsageError(`--settings: unknown setting '${name}'; use ${NAMED_SETTINGS.map((s) => s.name.replace(/ /g, "")).join(", ")}`);
    return hit;
  });
}

const FLAGS = defineFlags({
  json: "string",
  threads: "string",
  calls: "int",
  runs: "int",
  workers: "int",
  file: "list",
  python: "string",
  fuzz: "list",
  "fuzz-cases": "int",
  footage: "bool",
  ablation: "bool",
  rounds: "int",
  untuned: "bool",
  "no-train": "bool",
  "no-forward": "bool",
  seconds: "int",
  precision: "string",
  device: "string",
  batch: "string",
  config: "string",
  settings: "string",
  "train-config": "string",
  "train-batch": "int",
  "memory-frames": "string",
  "no-footage": "bool",
});

export const bench: Command = {
  name: "bench",
  summary:
    "measure performance (engine: per-op overhead and conv GFLOP/s; data: synth and loader throughput; model: DiME ms per frame and per training step; animate: frames/s, set-up, peak memory; eval: frames/s with every metric; checksum: the SHA-256 on checkpoint load; io: checkpoint reading MB/s and memory)",
  help: HELP,
  async run(argv) {
    const { positional, flags } = parseFlags(argv, FLAGS);
    const suite = positional[0];
    if (flags.precision !== undefined && suite !== "model" && suite !== "animate")
      throw new UsageError(`--precision applies to bench model and animate only (see dime bench --help)`);
    if (suite === "engine") {
      const result = await benchEngine(
        { threads: threadList(flags.threads), overheadCalls: flags.calls ?? 100000, convRuns: flags.runs ?? 20 },
        progress,
      );
      console.log(formatEngineBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "data") {
      const workers = flags.workers ?? 2;
      if (workers < 0) throw new UsageError(`--workers: expected 0 or more, got ${workers}`);
      const result = await benchData({ workers, log: progress });
      console.log(formatDataBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "model") {
      const runs = flags.runs;
      if (runs !== undefined && runs < 1) throw new UsageError(`--runs: expected 1 or more, got ${runs}`);
      const ablationFlags = ["config", "settings", "precision", "device", "batch", "train-config", "train-batch"] as const;
      if (flags.ablation || ablationFlags.some((name) => flags[name] !== undefined)) {
        const options = defaultModelBenchOptions(threadList(flags.threads), runs, {
          configs: flags.config?.split(","),
          settings: flags.settings === undefined ? undefined : settingList(flags.settings),
          trainConfig: flags["train-config"],
          trainBatch: flags["train-batch"],
        });
        options.device = deviceOf(flags.device);
        options.precisions = (flags.precision ?? "fp32").split(",").map((p) => precisionOf(p, options.device ?? "cpu", "bench"));
        options.batches = positiveList("--batch", flags.batch ?? "1");
        const result = benchModel(options, progress);
        console.log(formatModelBench(result));
        if (flags.json !== undefined) writeJson(flags.json, result);
        return 0;
      }
      const rounds = flags.rounds ?? 3;
      if (rounds < 1) throw new UsageError(`--rounds: expected 1 or more, got ${rounds}`);
      const result = await benchModelVsPytorch(
        {
          threads: threadList(flags.threads),
          runs: runs ?? 2,
          rounds,
          python: flags.python ?? "/usr/bin/python3",
          fommDir: process.env.FOMM_DIR,
          train: flags["no-train"] !== true,
          forward: flags["no-forward"] !== true,
          untuned: flags.untuned === true,
        },
        progress,
      );
      console.log(formatModelVsPytorch(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "animate") {
      const runs = flags.runs;
      if (runs !== undefined && runs < 1) throw new UsageError(`--runs: expected 1 or more, got ${runs}`);
      const choices = {
        configs: flags.config?.split(","),
        precisions: flags.precision?.split(",").map((p) => precisionOf(p, "cpu", "bench")),
        batches: flags.batch === undefined ? undefined : positiveList("--batch", flags.batch),
      };
      const memoryFlag = flags["memory-frames"];
      const memoryFrames = memoryFlag === undefined ? undefined : memoryFlag === "none" ? [] : positiveList("--memory-frames", memoryFlag);
      const result = await benchAnimate(
        {
          ...defaultAnimateBenchOptions(threadList(flags.threads), runs, choices),
          memoryFrames,
          footage: flags["no-footage"] !== true,
          footageOnly: flags.footage === true,
        },
        progress,
      );
      console.log(formatAnimateBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "eval") {
      const result = await benchEval({ threads: threadList(flags.threads) }, progress);
      console.log(formatEvalBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "checksum") {
      const runs = flags.runs;
      if (runs !== undefined && runs < 1) throw new UsageError(`--runs: expected 1 or more, got ${runs}`);
      const demo = new URL("../../../models/demo/step-004000.safetensors", import.meta.url).pathname;
      const result = benchChecksum({ demo, ...(runs !== undefined ? { runs } : {}) }, progress);
      console.log(formatChecksumBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "io") {
      const files = flags.file ?? [];
      const fuzzFiles = flags.fuzz ?? [];
      if (files.length === 0 && fuzzFiles.length === 0)
        throw new UsageError("bench io needs --file CKPT (checkpoints to read) or --fuzz CKPT");
      const runs = flags.runs ?? 3;
      if (runs < 1) throw new UsageError(`--runs: expected 1 or more, got ${runs}`);
      const result = benchIo({ files, runs, python: flags.python ?? "", fuzzFiles, fuzzCases: flags["fuzz-cases"] ?? 20000 }, progress);
      console.log(formatIoBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else if (suite === "serve") {
      const runs = flags.runs ?? 3;
      const seconds = flags.seconds ?? 10;
      if (runs < 1 || seconds < 1) throw new UsageError("--runs and --seconds: expected 1 or more");
      const result = await benchServe(
        { threads: threadList(flags.threads ?? "2")[0], seconds, cameraFps: 30, runs, animateFiles },
        progress,
      );
      console.log(formatServeBench(result));
      if (flags.json !== undefined) writeJson(flags.json, result);
    } else {
      throw new UsageError(
        `unknown benchmark '${suite ?? ""}'; available: engine, data, model, animate, eval, checksum, io, serve (see dime bench --help)`,
      );
    }
    return 0;
  },
};
