// `dime bench model`'s side-by-side with eager PyTorch: dime at 256 px in FOMM's configuration
// (vox-256 with Jacobians, no refine, ID or references) and as the full DiME with 3 references, per
// frame and per job, and the FOMM-equivalent training step at 64 px, each alternated round by round
// with FOMM's own code in PyTorch (bench/fomm_pytorch.py) in the same run, so that ratios are
// measured on the same machine at the same moment. PyTorch runs in two processes: FOMM as its users
// run it (glibc's allocator defaults) and as an expert would (freed memory kept, as dime keeps it).
// Weights are random: cost does not depend on them.
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
  /** Whether the process that ran it kept freed memory (glibc mallopt); dime's always does. */
  retainFreedMemory: boolean;
  /** PyTorch's figures: the process that ran it. */
  process?: PeerRole;
}

/** One of the two PyTorch processes: which cases it ran and the allocator setting its ready line reported. */
export interface PeerProcess {
  role: PeerRole;
  retainFreedMemory: boolean;
  cases: string[];
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
  /** The PyTorch processes that ran (as-run: glibc's defaults; expert: freed memory kept). */
  pytorchProcesses?: PeerProcess[];
  figures: PeerFigure[];
  otherProcessCores?: number;
  loadAverageAtEnd: number[];
  seconds: number;
}

const METHOD =
  "wall clock per run, batch 1 at 256 px (frame: driving keypoints, relative motion with Jacobians where the model has them, " +
  "and animation with the per-job work done once; job: keypoints of the source and the first driving frame and the source's " +
  "encoding); train: forward, backward and Adam at 64 px batch 4. Figures alternate: each round runs every dime case then the " +
  "PyTorch ones, the medians pool all rounds' runs. dime keeps freed memory for reuse (glibc mallopt, as dime train and " +
  "dime animate set). PyTorch runs in two processes: as-run (FOMM's demo loop and GeneratorFullModel step with glibc's " +
  "default allocator, as FOMM's users run them) and expert (channels-last, source hoisted, bf16 autocast, and the training " +
  "step again, with freed memory kept as dime keeps it). Each dime figure has a ratio to each.";

/** The PyTorch process a case runs in: glibc's allocator defaults, or freed memory kept. */
export type PeerRole = "as-run" | "expert";

interface Case {
  name: string;
  /** PyTorch's cases: which process runs it. */
  peer?: PeerRole;
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
  peers: Partial<Record<PeerRole, PytorchPeer>>,
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
      } else if (c.request && c.peer && peers[c.peer] && !failed.has(i)) {
        const peer = peers[c.peer] as PytorchPeer;
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
      retainFreedMemory: c.peer ? (peers[c.peer]?.retainFreedMemory ?? false) : true,
      ...(c.peer ? { process: c.peer } : {}),
    }),
  );
}

const PYTORCH_FORWARD: {
  name: string;
  peer: PeerRole;
  frame: PeerRequest["case"];
  job: PeerRequest["case"];
  precision: "fp32" | "bf16";
}[] = [
  { name: "PyTorch FOMM demo loop", peer: "as-run", frame: "demo-frame", job: "demo-job", precision: "fp32" },
  { name: "PyTorch FOMM expert", peer: "expert", frame: "expert-frame", job: "expert-job", precision: "fp32" },
  { name: "PyTorch FOMM expert", peer: "expert", frame: "expert-frame", job: "expert-job", precision: "bf16" },
];

const PYTORCH_TRAIN: { name: string; peer: PeerRole }[] = [
  { name: "PyTorch FOMM GeneratorFullModel step", peer: "as-run" },
  { name: "PyTorch FOMM GeneratorFullModel step, allocator tuned", peer: "expert" },
];

/** The PyTorch figure each of a dime figure's two ratios is taken against, by role. */
function referenceName(kind: PeerFigure["kind"], role: PeerRole): string {
  if (kind === "train") return (PYTORCH_TRAIN.find((p) => p.peer === role) as { name: string }).name;
  return (PYTORCH_FORWARD.find((p) => p.peer === role) as { name: string }).name;
}

/**
 * Starts both PyTorch processes, or returns why neither runs. The expert one failing alone (it
 * should not: same script) leaves the as-run column with a note.
 */
async function startPeers(options: PeerBenchOptions, notes: string[]): Promise<Partial<Record<PeerRole, PytorchPeer>> | string> {
  const [asRun, expert] = await Promise.all([
    PytorchPeer.start(options.python, options.fommDir, false),
    PytorchPeer.start(options.python, options.fommDir, true),
  ]);
  if (typeof asRun === "string") {
    if (typeof expert !== "string") expert.close();
    return asRun;
  }
  if (typeof expert === "string") {
    notes.push(`PyTorch's expert process did not start: ${expert}`);
    return { "as-run": asRun };
  }
  return { "as-run": asRun, expert };
}

/** What each started PyTorch process ran and how its allocator was set, from its ready line. */
function peerProcesses(peers: Partial<Record<PeerRole, PytorchPeer>>, figures: PeerFigure[]): PeerProcess[] {
  return (["as-run", "expert"] as const).flatMap((role) => {
    const p = peers[role];
    if (!p) return [];
    const cases = [...new Set(figures.filter((f) => f.process === role).map((f) => f.name))];
    return [{ role, retainFreedMemory: p.retainFreedMemory, cases }];
  });
}

/** Runs the side-by-side; libtorch's thread count is restored afterwards. */
export async function benchModelVsPytorch(options: PeerBenchOptions, progress?: Progress): Promise<PeerBenchResult> {
  const started = cpuSnapshot();
  const machine = machineInfo();
  const notes: string[] = [];
  const peersOrWhy = await startPeers(options, notes);
  const peers = typeof peersOrWhy === "string" ? {} : peersOrWhy;
  const peer = peers["as-run"];
  if (!peer) progress?.(`PyTorch columns skipped: ${peersOrWhy}`);
  // As `dime animate` (tuneForInference) and `dime train` set it. Process-wide: set before any case,
  // so that the training step has it whether or not the forward cases ran first. PyTorch's expert
  // process sets the same; its as-run process keeps glibc's defaults, under which the 64 px training
  // step spent a third of its CPU time in the kernel faulting in fresh pages (docs/speed.md).
  torch.retainFreedMemory();
  const original = torch.getNumThreads();
  const figures: PeerFigure[] = [];
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
                peer: p.peer,
                kind,
                runner: "pytorch" as const,
                precision: p.precision,
                request: { case: kind === "frame" ? p.frame : p.job, precision: p.precision },
              }))
            : []),
        ];
        for (const threads of options.threads) figures.push(...(await runRounds(cases, options, threads, peers, notes, progress)));
      }
      for (const m of models.splice(0)) m.dispose();
    }
    if (options.train !== false) {
      const step = trainStep(options.trainConfig ?? fommTrainConfig());
      models.push(step);
      const cases: Case[] = [
        { name: "dime FOMM-equivalent step", kind: "train", runner: "dime", precision: "fp32", run: step.frame },
        ...(peer
          ? PYTORCH_TRAIN.map((p) => ({
              name: p.name,
              peer: p.peer,
              kind: "train" as const,
              runner: "pytorch" as const,
              precision: "fp32" as const,
              request: { case: "train" as const },
            }))
          : []),
      ];
      for (const threads of options.threads) figures.push(...(await runRounds(cases, options, threads, peers, notes, progress)));
    }
  } finally {
    for (const m of models) m.dispose();
    for (const p of Object.values(peers)) p.close();
    torch.setNumThreads(original);
  }
  const end = cpuSnapshot();
  return {
    suite: "model-vs-pytorch",
    date: new Date().toISOString(),
    machine,
    method: METHOD,
    ...(peer ? { pytorch: peer.torch, pytorchProcesses: peerProcesses(peers, figures) } : { pytorchSkipped: peersOrWhy as string }),
    figures,
    notes,
    otherProcessCores: otherProcessCores(started, end),
    loadAverageAtEnd: machineInfo().loadAverage,
    seconds: (end.wallMs - started.wallMs) / 1000,
  };
}

/**
 * The table: every figure with its ratio to PyTorch as FOMM's users run it (demo loop, or the
 * training step with glibc's allocator) and as an expert would (expert run in the same precision,
 * or the training step with freed memory kept). The full DiME's rows get no expert ratio: that
 * compares two architectures (the expert runs FOMM's); their ratio to the demo loop is the one
 * issue 22 sets a target for.
 */
export function formatModelVsPytorch(result: PeerBenchResult): string {
  const m = result.machine;
  const find = (f: PeerFigure, name: string, precision: string) =>
    result.figures.find((g) => g.kind === f.kind && g.threads === f.threads && g.name === name && g.precision === precision);
  const ratio = (f: PeerFigure, ref: PeerFigure | undefined) => (ref ? `${(f.medianMs / ref.medianMs).toFixed(2)}x` : "-");
  const fommArchitecture = (f: PeerFigure) => f.runner === "pytorch" || f.kind === "train" || f.name.startsWith("dime FOMM");
  const header = ["figure", "threads", "precision", "median (ms)", "min (ms)", "CPU (ms)", "runs", "vs as run", "vs expert"];
  const rows = result.figures.map((f) => {
    const demo = find(f, referenceName(f.kind, "as-run"), "fp32");
    const expert = find(f, referenceName(f.kind, "expert"), f.kind === "train" ? "fp32" : f.precision);
    return [
      `${f.kind.padEnd(5)} ${f.name}`,
      String(f.threads),
      f.precision,
      f.medianMs.toFixed(1),
      f.minMs.toFixed(1),
      f.cpuMedianMs.toFixed(0),
      String(f.samplesMs.length),
      f === demo ? "1.00x" : ratio(f, demo),
      f === expert ? "1.00x" : fommArchitecture(f) ? ratio(f, expert) : "-",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `dime vs eager PyTorch FOMM, ${result.date}: ${m.cpu}, ${m.logicalCores} logical cores, libtorch ${m.libtorch}, node ${m.node}` +
      (m.nodeFlags?.length ? ` ${m.nodeFlags.join(" ")}` : "") +
      (result.pytorch ? `, PyTorch ${result.pytorch}` : ""),
    `load average ${m.loadAverage.join(" ")} at start, ${result.loadAverageAtEnd.join(" ")} at end; ${result.seconds.toFixed(0)} s in all; ` +
      `other processes used ${result.otherProcessCores?.toFixed(2) ?? "?"} cores on average`,
    ...(result.pytorchSkipped ? [`PyTorch columns skipped: ${result.pytorchSkipped}`] : []),
    ...(result.pytorchProcesses ?? []).map(
      (p) =>
        `PyTorch ${p.role} process (${p.retainFreedMemory ? "freed memory kept, glibc mallopt as dime" : "glibc's default allocator"}): ${p.cases.join("; ")}`,
    ),
    ...result.notes,
    "frame: per driving frame at 256 px, batch 1; job: once per source; train: one step at 64 px, batch 4. Ratios: dime's median",
    "over PyTorch's (below 1 = dime faster). as run: FOMM's demo.py as users run it (source re-encoded every frame), and its",
    "training step, with glibc's default allocator; expert: source encoded once, channels-last, inference mode, in the row's",
    "precision (bf16 = CPU autocast), and the training step, with freed memory kept as dime keeps it. CPU: the process's",
    "CPU time per run, median (at 1 thread a steadier measure than wall clock when other processes share the machine).",
    "The full DiME's rows have no expert ratio: the expert runs FOMM's architecture, not DiME's.",
    fmt(header),
    ...rows.map(fmt),
  ].join("\n");
}
