// The offline bundle (scripts/bundle.sh): its file list holds what `dime demo` needs on a machine
// without internet (the compiled CLI, the addon's sources, build script, Node-API and Gloo headers, the
// runtime npm packages, the demo model, assets and configs) and none of the tests, sources or
// development packages. Lists with --list, so nothing is built here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { DEMO_CHECKPOINT, DEMO_DRIVING, DEMO_REFERENCE, DEMO_SOURCE } from "../src/cli/commands/demo.js";
import { SLOW } from "./helpers/tier.js";

const repo = fileURLToPath(new URL("..", import.meta.url));

test("the bundle lists the CLI, the addon's build, the runtime packages, the demo model and assets", SLOW, () => {
  const listed = new Set(execFileSync("bash", ["scripts/bundle.sh", "--list"], { cwd: repo, encoding: "utf8" }).trim().split("\n"));
  const native = readdirSync(join(repo, "native")).map((f) => `native/${f}`);
  const model = readdirSync(DEMO_CHECKPOINT).map((f) => relative(repo, join(DEMO_CHECKPOINT, f)));
  const needed = [
    "package.json",
    "package-lock.json",
    "bin/dime.js",
    "binding.gyp",
    "dist/cli/main.js",
    "dist/torch/binding.js",
    "configs/synth-faces-64.yaml",
    "node-headers/node_api.h",
    "node-headers/js_native_api.h",
    // Gloo's, for a libtorch without them (PyPI's wheels) on a machine without libgloo-dev
    "gloo-headers/gloo/algorithm.h",
    "gloo-headers/gloo/rendezvous/store.h",
    "gloo-headers/gloo/config.h",
    "node_modules/node-addon-api/package.json",
    "node_modules/yaml/package.json",
    "node_modules/sharp/package.json",
    "node_modules/fastify/package.json",
    ...[DEMO_SOURCE, DEMO_REFERENCE, DEMO_DRIVING].map((p) => relative(repo, p)),
    ...model,
    ...native,
  ];
  assert.ok(native.includes("native/compat.h") && model.length >= 2);
  const missing = needed.filter((p) => !listed.has(p));
  assert.deepEqual(missing, [], `the bundle leaves out: ${missing.join(", ")}`);
  // sharp's prebuilt libvips: a dependency of a dependency, which npm ls --all finds
  assert.ok(
    [...listed].some((p) => p.startsWith("node_modules/@img/sharp-linux-x64/")),
    "sharp's native binding",
  );
  const stray = [...listed].filter(
    (p) => /^(test|src|experiments|\.ci|build)\//.test(p) || /^node_modules\/(typescript|@biomejs|tsx|playwright-core|@types)\//.test(p),
  );
  assert.deepEqual(stray, [], `the bundle holds: ${stray.slice(0, 10).join(", ")}`);
});
