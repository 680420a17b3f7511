// Where a checkpoint's two files are, and the sidecar read strictly. A checkpoint is
// NAME.safetensors (the model's state dict, FOMM's keys, plus anything else the trainer keeps,
// e.g. optimizer state under other prefixes) and NAME.json beside it, a sidecar holding at least
// { "config": <a DimeConfig, as configs/*.yaml hold it>, "step": <number> }. The format is shared
// with the trainer (src/train), which writes it.
import { existsSync, readFileSync, statSync } from "node:fs";

import type { DimeConfig } from "../dime/config.js";
import { ConfigError, parseConfig } from "../dime/config-file.js";

/** A checkpoint dime cannot use: one line naming the file, what is wrong and what to do. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "CheckpointError";
  }
}

export interface CheckpointFiles {
  /** NAME.safetensors */
  weights: string;
  /** NAME.json */
  sidecar: string;
}

const LAYOUT = "a checkpoint is NAME.safetensors with its sidecar NAME.json beside it";

/** The two files of the checkpoint named by `path`: NAME.safetensors, NAME.json or NAME itself. */
export function checkpointFiles(path: string): CheckpointFiles {
  const stem = path.replace(/\.(safetensors|json)$/, "");
  const files = { weights: `${stem}.safetensors`, sidecar: `${stem}.json` };
  if (existsSync(path) && statSync(path).isDirectory()) throw new CheckpointError(path, `is a folder, not a checkpoint: pass its NAME.safetensors file (${LAYOUT})`);
  if (!existsSync(files.weights)) {
    throw new CheckpointError(existsSync(path) ? files.weights : path, `no such checkpoint: check the path (${LAYOUT})`);
  }
  if (!existsSync(files.sidecar)) throw new CheckpointError(files.sidecar, `the checkpoint's sidecar is missing (${LAYOUT}): copy it along with the weights`);
  return files;
}

export interface Sidecar {
  config: DimeConfig;
  /** The training step the checkpoint was saved at, when the sidecar says. */
  step?: number;
}

/** Reads and checks the sidecar: valid JSON, an object with a valid `config`. */
export function readSidecar(path: string): Sidecar {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const why = error instanceof SyntaxError ? `not valid JSON (${error.message})` : `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    throw new CheckpointError(path, `the checkpoint's sidecar is ${why}: the file is damaged; use another checkpoint`);
  }
  if (typeof parsed !== "object" || parsed === null || !("config" in parsed)) {
    throw new CheckpointError(path, `the checkpoint's sidecar holds no "config": it is not a dime checkpoint sidecar (${LAYOUT})`);
  }
  const { config, step } = parsed as { config: unknown; step?: unknown };
  let checked: DimeConfig;
  try {
    checked = parseConfig(config, path);
  } catch (error) {
    if (error instanceof ConfigError) throw new CheckpointError(path, `the checkpoint's config is not valid: config.${error.path || "(root)"}: ${error.problem}; the sidecar is damaged or from another program`);
    throw error;
  }
  return typeof step === "number" ? { config: checked, step } : { config: checked };
}
