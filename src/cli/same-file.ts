// Refuses an output that is one of the command's inputs (the same path, a symlink to it, a hard
// link: the same device and inode), before any work: writing it would replace what the user had.
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

import { findCheckpoint } from "../checkpoint/files.js";
import { UsageError } from "./command.js";

/** A path given on the command line, with the flag (or words) that named it: "-o", "--driving". */
export interface NamedPath {
  flag: string;
  path: string;
}

/** The file's identity (device and inode) when it exists, following symlinks. */
function identity(path: string): string | undefined {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/** Where a file that does not exist yet would be: its folder's real path and its name. */
function futurePath(path: string): string {
  const plain = path.replace(/\/+$/, "");
  try {
    return join(realpathSync(dirname(plain)), basename(plain));
  } catch {
    return resolve(plain);
  }
}

/** A path as the user will recognise it, with where it leads when that differs. */
function shown(named: NamedPath): string {
  let real: string | undefined;
  try {
    real = realpathSync(named.path);
  } catch {
    real = undefined;
  }
  const plain = named.path.replace(/\/+$/, "");
  return `${named.flag} ${named.path}${real && real !== plain && !real.endsWith(`/${plain}`) ? ` (${real})` : ""}`;
}

/**
 * Throws a UsageError of one line when an output is, or resolves to, an input or another output,
 * e.g. "-o clip.mp4 is the same file as --driving clip.mp4: writing it would destroy that input;
 * choose another output". Outputs that do not exist yet cannot be inputs, but two of them may
 * still name the same new file.
 */
export function refuseOutputsOverInputs(outputs: readonly NamedPath[], inputs: readonly NamedPath[]): void {
  const seen: { named: NamedPath; id: string; output: boolean }[] = [];
  for (const input of inputs) {
    const id = identity(input.path);
    if (id) seen.push({ named: input, id, output: false });
  }
  for (const output of outputs) {
    // Inputs exist, so an output that does not can only clash with another output.
    const id = identity(output.path) ?? `new:${futurePath(output.path)}`;
    const clash = seen.find((s) => s.id === id);
    if (clash) {
      const why = clash.output ? "two outputs cannot share a file" : "writing it would destroy that input";
      throw new UsageError(`${shown(output)} is the same file as ${shown(clash.named)}: ${why}; choose another output`);
    }
    seen.push({ named: output, id, output: true });
  }
}

/**
 * The inputs a checkpoint argument brings: the path itself and, when it names a complete
 * checkpoint, its weights, optimizer and sidecar files (a run folder's latest).
 */
export function checkpointInputs(flag: string, path: string): NamedPath[] {
  const inputs: NamedPath[] = [{ flag, path }];
  try {
    const entry = findCheckpoint(path);
    inputs.push(
      { flag: `${flag} (weights)`, path: entry.weightsPath },
      { flag: `${flag} (sidecar)`, path: entry.sidecarPath },
      { flag: `${flag} (optimizer state)`, path: entry.optimizerPath },
    );
  } catch {
    // Not a complete checkpoint: loading it gives the error, after this check.
  }
  return inputs;
}

/** The inputs a dataset folder brings: the folder and its split folders. */
export function datasetInputs(flag: string, folder: string): NamedPath[] {
  return [{ flag, path: folder }, ...["train", "test"].map((split) => ({ flag: `${flag} (${split}/)`, path: join(folder, split) }))];
}
