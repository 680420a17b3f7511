// The training state a checkpoint carries and a resume restores: the model's parameters and
// buffers, Adam's moments and step counts, the schedule's counter, the random generators (the
// CPU's, the warps', and each GPU's), and the precision with (fp16) the loss scaler's state; with
// adversarial training also the discriminator (its own file, `discriminator.*` keys as in FOMM's
// checkpoints), its Adam (in the optimizer file under `discriminator.`) and its schedule.
// With the data position (kept by the trainer) that is everything a step depends on, so a resumed
// run takes the same steps as one never stopped.
import { dirname, join } from "node:path";

import * as torch from "../torch/index.js";
import type { Generator, Precision } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { Adam, GradScaler, MultiStepLR } from "../optim/index.js";
import type { AdversarialLoss } from "../dime/losses/adversarial.js";
import { readCheckpointTensors, type CheckpointContents, type CheckpointEntry, type CheckpointSidecar } from "../checkpoint/files.js";

/** The objects whose state a checkpoint holds. */
export interface TrainingParts {
  model: DiME;
  optimizer: Adam;
  scheduler: MultiStepLR;
  /** Draws the random thin-plate-spline warps of the equivariance loss. */
  transformGenerator: Generator;
  /** With train_params.loss_weights.generator_gan != 0: the discriminator and its optimizer and schedule. */
  adversarial?: AdversarialParts;
  /** What the forward and the losses run in (default fp32). */
  precision?: Precision;
  /** fp16's dynamic loss scaling (enabled only for fp16). */
  scaler?: GradScaler;
}

export interface AdversarialParts {
  loss: AdversarialLoss;
  optimizer: Adam;
  scheduler: MultiStepLR;
}

/** Key prefix of the discriminator's tensors in its checkpoint file and of its Adam state in the optimizer file. */
export const DISCRIMINATOR_PREFIX = "discriminator.";

/** The discriminator's state dict under FOMM's checkpoint keys (`discriminator.discs.1...`). */
export function discriminatorTensors(loss: AdversarialLoss): Map<string, torch.Tensor> {
  return new Map([...loss.discriminator.stateDict()].map(([k, t]) => [DISCRIMINATOR_PREFIX + k, t]));
}

/** Tensors whose key starts with `prefix`, without it. */
function stripPrefix(tensors: ReadonlyMap<string, torch.Tensor>, prefix: string, keep: boolean): Map<string, torch.Tensor> {
  const out = new Map<string, torch.Tensor>();
  for (const [k, t] of tensors) if (k.startsWith(prefix) === keep) out.set(keep ? k.slice(prefix.length) : k, t);
  return out;
}

/** What the sidecar says beyond the parts' own state. */
export type RunInfo = Omit<
  CheckpointSidecar,
  "format" | "version" | "written" | "files" | "optimizer" | "scheduler" | "rng" | "precision" | "discriminator"
>;

/**
 * The checkpoint of `parts` now. The tensors are new handles sharing the parts' storage: save
 * them, then dispose them (they belong to the caller's tidy scope).
 */
export function captureCheckpoint(parts: TrainingParts, info: RunInfo): CheckpointContents {
  const optimizer = parts.optimizer.stateDict();
  const adversarial = parts.adversarial;
  const discriminatorOptimizer = adversarial?.optimizer.stateDict();
  const optimizerTensors = new Map(optimizer.tensors);
  for (const [k, t] of discriminatorOptimizer?.tensors ?? []) optimizerTensors.set(DISCRIMINATOR_PREFIX + k, t);
  return {
    weights: parts.model.stateDict(),
    optimizerTensors,
    ...(adversarial ? { discriminatorTensors: discriminatorTensors(adversarial.loss) } : {}),
    sidecar: {
      format: "dime-checkpoint",
      version: 1,
      ...info,
      written: new Date().toISOString(),
      optimizer: optimizer.meta,
      scheduler: parts.scheduler.stateDict(),
      rng: captureRng(parts.transformGenerator),
      ...(adversarial && discriminatorOptimizer
        ? { discriminator: { optimizer: discriminatorOptimizer.meta, scheduler: adversarial.scheduler.stateDict() } }
        : {}),
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
    const optimizerTensors = readCheckpointTensors(entry.optimizerPath, entry.sidecar.files.optimizer).tensors;
    parts.optimizer.loadStateDict({ tensors: stripPrefix(optimizerTensors, DISCRIMINATOR_PREFIX, false), meta: entry.sidecar.optimizer });
    parts.scheduler.loadStateDict(entry.sidecar.scheduler);
    const adversarial = parts.adversarial;
    if (adversarial) {
      const { discriminator: file } = entry.sidecar.files;
      const state = entry.sidecar.discriminator;
      // The run's config (checked equal to the checkpoint's) switched the terms on, so a
      // checkpoint without them was written by another dime or edited.
      if (!file || !state)
        throw new Error(
          `${entry.sidecarPath}: adversarial training is on but the checkpoint holds no discriminator state; use the run's own checkpoints`,
        );
      const tensors = readCheckpointTensors(join(dirname(entry.sidecarPath), file.name), file).tensors;
      adversarial.loss.discriminator.loadStateDict(stripPrefix(tensors, DISCRIMINATOR_PREFIX, true));
      adversarial.optimizer.loadStateDict({ tensors: stripPrefix(optimizerTensors, DISCRIMINATOR_PREFIX, true), meta: state.optimizer });
      adversarial.scheduler.loadStateDict(state.scheduler);
    }
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
