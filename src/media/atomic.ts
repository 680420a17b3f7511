// Outputs are written under a temporary name beside the target and renamed when complete, so a
// crash never leaves a half-written file where a good one was. Temporary names are tracked
// (src/io/temp-files.ts): a signal removes them, and the next write in the folder removes those a
// killed process left.
import { renameSync, rmSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";

import { sweepStaleTemps, trackTemp, untrackTemp } from "../io/temp-files.js";

let counter = 0;

/** A hidden sibling of `target` with the same extension (ffmpeg picks the format from it), tracked until committed or discarded. */
export function tempPathFor(target: string): string {
  const ext = extname(target);
  const stem = basename(target, ext);
  counter += 1;
  sweepStaleTemps(dirname(target));
  const temp = join(dirname(target), `.${stem}.partial-${process.pid}-${counter}${ext}`);
  trackTemp(temp);
  return temp;
}

/** Moves the finished temporary file or folder onto `target` (replacing a file already there). */
export function commitTemp(temp: string, target: string): void {
  renameSync(temp, target);
  untrackTemp(temp);
}

/** Removes a temporary output after a failure; never throws. */
export function discardTemp(temp: string): void {
  rmSync(temp, { recursive: true, force: true });
  untrackTemp(temp);
}
