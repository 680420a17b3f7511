// retainFreedMemory: after it, tensors freed and allocated again reuse the process's pages
// instead of faulting fresh ones in (the per-frame pattern of inference; docs/speed.md).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";

/** The process's minor page faults so far (field 10 of /proc/self/stat). */
function minorFaults(): number {
  return Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[7]);
}

test("after retainFreedMemory, freeing and re-allocating 8 MiB tensors faults in almost no fresh pages", {
  skip: !existsSync("/proc/self/stat"),
}, () => {
  assert.equal(torch.retainFreedMemory(), true, "glibc's mallopt refused the thresholds");
  const cycle = () => torch.ones([2 * 1024 * 1024]).dispose(); // 8 MiB written, then freed
  // The first cycles grow the heap (about ten here); then it serves every one.
  for (let i = 0; i < 15; i++) cycle();
  const before = minorFaults();
  for (let i = 0; i < 20; i++) cycle();
  const faults = minorFaults() - before;
  // Without retention each cycle maps 8 MiB afresh: about 1200 faults a cycle, 24584 in one run.
  assert.ok(faults < 500, `${faults} minor page faults in 20 cycles of 8 MiB`);
});

test("after retainFreedMemory, tensors above glibc's 32 MiB mmap cap are reused too", {
  skip: !existsSync("/proc/self/stat"),
}, () => {
  assert.equal(torch.retainFreedMemory(), true, "glibc's mallopt refused the settings");
  // 128 channels at 256x256 in fp32 is 32 MiB exactly, above what the threshold can cover with
  // the allocator's alignment: a 256 px frame's largest tensors. 40 MiB here.
  const cycle = () => torch.ones([10 * 1024 * 1024]).dispose();
  for (let i = 0; i < 8; i++) cycle();
  const before = minorFaults();
  for (let i = 0; i < 10; i++) cycle();
  const faults = minorFaults() - before;
  // Mapped afresh, each cycle faults in 10240 pages: 102400 in ten.
  assert.ok(faults < 1000, `${faults} minor page faults in 10 cycles of 40 MiB`);
});
