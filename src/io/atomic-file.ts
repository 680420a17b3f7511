// Atomic file writes: the bytes go to a temporary name in the target's folder, are flushed to disk
// (fsync) and only then renamed over the target, so a crash or a full disk never leaves a
// half-written checkpoint where a good one was.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Node's fs calls take at most 2^31 - 1 bytes at once; tensors can be larger. */
export const IO_CHUNK = 1 << 30;

/** Writes all of `bytes` at the file's current position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done));
}

/**
 * Creates or replaces `target` with what `write(fd)` writes. The folder must exist. On any error
 * the temporary file is removed and the error rethrown; `target` is untouched.
 */
export function writeFileAtomic(target: string, write: (fd: number) => void): void {
  const folder = dirname(target);
  const temp = join(folder, `.${basename(target)}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx");
  try {
    write(fd);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
  syncFolder(folder);
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
