// What `npm pack` ships (package.json `files`): everything `dime demo` needs on a user's machine
// (the compiled CLI, the addon's sources and build script, the demo model, assets and configs),
// and nothing of the tests, experiments, CI or TypeScript sources. Lists the files with
// `npm pack --dry-run --json --ignore-scripts`, so the pack is not built here (prepack does that).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { DEMO_CHECKPOINT, DEMO_DRIVING, DEMO_REFERENCE, DEMO_SOURCE } from "../src/cli/commands/demo.js";
import { SLOW } from "./helpers/tier.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
let packed: Set<string> | undefined;
/** The paths `npm pack` would ship (npm is asked once, when a test first needs them). */
function shipped(): Set<string> {
  if (!packed) {
    const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repo, encoding: "utf8" }));
    packed = new Set<string>(pack.files.map((f: { path: string }) => f.path));
  }
  return packed;
}

/** Repository-relative paths of the files under `dir` whose name passes `keep`. */
function filesUnder(dir: string, keep: (name: string) => boolean = () => true): string[] {
  return readdirSync(join(repo, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => relative(repo, join(e.parentPath, e.name)));
}

// Both ask npm (a child process, a second or two): full tier.
test("the pack holds what `dime demo` needs: the CLI, the addon's build, the demo model and assets", SLOW, () => {
  const demo = [DEMO_SOURCE, DEMO_REFERENCE, DEMO_DRIVING].map((p) => relative(repo, p));
  const model = filesUnder(relative(repo, DEMO_CHECKPOINT));
  const native = filesUnder("native");
  // One compiled module per source module: the CLI imports them all, directly or not.
  const compiled = filesUnder("src", (n) => n.endsWith(".ts")).map((p) =>
    // The page's code builds into dist/page (src/serve/page/build.mjs), the rest mirrors src/.
    p
      .replace(/^src\/serve\/page\//, "dist/page/")
      .replace(/^src\//, "dist/")
      .replace(/\.ts$/, ".js"),
  );
  const needed = [
    "package.json",
    "README.md",
    "bin/dime.js",
    "binding.gyp",
    "dist/index.d.ts",
    "dist/page/index.html",
    "dist/page/style.css",
    "configs/synth-faces-64.yaml",
    ...demo,
    ...model,
    ...native,
    ...compiled,
  ];
  assert.ok(model.length >= 2 && native.length >= 2, "found the demo model's and the addon's files");
  const missing = needed.filter((p) => !shipped().has(p));
  assert.deepEqual(missing, [], `npm pack leaves out: ${missing.join(", ")}`);
});

test("the pack holds nothing of the tests, experiments, CI, sources or build outputs", SLOW, () => {
  const stray = [...shipped()].filter(
    (p) => /^(test|experiments|\.ci|src|build|node_modules|docs)\//.test(p) || p.endsWith(".map") || p.endsWith(".tsbuildinfo"),
  );
  assert.deepEqual(stray, [], `npm pack ships: ${stray.slice(0, 10).join(", ")}`);
});
