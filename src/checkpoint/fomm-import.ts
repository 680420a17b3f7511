// FOMM's published checkpoints (vox-cpk.pth.tar and the others, torch.save'd by Logger.save_cpk)
// as dime models: the generator and keypoint detector state dicts become the `generator.*` and
// `kp_detector.*` weights of a DiME built from a FOMM config (configs/fomm/*.yaml), whose state
// dict has exactly FOMM's keys. Every key and shape is checked first; a mismatch names the first
// key and, where the shapes tell it, the config value that would fit.
import * as torch from "../torch/index.js";
import type { Device, Tensor } from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { inspectTorchCheckpoint, readTorchCheckpoint, type TorchFormat } from "../io/torch-checkpoint.js";
import { PyDict } from "../io/torch-values.js";
import { CheckpointError } from "./errors.js";
import { firstConfigMismatch } from "./fomm-shapes.js";
import { recogniseTorchModel } from "./torch-kind.js";

export interface ImportFommOptions {
  /** Names the config in errors (default "the config"). */
  configSource?: string;
  device?: Device;
}

export interface ImportedFomm {
  /** The model with FOMM's weights, in eval mode. */
  model: DiME;
  config: DimeConfig;
  /** The discriminator's tensors ("discriminator.*"), when the file has them; the caller owns them. */
  discriminator?: Map<string, Tensor>;
  /** FOMM's epoch count, when the file records it. */
  epoch?: number;
  format: TorchFormat;
  path: string;
}

/** The state-dict groups dime takes from a FOMM file. */
const MODEL_PARTS = ["generator", "kp_detector"];

/**
 * Reads a FOMM checkpoint (.pth / .pth.tar, zip or legacy format) into a DiME built from
 * `config`, which must be FOMM's architecture (refine, identity_flow off, no references: one of
 * configs/fomm/*.yaml). Throws CheckpointError (or TorchCheckpointError) of one line.
 */
export function importFommCheckpoint(path: string, config: DimeConfig, options: ImportFommOptions = {}): ImportedFomm {
  const source = options.configSource ?? "the config";
  const info = inspectTorchCheckpoint(path);
  const recognised = recogniseTorchModel(info.value);
  if (recognised.kind === "tpsmm" || recognised.kind === "mraa") {
    throw new CheckpointError(
      `${path}: ${recognised.description}: its architecture is not supported yet; dime imports FOMM's checkpoints (dime info --checkpoint lists what it holds)`,
    );
  }
  if (recognised.kind !== "fomm") {
    const names = info.value instanceof PyDict ? [...info.value.keys()].slice(0, 6).map(String).join(", ") : "none";
    throw new CheckpointError(
      `${path}: not a FOMM checkpoint (it needs generator and kp_detector state dicts; its top-level entries are: ${names})`,
    );
  }
  const params = config.model_params;
  const dimeParts = [
    params.switches.refine && "refine",
    params.switches.identity_flow && "identity_flow",
    params.switches.num_refs > 0 && "num_refs",
  ].filter(Boolean);
  if (dimeParts.length > 0) {
    throw new CheckpointError(
      `${path}: ${source} switches on ${dimeParts.join(", ")}, which FOMM's model lacks: import with the FOMM config (configs/fomm/*.yaml), then fine-tune DiME from it with dime train --init`,
    );
  }

  const wanted = (name: string) => MODEL_PARTS.some((p) => name.startsWith(`${p}.`)) || name.startsWith("discriminator.");
  const shapes = new Map(info.tensors.filter(([name]) => wanted(name)).map(([name, record]) => [name, record.shape]));
  const mismatch = firstConfigMismatch(shapes, params, source);
  if (mismatch) throw new CheckpointError(`${path}: ${mismatch}`);

  const model = new DiME(params);
  try {
    const problem = fommShapeProblem(model, shapes, source);
    if (problem) throw new CheckpointError(`${path}: ${problem}`);
    const checkpoint = readTorchCheckpoint(path, { select: wanted });
    try {
      const weights = new Map([...checkpoint.tensors].filter(([name]) => MODEL_PARTS.some((p) => name.startsWith(`${p}.`))));
      for (const [name, t] of weights) {
        if (t.dtype !== "float32" && t.dtype !== "int64")
          throw new CheckpointError(`${path}: ${name} is ${t.dtype}; dime imports float32 weights`);
      }
      model.loadStateDict(weights);
    } catch (error) {
      torch.dispose(checkpoint.tensors);
      throw error;
    }
    const discriminator = new Map<string, Tensor>();
    for (const [name, t] of checkpoint.tensors) {
      if (name.startsWith("discriminator.")) discriminator.set(name, t);
      else t.dispose();
    }
    if (options.device !== undefined) model.to(options.device);
    model.eval();
    const epoch = info.value instanceof PyDict ? info.value.get("epoch") : undefined;
    return {
      model,
      config,
      ...(discriminator.size > 0 ? { discriminator } : {}),
      ...(typeof epoch === "number" ? { epoch } : {}),
      format: info.format,
      path,
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Why a FOMM state dict of these shapes ("generator.*", "kp_detector.*") does not fit `model`
 * (a DiME built from a FOMM config), in one phrase; undefined when it fits: first the config
 * value the shapes contradict, then the first missing, extra or mis-shaped key.
 */
export function fommShapeProblem(model: DiME, shapes: ReadonlyMap<string, readonly number[]>, source = "the config"): string | undefined {
  const mismatch = firstConfigMismatch(shapes, model.params, source);
  if (mismatch) return mismatch;
  const own = model.stateDict();
  try {
    const problem = firstKeyProblem(own, shapes);
    return problem && `${problem}, so it does not fit ${source}'s model`;
  } finally {
    torch.dispose(own);
  }
}

/** The first key the model needs but the file lacks, has but the model lacks, or of another shape. */
function firstKeyProblem(own: ReadonlyMap<string, Tensor>, shapes: ReadonlyMap<string, readonly number[]>): string | undefined {
  for (const [name, t] of own) {
    const shape = shapes.get(name);
    if (!shape) return `the file has no ${name}`;
    if (shape.join() !== t.shape.join()) return `${name} is (${shape.join(", ")}) in the file but (${t.shape.join(", ")}) in the model`;
  }
  for (const name of shapes.keys()) {
    if (MODEL_PARTS.some((p) => name.startsWith(`${p}.`)) && !own.has(name)) return `the file has ${name}, which the model lacks`;
  }
  return undefined;
}

/** A path that names a PyTorch checkpoint rather than a dime one (.pth, .pth.tar, .pt, .tar, .ckpt). */
export function isTorchCheckpointPath(path: string): boolean {
  return /\.(pth|pt|pth\.tar|tar|ckpt|bin)$/i.test(path);
}
