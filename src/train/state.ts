// The training state a checkpoint carries and a resume restores: the model's parameters and
// buffers, Adam's moments and step counts, the schedule's counter, the random generators (the
// CPU's, the warps', and each GPU's), and the precision with (fp16) the loss scaler's state.
// With the data position (kept by the trainer) that is everything a step depends on, so a resumed
// run takes the same steps as one never stopped.
import * as torch from "../torch/index.js";
import type { Generator, Precision } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { Adam, GradScaler, MultiStepLR } from "../optim/index.js";
import { readCheckpointTensors, type CheckpointContents, type CheckpointEntry, type CheckpointSidecar } from "../checkpoint/files.js";

/** The objects whose state a checkpoint holds. */
export interface TrainingParts {
  model: DiME;
  optimizer: Adam;
  scheduler: MultiStepLR;
  /** Draws the random thin-plate-spline warps of the equivariance loss. */
  transformGenerator: Generator;
  /** What the forward and the losses run in (default fp32). */
  precision?: Precision;
  /** fp16's dynamic loss scaling (enabled only for fp16). */
  scaler?: GradScaler;
}

/** What the sidecar says beyond the parts' own state. */
export type RunInfo = Omit<CheckpointSidecar, "format" | "version" | "written" | "files" | "optimizer" | "scheduler" | "rng" | "precision">;

/**
 * The checkpoint of `parts` now. The tensors are new handles sharing the parts' storage: save
 * them, then dispose them (they belong to the caller's tidy scope).
 */
export function captureCheckpoint(parts: TrainingParts, info: RunInfo): CheckpointContents {
  const optimizer = parts.optimizer.stateDict();
  return {
    weights: parts.model.stateDict(),
    optimizerTensors: optimizer.tensors,
    sidecar: {
      format: "dime-checkpoint",
      version: 1,
      ...info,
      written: new Date().toISOString(),
      optimizer: optimizer.meta,
      scheduler: parts.scheduler.stateDict(),
      rng: captureRng(parts.transformGenerator),
      // Plain fp32 runs write no precision key, so their sidecars are as before.
      ...((parts.precision ?? "fp32") !== "fp32" || parts.scaler?.enabled
        ? { precision: { mode: parts.precision ?? "fp32", ...(parts.scaler?.enabled ? { scaler: parts.scaler.stateDict() } : {}) } }
        : {}),
    },
  };
}

/** Loads a complete checkpoint into `parts` (built from the same config). */
export function restoreCheckpoint(parts: TrainingParts, entry: CheckpointEntry): void {
  torch.tidy(() => {
    parts.model.loadStateDict(readCheckpointTensors(entry.weightsPath, entry.sidecar.files.weights).tensors);
    parts.optimizer.loadStateDict({
      tensors: readCheckpointTensors(entry.optimizerPath, entry.sidecar.files.optimizer).tensors,
      meta: entry.sidecar.optimizer,
    });
    parts.scheduler.loadStateDict(entry.sidecar.scheduler);
    restoreRng(entry.sidecar.rng, parts.transformGenerator);
    const scaler = entry.sidecar.precision?.scaler;
    if (scaler && parts.scaler?.enabled) parts.scaler.loadStateDict(scaler);
  });
}

/** The generators' states for a checkpoint: libtorch's CPU default, the warps', and every GPU's default. */
export function captureRng(transformGenerator: Generator): CheckpointSidecar["rng"] {
  return {
    torch_default: generatorState(torch.defaultGenerator()),
    transform: generatorState(transformGenerator),
    ...(torch.cuda.isAvailable() ? { cuda: cudaGenerators().map(generatorState) } : {}),
  };
}

/** Puts back what captureRng saved. */
export function restoreRng(rng: CheckpointSidecar["rng"], transformGenerator: Generator): void {
  setGeneratorState(torch.defaultGenerator(), rng.torch_default);
  setGeneratorState(transformGenerator, rng.transform);
  // Resumed on the CPU, the GPUs' states are not needed; on fewer GPUs, those that exist get theirs.
  const cudaStates = rng.cuda ?? [];
  if (cudaStates.length > 0 && torch.cuda.isAvailable())
    cudaGenerators().forEach((generator, i) => i < cudaStates.length && setGeneratorState(generator, cudaStates[i]));
}

/** Every visible GPU's default generator, by device index. */
function cudaGenerators(): Generator[] {
  return Array.from({ length: torch.cuda.deviceCount() }, (_, i) => torch.cuda.defaultGenerator(i));
}

function generatorState(generator: Generator): string {
  return torch.tidy(() => Buffer.from(generator.getState().data() as Uint8Array).toString("base64"));
}

function setGeneratorState(generator: Generator, base64: string): void {
  const bytes = new Uint8Array(Buffer.from(base64, "base64"));
  torch.tidy(() => generator.setState(torch.fromArray(bytes, [bytes.length], { dtype: "uint8" })));
}
