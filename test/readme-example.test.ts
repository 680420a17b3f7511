// The README's TypeScript example, run as a user would from the repository's root (here a temp
// folder holding links to models/ and assets/, with `from "dime"` pointing at src/index.ts): it
// must finish, write a video with the driving clip's 96 frames, and print the shapes its comment
// promises.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { probeMedia } from "../src/media/probe.js";
import { SLOW } from "./helpers/tier.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The first ```ts block after the heading `heading` in README.md. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf(heading);
  assert.ok(at >= 0, `README.md has no '${heading}'`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(match, `no ts block after '${heading}'`);
  return match[1];
}

test("the README's library example runs and does what its comments say", SLOW, async () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-readme-"));
  try {
    for (const name of ["models", "assets"]) symlinkSync(join(ROOT, name), join(dir, name));
    const code = readmeBlock("### From TypeScript").replace(/from "dime"/g, `from ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
    writeFileSync(join(dir, "example.mts"), code);
    const run = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), "example.mts"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /out\/library\.mp4: 96 frames/);
    assert.match(run.stdout, /\[ 1, 10, 2 \] \[ 1, 2, 16, 16, 2 \] \[ 1, 2, 64, 64 \]/);
    const info = await probeMedia(join(dir, "out/library.mp4"));
    assert.deepEqual([info.frameCount, info.width, info.height], [96, 64, 64]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
