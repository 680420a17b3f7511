// `dime info --checkpoint FILE`: what a checkpoint file holds, read without its tensor data: our
// safetensors checkpoints (and any safetensors file), and PyTorch's zip and legacy pickles (through
// the allow-list reader, so listing a hostile file runs nothing). Top-level entries, every tensor's
// name, dtype and shape, the total size, and the model it recognises.
import { existsSync, statSync } from "node:fs";

import type { DType } from "../torch/index.js";
import { DEFAULT_CONFIG } from "../dime/config/schema.js";
import { inspectSafetensors } from "../io/safetensors.js";
import { inspectTorchCheckpoint } from "../io/torch-checkpoint.js";
import { PyDict, describeValue, elementSize, keyName } from "../io/torch-values.js";
import { CheckpointError } from "./errors.js";
import { findCheckpoint } from "./files.js";
import { describeFommShapes } from "./fomm-shapes.js";
import { recogniseTorchModel } from "./torch-kind.js";

export interface CheckpointTensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

export interface CheckpointFileInfo {
  path: string;
  /** "safetensors", "pytorch zip" or "pytorch legacy". */
  format: string;
  fileBytes: number;
  /** Top-level entries: name and a short description of the value. */
  entries: { name: string; value: string }[];
  tensors: CheckpointTensorInfo[];
  tensorBytes: number;
  /** The model recognised, in one line. */
  model: string;
  /** What the shapes tell of a FOMM model's config ("num_kp 10", ...). */
  fommValues?: string[];
}

/** Lists a checkpoint file (see the header). Throws CheckpointError or TorchCheckpointError, one line. */
export function describeCheckpointFile(path: string): CheckpointFileInfo {
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such file`);
  if (statSync(path).isDirectory())
    throw new CheckpointError(`${path}: is a folder: give a checkpoint file (RUN/checkpoints/step-NNNNNN.safetensors, or a .pth/.pth.tar)`);
  if (path.endsWith(".safetensors")) return describeSafetensors(path);
  // A dime sidecar stands for its weights file beside it.
  if (path.endsWith(".json")) return describeSafetensors(findCheckpoint(path).weightsPath);
  return describeTorch(path);
}

function describeSafetensors(path: string): CheckpointFileInfo {
  let info: ReturnType<typeof inspectSafetensors>;
  try {
    info = inspectSafetensors(path);
  } catch (error) {
    throw new CheckpointError(
      (error as Error).message.startsWith(path) ? (error as Error).message : `${path}: ${(error as Error).message}`,
    );
  }
  const tensors = info.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  const groups = new Map<string, number>();
  for (const t of tensors) {
    const group = t.name.includes(".") ? t.name.slice(0, t.name.indexOf(".")) : t.name;
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  const dime = info.metadata.format === "dime-checkpoint";
  const hasModel = groups.has("generator") && groups.has("kp_detector");
  return {
    path,
    format: "safetensors",
    fileBytes: info.fileSize,
    entries: [...groups].map(([name, n]) => ({ name, value: `${n} tensor${n === 1 ? "" : "s"}` })),
    tensors,
    tensorBytes: info.tensors.reduce((sum, t) => sum + t.dataOffsets[1] - t.dataOffsets[0], 0),
    model: dime
      ? `a dime checkpoint (step ${info.metadata.step ?? "?"}${hasModel ? ": kp_detector, generator" : ""})`
      : hasModel
        ? "DiME/FOMM weights (kp_detector, generator)"
        : "no model dime recognises",
  };
}

function describeTorch(path: string): CheckpointFileInfo {
  const info = inspectTorchCheckpoint(path);
  const entries =
    info.value instanceof PyDict
      ? [...info.value].map(([k, v]) => ({ name: keyName(k) ?? String(k), value: describeValue(v) }))
      : [{ name: "(the object)", value: describeValue(info.value) }];
  const tensors = info.tensors.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
  const recognised = recogniseTorchModel(info.value);
  const result: CheckpointFileInfo = {
    path,
    format: info.format === "zip" ? "pytorch zip (torch.save, torch >= 1.6)" : "pytorch legacy (torch.save, torch 0.4 to 1.5)",
    fileBytes: info.fileSize,
    entries,
    tensors,
    tensorBytes: tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1) * elementSize(t.dtype), 0),
    model: recognised.description,
  };
  if (recognised.kind === "fomm") {
    const shapes = new Map(info.tensors.map(([name, t]) => [name, t.shape]));
    result.fommValues = describeFommShapes(shapes, DEFAULT_CONFIG.model_params);
  }
  return result;
}

function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** The listing `dime info --checkpoint` prints. */
export function formatCheckpointInfo(info: CheckpointFileInfo): string {
  const width = Math.min(80, Math.max(8, ...info.tensors.map((t) => t.name.length)));
  const entryWidth = Math.max(8, ...info.entries.map((e) => e.name.length));
  const dtypes = new Map<string, number>();
  for (const t of info.tensors) dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + 1);
  return [
    `${info.path}: ${info.format}, ${megabytes(info.fileBytes)}`,
    `  model: ${info.model}`,
    ...(info.fommValues ? ["  config values its shapes tell:", ...info.fommValues.map((v) => `    ${v}`)] : []),
    `  top-level entries:`,
    ...info.entries.map((e) => `    ${e.name.padEnd(entryWidth)}  ${e.value}`),
    `  tensors: ${info.tensors.length}, ${megabytes(info.tensorBytes)} (${[...dtypes].map(([d, n]) => `${n} ${d}`).join(", ")})`,
    ...info.tensors.map((t) => `    ${t.name.padEnd(width)}  ${t.dtype.padEnd(8)} [${t.shape.join(", ")}]`),
  ].join("\n");
}
