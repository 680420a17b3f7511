// Loading a trained DiME for inference: the checkpoint's config builds the model, its weights are
// checked against that model (every problem named before anything loads) and copied in, and the
// model is put in eval mode on the chosen device.
import * as torch from "../torch/index.js";
import type { Device } from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig, ModelParams } from "../dime/config.js";
import { loadConfig } from "../dime/config-file.js";
import { inspectSafetensors, readSafetensors, SafetensorsError } from "../io/safetensors.js";
import { CheckpointError, checkpointFiles, readSidecar, type CheckpointFiles } from "./checkpoint-files.js";

export { CheckpointError, checkpointFiles, type CheckpointFiles } from "./checkpoint-files.js";

/** The frame size a model works at, from its config's dataset_params.frame_shape. */
export interface FrameSize {
  width: number;
  height: number;
}

export interface LoadedModel {
  /** In eval mode, on the requested device. */
  model: DiME;
  /** The checkpoint's config, or the one passed in `options.config` (which must match it). */
  config: DimeConfig;
  /** The frame size the model was trained at: images and driving frames are brought to it. */
  size: FrameSize;
  /** The training step the checkpoint was saved at, when its sidecar says. */
  step?: number;
  files: CheckpointFiles;
}

export interface LoadModelOptions {
  /**
   * A config (file path or object) to use instead of the checkpoint's. Its model_params must equal
   * the checkpoint's, except switches.ode (the solver and step count are an inference-time knob);
   * its frame_shape and ODE settings then apply.
   */
  config?: string | DimeConfig;
  /** Default "cpu". */
  device?: Device;
}

/** The model prefixes of a checkpoint's state dict; other keys (optimizer state) are not the model's. */
const MODEL_PREFIXES = ["kp_detector.", "generator."];

/**
 * Loads the checkpoint at `path` (NAME.safetensors, NAME.json or NAME; see checkpoint-files.ts).
 * @throws CheckpointError (one line naming the file): missing files, a damaged sidecar, weights
 *   that do not fit the sidecar's config, or `options.config` describing another model.
 */
export function loadModel(path: string, options: LoadModelOptions = {}): LoadedModel {
  const files = checkpointFiles(path);
  const sidecar = readSidecar(files.sidecar);
  let config = sidecar.config;
  if (options.config !== undefined) {
    const given = typeof options.config === "string" ? loadConfig(options.config) : options.config;
    const where = typeof options.config === "string" ? options.config : "the given config";
    const difference = firstDifference(structural(sidecar.config.model_params), structural(given.model_params), "model_params");
    if (difference) {
      throw new CheckpointError(
        files.weights,
        `was trained with ${difference.path} = ${difference.ours} but ${where} says ${difference.theirs}: drop --config to use the checkpoint's own, or pass the config saved beside it`,
      );
    }
    config = given;
  }
  const model = new DiME(config.model_params);
  try {
    loadWeights(model, files);
    model.eval();
    if ((options.device ?? "cpu") !== "cpu") model.to(options.device!);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const [height, width] = config.dataset_params.frame_shape;
  return { model, config, size: { width, height }, ...(sidecar.step !== undefined ? { step: sidecar.step } : {}), files };
}

/** Checks the file's model keys and shapes against the model's, then copies them in. */
function loadWeights(model: DiME, files: CheckpointFiles): void {
  let tensors: ReturnType<typeof inspectSafetensors>["tensors"];
  try {
    tensors = inspectSafetensors(files.weights).tensors;
  } catch (error) {
    if (error instanceof SafetensorsError) throw new CheckpointError(files.weights, `${error.problem}: the weights are damaged; use another checkpoint`);
    throw error;
  }
  const inFile = new Map(tensors.filter((t) => MODEL_PREFIXES.some((p) => t.name.startsWith(p))).map((t) => [t.name, t.shape]));
  const own = torch.tidy(() => new Map([...model.stateDict()].map(([name, t]) => [name, [...t.shape]])));
  const problems: string[] = [];
  for (const [name, shape] of own) {
    const found = inFile.get(name);
    if (!found) problems.push(`${name} is missing`);
    else if (found.join() !== shape.join()) problems.push(`${name} is [${found.join(", ")}], the model's [${shape.join(", ")}]`);
  }
  for (const name of inFile.keys()) if (!own.has(name)) problems.push(`${name} is not in the model`);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    throw new CheckpointError(files.weights, `the weights do not fit the config in ${files.sidecar}: ${problems[0]}${more}; the checkpoint is damaged or its files come from different runs`);
  }
  torch.tidy(() => {
    const { tensors: state } = readSafetensors(files.weights, { names: own.keys() });
    model.loadStateDict(state);
  });
}

/** model_params without switches.ode, which only sets how the ODE is integrated. */
function structural(params: ModelParams): unknown {
  const { ode: _ode, ...switches } = params.switches;
  return { ...params, switches };
}

/** The first leaf where two plain JSON-like values differ, by dotted path. */
function firstDifference(ours: unknown, theirs: unknown, path: string): { path: string; ours: string; theirs: string } | undefined {
  if (typeof ours === "object" && ours !== null && typeof theirs === "object" && theirs !== null) {
    const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
    for (const key of keys) {
      const found = firstDifference((ours as Record<string, unknown>)[key], (theirs as Record<string, unknown>)[key], Array.isArray(ours) ? `${path}[${key}]` : `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  return ours === theirs ? undefined : { path, ours: JSON.stringify(ours), theirs: JSON.stringify(theirs) };
}
