// Setting a training run up: the options checked, the config settled (a new run's, or a resumed
// run's saved one), the data opened, the run folder made, and the model, loss, optimizer, schedule
// and generators built, or restored from the latest checkpoint. Every problem is found here, before
// the first step, and reported as one line naming the file or flag.
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

import * as torch from "../torch/index.js";
import type { Device, Precision, PrecisionChoice } from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { applyOverrides } from "../dime/config/file.js";
import { TrainingObjective } from "../dime/objective.js";
import { reconstructionLoss, type ReconstructionLoss } from "../dime/losses/index.js";
import { DataLoader } from "../data/loader.js";
import { Adam, GradScaler, MultiStepLR, type GradScalerOptions } from "../optim/index.js";
import { findCheckpoint, latestCheckpoint, type CheckpointEntry, type DataPosition, type RunInit } from "../checkpoint/files.js";
import { isFommToDime, startFromFomm } from "../dime/fomm-start.js";
import { isTorchCheckpointPath } from "../checkpoint/fomm-import.js";
import { loadCheckpoint, type LoadedCheckpoint } from "../checkpoint/load.js";
import { TrainError } from "./errors.js";
import { checkSameConfig, createRunFolder, openRunFolder, readRunConfig, runFolder, saveRunConfig, type RunFolder } from "./run-dir.js";
import { DISCRIMINATOR_PREFIX, restoreCheckpoint, type AdversarialParts, type TrainingParts } from "./state.js";
import { AdversarialLoss, adversarialOn } from "../dime/losses/adversarial.js";
import { readCheckpointTensors } from "../checkpoint/files.js";
import type { DataParallel } from "./distributed.js";

export interface TrainOptions {
  /** The config (loadConfig of a file, with any overrides). With `resume` it may be left out: the run's saved config is used. */
  config?: DimeConfig;
  /** Names `config` in errors, e.g. its file (default "the given config"). */
  configSource?: string;
  /** The dataset folder (DIR/train/<video>...). */
  data: string;
  /** The run folder: new or empty, or with `resume` a run to continue. */
  out: string;
  /** Total optimizer steps of the run (default train_params.num_steps). */
  steps?: number;
  /** Or the total in epochs of the training split (one epoch = each video once, whole batches). */
  epochs?: number;
  /** Overrides train_params.batch_size (a resume must keep it). */
  batchSize?: number;
  /** Learning rate before the first drop (default train_params.lr); with `init`, fine-tuning often wants a lower one. */
  lr?: number;
  /** Continue the run in `out` from its latest complete checkpoint. */
  resume?: boolean;
  /**
   * Start a new run from this checkpoint's weights (a checkpoint file or run folder): its
   * parameters and batch-norm statistics are loaded; the optimizer, the schedule, the step count
   * and the data order start afresh. For fine-tuning, or a warm restart of a finished run.
   */
  init?: string;
  /** Default "cpu". */
  device?: Device;
  /** libtorch threads (default: libtorch's own choice; a resume defaults to the run's). */
  threads?: number;
  /** Seeds the model's initialisation, the warps and the data order (default 0; a resume keeps the run's). */
  seed?: number;
  /** VGG-19 weights for `perceptual: vgg` (overrides train_params.vgg_weights). */
  vggWeights?: string;
  /** Override train_params.checkpoint_freq, sample_freq and keep_checkpoints. */
  checkpointEvery?: number;
  sampleEvery?: number;
  keep?: number;
  /** Loader worker threads (default 1; 0 loads in the training thread). The batches are the same whatever the count. */
  workers?: number;
  /**
   * fp32 (default; a resume defaults to the run's), bf16 or fp16 (CUDA only, with dynamic loss
   * scaling): autocast over the forward and the losses, fp32 islands kept (src/torch/autocast.ts).
   */
  precision?: PrecisionChoice;
  /**
   * Dynamic loss scaling (default: on for fp16 only; a resume keeps the run's). On in fp32 it
   * changes nothing but the skipped steps of an overflow (tests force one with a huge initScale).
   */
  lossScale?: GradScalerOptions;
  /**
   * This process's part in a data-parallel run (train/distributed.ts): train_params.batch_size
   * is then the batch of all ranks together, each rank loading its share; only rank 0 writes.
   */
  parallel?: DataParallel;
}

/** Everything a training loop needs, ready at its first step. */
export interface Session {
  config: DimeConfig;
  folder: RunFolder;
  loader: DataLoader;
  reconstruction: ReconstructionLoss;
  objective: TrainingObjective;
  parts: TrainingParts;
  device: Device;
  /** What the forward and the losses run in. */
  precision: Precision;
  seed: number;
  threads: number;
  totalSteps: number;
  /** Items per epoch and whole batches per epoch. */
  epochLength: number;
  batchesPerEpoch: number;
  /** The checkpoint resumed from, if any. */
  resumed?: CheckpointEntry;
  /** The checkpoint whose weights the run started from (`init`), kept across resumes. */
  init?: RunInit;
  /** Where the run stands: steps done, the data position, training seconds so far. */
  start: DataPosition & { step: number; seconds: number };
  /** Notes for the user (a changed thread count, say). */
  notes: string[];
  /** The data-parallel run this process is a rank of, if any. */
  parallel?: DataParallel;
  close(): Promise<void>;
}

/** Sets a run up (see the file header). Throws TrainError, ConfigError or MediaError, each one line. */
export async function openSession(options: TrainOptions): Promise<Session> {
  checkCounts(options);
  if (options.init !== undefined && options.resume)
    throw new TrainError(
      "give --init or --resume, not both: --init starts a new run from a checkpoint's weights, --resume continues a run",
    );
  const device = options.device ?? "cpu";
  if (device !== "cpu" && !torch.cuda.isAvailable())
    throw new TrainError(`--device ${device}: libtorch sees no CUDA device here: use --device cpu`);
  const parallel = options.parallel;
  const main = !parallel || parallel.isMain;
  const resumeFolder = options.resume ? (main ? openRunFolder(options.out) : runFolder(options.out)) : undefined;
  const resumed = resumeFolder && latestCheckpoint(resumeFolder.checkpoints);
  const configSource = options.configSource ?? "the given config";

  let config: DimeConfig;
  if (resumeFolder) {
    const saved = readRunConfig(resumeFolder);
    const given = options.config ?? saved;
    const withFlags = applyOverrides(given, trainingFlags(options), "options");
    checkSameConfig(saved, withFlags, resumeFolder.configPath, options.config ? configSource : "--batch-size or --lr");
    config = saved;
  } else {
    if (!options.config) throw new TrainError("no config: pass --config FILE (configs/*.yaml), or --resume to continue a run");
    config = applyOverrides(options.config, trainingFlags(options), "options");
  }
  config = applyOverrides(config, runControl(options), "options");

  const seed = resumed?.sidecar.run.seed ?? options.seed ?? 0;
  if (resumed && options.seed !== undefined && options.seed !== seed)
    throw new TrainError(`${options.out}: the run was started with --seed ${seed}, not ${options.seed}: leave --seed out to resume it`);
  const notes: string[] = [];
  const threads = options.threads ?? resumed?.sidecar.run.threads;
  if (resumed && threads !== resumed.sidecar.run.threads)
    notes.push(
      `note: the run used ${resumed.sidecar.run.threads} threads, this session ${threads}; a resume is bit-exact only with the same count`,
    );
  if (threads !== undefined) torch.setNumThreads(threads);
  // Each step frees and re-allocates the same activations; glibc's defaults hand large blocks back
  // to the system and fault them in afresh every step (14-35% of CPU time; docs/speed.md, "The
  // training step"). The process's resident memory then stays at its peak, as in `dime animate`.
  torch.retainFreedMemory();
  const runPrecision = resumed ? (resumed.sidecar.precision?.mode ?? "fp32") : undefined;
  const precision = torch.resolvePrecision(options.precision ?? runPrecision ?? "fp32", device);
  const precisionProblem = torch.precisionProblem(precision, device);
  if (precisionProblem) throw new TrainError(`--precision ${precision}: ${precisionProblem}`);
  if (runPrecision !== undefined && precision !== runPrecision)
    notes.push(`note: the run trained in ${runPrecision}, this session in ${precision}; a resume is bit-exact only in the same precision`);

  const train = config.train_params;
  const [height, width] = config.dataset_params.frame_shape;
  if (height !== width)
    throw new TrainError(`dataset_params.frame_shape is ${height}x${width}: the loader makes square frames, so give equal sides`);
  // Read before anything is made, so that a refused checkpoint leaves no run folder behind.
  const initial = options.init !== undefined ? openInitialCheckpoint(options.init, config, configSource) : undefined;
  // The discriminator's step is plain fp32 on one process: its gradients are not all-reduced and
  // it has no loss scaler, so those combinations are refused rather than trained wrongly.
  if (adversarialOn(train) && (precision !== "fp32" || parallel))
    throw new TrainError(
      `train_params.loss_weights.generator_gan is ${train.loss_weights.generator_gan}: adversarial training runs in fp32 on one process; leave out ${parallel ? "the distributed launch" : `--precision ${precision}`} or set generator_gan to 0`,
    );
  const reconstruction = reconstructionLoss(train, { vggWeights: options.vggWeights, device });
  let loader: DataLoader | undefined;
  try {
    loader = await openTrainingLoader(options.data, config, seed, options.workers);
    const epochLength = loader.epochLength;
    const batchesPerEpoch = Math.floor(epochLength / train.batch_size);
    if (parallel && train.batch_size % parallel.worldSize !== 0)
      throw new TrainError(
        `train_params.batch_size ${train.batch_size} is the batch of all ${parallel.worldSize} ranks together: give a --batch-size divisible by ${parallel.worldSize}`,
      );
    if (batchesPerEpoch === 0)
      throw new TrainError(
        `${options.data}/train: ${epochLength} videos make no whole batch of ${train.batch_size}: lower --batch-size or add videos`,
      );
    const totalSteps =
      options.steps ??
      (options.epochs !== undefined ? options.epochs * batchesPerEpoch : (resumed?.sidecar.total_steps ?? train.num_steps));
    config = applyOverrides(config, { "train_params.num_steps": totalSteps }, "--steps");
    if (resumed && totalSteps < resumed.step)
      throw new TrainError(
        `${resumed.weightsPath}: the run is at step ${resumed.step}, past the ${totalSteps} steps asked for: give more --steps`,
      );

    const folder = resumeFolder ?? (main ? createRunFolder(options.out) : runFolder(options.out));
    if (main) saveRunConfig(folder, config);
    if (resumed) checkSameConfig(resumed.sidecar.config, config, resumed.sidecarPath, folder.configPath);

    torch.manualSeed(seed);
    const model = new DiME(config.model_params).to(device);
    const optimizer = new Adam(model.parameters(), { lr: train.lr, betas: train.betas, eps: train.adam_eps });
    const scheduler = new MultiStepLR(optimizer, { milestones: milestones(train.lr_milestones, totalSteps), gamma: 0.1 });
    const adversarial = adversarialOn(train) ? adversarialParts(config, totalSteps, device) : undefined;
    const scaler = new GradScaler(
      options.lossScale ?? { enabled: precision === "fp16" || resumed?.sidecar.precision?.scaler !== undefined },
    );
    const parts: TrainingParts = {
      model,
      optimizer,
      scheduler,
      transformGenerator: new torch.Generator(seed + 1),
      precision,
      scaler,
      adversarial,
    };
    if (adversarial) notes.push(describeAdversarial(config));
    if (initial && adversarial) notes.push(startDiscriminator(adversarial, initial));
    if (initial) {
      torch.tidy(() =>
        initial.fommStart ? startFromFomm(model, initial.model.stateDict()) : model.loadStateDict(initial.model.stateDict()),
      );
      if (initial.fommStart)
        notes.push(
          "note: --init is a FOMM model: DiME's MotionODE, SelfFlow and fuse start as no-ops, so training starts from the FOMM (docs/fomm.md)",
        );
    }
    const init = resumed ? resumed.sidecar.run.init : initial && { checkpoint: initial.path, step: initial.step };
    if (resumed) {
      restoreCheckpoint(parts, resumed);
      // The milestones are fractions of the run's total, which a resume may have changed.
      scheduler.milestones = milestones(train.lr_milestones, totalSteps);
      if (adversarial) adversarial.scheduler.milestones = milestones(train.lr_milestones, totalSteps);
    }
    parallel?.attach(
      model.parameters().filter((p) => p.requiresGrad),
      model.buffers(),
    );
    const start = resumed
      ? { step: resumed.step, epoch: resumed.sidecar.data.epoch, position: resumed.sidecar.data.position, seconds: resumed.sidecar.seconds }
      : { step: 0, epoch: 0, position: 0, seconds: 0 };
    const openLoaderRef = loader;
    return {
      config,
      folder,
      loader,
      reconstruction,
      device,
      precision,
      seed,
      init,
      totalSteps,
      epochLength,
      batchesPerEpoch,
      resumed,
      start,
      notes,
      parts,
      parallel,
      threads: torch.getNumThreads(),
      objective: new TrainingObjective(model, train, reconstruction, adversarial?.loss),
      async close() {
        await openLoaderRef.close();
        optimizer.dispose();
        model.dispose();
        adversarial?.optimizer.dispose();
        adversarial?.loss.dispose();
        reconstruction.dispose();
      },
    };
  } catch (error) {
    await loader?.close();
    reconstruction.dispose();
    throw error;
  } finally {
    initial?.model.dispose();
  }
}

/**
 * The checkpoint `--init` names, loaded: its model_params must be `config`'s, but for the ODE
 * solver and the number of references, and with references or without, as the network differs.
 * A FOMM checkpoint (dime import: refine, identity_flow off, no references) may start a DiME of
 * the same FOMM part with those switched on (`fommStart`: see dime/fomm-start.ts).
 */
function openInitialCheckpoint(path: string, config: DimeConfig, configSource: string): LoadedCheckpoint & { fommStart: boolean } {
  let loaded: LoadedCheckpoint;
  let fommStart = false;
  if (isTorchCheckpointPath(path)) {
    throw new TrainError(
      `--init ${path}: a PyTorch checkpoint: import it first (dime import ${path} --config configs/fomm/NAME.yaml -o DIR, docs/fomm.md), then give --init DIR`,
    );
  }
  try {
    const saved = findCheckpoint(path).sidecar.config.model_params;
    fommStart = isFommToDime(saved.switches, config.model_params.switches);
    // The FOMM part must match; DiME's parts and switches are the new config's own.
    const asSaved = fommStart ? structuredClone(config) : config;
    if (fommStart) {
      const { refine, identity_flow, num_refs } = saved.switches;
      Object.assign(asSaved.model_params.switches, { refine, identity_flow, num_refs });
      asSaved.model_params.motion_ode_params = structuredClone(saved.motion_ode_params);
      asSaved.model_params.self_flow_params = structuredClone(saved.self_flow_params);
    }
    loaded = loadCheckpoint(path, { config: asSaved, configSource });
  } catch (error) {
    throw new TrainError(`--init ${(error as Error).message}`, { cause: error });
  }
  if (fommStart) return Object.assign(loaded, { fommStart });
  const refs = [loaded.sidecar.config.model_params.switches.num_refs, config.model_params.switches.num_refs];
  if (refs[0] > 0 !== refs[1] > 0) {
    loaded.model.dispose();
    throw new TrainError(
      `--init ${loaded.path}: checkpoint was trained with switches.num_refs=${refs[0]} but ${configSource} says ${refs[1]}: a model with references has a net a model without them lacks; use num_refs ${refs[0] > 0 ? ">= 1" : "0"}`,
    );
  }
  return Object.assign(loaded, { fommStart });
}

/**
 * FOMM's discriminator (built after the model, from the same seed), its Adam (lr_discriminator,
 * the generator's betas, as FOMM's train.py) and the generator's schedule.
 */
function adversarialParts(config: DimeConfig, totalSteps: number, device: Device): AdversarialParts {
  const { model_params: model, train_params: train } = config;
  const loss = new AdversarialLoss(
    model.discriminator_params,
    train.loss_weights,
    model.common_params.num_channels,
    model.common_params.num_kp,
  );
  loss.to(device);
  const optimizer = new Adam(loss.discriminator.parameters(), { lr: train.lr_discriminator, betas: train.betas, eps: train.adam_eps });
  const scheduler = new MultiStepLR(optimizer, { milestones: milestones(train.lr_milestones, totalSteps), gamma: 0.1 });
  return { loss, optimizer, scheduler };
}

/** The log's line on the adversarial terms. */
function describeAdversarial(config: DimeConfig): string {
  const d = config.model_params.discriminator_params;
  const w = config.train_params.loss_weights;
  return `adversarial terms on (FOMM's LSGAN): generator_gan ${w.generator_gan}, feature_matching [${w.feature_matching.join(", ")}], discriminator_gan ${w.discriminator_gan}, lr_discriminator ${config.train_params.lr_discriminator}; discriminator scales [${d.scales.join(", ")}], ${d.num_blocks} blocks, block_expansion ${d.block_expansion}, spectral norm ${d.sn ? "on" : "off"}, keypoints ${d.use_kp ? "on" : "off"}`;
}

/**
 * Loads the --init checkpoint's discriminator (kept beside an imported FOMM model by dime import,
 * or written by an adversarial run) into `adversarial`, when it has one; returns the note to print.
 */
function startDiscriminator(adversarial: AdversarialParts, initial: LoadedCheckpoint): string {
  const file = initial.sidecar.files.discriminator;
  if (!file) return `note: --init ${initial.path} has no discriminator: the discriminator starts from scratch`;
  const path = join(dirname(initial.sidecarPath), file.name);
  torch.tidy(() => {
    const tensors = readCheckpointTensors(path, file).tensors;
    const state = new Map(
      [...tensors].filter(([k]) => k.startsWith(DISCRIMINATOR_PREFIX)).map(([k, t]) => [k.slice(DISCRIMINATOR_PREFIX.length), t]),
    );
    try {
      adversarial.loss.discriminator.loadStateDict(state);
    } catch (error) {
      const first = (error as Error).message.split("\n").find((line) => line.trim() !== "" && !line.includes("loadStateDict")) ?? "";
      throw new TrainError(
        `--init ${path}: the discriminator does not fit model_params.discriminator_params (${first.trim()}): set them as the model was trained (FOMM's: its config's discriminator_params)`,
        { cause: error },
      );
    }
  });
  return `note: the discriminator starts from ${path}`;
}

/** Steps where the learning rate drops: fractions of the total, rounded. */
function milestones(fractions: readonly number[], totalSteps: number): number[] {
  return fractions.map((f) => Math.round(f * totalSteps));
}

function checkCounts(options: TrainOptions): void {
  if (options.steps !== undefined && options.epochs !== undefined) throw new TrainError("give --steps or --epochs, not both");
  const counts: [string, number | undefined, number][] = [
    ["--steps", options.steps, 1],
    ["--epochs", options.epochs, 1],
    ["--batch-size", options.batchSize, 1],
    ["--threads", options.threads, 1],
    ["--seed", options.seed, 0],
    ["--checkpoint-every", options.checkpointEvery, 1],
    ["--sample-every", options.sampleEvery, 1],
    ["--keep", options.keep, 1],
    ["--workers", options.workers, 0],
  ];
  for (const [flag, value, least] of counts) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= least))
      throw new TrainError(`${flag} must be an integer >= ${least}, got ${value}`);
  }
  if (options.lr !== undefined && !(Number.isFinite(options.lr) && options.lr > 0))
    throw new TrainError(`--lr must be a number > 0, got ${options.lr}`);
}

/** The train_params keys the options set that are part of the training itself: a resume must give the run's. */
function trainingFlags(options: TrainOptions): Record<string, number> {
  const overrides: Record<string, number> = {};
  if (options.batchSize !== undefined) overrides["train_params.batch_size"] = options.batchSize;
  if (options.lr !== undefined) overrides["train_params.lr"] = options.lr;
  return overrides;
}

/** The run-control keys the options set. */
function runControl(options: TrainOptions): Record<string, number | string> {
  const overrides: Record<string, number | string> = {};
  if (options.checkpointEvery !== undefined) overrides["train_params.checkpoint_freq"] = options.checkpointEvery;
  if (options.sampleEvery !== undefined) overrides["train_params.sample_freq"] = options.sampleEvery;
  if (options.keep !== undefined) overrides["train_params.keep_checkpoints"] = options.keep;
  if (options.vggWeights !== undefined) overrides["train_params.vgg_weights"] = options.vggWeights;
  return overrides;
}

/** The training split of `data` as `config` trains on it: frame size, references, augmentation, batch size. */
export async function openTrainingLoader(data: string, config: DimeConfig, seed: number, workers = 1): Promise<DataLoader> {
  if (!existsSync(data) || !statSync(data).isDirectory()) {
    throw new TrainError(
      `${data}: no such folder: --data takes a dataset folder with train/ and test/ (dime synth --kind faces --out DIR makes one)`,
    );
  }
  const { flip_param: flip, jitter_param: jitter } = config.dataset_params.augmentation_params;
  const jitters = jitter.brightness !== 0 || jitter.contrast !== 0 || jitter.saturation !== 0 || jitter.hue !== 0;
  return DataLoader.open(data, {
    size: config.dataset_params.frame_shape[0],
    numRefs: config.model_params.switches.num_refs,
    seed,
    batchSize: config.train_params.batch_size,
    workers,
    augment: { hflip: flip.horizontal_flip, timeFlip: flip.time_flip, jitter: jitters ? { ...jitter } : undefined },
  });
}
