// Loading a trained DiME for inference: loadCheckpoint (src/checkpoint; src/train writes the
// checkpoints: step-NNNNNN.safetensors, its .json sidecar with the config, or a run folder for
// its latest) plus what inference needs beside the model, the frame size to work at.
import type { Device } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { loadCheckpoint } from "../checkpoint/load.js";
import { CheckpointError } from "../checkpoint/errors.js";
import { fitProblem } from "../media/fit.js";
import { importFommCheckpoint, isTorchCheckpointPath } from "../checkpoint/fomm-import.js";
import * as torch from "../torch/index.js";
import { tuneForInference } from "../dime/inference-tuning.js";

/** The frame size a model works at, from its config's dataset_params.frame_shape. */
export interface FrameSize {
  width: number;
  height: number;
}

export interface LoadedModel {
  /** In eval mode, on the requested device. */
  model: DiME;
  /** The checkpoint's config, with the given config's inference knobs (switches.ode, num_refs). */
  config: DimeConfig;
  /** The frame size to animate at: the given config's frame_shape, else the checkpoint's. */
  size: FrameSize;
  /** Optimizer steps the weights were trained for. */
  step: number;
  /** The weights file that was read. */
  path: string;
}

export interface LoadModelOptions {
  /**
   * A config (file path or object) to use with the checkpoint. Its model_params must describe the
   * checkpoint's model except for the inference knobs (switches.ode: the solver and step count);
   * its frame_shape then sets the size.
   */
  config?: string | DimeConfig;
  /** Default "cpu". */
  device?: Device;
  /**
   * Fold batch norm into the convolutions and run the generator channels-last (default true:
   * dime/inference-tuning.ts; outputs equal eval mode's within float rounding). The model is for
   * inference either way; false keeps it as trained, to be fine-tuned or compared.
   */
  tune?: boolean;
}

/**
 * Loads the checkpoint at `path`: a weights file, its sidecar, or a run (or checkpoints) folder;
 * or a PyTorch checkpoint of FOMM's (.pth, .pth.tar), imported on the fly with `options.config`
 * (configs/fomm/*.yaml), which it then needs.
 * @throws CheckpointError (one line naming the file): no complete checkpoint there, or `options.config`
 *   describing another model; ConfigError for a config file that cannot be read.
 */
export function loadModel(path: string, options: LoadModelOptions = {}): LoadedModel {
  const given = typeof options.config === "string" ? loadConfig(options.config) : options.config;
  if (isTorchCheckpointPath(path)) {
    if (!given)
      throw new CheckpointError(
        `${path}: a PyTorch checkpoint holds no dime config: give --config (for FOMM's released files, configs/fomm/*.yaml; docs/fomm.md)`,
      );
    const imported = importFommCheckpoint(path, given, {
      device: options.device ?? "cpu",
      ...(typeof options.config === "string" ? { configSource: options.config } : {}),
    });
    torch.dispose(imported.discriminator);
    const [height, width] = given.dataset_params.frame_shape;
    const problem = fitProblem({ width, height });
    if (problem) {
      imported.model.dispose();
      throw new CheckpointError(
        `${typeof options.config === "string" ? options.config : "the config"}: dataset_params.frame_shape [${height}, ${width}] cannot be animated at (${problem}): fix frame_shape`,
      );
    }
    if (options.tune !== false) tuneForInference(imported.model);
    return { model: imported.model, config: given, size: { width, height }, step: 0, path };
  }
  const loaded = loadCheckpoint(path, {
    ...(given ? { config: given } : {}),
    ...(typeof options.config === "string" ? { configSource: options.config } : {}),
    device: options.device ?? "cpu",
  });
  const [height, width] = (given ?? loaded.config).dataset_params.frame_shape;
  const problem = fitProblem({ width, height });
  if (problem) {
    loaded.model.dispose();
    const source = typeof options.config === "string" ? options.config : given ? "the config" : loaded.sidecarPath;
    throw new CheckpointError(
      `${source}: dataset_params.frame_shape [${height}, ${width}] cannot be animated at (${problem}): the file was edited or damaged; fix frame_shape or pass --config with the run's config.yaml`,
    );
  }
  if (options.tune !== false) tuneForInference(loaded.model);
  return { model: loaded.model, config: loaded.config, size: { width, height }, step: loaded.step, path: loaded.path };
}
