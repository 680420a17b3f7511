// Finding libtorch for the addon build: the three places, in order, and one line when none has it;
// Gloo's headers where a torch wheel lacks them, NCCL's and CUDA's beside a CUDA wheel.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// @ts-expect-error: a plain .mjs build script without type declarations
import { findLibtorch, GLOO_NOT_FOUND, NOT_FOUND } from "../native/find-libtorch.mjs";
import { SLOW } from "./helpers/tier.js";

const script = fileURLToPath(new URL("../native/find-libtorch.mjs", import.meta.url));
const empty = mkdtempSync(join(tmpdir(), "dime-no-libtorch-"));
const nowhere = { libtorch: undefined, pythons: ["/nonexistent/python3"], systemLibDirs: [empty], systemIncludeDirs: [empty] };

test("no libtorch anywhere: null, and the message names the three ways", () => {
  assert.equal(findLibtorch(nowhere), null);
  assert.match(NOT_FOUND, /LIBTORCH/);
  assert.match(NOT_FOUND, /Python torch/);
  assert.match(NOT_FOUND, /libtorch-dev/);
  assert.equal(NOT_FOUND.includes("\n"), false);
});

test("LIBTORCH that is not a libtorch folder fails with one line naming it", () => {
  const run = spawnSync(process.execPath, [script], { env: { ...process.env, LIBTORCH: empty }, encoding: "utf8" });
  assert.equal(run.status, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1);
  assert.match(run.stderr, new RegExp(`LIBTORCH=${empty} is not a libtorch folder`));
});

// Asks up to three Pythons for a pip torch first (each a second or more): full tier.
test("the libtorch this build used is found again, with its include folders", SLOW, () => {
  const found = findLibtorch();
  assert.ok(found, "the addon was built, so libtorch must be findable");
  assert.equal(found.include.length, 2);
});

/** Empty files at these paths under `dir` (the folders made as needed); returns `dir`. */
function files(dir: string, paths: string[]): string {
  for (const p of paths) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), "");
  }
  return dir;
}

// A wheel's layout: site-packages/torch/{include,lib} and, for CUDA, the nvidia-* packages beside it.
const site = mkdtempSync(join(tmpdir(), "dime-site-packages-"));
const wheel = join(site, "torch");
files(wheel, ["include/ATen/ATen.h", "include/torch/csrc/api/include/torch/torch.h", "lib/libtorch.so", "lib/libtorch_cuda.so"]);
const gloo = files(mkdtempSync(join(tmpdir(), "dime-gloo-")), ["gloo/algorithm.h"]);
const noGloo = { ...nowhere, libtorch: wheel, glooPacked: empty, cudaInclude: undefined, cudaHome: undefined, cudaIncludeDirs: [] };

test("a wheel without Gloo's headers, on a system without them: one line naming the ways", () => {
  assert.throws(() => findLibtorch({ ...noGloo, glooInclude: undefined }), { message: GLOO_NOT_FOUND });
  assert.match(GLOO_NOT_FOUND, /libgloo-dev/);
  assert.match(GLOO_NOT_FOUND, /DIME_GLOO_INCLUDE/);
  assert.equal(GLOO_NOT_FOUND.includes("\n"), false);
});

test("Gloo's headers from DIME_GLOO_INCLUDE or the bundle's gloo-headers/ join the include path", () => {
  assert.deepEqual(findLibtorch({ ...noGloo, glooInclude: gloo }).include.slice(2), [gloo]);
  assert.equal(findLibtorch({ ...noGloo, glooInclude: gloo }).gloo, gloo);
  assert.deepEqual(findLibtorch({ ...noGloo, glooInclude: undefined, glooPacked: gloo }).include.slice(2), [gloo]);
  // the system's are found by the compiler itself: nothing added
  const system = findLibtorch({ ...noGloo, glooInclude: undefined, systemIncludeDirs: [gloo] });
  assert.deepEqual([system.include.slice(2), system.gloo], [[], gloo]);
  assert.throws(() => findLibtorch({ ...noGloo, glooInclude: empty }), {
    message: `dime: DIME_GLOO_INCLUDE=${empty} holds no gloo/algorithm.h (name the folder that holds gloo/)`,
  });
});

test("a CUDA wheel compiles NCCL in only when NCCL's and CUDA's headers are beside it", {
  skip: process.env.DIME_CPU_ONLY === "1" && "DIME_CPU_ONLY=1 makes every libtorch a CPU one",
}, () => {
  const without = findLibtorch({ ...noGloo, glooInclude: gloo });
  assert.equal(without.cuda, true);
  assert.equal(without.nccl, false);
  assert.equal(without.ncclMissing, "nccl.h");
  // PyPI's nvidia-* packages: one include folder each (cu12) or a shared one (cu13)
  files(join(site, "nvidia"), ["nccl/include/nccl.h", "cuda_runtime/include/cuda_runtime_api.h"]);
  // cu13's packages have no crt/ (nvcc's nvidia-cuda-crt has) and no nv/ (CCCL's): the
  // toolkit's or DIME_CUDA_INCLUDE's (the device pack's cuda-headers/) fill in
  assert.equal(findLibtorch({ ...noGloo, glooInclude: gloo }).ncclMissing, "crt/host_config.h");
  const crt = files(mkdtempSync(join(tmpdir(), "dime-cuda-headers-")), ["crt/host_config.h"]);
  assert.equal(findLibtorch({ ...noGloo, glooInclude: gloo, cudaInclude: crt }).ncclMissing, "nv/target");
  files(crt, ["nv/target"]);
  assert.equal(findLibtorch({ ...noGloo, glooInclude: gloo, cudaInclude: crt }).ncclMissing, "cublas_v2.h");
  files(join(site, "nvidia"), [
    "cu13/include/cublas_v2.h",
    "cu13/include/cublasLt.h",
    "cu13/include/cusparse.h",
    "cu13/include/cusolverDn.h",
  ]);
  assert.equal(findLibtorch({ ...noGloo, glooInclude: gloo }).ncclMissing, "crt/host_config.h");
  const found = findLibtorch({ ...noGloo, glooInclude: gloo, cudaInclude: crt });
  assert.equal(found.nccl, true);
  // the packages' folders come first: crt/ is taken from elsewhere only because they lack it
  assert.equal(found.include.at(-1), crt);
  assert.deepEqual(
    found.include.slice(3, -1).sort(),
    ["cu13", "cuda_runtime", "nccl"].map((d) => join(site, "nvidia", d, "include")),
  );
});
