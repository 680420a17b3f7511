// Builds the native addon (run by `npm install` / `npm ci` and `npm run build:native`).
// Fails early, with one line, when libtorch cannot be found; builds against the local Node
// headers so that no download is needed.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const probe = spawnSync(process.execPath, [join(root, "native/find-libtorch.mjs")], { encoding: "utf8" });
if (probe.status !== 0) {
  process.stderr.write(probe.stderr);
  process.exit(1);
}
const found = JSON.parse(probe.stdout);
console.log(`dime: building the native addon against libtorch from ${found.source}${found.cuda ? " (CUDA)" : ""}`);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
    "/usr/share/nodejs/node-gyp/bin/node-gyp.js",
  ];
  const hit = candidates.find((p) => p && existsSync(p));
  if (!hit) {
    console.error("dime: node-gyp not found (it ships with npm); reinstall npm or run `npm install -g node-gyp`.");
    process.exit(1);
  }
  return hit;
}

const args = [nodeGyp(), "rebuild", "--jobs=max"];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include/node/node.h"))) args.push(`--nodedir=${prefix}`);
try {
  execFileSync(process.execPath, args, { cwd: root, stdio: "inherit" });
} catch {
  console.error("dime: the native addon failed to build; the compiler output above says why.");
  process.exit(1);
}
