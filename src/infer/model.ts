// Loading a trained DiME for inference: loadCheckpoint (src/checkpoint; src/train writes the
// checkpoints: step-NNNNNN.safetensors, its .json sidecar with the config, or a run folder for
// its latest) plus what inference needs beside the model, the frame size to work at.
import type { Device } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { loadCheckpoint } from "../checkpoint/load.js";

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
}

/**
 * Loads the checkpoint at `path`: a weights file, its sidecar, or a run (or checkpoints) folder.
 * @throws CheckpointError (one line naming the file): no complete checkpoint there, or `options.config`
 *   describing another model; ConfigError for a config file that cannot be read.
 */
export function loadModel(path: string, options: LoadModelOptions = {}): LoadedModel {
  const given = typeof options.config === "string" ? loadConfig(options.config) : options.config;
  const loaded = loadCheckpoint(path, {
    ...(given ? { config: given } : {}),
    ...(typeof options.config === "string" ? { configSource: options.config } : {}),
    device: options.device ?? "cpu",
  });
  const [height, width] = (given ?? loaded.config).dataset_params.frame_shape;
  return { model: loaded.model, config: loaded.config, size: { width, height }, step: loaded.step, path: loaded.path };
}
