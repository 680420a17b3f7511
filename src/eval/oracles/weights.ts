// The shipped oracle files: DIR/<net>.safetensors (the state dict, with the net and kind in the
// header's metadata) beside DIR/<net>.json (architecture, how it was trained, measured accuracy).
// The default DIR is models/oracles/<kind>-64 in the package.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import type { Tensor } from "../../torch/index.js";
import { writeAll, writeFileAtomic } from "../../io/atomic-file.js";
import { readSafetensors, writeSafetensors } from "../../io/safetensors.js";
import type { Module } from "../../nn/index.js";

export type OracleNet = "landmarks" | "identity";

/** The frame size the oracles are trained for. */
export const ORACLE_SIZE = 64;

/** The JSON sidecar of one oracle's weights. */
export interface OracleSidecar {
  format: "dime-oracle";
  net: OracleNet;
  kind: string;
  /** Frame side in pixels. */
  size: number;
  /** The constructor options (LandmarkRegressorOptions or IdentityEmbedderOptions). */
  architecture: Record<string, number>;
  landmarkNames: string[];
  /** How it was trained: command, data and seeds, steps, wall time. */
  training: Record<string, unknown>;
  /** What it measured on held-out data (accuracy.ts). */
  accuracy: Record<string, unknown>;
}

/** A clear one-line refusal of missing or mismatched oracle files. */
export class OracleWeightsError extends Error {
  override name = "OracleWeightsError";
}

// src/eval/oracles or dist/eval/oracles -> the package root.
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** models/oracles/<kind>-64 in the package: where the shipped oracles live. */
export function defaultOracleDir(kind: string): string {
  return join(PACKAGE_ROOT, "models", "oracles", `${kind}-${ORACLE_SIZE}`);
}

export function oracleFiles(dir: string, net: OracleNet): { weights: string; sidecar: string } {
  return { weights: join(dir, `${net}.safetensors`), sidecar: join(dir, `${net}.json`) };
}

/** The training command a missing-weights message points to. */
export function trainCommand(kind: string): string {
  return `node --import tsx experiments/train-oracles.ts --kind ${kind}`;
}

/** Writes `module`'s state dict and its sidecar (atomically, each). */
export function saveOracle(dir: string, module: Module, sidecar: OracleSidecar): void {
  const files = oracleFiles(dir, sidecar.net);
  mkdirSync(dir, { recursive: true });
  writeSafetensors(files.weights, module.stateDict(), { format: sidecar.format, net: sidecar.net, kind: sidecar.kind });
  const text = Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`);
  writeFileAtomic(files.sidecar, (fd) => writeAll(fd, text));
}

/**
 * Reads one oracle's sidecar and tensors for `kind`, refusing (OracleWeightsError, one line) a
 * missing file, a file of the other net or of another kind, and a sidecar that does not match.
 */
export function readOracle(dir: string, net: OracleNet, kind: string): { sidecar: OracleSidecar; tensors: Map<string, Tensor> } {
  const files = oracleFiles(dir, net);
  for (const path of [files.weights, files.sidecar]) {
    if (!existsSync(path))
      throw new OracleWeightsError(
        `no ${net} oracle for '${kind}': ${path} is missing; train the oracles with \`${trainCommand(kind)}\` (docs/oracles.md)`,
      );
  }
  let sidecar: OracleSidecar;
  try {
    sidecar = JSON.parse(readFileSync(files.sidecar, "utf8")) as OracleSidecar;
  } catch (error) {
    throw new OracleWeightsError(
      `${files.sidecar}: not readable JSON (${(error as Error).message}); write it again with \`${trainCommand(kind)}\``,
    );
  }
  if (sidecar.format !== "dime-oracle" || sidecar.net !== net || sidecar.kind !== kind) {
    throw new OracleWeightsError(
      `${files.sidecar} describes the ${sidecar.net ?? "unknown"} oracle of '${sidecar.kind ?? "unknown"}', not the ${net} oracle of '${kind}': each folder holds landmarks.* and identity.* of one kind`,
    );
  }
  const { tensors, metadata } = readSafetensors(files.weights);
  if (metadata.format !== "dime-oracle" || metadata.net !== net || metadata.kind !== kind) {
    for (const t of tensors.values()) t.dispose();
    const holds = metadata.net
      ? `the ${metadata.net} oracle of '${metadata.kind}'`
      : "no dime oracle (its header has no net/kind metadata)";
    throw new OracleWeightsError(
      `${files.weights} holds ${holds}, not the ${net} oracle of '${kind}': was a file renamed? Each folder holds landmarks.* and identity.* of one kind`,
    );
  }
  return { sidecar, tensors };
}
