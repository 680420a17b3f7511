// Checks a path before handing it to sharp or ffmpeg, so that the error names the real problem.
import { accessSync, constants, statSync, type Stats } from "node:fs";

import { MediaError } from "./errors.js";

/** What is at `path`: a regular file or a folder. Throws `MediaError` ("missing" | "unreadable") otherwise. */
export function statReadable(path: string): { kind: "file" | "folder"; stats: Stats } {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new MediaError(path, "missing", "no such file or folder: check the path");
    throw new MediaError(path, "unreadable", `cannot open (${code ?? String(error)}): check its permissions`);
  }
  const kind = stats.isDirectory() ? "folder" : stats.isFile() ? "file" : undefined;
  if (kind === undefined) throw new MediaError(path, "unreadable", "not a regular file or folder");
  try {
    accessSync(path, kind === "folder" ? constants.R_OK | constants.X_OK : constants.R_OK);
  } catch {
    throw new MediaError(path, "unreadable", `permission denied: make the ${kind} readable (chmod +r${kind === "folder" ? "x" : ""})`);
  }
  return { kind, stats };
}
