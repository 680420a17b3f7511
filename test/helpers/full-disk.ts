// A tiny file system to fill up: a 2 MB tmpfs mounted on a temporary folder (root only, as in
// CI). Tests skip with the reason where mounting is not allowed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TinyDisk {
  dir: string;
  /** Fills the disk with a file until at most `leave` bytes are free. */
  fill(leave?: number): void;
  unmount(): void;
}

/** Mounts a tmpfs of `size` ("2m"); a string says why it cannot be (for node:test's `skip`). */
export function mountTinyDisk(size = "2m"): TinyDisk | string {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  const dir = mkdtempSync(join(tmpdir(), "dime-full-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`;
  }
  return {
    dir,
    fill(leave = 0) {
      const { bavail, bsize } = statfsSync(dir);
      const free = bavail * bsize;
      try {
        if (free > leave) writeFileSync(join(dir, ".filler"), Buffer.alloc(free - leave));
      } catch {
        // Full before the last byte: full is what was asked for.
      }
    },
    unmount() {
      execFileSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
