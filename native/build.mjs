// Builds the native addon (run by `npm install` / `npm ci` and `npm run build:native`).
// Fails early, with one line, when libtorch cannot be found; builds against the local Node
// headers so that no download is needed.
//
//   node native/build.mjs                     node-gyp into build/Release/dime_native.node
//   node native/build.mjs --direct [--out D]  the C++ compiler alone (no node-gyp, no Python),
//                                             into D/dime_native.node (default build/Release)
//
// --direct is for machines without npm's node-gyp (the GPU bundle) and for builds against a
// second libtorch that must not overwrite build/ (scripts/check-libtorch.sh); it is also taken
// when node-gyp is missing. DIME_NODE_HEADERS names a folder holding node_api.h when Node's own
// include/node (or the offline bundle's node-headers/) is absent; CXX picks the compiler; DIME_BUILD_JOBS the parallel compiles.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const outAt = argv.indexOf("--out");
const outDir = outAt >= 0 ? resolve(argv[outAt + 1] ?? "") : join(root, "build/Release");

const probe = spawnSync(process.execPath, [join(root, "native/find-libtorch.mjs")], { encoding: "utf8" });
if (probe.status !== 0) {
  process.stderr.write(probe.stderr);
  process.exit(1);
}
const found = JSON.parse(probe.stdout);
console.log(`dime: building the native addon against libtorch from ${found.source}${found.cuda ? " (CUDA)" : ""}`);
console.log(`dime: Gloo's headers from ${found.gloo}`);
if (found.cuda && !found.nccl)
  console.log(
    `dime: without ProcessGroupNCCL (${found.ncclMissing} is not beside libtorch in site-packages/nvidia/*/include, ` +
      "in $CUDA_HOME/include or /usr/local/cuda/include); --dist-backend nccl will say so",
  );

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
    "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
    "/usr/share/nodejs/node-gyp/bin/node-gyp.js",
  ];
  return candidates.find((p) => p && existsSync(p));
}

function fail(message) {
  console.error(`dime: ${message}`);
  process.exit(1);
}

// The folder with node_api.h: DIME_NODE_HEADERS, or Node's own include/node.
function nodeHeaders() {
  const prefix = dirname(dirname(process.execPath));
  // node-headers/ is where scripts/bundle.sh puts them, for machines whose Node has none.
  const candidates = [
    process.env.DIME_NODE_HEADERS,
    join(prefix, "include/node"),
    "/usr/include/node",
    "/usr/local/include/node",
    join(root, "node-headers"),
  ];
  const hit = candidates.find((d) => d && existsSync(join(d, "node_api.h")));
  if (!hit) fail("node_api.h not found; set DIME_NODE_HEADERS to a folder holding Node's headers (include/node).");
  return hit;
}

// The sources, defines and flags come from binding.gyp, so the two builds cannot drift apart.
function gypTarget() {
  const gyp = JSON.parse(readFileSync(join(root, "binding.gyp"), "utf8"));
  return gyp.targets[0];
}

function run(cmd, args) {
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? done() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

async function direct() {
  const target = gypTarget();
  const cxx = process.env.CXX || "g++";
  const addonApi = dirname(createRequire(join(root, "package.json")).resolve("node-addon-api/package.json"));
  const includes = [nodeHeaders(), addonApi, ...found.include].map((d) => `-I${d}`);
  const defines = [
    "-DNAPI_CPP_EXCEPTIONS",
    "-DBUILDING_NODE_EXTENSION",
    `-DNODE_GYP_MODULE_NAME=${target.target_name}`,
    // The ABI switch and, with a CUDA libtorch, USE_C10D_NCCL: the defines binding.gyp asks for.
    ...execFileSync(process.execPath, [join(root, "native/find-libtorch.mjs"), "--defines"], { encoding: "utf8" })
      .trim()
      .split(/\s+/)
      .map((d) => `-D${d}`),
  ];
  const flags = ["-fPIC", "-pthread", "-fmax-errors=5", `-std=${found.std}`, ...target.cflags_cc.filter((f) => !f.startsWith("<!"))];
  const objDir = join(outDir, "obj.direct");
  mkdirSync(objDir, { recursive: true });
  const jobs = Number(process.env.DIME_BUILD_JOBS) || availableParallelism();
  const objects = target.sources.map((src) => join(objDir, src.replace(/[/]/g, "_").replace(/\.cc$/, ".o")));
  // A second build in the same folder recompiles only what changed: a source, a header of
  // native/, or the command line (another compiler, libtorch or Node).
  const command = JSON.stringify([cxx, flags, defines, includes]);
  const stampFile = join(objDir, "command.json");
  const sameCommand = existsSync(stampFile) && readFileSync(stampFile, "utf8") === command;
  const headers = readdirSync(join(root, "native")).filter((f) => f.endsWith(".h"));
  const newestHeader = Math.max(...headers.map((h) => statSync(join(root, "native", h)).mtimeMs));
  const stale = (src, obj) =>
    !sameCommand || !existsSync(obj) || statSync(obj).mtimeMs < Math.max(newestHeader, statSync(join(root, src)).mtimeMs);
  const queue = target.sources.filter((src, i) => stale(src, objects[i]));
  console.log(`dime: compiling ${queue.length} of ${objects.length} files with ${cxx}, ${jobs} at a time, into ${outDir}`);
  // The stamp names the command every object present was compiled with: a new command drops the
  // old objects first, and each object appears only once compiled whole (written under a temporary
  // name), so a build that fails in one file keeps the others for the next try (a slow machine, or
  // a short one on a lent GPU).
  if (!sameCommand) {
    for (const obj of objects) rmSync(obj, { force: true });
    writeFileSync(stampFile, command);
  }
  const failed = [];
  const worker = async () => {
    while (queue.length > 0) {
      const src = queue.shift();
      const obj = objects[target.sources.indexOf(src)];
      await run(cxx, [...flags, ...defines, ...includes, "-c", join(root, src), "-o", `${obj}.tmp`])
        .then(() => renameSync(`${obj}.tmp`, obj))
        .catch(() => {
          rmSync(`${obj}.tmp`, { force: true });
          failed.push(src);
        });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  if (failed.length > 0) throw new Error(`failed to compile ${failed.join(", ")}`);
  const libs = execFileSync(process.execPath, [join(root, "native/find-libtorch.mjs"), "--libs"], { encoding: "utf8" }).trim();
  const node = join(outDir, `${target.target_name}.node`);
  // Written under a temporary name and renamed, so a failed link leaves the previous addon intact.
  await run(cxx, ["-shared", "-pthread", "-o", `${node}.tmp`, ...objects, ...libs.split(/\s+/)]);
  renameSync(`${node}.tmp`, node);
  console.log(`dime: built ${node}`);
  // binding.gyp's second target: the preload library distributed training gives its ranks.
  const shim = JSON.parse(readFileSync(join(root, "binding.gyp"), "utf8")).targets[1];
  const so = join(outDir, `${shim.target_name}.so`);
  await run(process.env.CC || "cc", [
    "-shared",
    "-fPIC",
    "-O2",
    "-o",
    `${so}.tmp`,
    ...shim.sources.map((f) => join(root, f)),
    ...shim.libraries,
  ]);
  renameSync(`${so}.tmp`, so);
  console.log(`dime: built ${so}`);
}

const gyp = nodeGyp();
if (argv.includes("--direct") || outAt >= 0 || !gyp) {
  if (!gyp && !argv.includes("--direct")) console.log("dime: node-gyp not found; building with the C++ compiler alone");
  try {
    await direct();
  } catch (error) {
    fail(`the native addon failed to build (${error.message}); the compiler output above says why.`);
  }
} else {
  const args = [gyp, "rebuild", "--jobs=max"];
  const prefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include/node/node.h"))) args.push(`--nodedir=${prefix}`);
  try {
    execFileSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  } catch {
    fail("the native addon failed to build; the compiler output above says why.");
  }
}
