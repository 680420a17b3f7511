// A CUDA build of the addon on a machine without a GPU (the CUDA libraries installed, as PyPI's
// nvidia-* packages put them beside torch, but no device): CUDA reports itself unavailable instead
// of crashing, `--device cuda` stops with one line, and the NCCL backend, which such a build
// carries, refuses with one line. Skipped, with the reason, where the addon links no CUDA
// libtorch (CI's) or where a GPU is visible (test/cuda-ops and test/cuda-model check that case).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DataParallel, type RankPlace } from "../src/train/distributed.js";
import { runDime } from "./helpers/cli.js";
import { SLOW } from "./helpers/tier.js";

// Loading libtorch_cuda.so is what a CUDA link does; asking for a device count loads the addon.
const gpus = torch.cuda.deviceCount();
const cudaLinked = existsSync("/proc/self/maps") && readFileSync("/proc/self/maps", "utf8").includes("libtorch_cuda.so");
const skip = !cudaLinked
  ? "the addon links no CUDA libtorch (build one with DIME_CPU_ONLY=0 and point DIME_ADDON at it)"
  : gpus > 0
    ? "a GPU is visible: test/cuda-ops.test.ts and test/cuda-model.test.ts check CUDA there"
    : false;

/** The one line a failure must be: no newline, no libtorch trailer. */
function assertOneLine(message: string): void {
  assert.equal(message.trim().includes("\n"), false, `more than one line:\n${message}`);
  assert.doesNotMatch(message, /Exception raised from|frame #\d/);
}

describe("a CUDA addon without a GPU", { skip }, () => {
  test("CUDA reports itself unavailable, and a copy to it fails with one line", () => {
    assert.equal(torch.cuda.isAvailable(), false);
    assert.equal(torch.cuda.deviceCount(), 0);
    const x = torch.zeros([2]);
    assert.throws(
      () => x.to("cuda"),
      (error: Error) => {
        assertOneLine(error.message);
        return true;
      },
    );
    x.dispose();
  });

  test("dime --device cuda stops with one line before any work", SLOW, () => {
    const run = runDime(["bench", "model", "--device", "cuda", "--config", "configs/fomm/vox-256.yaml", "--train-config", "none"]);
    assert.notEqual(run.status, 0);
    assertOneLine(run.stderr);
    assert.match(run.stderr, /--device cuda: this libtorch has no CUDA or no GPU is visible; use --device cpu/);
  });

  test("the NCCL backend is compiled in, and joining it without a GPU fails with one line", () => {
    assert.equal(torch.distributed.hasNccl(), true, "a CUDA build with NCCL's headers found compiles ProcessGroupNCCL in");
    const place: RankPlace = {
      localRank: 0,
      masterAddr: "127.0.0.1",
      masterPort: 0,
      localAddr: "127.0.0.1",
      rank: 0,
      worldSize: 1,
      timeoutMs: 5000,
      backend: "nccl",
    };
    assert.throws(
      () => DataParallel.join(place),
      (error: Error) => {
        assertOneLine(error.message);
        assert.match(error.message, /^rank 0: cannot join the process group at 127\.0\.0\.1:0 \(.*GPU/);
        return true;
      },
    );
    assert.equal(torch.distributed.isInitialized(), false, "a failed join leaves no process group behind");
  });
});
