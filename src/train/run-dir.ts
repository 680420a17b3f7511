// The run folder: RUN_DIR/config.yaml, log.jsonl, checkpoints/ and samples/. A new run needs an
// empty (or new) folder; a resumed one must be given the config it was started with, apart from
// the keys that only steer the run (how long, how often to save), which a resume may change.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

import type { DimeConfig } from "../dime/config/schema.js";
import { configToYaml, loadConfig } from "../dime/config/file.js";
import { ATOMIC_IO } from "../checkpoint/files.js";
import { firstDifference } from "../dime/config/diff.js";
import { TrainError } from "./errors.js";

/** Config keys a resume may change: they steer the run, not what is trained. */
export const RUN_CONTROL_KEYS: ReadonlySet<string> = new Set([
  "train_params.num_steps",
  "train_params.checkpoint_freq",
  "train_params.sample_freq",
  "train_params.keep_checkpoints",
  "train_params.vgg_weights",
]);

export interface RunFolder {
  root: string;
  configPath: string;
  logPath: string;
  checkpoints: string;
  samples: string;
}

export function runFolder(root: string): RunFolder {
  return {
    root,
    configPath: join(root, "config.yaml"),
    logPath: join(root, "log.jsonl"),
    checkpoints: join(root, "checkpoints"),
    samples: join(root, "samples"),
  };
}

/**
 * Makes the folders of a new run in `root`, which must not exist or be empty. Throws a TrainError
 * naming the folder when it holds files or cannot be written.
 */
export function createRunFolder(root: string): RunFolder {
  if (existsSync(root)) {
    if (!statSync(root).isDirectory()) throw new TrainError(`${root}: is a file, not a folder: choose another --out`);
    const present = readdirSync(root);
    if (present.length > 0) {
      const hint = present.includes("config.yaml")
        ? "it holds a run: pass --resume to continue it, or choose another --out"
        : "choose an empty or new --out";
      throw new TrainError(`${root}: is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}): ${hint}`);
    }
  }
  return makeFolders(runFolder(root));
}

/** The folders of an existing run in `root` (created again where missing). */
export function openRunFolder(root: string): RunFolder {
  const folder = runFolder(root);
  if (!existsSync(folder.configPath))
    throw new TrainError(`${root}: no config.yaml, so not a dime run folder to resume: start without --resume`);
  return makeFolders(folder);
}

function makeFolders(folder: RunFolder): RunFolder {
  for (const dir of [folder.root, folder.checkpoints, folder.samples]) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new TrainError(
        `${dir}: cannot create the folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): choose an --out you can write to`,
      );
    }
  }
  return folder;
}

/** Writes RUN_DIR/config.yaml (atomically); a TrainError naming it when the folder is not writable. */
export function saveRunConfig(folder: RunFolder, config: DimeConfig): void {
  try {
    ATOMIC_IO.writeText(
      folder.configPath,
      configToYaml(config, "Written by dime train: the config of this run (dime train --resume reads it back)."),
    );
  } catch (error) {
    throw new TrainError(
      `${folder.configPath}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): choose an --out you can write to`,
    );
  }
}

/** The config saved in RUN_DIR/config.yaml (a ConfigError naming the file if it was damaged). */
export function readRunConfig(folder: RunFolder): DimeConfig {
  return loadConfig(folder.configPath);
}

/**
 * Refuses to go on with a config other than the one a run was trained with; run-control keys
 * are not compared. `savedSource` names the saved config (or checkpoint), `givenSource` the other.
 * @throws TrainError naming the first key that differs.
 */
export function checkSameConfig(saved: DimeConfig, given: DimeConfig, savedSource: string, givenSource: string): void {
  const difference = firstDifference(saved, given, RUN_CONTROL_KEYS);
  if (difference) {
    throw new TrainError(
      `${savedSource}: the run was trained with ${difference.path}=${difference.first} but ${givenSource} says ${difference.second}: leave out --config and --batch-size to resume with the saved config, or start a new run in another --out`,
    );
  }
}
