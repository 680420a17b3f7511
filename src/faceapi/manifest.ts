// The TF.js weights format face-api ships: a JSON manifest (groups of `paths` and `weights`
// entries) and binary shards. Each group's shards, concatenated in order, hold its entries back to
// back; an entry with `quantization` is stored as uint8/uint16 codes (value = code * scale + min)
// or as float16, otherwise as its own dtype (float32, int32). Everything comes back as float32.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";

/** One entry of a manifest group, as TF.js writes it. */
export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/** One group: shard files (relative to the manifest) and the entries stored in them, in order. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
}

/** Bytes per stored element of each storage dtype this reader decodes. */
const STORED_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/**
 * Reads a TF.js weights manifest and its shards: name -> float32 tensor with the manifest's shape
 * (TF layouts: conv filters HWIO, depthwise filters HWC1, dense kernels (in, out)). The tensors
 * belong to the current tidy() scope; free them with torch.dispose(map).
 * Throws one line naming the file for a missing manifest or shard, unreadable JSON, an unknown
 * dtype, or shards whose size is not what the manifest describes.
 */
export function readTfjsWeights(manifestPath: string): Map<string, Tensor> {
  const groups = readManifest(manifestPath);
  const tensors = new Map<string, Tensor>();
  try {
    for (const group of groups) {
      const shardPaths = group.paths.map((p) => join(dirname(manifestPath), p));
      for (const path of shardPaths) {
        if (!existsSync(path)) throw new Error(`${path}: weight shard is missing (listed in ${basename(manifestPath)})`);
      }
      const bytes = Buffer.concat(shardPaths.map((path) => readFileSync(path)));
      const source = shardPaths.length === 1 ? shardPaths[0] : `${shardPaths[0]} (+${shardPaths.length - 1} shards)`;
      for (const [name, t] of decodeTfjsGroup(group.weights, bytes, source)) tensors.set(name, t);
    }
  } catch (error) {
    torch.dispose(tensors);
    throw error;
  }
  return tensors;
}

/** Parses and checks a manifest; every problem is one line naming the file. */
export function readManifest(manifestPath: string): TfjsWeightGroup[] {
  if (!existsSync(manifestPath)) throw new Error(`${manifestPath}: weights manifest is missing`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (error) {
    throw new Error(`${manifestPath}: not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
  const bad = (what: string) => new Error(`${manifestPath}: not a TF.js weights manifest (${what})`);
  if (!Array.isArray(json)) throw bad("expected an array of groups");
  for (const [g, group] of json.entries()) {
    if (!Array.isArray(group?.paths) || !group.paths.every((p: unknown) => typeof p === "string"))
      throw bad(`group ${g} has no 'paths' list`);
    if (!Array.isArray(group?.weights)) throw bad(`group ${g} has no 'weights' list`);
    for (const w of group.weights as unknown[]) {
      const e = w as Partial<TfjsWeightEntry>;
      if (
        typeof e?.name !== "string" ||
        !Array.isArray(e.shape) ||
        !e.shape.every((d) => Number.isInteger(d) && d >= 0) ||
        typeof e.dtype !== "string"
      ) {
        throw bad(`group ${g} has an entry without name, shape and dtype: ${JSON.stringify(w).slice(0, 120)}`);
      }
    }
  }
  return json as TfjsWeightGroup[];
}

/**
 * The storage dtype of an entry and its bytes per element; throws for dtypes this reader lacks and
 * for codes without scale and min, so that nothing is decoded from a manifest that will fail.
 */
function storage(entry: TfjsWeightEntry, source: string): { stored: string; bytes: number } {
  const stored = entry.quantization?.dtype ?? entry.dtype;
  const bytes = STORED_BYTES[stored];
  const known = entry.quantization ? ["uint8", "uint16", "float16"] : ["float32", "int32"];
  if (bytes === undefined || !known.includes(stored)) {
    const kind = entry.quantization ? "quantization dtype" : "dtype";
    throw new Error(`${source}: tensor '${entry.name}' has unsupported ${kind} '${stored}' (supported: ${known.join(", ")})`);
  }
  const { scale, min } = entry.quantization ?? {};
  if ((stored === "uint8" || stored === "uint16") && (typeof scale !== "number" || typeof min !== "number")) {
    throw new Error(`${source}: tensor '${entry.name}' is ${stored}-quantised but its manifest entry lacks scale and min`);
  }
  return { stored, bytes };
}

/**
 * Decodes one group's entries from its concatenated shard bytes (`source` names them in errors).
 * The byte count must match the entries exactly.
 */
export function decodeTfjsGroup(entries: readonly TfjsWeightEntry[], bytes: Uint8Array, source: string): Map<string, Tensor> {
  const layout = entries.map((entry) => ({ entry, ...storage(entry, source), count: entry.shape.reduce((a, b) => a * b, 1) }));
  const expected = layout.reduce((sum, l) => sum + l.count * l.bytes, 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`${source}: ${bytes.byteLength} bytes, but the manifest describes ${expected} bytes for its ${entries.length} tensors`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, Tensor>();
  let offset = 0;
  for (const { entry, stored, bytes: size, count } of layout) {
    tensors.set(entry.name, decodeEntry(entry, stored, view, offset, count));
    offset += count * size;
  }
  return tensors;
}

function decodeEntry(entry: TfjsWeightEntry, stored: string, view: DataView, offset: number, count: number): Tensor {
  if (stored === "float16") {
    // Shards are little-endian; libtorch converts the half floats.
    const bits = new Uint16Array(count);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(offset + 2 * i, true);
    return torch.tidy(() => torch.fromArray(bits, entry.shape, { dtype: "float16" }).float());
  }
  const values = new Float32Array(count);
  if (stored === "uint8" || stored === "uint16") {
    const { scale, min } = entry.quantization as { scale: number; min: number };
    for (let i = 0; i < count; i++)
      values[i] = (stored === "uint8" ? view.getUint8(offset + i) : view.getUint16(offset + 2 * i, true)) * scale + min;
  } else if (stored === "float32") {
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
  } else {
    for (let i = 0; i < count; i++) values[i] = view.getInt32(offset + 4 * i, true);
  }
  return torch.fromArray(values, entry.shape);
}
