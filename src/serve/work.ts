// The work folder: uploads and results under random names in one folder of this server's own,
// with a size cap (the oldest results go first, then the oldest uploads no job needs), all of it
// removed when the server closes. Nothing a client sends ever becomes part of a path here.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { trackTemp, untrackTemp } from "../io/temp-files.js";

export type WorkKind = "uploads" | "results";

interface WorkFile {
  path: string;
  kind: WorkKind;
  bytes: number;
  /** Jobs using it (an upload a queued job reads, a result being written); pinned files stay. */
  pins: number;
  /** Called when the cap removes the file. */
  onEvict?: () => void;
}

/** A random name: 128 bits, hex. */
export function randomId(): string {
  return randomBytes(16).toString("hex");
}

export class WorkFolder {
  /** This server's own folder inside the work folder. */
  readonly root: string;
  readonly #made?: string;
  readonly #files = new Map<string, WorkFile>();

  /**
   * @param dir the work folder (made if missing); default a new temp folder, removed on close.
   * @param capBytes the most the tracked files may take together.
   */
  constructor(
    dir: string | undefined,
    readonly capBytes: number,
  ) {
    if (dir === undefined) {
      this.#made = mkdtempSync(join(tmpdir(), "dime-serve-"));
      this.root = this.#made;
    } else {
      mkdirSync(dir, { recursive: true });
      this.root = mkdtempSync(join(dir, "dime-serve-"));
    }
    for (const kind of ["uploads", "results"] as const) mkdirSync(join(this.root, kind));
    // A second Ctrl-C exits at once (src/cli/interrupt.ts) and removes tracked temporaries: this folder too.
    trackTemp(this.#made ?? this.root);
  }

  /** A fresh path for a file of `kind`, with `ext` (".mp4", "" ...). */
  newPath(kind: WorkKind, ext: string): string {
    return join(this.root, kind, `${randomId()}${ext}`);
  }

  /** Counts a finished file against the cap. */
  track(path: string, kind: WorkKind, onEvict?: () => void): void {
    this.#files.set(path, { path, kind, bytes: statSync(path).size, pins: 0, onEvict });
  }

  pin(path: string, by = 1): void {
    const file = this.#files.get(path);
    if (file) file.pins += by;
  }

  unpin(path: string): void {
    this.pin(path, -1);
  }

  /** Bytes the tracked files take. */
  get usedBytes(): number {
    let total = 0;
    for (const file of this.#files.values()) total += file.bytes;
    return total;
  }

  /**
   * Removes the oldest unpinned results, then the oldest unpinned uploads, until `extra` more
   * bytes fit under the cap. Returns false when they still do not fit.
   */
  makeRoom(extra = 0): boolean {
    for (const kind of ["results", "uploads"] as const) {
      for (const file of [...this.#files.values()]) {
        if (this.usedBytes + extra <= this.capBytes) return true;
        if (file.kind !== kind || file.pins > 0) continue;
        this.remove(file.path);
        file.onEvict?.();
      }
    }
    return this.usedBytes + extra <= this.capBytes;
  }

  /** Removes a file (tracked or not); never throws. */
  remove(path: string): void {
    this.#files.delete(path);
    rmSync(path, { force: true });
  }

  /** Removes this server's folder and everything in it (and the work folder, when this made it). */
  close(): void {
    this.#files.clear();
    untrackTemp(this.#made ?? this.root);
    rmSync(this.#made ?? this.root, { recursive: true, force: true });
  }
}
