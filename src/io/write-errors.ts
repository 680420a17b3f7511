// Why an output could not be written, in the user's words: one line naming the file the user asked
// for (never the hidden temporary name), with the cause and what to do.
import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** An output dime could not write; `file` is the user's path. The message is one line, printed as is. */
export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot write ${file}: ${reason}`);
    this.name = "WriteError";
  }
}

/** Megabytes free for this user in the file system holding `path` (NaN when it cannot be asked). */
export function freeMegabytes(path: string): number {
  try {
    const stats = statfsSync(dirname(resolve(path)));
    return (stats.bavail * stats.bsize) / 1e6;
  } catch {
    return NaN;
  }
}

/** "the disk is full (0.3 MB free)": the cause line for a full file system under `path`. */
export function diskFull(path: string): string {
  const free = freeMegabytes(path);
  const amount = Number.isFinite(free) ? ` (${free < 10 ? free.toFixed(1) : Math.round(free)} MB free)` : "";
  return `the disk is full${amount}: free some space or write elsewhere`;
}

/** The cause of a failed file-system call on the way to writing `path`. */
export function writeCause(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return code === "EDQUOT" ? "the disk quota is used up: free some space or write elsewhere" : diskFull(path);
    case "EACCES":
    case "EPERM":
      return "permission denied: make its folder writable or write elsewhere";
    case "EROFS":
      return "the file system is read-only: write elsewhere";
    case "ENOENT":
    case "ENOTDIR":
      return "its folder does not exist: create it first";
    case "EIO":
      return "an input/output error (a failing disk or a lost network mount)";
    case "EFBIG":
      return "the file is larger than this file system allows";
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/** The `WriteError` for `error` raised while writing `path` (the user's path); passes a WriteError through. */
export function writeError(path: string, error: unknown): WriteError {
  if (error instanceof WriteError) return error;
  return new WriteError(path, writeCause(path, error));
}
