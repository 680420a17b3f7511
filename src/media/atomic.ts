// Outputs are written under a temporary name beside the target and renamed when complete, so a
// crash never leaves a half-written file where a good one was.
import { renameSync, rmSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";

let counter = 0;

/** A hidden sibling of `target` with the same extension (ffmpeg picks the format from it). */
export function tempPathFor(target: string): string {
  const ext = extname(target);
  const stem = basename(target, ext);
  counter += 1;
  return join(dirname(target), `.${stem}.partial-${process.pid}-${counter}${ext}`);
}

/** Moves the finished temporary file or folder onto `target` (replacing a file already there). */
export function commitTemp(temp: string, target: string): void {
  renameSync(temp, target);
}

/** Removes a temporary output after a failure; never throws. */
export function discardTemp(temp: string): void {
  rmSync(temp, { recursive: true, force: true });
}
