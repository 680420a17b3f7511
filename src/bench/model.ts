// The model benchmark (`dime bench model`): DiME's per-frame latency at 64 and 256 px for each
// ablation switch setting (baseline, +refine, +ID, +3 refs), with the per-job work (`prepare`)
// timed apart, and a training step (forward, backward, Adam) at 64 px, at each thread count; on
// the CPU or a CUDA device, at one or more driving batch sizes.
// Weights are random: the cost does not depend on their values.
import * as torch from "../torch/index.js";
import type { Precision, Tensor } from "../torch/index.js";
import { countMacs } from "../nn/index.js";
import { Adam } from "../optim/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig, ModelParams, Switches } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { TrainingObjective } from "../dime/objective.js";
import { PerceptualPyramidLoss, Vgg19, hashVgg19Weights, reconstructionLoss, type ReconstructionLoss } from "../dime/losses/index.js";
import { cpuSnapshot, machineInfo, otherProcessCores, type MachineInfo } from "./machine.js";
import { time } from "./timing.js";
import { inferIn } from "../infer/precision.js";

/** One row of the paper's ablation: which DiME parts the model is built with. */
export interface SwitchSetting {
  name: string;
  refine: boolean;
  identityFlow: boolean;
  references: number;
  /** FOMM's first-order terms (default false: DiME drops them). */
  jacobians?: boolean;
}

/** The forward settings, each adding one part to the one before (jacobians always off). */
export const SWITCH_SETTINGS: readonly SwitchSetting[] = [
  { name: "baseline", refine: false, identityFlow: false, references: 0 },
  { name: "+refine", refine: true, identityFlow: false, references: 0 },
  { name: "+ID", refine: true, identityFlow: true, references: 0 },
  { name: "+3 refs", refine: true, identityFlow: true, references: 3 },
];

/** FOMM itself (first order, with Jacobians): asked for by name, not in the default suite. */
export const FOMM_SETTING: SwitchSetting = { name: "fomm", refine: false, identityFlow: false, references: 0, jacobians: true };

/** The settings a --settings list may name: the ablation rows and fomm. */
export const NAMED_SETTINGS: readonly SwitchSetting[] = [...SWITCH_SETTINGS, FOMM_SETTING];

export type TrainLossKind = "pixel" | "vgg";

/** A configuration to time forward at, at its frame_shape. */
export interface ForwardCase {
  /** Where the config came from (a path), for the report. */
  name: string;
  config: DimeConfig;
  runs: number;
  /** Untimed runs first (at least 1). */
  warmup: number;
}

/** The training-step figure: the config's model with its own switches. */
export interface TrainCase extends ForwardCase {
  batch: number;
  /** `pixel`: L1 + SSIM; `vgg`: the perceptual pyramid on VGG-19 with hash weights. */
  losses: TrainLossKind[];
}

export interface ModelBenchOptions {
  threads: number[];
  forward: ForwardCase[];
  train?: TrainCase;
  settings?: readonly SwitchSetting[];
  /**
   * Precisions to time the forward figures in (default fp32 alone): autocast on the model's
   * device, fp32 islands kept (src/torch/autocast.ts). The training step stays fp32.
   */
  precisions?: readonly Precision[];
  /** Seeds the weights, the inputs and the training step's random warps. */
  seed?: number;
  /** Where the model and its inputs live (default cpu); CUDA figures synchronise before the clock stops. */
  device?: torch.Device;
  /** Driving frames per forward call, one set of figures each (default [1]). */
  batches?: number[];
}

export interface LiveTensors {
  /** torch.memory().numTensors after the first (warm-up) run and after the last timed run. */
  afterFirstRun: number;
  afterLastRun: number;
  /** Native handles alive in libtorch, likewise. */
  nativeAfterFirstRun: number;
  nativeAfterLastRun: number;
  /** True when either count rose between the first and the last run. */
  grew: boolean;
}

export interface ModelBenchFigure {
  /** frame: driving keypoints + animation; job: prepare (source and references, once per job); train: one training step. */
  kind: "frame" | "job" | "train";
  config: string;
  /** Frame side in pixels. */
  size: number;
  /** The switch setting's name, or "config" for training (the config's own switches). */
  setting: string;
  switches: Switches;
  /** Reference views given to the model. */
  references: number;
  batch: number;
  loss?: TrainLossKind;
  /** fp32, or the autocast dtype the figure ran in. */
  precision: Precision;
  device: torch.Device;
  threads: number;
  runs: number;
  warmup: number;
  medianMs: number;
  minMs: number;
  /** Multiply-adds of one run (convolutions and linear layers; frame and job only). */
  macs?: number;
  /** 2 * macs over the median time. */
  gflopsPerSecond?: number;
  /** frame: driving frames (the batch) per second of the median; train: samples per second. */
  framesPerSecond?: number;
  liveTensors: LiveTensors;
  /** CPU cores' worth other processes used while this figure ran (warm-up included); see machine.ts. */
  otherProcessCores?: number;
}

export interface ModelBenchResult {
  suite: "model";
  date: string;
  machine: MachineInfo;
  method: string;
  figures: ModelBenchFigure[];
  /** Live tensors before the suite and after it freed everything. */
  liveTensorsAtStart: number;
  liveTensorsAtEnd: number;
  /** Load averages when the suite ended (the start's are in machine). */
  loadAverageAtEnd: number[];
  /** CPU cores' worth other processes used over the whole suite. */
  otherProcessCores?: number;
  seconds: number;
}

const METHOD =
  "wall clock per run; median and min of the timed runs after untimed warm-up runs, per figure. frame: batch 1, eval mode, " +
  "inference mode, driving keypoints + animation with the per-job work prepared once outside the timing; job: prepare() on " +
  "the source and references, same modes; train: forward + backward + Adam step in training mode, fixed random inputs " +
  "(no data loading). Each run is one tidy() scope; live tensors are counted after every run.";

/** The packaged configs, found from this file (src/bench or dist/bench) whatever the working directory. */
export function packagedConfig(name: string): string {
  return new URL(`../../configs/${name}`, import.meta.url).pathname;
}

/** What a command line may change in the default suite. */
export interface ModelBenchChoices {
  /** Config files to time forward (paths), instead of synth-faces-64 and vox-256; ["none"] for none. */
  configs?: string[];
  settings?: readonly SwitchSetting[];
  /** The training step's config file, or "none" for no training step. */
  trainConfig?: string;
  trainBatch?: number;
}

/**
 * The default suite: synth-faces-64 and vox-256 forward, and the synth-faces-64 training step
 * with the pixel and the VGG loss. `runs` overrides every figure's timed runs; `choices` replaces
 * the configs, settings and training step.
 */
export function defaultModelBenchOptions(threads: number[], runs?: number, choices: ModelBenchChoices = {}): ModelBenchOptions {
  const named = choices.configs ?? [packagedConfig("synth-faces-64.yaml"), packagedConfig("vox-256.yaml")];
  const configs = named.length === 1 && named[0] === "none" ? [] : named;
  const forward = configs.map((file) => {
    const config = loadConfig(file);
    const small = config.dataset_params.frame_shape[0] <= 64;
    return { name: shortName(file), config, runs: runs ?? (small ? 20 : 5), warmup: small ? 5 : 1 };
  });
  const trainFile = choices.trainConfig ?? packagedConfig("synth-faces-64.yaml");
  const train: TrainCase | undefined =
    trainFile === "none"
      ? undefined
      : {
          name: shortName(trainFile),
          config: loadConfig(trainFile),
          runs: runs ?? 8,
          warmup: 2,
          batch: choices.trainBatch ?? 8,
          losses: ["pixel", "vgg"],
        };
  return { threads, forward, ...(train ? { train } : {}), ...(choices.settings ? { settings: choices.settings } : {}) };
}

// configs/x.yaml for a packaged config, whatever the path it was given by.
function shortName(file: string): string {
  const configs = packagedConfig("");
  return file.startsWith(configs) ? `configs/${file.slice(configs.length)}` : file;
}

/** The model params with the setting's switches, so that the model is built with only those parts. */
function withSetting(params: ModelParams, setting: SwitchSetting): ModelParams {
  const cloned = structuredClone(params);
  cloned.switches = {
    ...cloned.switches,
    refine: setting.refine,
    identity_flow: setting.identityFlow,
    num_refs: setting.references,
    jacobians: setting.jacobians ?? false,
  };
  return cloned;
}

interface Measured {
  medianMs: number;
  minMs: number;
  macs: number;
  liveTensors: LiveTensors;
  otherProcessCores?: number;
}

/** Times fn (one tidy() scope per call, by the caller) and counts live tensors after every run. */
function measure(fn: () => void, runs: number, warmup: number): Measured {
  const counts: [number, number][] = [];
  const start = cpuSnapshot();
  const run = () => {
    fn();
    const memory = torch.memory();
    counts.push([memory.numTensors, memory.nativeTensors]);
  };
  const { macs } = countMacs(run); // the first warm-up run
  const timing = time(run, runs, Math.max(0, warmup - 1));
  const [first, last] = [counts[0], counts[counts.length - 1]];
  const liveTensors = {
    afterFirstRun: first[0],
    afterLastRun: last[0],
    nativeAfterFirstRun: first[1],
    nativeAfterLastRun: last[1],
    grew: last[0] > first[0] || last[1] > first[1],
  };
  return { medianMs: timing.medianMs, minMs: timing.minMs, macs, liveTensors, otherProcessCores: otherProcessCores(start, cpuSnapshot()) };
}

function images(batch: number, config: DimeConfig, generator: torch.Generator, device: torch.Device): Tensor {
  const [h, w, c] = config.dataset_params.frame_shape;
  // Drawn on the CPU (the generator is a CPU one), then moved.
  return torch.tidy(() => torch.rand([batch, c, h, w], { generator }).to(device));
}

/** Makes fn's work finish before its clock stops: CUDA kernels run asynchronously. */
function synchronised(fn: () => void, device: torch.Device): () => void {
  if (device === "cpu") return fn;
  return () => {
    fn();
    torch.cuda.synchronize();
  };
}

type Progress = (message: string) => void;

function benchForward(
  testCase: ForwardCase,
  setting: SwitchSetting,
  threads: number[],
  precision: Precision,
  seed: number,
  device: torch.Device,
  batches: number[],
  progress?: Progress,
): ModelBenchFigure[] {
  const params = withSetting(testCase.config.model_params, setting);
  const jacobians = params.switches.jacobians;
  const size = testCase.config.dataset_params.frame_shape[0];
  torch.manualSeed(seed);
  const model = new DiME(params).eval().to(device);
  const generator = new torch.Generator(seed);
  const source = images(1, testCase.config, generator, device);
  const references = Array.from({ length: setting.references }, () => images(1, testCase.config, generator, device));
  const prepared = inferIn(device, precision, () => model.prepare(source, references));
  const figures: ModelBenchFigure[] = [];
  const drivings: Tensor[] = [];
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      const common = {
        config: testCase.name,
        size,
        setting: setting.name,
        switches: params.switches,
        references: setting.references,
        precision,
        device,
        threads: t,
        runs: testCase.runs,
        warmup: testCase.warmup,
      };
      const push = (kind: "frame" | "job", batch: number, m: Measured) =>
        figures.push({
          kind,
          ...common,
          batch,
          medianMs: m.medianMs,
          minMs: m.minMs,
          macs: m.macs,
          gflopsPerSecond: (2 * m.macs) / (m.medianMs * 1e6),
          ...(kind === "frame" ? { framesPerSecond: (1000 * batch) / m.medianMs } : {}),
          liveTensors: m.liveTensors,
          otherProcessCores: m.otherProcessCores,
        });
      for (const batch of batches) {
        // Views prepared for one source serve a whole batch of driving frames, as in dime animate.
        const driving = images(batch, testCase.config, generator, device);
        drivings.push(driving);
        progress?.(`${size} px ${setting.name} ${precision}, ${device}, ${t} thread(s): per frame, batch ${batch}`);
        const frame = measure(
          synchronised(
            () => torch.tidy(() => inferIn(device, precision, () => void model.animateFrame(prepared, model.keypoints(driving, jacobians)))),
            device,
          ),
          testCase.runs,
          testCase.warmup,
        );
        push("frame", batch, frame);
      }
      progress?.(`${size} px ${setting.name} ${precision}, ${device}, ${t} thread(s): per job (prepare)`);
      const job = measure(
        synchronised(() => torch.tidy(() => inferIn(device, precision, () => void model.prepare(source, references))), device),
        testCase.runs,
        testCase.warmup,
      );
      push("job", 1, job);
    }
  } finally {
    torch.dispose([prepared, source, drivings, references]);
    model.dispose();
  }
  return figures;
}

/** The training loss: the config's pixel loss, or the perceptual loss on VGG-19 with hash weights (no file needed). */
function trainingLoss(config: DimeConfig, kind: TrainLossKind): ReconstructionLoss {
  const trainParams = config.train_params;
  if (kind === "pixel") return reconstructionLoss({ ...trainParams, perceptual: "pixel" });
  const vgg = new Vgg19();
  torch.tidy(() => vgg.loadWeights(hashVgg19Weights(), "hash weights"));
  return new PerceptualPyramidLoss(vgg, { scales: trainParams.scales, weights: trainParams.loss_weights.perceptual });
}

function benchTrain(
  testCase: TrainCase,
  kind: TrainLossKind,
  threads: number[],
  seed: number,
  device: torch.Device,
  progress?: Progress,
): ModelBenchFigure[] {
  const { config } = testCase;
  const params = config.model_params;
  const size = config.dataset_params.frame_shape[0];
  torch.manualSeed(seed);
  const model = new DiME(params).train().to(device);
  const loss = trainingLoss(config, kind);
  loss.to(device);
  const objective = new TrainingObjective(model, config.train_params, loss);
  const optimizer = new Adam(model.parameters(), { lr: config.train_params.lr, betas: config.train_params.betas });
  const generator = new torch.Generator(seed);
  const batch = {
    source: images(testCase.batch, config, generator, device),
    driving: images(testCase.batch, config, generator, device),
    references: Array.from({ length: params.switches.num_refs }, () => images(testCase.batch, config, generator, device)),
  };
  const figures: ModelBenchFigure[] = [];
  try {
    for (const t of threads) {
      torch.setNumThreads(t);
      progress?.(`${size} px training step, batch ${testCase.batch}, ${kind} loss, ${device}, ${t} thread(s)`);
      const step = measure(
        synchronised(
          () =>
            torch.tidy(() => {
              optimizer.zeroGrad();
              objective.compute(batch, generator).total.backward();
              optimizer.step();
            }),
          device,
        ),
        testCase.runs,
        testCase.warmup,
      );
      figures.push({
        kind: "train",
        config: testCase.name,
        size,
        setting: "config",
        switches: params.switches,
        references: params.switches.num_refs,
        batch: testCase.batch,
        loss: kind,
        precision: "fp32",
        device,
        threads: t,
        runs: testCase.runs,
        warmup: testCase.warmup,
        medianMs: step.medianMs,
        minMs: step.minMs,
        framesPerSecond: (1000 * testCase.batch) / step.medianMs,
        liveTensors: step.liveTensors,
        otherProcessCores: step.otherProcessCores,
      });
    }
  } finally {
    model.zeroGrad();
    torch.dispose(batch);
    optimizer.dispose();
    loss.dispose();
    model.dispose();
  }
  return figures;
}

/** Runs the suite; libtorch's thread count is restored afterwards. */
export function benchModel(options: ModelBenchOptions, progress?: Progress): ModelBenchResult {
  for (const c of [...options.forward, ...(options.train ? [options.train] : [])]) {
    if (!(Number.isInteger(c.runs) && c.runs >= 1 && Number.isInteger(c.warmup) && c.warmup >= 1)) {
      throw new RangeError(`bench model: ${c.name} needs runs >= 1 and warmup >= 1, got runs ${c.runs}, warmup ${c.warmup}`);
    }
  }
  const seed = options.seed ?? 0;
  const device = options.device ?? "cpu";
  const batches = options.batches ?? [1];
  if (batches.some((b) => !(Number.isInteger(b) && b >= 1)))
    throw new RangeError(`bench model: batches must be >= 1, got ${batches.join(",")}`);
  const started = cpuSnapshot();
  const machine = machineInfo();
  const liveTensorsAtStart = torch.memory().numTensors;
  const original = torch.getNumThreads();
  const figures: ModelBenchFigure[] = [];
  try {
    for (const testCase of options.forward) {
      for (const setting of options.settings ?? SWITCH_SETTINGS)
        for (const precision of options.precisions ?? ["fp32"])
          figures.push(...benchForward(testCase, setting, options.threads, precision, seed, device, batches, progress));
    }
    if (options.train) {
      for (const kind of options.train.losses) figures.push(...benchTrain(options.train, kind, options.threads, seed, device, progress));
    }
  } finally {
    torch.setNumThreads(original);
  }
  const end = cpuSnapshot();
  return {
    suite: "model",
    date: new Date().toISOString(),
    machine,
    method: METHOD,
    figures,
    liveTensorsAtStart,
    liveTensorsAtEnd: torch.memory().numTensors,
    loadAverageAtEnd: machineInfo().loadAverage,
    otherProcessCores: otherProcessCores(started, end),
    seconds: (end.wallMs - started.wallMs) / 1000,
  };
}

function label(f: ModelBenchFigure): string {
  if (f.kind === "train") return `train ${f.size} px, batch ${f.batch}, ${f.references} ref(s), ${f.loss} loss`;
  const batch = f.kind === "frame" && f.batch > 1 ? `, batch ${f.batch}` : "";
  return `${f.kind === "frame" ? "frame" : "job  "} ${f.size} px ${f.setting}${f.precision === "fp32" ? "" : ` ${f.precision}`}${batch}`;
}

/** The figures as a table, with the machine and the method. */
export function formatModelBench(result: ModelBenchResult): string {
  const m = result.machine;
  const header = ["figure", "device", "threads", "median (ms)", "min (ms)", "frames/s", "runs", "GFLOP/s", "others' cores", "live tensors"];
  const rows = result.figures.map((f) => [
    label(f),
    f.device,
    String(f.threads),
    f.medianMs.toFixed(1),
    f.minMs.toFixed(1),
    f.framesPerSecond === undefined ? "-" : f.framesPerSecond.toFixed(1),
    `${f.runs}+${f.warmup}`,
    f.gflopsPerSecond === undefined ? "-" : f.gflopsPerSecond.toFixed(1),
    f.otherProcessCores === undefined ? "?" : f.otherProcessCores.toFixed(2),
    f.liveTensors.grew ? `GREW ${f.liveTensors.afterFirstRun} -> ${f.liveTensors.afterLastRun}` : "steady",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `DiME model benchmark, ${result.date}: ${m.cpu}, ${m.logicalCores} logical cores, libtorch ${m.libtorch}, node ${m.node}`,
    `load average ${m.loadAverage.join(" ")} at start, ${result.loadAverageAtEnd.join(" ")} at end; ${result.seconds.toFixed(0)} s in all; ` +
      `other processes used ${result.otherProcessCores ?? "?"} cores on average (figures at more threads than free cores are not trustworthy)`,
    "frame = driving keypoints + animation (batch 1 unless named; frames/s = batch / median), job = prepare() on the source and references; runs = timed+warm-up;",
    "median and min wall clock of the timed runs; GFLOP/s = 2 x multiply-adds (conv, linear) / median",
    fmt(header),
    ...rows.map(fmt),
    `live tensors: ${result.liveTensorsAtStart} before the suite, ${result.liveTensorsAtEnd} after`,
  ].join("\n");
}
