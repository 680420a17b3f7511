// Atomic file writes: the bytes go to a temporary name in the target's folder, are flushed to disk
// (fsync), checked to be all there, and only then renamed over the target, so a crash, a signal or
// a full disk never leaves a half-written file where a good one was.
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

import { sweepStaleTemps, trackTemp, untrackTemp } from "./temp-files.js";
import { WriteError, writeError } from "./write-errors.js";

/** Node's fs calls take at most 2^31 - 1 bytes at once; tensors can be larger. */
export const IO_CHUNK = 1 << 30;

/** Writes all of `bytes` at the file's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done));
}

/**
 * Creates or replaces `target` with what `write(fd)` writes. The folder must exist. When
 * `expectedBytes` is given, the written file must have that size (proof that nothing was lost).
 * On any error the temporary file is removed and a `WriteError` naming `target` thrown ("cannot
 * write TARGET: the disk is full (3.1 MB free): ..."); `target` is untouched. Temporary files
 * that killed processes left in the folder are removed first.
 */
export function writeFileAtomic(target: string, write: (fd: number) => void, expectedBytes?: number): void {
  const folder = dirname(target);
  sweepStaleTemps(folder);
  const temp = join(folder, `.${basename(target)}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, "wx");
  } catch (error) {
    throw writeError(target, error);
  }
  trackTemp(temp);
  try {
    try {
      write(fd);
      fsyncSync(fd);
      const size = fstatSync(fd).size;
      if (expectedBytes !== undefined && size !== expectedBytes)
        throw new WriteError(target, `only ${size} of ${expectedBytes} bytes reached the disk`);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeError(target, error);
  } finally {
    untrackTemp(temp);
  }
  syncFolder(folder);
}

/** Writes `text` (UTF-8) to `path` atomically, proven complete. */
export function writeTextAtomic(path: string, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  writeFileAtomic(path, (fd) => writeAll(fd, bytes), bytes.byteLength);
}

/** Makes the rename itself durable. Some platforms cannot open a folder for fsync: best effort. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, "r");
    fsyncSync(fd);
  } catch {
    // Not supported here (e.g. Windows); the data itself was already fsynced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
