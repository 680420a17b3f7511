// Temporary outputs (a file or folder written under a hidden name, then renamed into place): a
// registry of the ones this process is writing, so that a signal handler can remove them, and a
// sweep that removes those a killed process (SIGKILL, a crash, a power cut) left behind, which are
// recognised by the process id in their name belonging to no running process.
import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

/** Temporary names dime gives, each with the writer's process id as its first group. */
const TEMP_NAMES = [
  /^\..+\.partial-(\d+)-\d+(\.[^.]+)?$/, // media outputs: .NAME.partial-PID-N.EXT (src/media/atomic.ts)
  /^\..+\.(\d+)-[0-9a-f]{12}\.tmp$/, // atomic files: .NAME.PID-RANDOM.tmp (src/io/atomic-file.ts)
  /^\.dime-write-check-(\d+)$/, // the writability probe of src/cli/checks.ts
];

/** Cleanups of the temporary outputs being written now, by path; each removes its path (and may stop a tool writing it). */
const live = new Map<string, () => void>();

/**
 * Records that `path` is a temporary output of this process until `untrackTemp(path)`; `cleanup`
 * (default: remove the file or folder) is what `removeTrackedTemps` runs for it.
 */
export function trackTemp(path: string, cleanup: () => void = () => rmSync(path, { recursive: true, force: true })): void {
  live.set(resolve(path), cleanup);
}

/** The temporary output at `path` was renamed into place or removed: nothing left to clean up. */
export function untrackTemp(path: string): void {
  live.delete(resolve(path));
}

/** Removes every temporary output this process is writing (for a signal handler); never throws. Returns their paths. */
export function removeTrackedTemps(): string[] {
  const paths = [...live.keys()];
  for (const cleanup of live.values()) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is about to exit; a leftover is swept by the next run.
    }
  }
  live.clear();
  return paths;
}

/** True when process `pid` exists (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The writer's process id when `name` is one of dime's temporary names, else undefined. */
export function tempOwner(name: string): number | undefined {
  for (const pattern of TEMP_NAMES) {
    const match = pattern.exec(name);
    if (match) return Number(match[1]);
  }
  return undefined;
}

const swept = new Set<string>();

/**
 * Removes the temporary outputs in `folder` whose process is gone, once per folder and process
 * (a writer calls it before it makes its own). Returns the names removed. PIDs are per machine: a
 * folder shared over the network with a writer on another machine could lose that writer's
 * temporary file, which only makes that write fail, never a finished file.
 */
export function sweepStaleTemps(folder: string): string[] {
  const key = resolve(folder);
  if (swept.has(key)) return [];
  swept.add(key);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempOwner(name);
    if (pid === undefined || processAlive(pid)) continue;
    try {
      rmSync(join(folder, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Not ours to remove after all (permissions): leave it.
    }
  }
  return removed;
}
