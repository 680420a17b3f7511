// Loading a trained DiME for inference: the weights of a checkpoint into a model built from the
// config saved with it, refusing a config that describes another model.
import { dirname, join } from "node:path";

import * as torch from "../torch/index.js";
import type { Device } from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { ChecksumError, SafetensorsError } from "../io/safetensors.js";
import { findCheckpoint, readCheckpointTensors, type CheckpointSidecar } from "./files.js";
import { firstDifference } from "../dime/config/diff.js";
import { CheckpointError } from "./errors.js";

export interface LoadCheckpointOptions {
  /**
   * The config the caller means to use (e.g. from --config). Its model_params must describe the
   * checkpoint's model; switches.ode and switches.num_refs may differ, as they are inference knobs
   * (the ODE steps trade speed for quality; any number of references works), and are taken from it.
   */
  config?: DimeConfig;
  /** Names `config` in errors (default "the config"). */
  configSource?: string;
  /** Where the model goes (default cpu). */
  device?: Device;
}

export interface LoadedCheckpoint {
  /** In eval mode, on the requested device. */
  model: DiME;
  /** The checkpoint's config, with the caller's inference knobs when a config was given. */
  config: DimeConfig;
  /** Optimizer steps the weights were trained for. */
  step: number;
  /** The weights file that was read. */
  path: string;
  /** Its sidecar (.json). */
  sidecarPath: string;
  sidecar: CheckpointSidecar;
}

/** model_params keys that inference may set differently from training. */
// discriminator_params too: the discriminator is no part of the weights file (it trains beside the
// model and may be changed, or dropped, for fine-tuning).
const INFERENCE_KNOBS = new Set(["switches.ode", "switches.num_refs", "discriminator_params"]);

/**
 * Loads a checkpoint: a weights file (step-NNNNNN.safetensors), its .json sidecar, or a run or
 * checkpoints folder (its latest complete checkpoint). Throws a CheckpointError of one line when the
 * path holds no complete checkpoint or `options.config` describes another model, e.g.
 * "checkpoint was trained with model_params.common_params.num_kp=10 but the config says 15: pass
 * the config saved beside it (RUN/config.yaml)".
 */
export function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const entry = findCheckpoint(path);
  const saved = entry.sidecar.config;
  let config = saved;
  if (options.config) {
    const difference = firstDifference(saved.model_params, options.config.model_params, INFERENCE_KNOBS);
    if (difference) {
      const source = options.configSource ?? "the config";
      throw new CheckpointError(
        `${entry.weightsPath}: checkpoint was trained with model_params.${difference.path}=${difference.first} but ${source} says ${difference.second}: pass the config saved beside it (${savedConfigPath(entry.sidecarPath)})`,
      );
    }
    const { ode, num_refs } = options.config.model_params.switches;
    config = structuredClone(saved);
    Object.assign(config.model_params.switches, { ode: structuredClone(ode), num_refs });
  }
  // num_refs > 0 decides whether the MotionODE has its reference net: build the checkpoint's
  // architecture, whatever number of references the caller means to use.
  const architecture = structuredClone(config.model_params);
  architecture.switches.num_refs = saved.model_params.switches.num_refs;
  const model = new DiME(architecture);
  try {
    torch.tidy(() => model.loadStateDict(readCheckpointTensors(entry.weightsPath, entry.sidecar.files.weights).tensors));
  } catch (error) {
    model.dispose();
    throw checkpointLoadError(entry.weightsPath, error);
  }
  if (options.device !== undefined) model.to(options.device);
  model.eval();
  return { model, config, step: entry.step, path: entry.weightsPath, sidecarPath: entry.sidecarPath, sidecar: entry.sidecar };
}

/**
 * The one-line CheckpointError for a failure while reading `weightsPath` into a model: a checksum
 * mismatch and a safetensors error as they are (they name the file once), a state dict that does
 * not fit the model cut to its first bad key.
 */
export function checkpointLoadError(weightsPath: string, error: unknown): CheckpointError {
  if (error instanceof ChecksumError) return new CheckpointError(error.message, { cause: error });
  if (error instanceof SafetensorsError)
    return new CheckpointError(`${error.file}: ${error.problem}: the file is damaged; use an earlier checkpoint`, { cause: error });
  return new CheckpointError(`${weightsPath}: ${firstMismatch((error as Error).message)}`, { cause: error });
}

/**
 * loadStateDict's report (a header, then lists of missing, unexpected and mis-shaped keys) cut to
 * one line naming the first bad key of the first list.
 */
export function firstMismatch(message: string): string {
  const lines = message.split("\n");
  const header = lines.findIndex((line) => /^\s+(missing|unexpected|mis-shaped) keys/.test(line));
  if (header < 0 || header + 1 >= lines.length) return lines[0];
  const kind = lines[header].trim().replace(/ \(.*$|:$/g, "");
  const count = lines.slice(header + 1).findIndex((line) => !line.startsWith("    "));
  return `the weights do not fit the model of the config saved with them (${kind}: ${lines[header + 1].trim()}${count === 1 ? "" : " and others"}): the file is damaged or was not written for this config; use another checkpoint`;
}

/** RUN_DIR/config.yaml for a sidecar in RUN_DIR/checkpoints. */
function savedConfigPath(sidecarPath: string): string {
  return join(dirname(dirname(sidecarPath)), "config.yaml");
}
