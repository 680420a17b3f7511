// Checkpoint files in RUN_DIR/checkpoints: per step, the model's state dict
// (step-000500.safetensors), the optimizer's moments (step-000500.optimizer.safetensors) and a JSON
// sidecar (step-000500.json) with everything else a resume needs. Each file is written atomically
// (temp name, fsync, rename) and the sidecar last, so a checkpoint counts only once its sidecar
// exists and names tensor files of the sizes it records: a crash at any point leaves the previous
// checkpoint the latest complete one.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

import type { Tensor } from "../torch/index.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { parseConfig } from "../dime/config/check.js";
import type { GradScalerState, OptimizerStateDict, SchedulerStateDict } from "../optim/index.js";
import { writeTextAtomic } from "../io/atomic-file.js";
import { readSafetensors, writeSafetensors, type SafetensorsContents, type WrittenFile } from "../io/safetensors.js";
import { CheckpointError } from "./errors.js";

export const CHECKPOINT_FORMAT = "dime-checkpoint";
export const CHECKPOINT_VERSION = 1;

/** Where the data loader stands: the epoch and how many of its items are consumed. */
export interface DataPosition {
  epoch: number;
  position: number;
}

/** The sidecar: everything of a checkpoint that is not a tensor. */
export interface CheckpointSidecar {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Optimizer steps done. */
  step: number;
  /** The run's planned total of steps (the learning-rate milestones are fractions of it). */
  total_steps: number;
  /** Training seconds so far, over every session of the run. */
  seconds: number;
  /** ISO time of writing. */
  written: string;
  /** The data order: the loader's seed and batch size, and the next item to load. */
  data: DataPosition & { seed: number; batch_size: number };
  /** What the run was started with (threads matter for bit-exact resumes). */
  run: { seed: number; threads: number; device: string; init?: RunInit };
  /**
   * The tensor files, relative to the sidecar's folder, with their sizes in bytes. No optimizer:
   * a checkpoint for inference only (it cannot be resumed).
   */
  files: { weights: FileRecord; optimizer?: FileRecord; discriminator?: FileRecord };
  config: DimeConfig;
  optimizer: OptimizerStateDict["meta"];
  scheduler: SchedulerStateDict;
  /**
   * Generator states, base64: libtorch's default generator, the trainer's warp generator and, from
   * a machine with CUDA, every GPU's default generator (by device index).
   */
  rng: { torch_default: string; transform: string; cuda?: string[] };
  /** The precision the run trains in (absent: fp32) and, for fp16, the loss scaler's state. */
  precision?: { mode: "fp32" | "bf16" | "fp16"; scaler?: GradScalerState };
  /** Set by `dime recalibrate`: the batch-norm statistics were recomputed over these training batches. */
  recalibrated?: { data: string; batches: number; batch_size: number; seed: number; averaged?: string[] };
  /** Set by `dime import`: the weights came from this PyTorch checkpoint. */
  imported?: ImportRecord;
}

/** Where an imported checkpoint's weights came from. */
export interface ImportRecord {
  /** The file as given to dime import. */
  checkpoint: string;
  /** "fomm" */
  model: string;
  format: "zip" | "legacy";
  /** FOMM's epoch count, when the file had one. */
  epoch?: number;
}

/** The checkpoint a run's weights started from (`dime train --init`), and its step. */
export interface RunInit {
  checkpoint: string;
  step: number;
}

export interface FileRecord {
  name: string;
  bytes: number;
  /**
   * SHA-256 of the whole file (hex), taken as it was written and checked whenever it is loaded.
   * Checkpoints written before dime recorded it have none and load unchecked.
   */
  sha256?: string;
}

/**
 * The writes a checkpoint makes; tests swap in one that fails half way. Both must be atomic.
 * `writeTensors` returns the file's size and checksum when it took one (else it is hashed after).
 */
export interface CheckpointIo {
  writeTensors(path: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): WrittenFile | void;
  writeText(path: string, text: string): void;
}

export const ATOMIC_IO: CheckpointIo = {
  writeTensors: (path, tensors, metadata) => writeSafetensors(path, tensors as Map<string, Tensor>, metadata),
  writeText: (path, text) => writeTextAtomic(path, text),
};

/** `step-000500`: six digits at least, so names sort by step up to a million. */
export function checkpointStem(step: number): string {
  return `step-${String(step).padStart(6, "0")}`;
}

/** A complete checkpoint found on disk. */
export interface CheckpointEntry {
  step: number;
  /** The sidecar's path. */
  sidecarPath: string;
  weightsPath: string;
  optimizerPath: string;
  sidecar: CheckpointSidecar;
}

/** What the trainer hands over to be saved. */
export interface CheckpointContents {
  /** The model's state dict (parameters and buffers). */
  weights: ReadonlyMap<string, Tensor>;
  /** The optimizer's state tensors; left out, no optimizer file is written (inference only). */
  optimizerTensors?: ReadonlyMap<string, Tensor>;
  /** An imported model's discriminator ("discriminator.*"), kept for adversarial fine-tuning. */
  discriminatorTensors?: ReadonlyMap<string, Tensor>;
  /** The sidecar without `files`, which saving fills in. */
  sidecar: Omit<CheckpointSidecar, "files">;
}

/**
 * Writes the checkpoint of `contents.sidecar.step` into `folder` (which must exist): the weights,
 * the optimizer tensors, then the sidecar. Returns the weights file's path.
 */
export function saveCheckpoint(folder: string, contents: CheckpointContents, io: CheckpointIo = ATOMIC_IO): string {
  const stem = checkpointStem(contents.sidecar.step);
  const weightsPath = join(folder, `${stem}.safetensors`);
  const optimizerPath = join(folder, `${stem}.optimizer.safetensors`);
  const metadata = {
    format: CHECKPOINT_FORMAT,
    step: String(contents.sidecar.step),
    model_params: JSON.stringify(contents.sidecar.config.model_params),
  };
  const files: CheckpointSidecar["files"] = { weights: record(weightsPath, io.writeTensors(weightsPath, contents.weights, metadata)) };
  if (contents.optimizerTensors) {
    files.optimizer = record(
      optimizerPath,
      io.writeTensors(optimizerPath, contents.optimizerTensors, { format: CHECKPOINT_FORMAT, step: String(contents.sidecar.step) }),
    );
  }
  if (contents.discriminatorTensors) {
    const discriminatorPath = join(folder, `${stem}.discriminator.safetensors`);
    files.discriminator = record(
      discriminatorPath,
      io.writeTensors(discriminatorPath, contents.discriminatorTensors, { format: CHECKPOINT_FORMAT, step: String(contents.sidecar.step) }),
    );
  }
  const sidecar: CheckpointSidecar = { ...contents.sidecar, files };
  io.writeText(join(folder, `${stem}.json`), `${JSON.stringify(sidecar, null, 1)}\n`);
  return weightsPath;
}

function record(path: string, written: WrittenFile | void): FileRecord {
  const sha256 = written ? written.sha256 : sha256OfFile(path);
  return { name: basename(path), bytes: statSync(path).size, sha256 };
}

/**
 * The tensors of a checkpoint file, checked against the SHA-256 its sidecar recorded (none for
 * checkpoints written before dime recorded one: those load unchecked, silently). Throws
 * `ChecksumError` ("PATH is corrupted: its checksum does not match; use an earlier checkpoint").
 */
export function readCheckpointTensors(path: string, file: FileRecord | undefined): SafetensorsContents {
  return readSafetensors(path, file?.sha256 ? { sha256: file.sha256 } : {});
}

/** SHA-256 (hex) of a whole file, read in chunks. */
export function sha256OfFile(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(1 << 22);
    for (let n = readSync(fd, chunk, 0, chunk.length, null); n > 0; n = readSync(fd, chunk, 0, chunk.length, null))
      hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

const SIDECAR_NAME = /^step-(\d+)\.json$/;
const CHECKPOINT_FILE = /^step-(\d+)(\.optimizer|\.discriminator)?\.(safetensors|json)$/;
const TEMP_FILE = /^\.step-\d+.*\.tmp$/;

/**
 * Reads and checks a sidecar; undefined when it is not a complete checkpoint (unreadable, not
 * ours, with a config that does not check, or naming tensor files that are missing or of another
 * size). The config comes back complete: a key added to dime after the checkpoint was written
 * takes its default, as in a config file that leaves it out.
 */
export function readSidecar(sidecarPath: string, needOptimizer = true): CheckpointEntry | undefined {
  const entry = inspectSidecar(sidecarPath, needOptimizer);
  return typeof entry === "string" ? undefined : entry;
}

/** `readSidecar`, but saying why a sidecar is refused: one line naming the file and what to do. */
export function inspectSidecar(sidecarPath: string, needOptimizer = true): CheckpointEntry | string {
  let sidecar: CheckpointSidecar;
  try {
    sidecar = JSON.parse(readFileSync(sidecarPath, "utf8")) as CheckpointSidecar;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${sidecarPath}: ${code ? `cannot read the sidecar (${code})` : "the sidecar is not valid JSON (damaged or cut short)"}; use an earlier checkpoint`;
  }
  if (sidecar?.format !== CHECKPOINT_FORMAT || !Number.isInteger(sidecar.step) || !sidecar.files?.weights) {
    return `${sidecarPath}: not a dime checkpoint sidecar (no format "${CHECKPOINT_FORMAT}", step and files): give the .json that dime train wrote beside the weights`;
  }
  if (sidecar.config === undefined || sidecar.config === null) {
    return `${sidecarPath}: the sidecar holds no config, so the model it describes is unknown (was it edited?): use an earlier checkpoint or restore the sidecar`;
  }
  try {
    sidecar.config = parseConfig(sidecar.config, sidecarPath);
  } catch (error) {
    const message = (error as Error).message;
    return message.includes(sidecarPath) ? message : `${sidecarPath}: ${message}`;
  }
  const folder = dirname(sidecarPath);
  const weightsPath = join(folder, sidecar.files.weights.name);
  const { optimizer } = sidecar.files;
  const optimizerPath = join(folder, optimizer?.name ?? `${checkpointStem(sidecar.step)}.optimizer.safetensors`);
  const problem = (path: string, file: FileRecord) => {
    if (!existsSync(path))
      return `${path}: missing (its sidecar ${basename(sidecarPath)} names it): the checkpoint is incomplete; use an earlier one`;
    const size = statSync(path).size;
    return size === file.bytes
      ? undefined
      : `${path}: ${size} bytes, its sidecar recorded ${file.bytes}: the file was cut short or replaced; use an earlier checkpoint`;
  };
  const weightsProblem = problem(weightsPath, sidecar.files.weights);
  if (weightsProblem) return weightsProblem;
  if (needOptimizer) {
    if (!optimizer) return `${sidecarPath}: an inference-only checkpoint (no optimizer state): it cannot be resumed`;
    const optimizerProblem = problem(optimizerPath, optimizer);
    if (optimizerProblem) return optimizerProblem;
  }
  return { step: sidecar.step, sidecarPath, weightsPath, optimizerPath, sidecar };
}

/**
 * The complete checkpoints in `folder`, by step (empty when the folder does not exist). Without
 * `needOptimizer`, a checkpoint whose optimizer file is gone still counts (enough to animate).
 */
export function listCheckpoints(folder: string, needOptimizer = true): CheckpointEntry[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => SIDECAR_NAME.test(name))
    .map((name) => readSidecar(join(folder, name), needOptimizer))
    .filter((entry): entry is CheckpointEntry => entry !== undefined)
    .sort((a, b) => a.step - b.step);
}

/** The complete checkpoint of the highest step in `folder`, if any. */
export function latestCheckpoint(folder: string): CheckpointEntry | undefined {
  return listCheckpoints(folder).at(-1);
}

/**
 * Keeps the newest `keep` complete checkpoints in `folder` and deletes every other checkpoint
 * file: older checkpoints, the leftovers of interrupted writes (tensor files without a sidecar,
 * temp files). The sidecar goes first, so a checkpoint half deleted never counts as complete.
 */
export function rotateCheckpoints(folder: string, keep: number): void {
  const kept = new Set(
    listCheckpoints(folder)
      .slice(-keep)
      .map((e) => e.step),
  );
  const files = readdirSync(folder);
  const doomed = files.filter((name) => {
    if (TEMP_FILE.test(name)) return true;
    const match = CHECKPOINT_FILE.exec(name);
    return match !== null && !kept.has(Number(match[1]));
  });
  doomed.sort((a, b) => Number(b.endsWith(".json")) - Number(a.endsWith(".json")));
  for (const name of doomed) rmSync(join(folder, name), { force: true });
}

/**
 * The checkpoint a path names: a sidecar (.json), a weights file (.safetensors, its sidecar
 * beside it), a checkpoints folder or a run folder (its latest complete checkpoint). Throws a
 * CheckpointError naming the path when there is none.
 */
export function findCheckpoint(path: string, needOptimizer = false): CheckpointEntry {
  if (!existsSync(path))
    throw new CheckpointError(
      `${path}: no such file or folder: give a checkpoint (RUN_DIR/checkpoints/step-NNNNNN.safetensors) or a run folder`,
    );
  if (statSync(path).isDirectory()) {
    const folder = existsSync(join(path, "checkpoints")) ? join(path, "checkpoints") : path;
    const latest = listCheckpoints(folder, needOptimizer).at(-1);
    if (!latest)
      throw new CheckpointError(
        `${path}: holds no complete checkpoint (step-NNNNNN.safetensors with its .json sidecar): train first, or give the checkpoint file`,
      );
    return latest;
  }
  const sidecarPath = path.endsWith(".json") ? path : path.replace(/(\.optimizer)?\.safetensors$/, ".json");
  if (!existsSync(sidecarPath))
    throw new CheckpointError(
      `${path}: no sidecar ${basename(sidecarPath)} beside it: the checkpoint is incomplete (its write was interrupted?); use an earlier one`,
    );
  const entry = inspectSidecar(sidecarPath, needOptimizer);
  if (typeof entry === "string") throw new CheckpointError(entry);
  return entry;
}
