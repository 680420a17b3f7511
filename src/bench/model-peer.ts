// `dime bench model`'s side-by-side with eager PyTorch: dime at 256 px in FOMM's configuration
// (vox-256 with Jacobians, no refine, ID or references) and as the full DiME with 3 references, per
// frame and per job, and the FOMM-equivalent training step at 64 px, each alternated round by round
// with FOMM's own code in PyTorch (bench/fomm_pytorch.py) in the same run, so that ratios are
// measured on the same machine at the same moment. Weights are random: cost does not depend on them.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Adam } from "../optim/index.js";
import { DiME } from "../dime/dime.js";
import type { Keypoints } from "../dime/keypoint_detector.js";
import type { DimeConfig, ModelParams, Switches } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { TrainingObjective } from "../dime/objective.js";
import { tuneForInference } from "../dime/inference-tuning.js";
import { PerceptualPyramidLoss, Vgg19, hashVgg19Weights } from "../dime/losses/index.js";
import { targetKeypoints } from "../infer/motion.js";
import { inferIn } from "../infer/precision.js";
import { cpuSnapshot, machineInfo, otherProcessCores, type MachineInfo } from "./machine.js";
import { packagedConfig } from "./model.js";
import { PytorchPeer, type PeerRequest } from "./pytorch-peer.js";

export interface PeerBenchOptions {
  threads: number[];
  /** Timed runs of each figure per round (after one untimed warm-up run in the first round). */
  runs: number;
  /** Rounds; each runs every dime figure then its PyTorch counterparts. */
  rounds: number;
  /** A Python with torch (Debian's python3-torch links the same libtorch as dime). */
  python: string;
  /** A checkout of AliaksandrSiarohin/first-order-model; without it the PyTorch columns are skipped. */
  fommDir?: string;
  /** Time the training steps too (default true). */
  train?: boolean;
  /** Also time dime without inference tuning (batch norm folding, channels-last), for before/after figures. */
  untuned?: boolean;
  /** Frame and job figures at 256 px (default true). */
  forward?: boolean;
  /**
   * dime's precisions for the frame and job figures (default fp32, and bf16 where the CPU has
   * native bf16: AVX512-BF16 or AMX); bf16 is autocast with fp32 islands (docs/precision.md).
   */
  precisions?: ("fp32" | "bf16")[];
  /** The forward figures' config (default configs/vox-256.yaml; tests pass a tiny one). */
  forwardConfig?: DimeConfig;
  /** The training step's config (default fommTrainConfig()). */
  trainConfig?: DimeConfig;
}

export type PeerRunner = "dime" | "pytorch";

export interface PeerFigure {
  kind: "frame" | "job" | "train";
  runner: PeerRunner;
  /** What ran, e.g. "dime FOMM configuration" or "PyTorch FOMM demo loop". */
  name: string;
  precision: "fp32" | "bf16";
  threads: number;
  /** Every timed run's wall clock, in ms, over all rounds. */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  /**
   * The runs' process CPU time (user + system), median, in ms: steadier than wall clock on a shared
   * machine at 1 thread; at more threads it also counts OpenMP's spinning threads.
   */
  cpuMedianMs: number;
}

export interface PeerBenchResult {
  suite: "model-vs-pytorch";
  date: string;
  machine: MachineInfo;
  method: string;
  /** Why the PyTorch figures are missing, when they are. */
  pytorchSkipped?: string;
  /** PyTorch cases that failed (their figures are left out), one line each. */
  notes: string[];
  pytorch?: string;
  figures: PeerFigure[];
  otherProcessCores?: number;
  loadAverageAtEnd: number[];
  seconds: number;
}

const METHOD =
  "wall clock per run, batch 1 at 256 px (frame: driving keypoints, relative motion with Jacobians where the model has them, " +
  "and animation with the per-job work done once; job: keypoints of the source and the first driving frame and the source's " +
  "encoding); train: forward, backward and Adam at 64 px batch 4. Figures alternate: each round runs every dime case then the " +
  "PyTorch ones, the medians pool all rounds' runs. Both processes keep freed memory for reuse (glibc mallopt, as dime's " +
  "inference tuning sets), so neither pays page faults the other does not.";

interface Case {
  name: string;
  kind: PeerFigure["kind"];
  runner: PeerRunner;
  precision: PeerFigure["precision"];
  /** dime: a function to time; PyTorch: the request. */
  run?: () => void;
  request?: Omit<PeerRequest, "threads" | "runs" | "warmup">;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[Math.floor(mid)];
}

function images(batch: number, size: number, generator: torch.Generator): Tensor {
  return torch.rand([batch, 3, size, size], { generator });
}

/**
 * vox-256's model with FOMM's switches: Jacobians on, no refine, identity flow or references, and
 * FOMM's flow and occlusion resize (align_corners false, as configs/fomm/vox-256.yaml). The resize
 * costs the same either way; it changes numbers only where the motion and the features differ in
 * size, as in the 64 px training step (motion 32x32, features 16x16).
 */
export function fommSwitches(switches: Switches): Switches {
  return { ...switches, refine: false, identity_flow: false, num_refs: 0, jacobians: true, aligned_resize: false };
}

interface ForwardModel {
  frame: () => void;
  job: () => void;
  dispose: () => void;
}

/** A dime model at 256 px timed as `dime animate` runs it: prepare once, then per frame keypoints, relative motion, animation. */
function forwardModel(params: ModelParams, size: number, tuned: boolean, precision: "fp32" | "bf16" = "fp32"): ForwardModel {
  torch.manualSeed(0);
  const model = new DiME(params).eval();
  if (tuned) tuneForInference(model);
  const generator = new torch.Generator(0);
  const source = images(1, size, generator);
  const initial = images(1, size, generator);
  const driving = images(1, size, generator);
  const references = Array.from({ length: params.switches.num_refs }, () => images(1, size, generator));
  const kpInitial: Keypoints = torch.inferenceMode(() => model.keypoints(initial));
  const kpSource: Keypoints = torch.inferenceMode(() => model.keypoints(source));
  const prepared = inferIn("cpu", precision, () => model.prepare(source, references));
  const motion = { mode: "relative" as const, scale: 1 };
  return {
    frame: () =>
      torch.tidy(() =>
        inferIn("cpu", precision, () => {
          const kp = targetKeypoints(kpSource, model.keypoints(driving), kpInitial, motion);
          void model.animateFrame(prepared, kp);
        }),
      ),
    job: () =>
      torch.tidy(() =>
        inferIn("cpu", precision, () => {
          void model.keypoints(initial);
          void model.prepare(source, references);
        }),
      ),
    dispose: () => {
      torch.dispose([prepared, kpInitial, kpSource, source, initial, driving, references]);
      model.dispose();
    },
  };
}

/**
 * The FOMM-equivalent training config at 64 px: vox-256's widths with Jacobians, the keypoint
 * detector and dense motion at scale 0.5 (32x32: vox-256's 0.25 leaves 16x16, too small for their
 * 5-block hourglasses), the VGG-19 pyramid at scales 1, 0.5, 0.25, equivariance on values and
 * Jacobians. bench/fomm_pytorch.py builds FOMM the same way.
 */
export function fommTrainConfig(): DimeConfig {
  const config = structuredClone(loadConfig(packagedConfig("vox-256.yaml")));
  config.dataset_params.frame_shape = [64, 64, 3];
  config.model_params.switches = fommSwitches(config.model_params.switches);
  config.model_params.kp_detector_params.scale_factor = 0.5;
  config.model_params.generator_params.dense_motion_params.scale_factor = 0.5;
  config.train_params.scales = [1, 0.5, 0.25];
  return config;
}

const TRAIN_BATCH = 4;

/** What the timed training step runs: the objective (VGG pyramid, equivariance) and Adam over every parameter. */
export interface TrainStepParts {
  objective: TrainingObjective;
  loss: PerceptualPyramidLoss;
  optimizer: Adam;
}

/**
 * The training step's parts for `model` (in training mode) as the bench builds them, with VGG-19
 * weights `vggWeights` (torchvision's names). experiments/speed/train-parity.ts runs these same
 * parts on FOMM's weights to check them against PyTorch's GeneratorFullModel step.
 */
export function trainStepParts(config: DimeConfig, model: DiME, vggWeights: ReadonlyMap<string, Tensor>): TrainStepParts {
  const vgg = new Vgg19();
  torch.tidy(() => vgg.loadWeights(vggWeights, "VGG-19 weights"));
  const loss = new PerceptualPyramidLoss(vgg, { scales: config.train_params.scales, weights: config.train_params.loss_weights.perceptual });
  const objective = new TrainingObjective(model, config.train_params, loss);
  const optimizer = new Adam(model.parameters(), { lr: config.train_params.lr, betas: config.train_params.betas });
  return { objective, loss, optimizer };
}

function trainStep(config: DimeConfig): ForwardModel {
  torch.manualSeed(0);
  const model = new DiME(config.model_params).train();
  const vggWeights = hashVgg19Weights();
  const { objective, loss, optimizer } = trainStepParts(config, model, vggWeights);
  torch.dispose([...vggWeights.values()]);
  const generator = new torch.Generator(1);
  const size = config.dataset_params.frame_shape[0];
  const batch = { source: images(TRAIN_BATCH, size, generator), driving: images(TRAIN_BATCH, size, generator), references: [] };
  return {
    frame: () =>
      torch.tidy(() => {
        optimizer.zeroGrad();
        objective.compute(batch, generator).total.backward();
        optimizer.step();
      }),
    job: () => {},
    dispose: () => {
      model.zeroGrad();
      torch.dispose(batch);
      optimizer.dispose();
      loss.dispose();
      model.dispose();
    },
  };
}

type Progress = (message: string) => void;

async function runRounds(
  cases: Case[],
  options: PeerBenchOptions,
  threads: number,
  peer: PytorchPeer | undefined,
  notes: string[],
  progress?: Progress,
): Promise<PeerFigure[]> {
  const samples = cases.map(() => [] as number[]);
  const cpu = cases.map(() => [] as number[]);
  const failed = new Set<number>();
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, c] of cases.entries()) {
      const warmup = round === 0 ? 1 : 0;
      progress?.(`${threads} thread(s), round ${round + 1}/${options.rounds}: ${c.name} (${c.kind})`);
      if (c.run) {
        torch.setNumThreads(threads);
        for (let w = 0; w < warmup; w++) c.run();
        for (let r = 0; r < options.runs; r++) {
          const start = process.hrtime.bigint();
          const startCpu = process.cpuUsage();
          c.run();
          samples[i].push(Number(process.hrtime.bigint() - start) / 1e6);
          const used = process.cpuUsage(startCpu);
          cpu[i].push((used.user + used.system) / 1000);
        }
      } else if (c.request && peer && !failed.has(i)) {
        try {
          const timed = await peer.time({ ...c.request, threads, runs: options.runs, warmup } as PeerRequest);
          samples[i].push(...timed.wallMs);
          cpu[i].push(...timed.cpuMs);
        } catch (error) {
          // One PyTorch case failing leaves the rest of the suite standing; the figure is dropped with a note.
          failed.add(i);
          notes.push(`${c.name} (${c.kind}, ${threads} thread(s)) failed: ${(error as Error).message}`);
          progress?.(notes[notes.length - 1]);
        }
      }
    }
  }
  const measured = cases.flatMap((c, i) => (samples[i].length > 0 ? [[c, i] as const] : []));
  return measured.map(
    ([c, i]): PeerFigure => ({
      kind: c.kind,
      runner: c.runner,
      name: c.name,
      precision: c.precision,
      threads,
      samplesMs: samples[i],
      medianMs: median(samples[i]),
      minMs: Math.min(...samples[i]),
      cpuMedianMs: median(cpu[i]),
    }),
  );
}

const PYTORCH_FORWARD: { name: string; frame: PeerRequest["case"]; job: PeerRequest["case"]; precision: "fp32" | "bf16" }[] = [
  { name: "PyTorch FOMM demo loop", frame: "demo-frame", job: "demo-job", precision: "fp32" },
  { name: "PyTorch FOMM expert", frame: "expert-frame", job: "expert-job", precision: "fp32" },
  { name: "PyTorch FOMM expert", frame: "expert-frame", job: "expert-job", precision: "bf16" },
];

/** Runs the side-by-side; libtorch's thread count is restored afterwards. */
export async function benchModelVsPytorch(options: PeerBenchOptions, progress?: Progress): Promise<PeerBenchResult> {
  const started = cpuSnapshot();
  const machine = machineInfo();
  const peerOrWhy = await PytorchPeer.start(options.python, options.fommDir);
  const peer = typeof peerOrWhy === "string" ? undefined : peerOrWhy;
  if (!peer) progress?.(`PyTorch columns skipped: ${peerOrWhy}`);
  // tuneForInference sets this for the forward cases, and it is process-wide, so it would reach the
  // training step only when forward cases ran first; bench/fomm_pytorch.py sets the same in PyTorch's
  // process. Without it PyTorch's 64 px training step spent a third of its CPU time in the kernel
  // faulting in fresh pages (docs/speed.md, "The training step").
  torch.retainFreedMemory();
  const original = torch.getNumThreads();
  const figures: PeerFigure[] = [];
  const notes: string[] = [];
  const models: ForwardModel[] = [];
  try {
    if (options.forward !== false) {
      const vox = options.forwardConfig ?? loadConfig(packagedConfig("vox-256.yaml"));
      const size = vox.dataset_params.frame_shape[0];
      const fommParams = { ...structuredClone(vox.model_params), switches: fommSwitches(vox.model_params.switches) };
      const full = `dime full, ${vox.model_params.switches.num_refs} references`;
      const precisions = options.precisions ?? (torch.cpuHasNativeBf16() ? ["fp32", "bf16"] : ["fp32"]);
      const dimeCases: [string, ModelParams, boolean, "fp32" | "bf16"][] = precisions.flatMap((p) => [
        ["dime FOMM configuration", fommParams, true, p] as [string, ModelParams, boolean, "fp32" | "bf16"],
        [full, vox.model_params, true, p] as [string, ModelParams, boolean, "fp32" | "bf16"],
      ]);
      if (options.untuned)
        dimeCases.push(
          ["dime FOMM configuration, untuned", fommParams, false, "fp32"],
          [`${full}, untuned`, vox.model_params, false, "fp32"],
        );
      const built = dimeCases.map(([name, params, tuned, precision]) => ({
        name,
        precision,
        model: forwardModel(params, size, tuned, precision),
      }));
      models.push(...built.map((b) => b.model));
      for (const kind of ["frame", "job"] as const) {
        const cases: Case[] = [
          ...built.map(({ name, model, precision }) => ({ name, kind, runner: "dime" as const, precision, run: model[kind] })),
          ...(peer
            ? PYTORCH_FORWARD.map((p) => ({
                name: p.name,
                kind,
                runner: "pytorch" as const,
                precision: p.precision,
                request: { case: kind === "frame" ? p.frame : p.job, precision: p.precision },
              }))
            : []),
        ];
        for (const threads of options.threads) figures.push(...(await runRounds(cases, options, threads, peer, notes, progress)));
      }
      for (const m of models.splice(0)) m.dispose();
    }
    if (options.train !== false) {
      const step = trainStep(options.trainConfig ?? fommTrainConfig());
      models.push(step);
      const cases: Case[] = [
        { name: "dime FOMM-equivalent step", kind: "train", runner: "dime", precision: "fp32", run: step.frame },
        ...(peer
          ? [
              {
                name: "PyTorch FOMM GeneratorFullModel step",
                kind: "train" as const,
                runner: "pytorch" as const,
                precision: "fp32" as const,
                request: { case: "train" as const },
              },
            ]
          : []),
      ];
      for (const threads of options.threads) figures.push(...(await runRounds(cases, options, threads, peer, notes, progress)));
    }
  } finally {
    for (const m of models) m.dispose();
    peer?.close();
    torch.setNumThreads(original);
  }
  const end = cpuSnapshot();
  return {
    suite: "model-vs-pytorch",
    date: new Date().toISOString(),
    machine,
    method: METHOD,
    ...(peer ? { pytorch: peer.torch } : { pytorchSkipped: peerOrWhy as string }),
    figures,
    notes,
    otherProcessCores: otherProcessCores(started, end),
    loadAverageAtEnd: machineInfo().loadAverage,
    seconds: (end.wallMs - started.wallMs) / 1000,
  };
}

/** The table: every figure with its ratio to PyTorch's demo loop and to PyTorch's expert run in the same precision. */
export function formatModelVsPytorch(result: PeerBenchResult): string {
  const m = result.machine;
  const find = (f: PeerFigure, name: string, precision: string) =>
    result.figures.find((g) => g.kind === f.kind && g.threads === f.threads && g.name === name && g.precision === precision);
  const ratio = (f: PeerFigure, ref: PeerFigure | undefined) => (ref ? `${(f.medianMs / ref.medianMs).toFixed(2)}x` : "-");
  const header = ["figure", "threads", "precision", "median (ms)", "min (ms)", "CPU (ms)", "runs", "vs demo loop", "vs expert"];
  const rows = result.figures.map((f) => {
    const demo = f.kind === "train" ? find(f, "PyTorch FOMM GeneratorFullModel step", "fp32") : find(f, "PyTorch FOMM demo loop", "fp32");
    const expert = f.kind === "train" ? undefined : find(f, "PyTorch FOMM expert", f.precision);
    return [
      `${f.kind.padEnd(5)} ${f.name}`,
      String(f.threads),
      f.precision,
      f.medianMs.toFixed(1),
      f.minMs.toFixed(1),
      f.cpuMedianMs.toFixed(0),
      String(f.samplesMs.length),
      f === demo ? "1.00x" : ratio(f, demo),
      f === expert ? "1.00x" : ratio(f, expert),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `dime vs eager PyTorch FOMM, ${result.date}: ${m.cpu}, ${m.logicalCores} logical cores, libtorch ${m.libtorch}, node ${m.node}` +
      (result.pytorch ? `, PyTorch ${result.pytorch}` : ""),
    `load average ${m.loadAverage.join(" ")} at start, ${result.loadAverageAtEnd.join(" ")} at end; ${result.seconds.toFixed(0)} s in all; ` +
      `other processes used ${result.otherProcessCores?.toFixed(2) ?? "?"} cores on average`,
    ...(result.pytorchSkipped ? [`PyTorch columns skipped: ${result.pytorchSkipped}`] : []),
    ...result.notes,
    "frame: per driving frame at 256 px, batch 1; job: once per source; train: one step at 64 px, batch 4. Ratios: dime's median",
    "over PyTorch's (below 1 = dime faster). demo loop: FOMM's demo.py as users run it (source re-encoded every frame); expert:",
    "source encoded once, channels-last, inference mode, in the row's precision (bf16 = CPU autocast). CPU: the process's",
    "CPU time per run, median (at 1 thread a steadier measure than wall clock when other processes share the machine).",
    fmt(header),
    ...rows.map(fmt),
  ].join("\n");
}
