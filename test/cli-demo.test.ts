// `dime demo` on what ships (models/demo, assets/demo): the animation has the driving clip's 96
// frames at 25 fps and the model's 64x64, the side-by-side view is three panels wide, the contact
// sheet is written; --one-shot drops the second view; a folder that cannot be made is one line.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { probeMedia } from "../src/media/probe.js";
import { readImage } from "../src/media/image-read.js";
import { spawnSync } from "node:child_process";
import { runDime } from "./helpers/train-fixtures.js";
import { BIN, BIN_NODE_FLAGS } from "./helpers/cli.js";
import { SLOW } from "./helpers/tier.js";

test("bin/dime.js runs as an executable, starting node with V8's garbage collector on the main thread", SLOW, () => {
  // Its first line is what `npx dime` runs: env -S must split it and node must accept the flag
  // (a misspelt V8 flag is "bad option", exit 9). docs/speed.md says why the flag is there.
  assert.deepEqual(BIN_NODE_FLAGS, ["--single-threaded-gc"]);
  const run = spawnSync(BIN, ["--version"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/);
});

test("dime demo writes the animation, the side-by-side view and the contact sheet", SLOW, async () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-demo-"));
  try {
    const out = join(dir, "out");
    const run = runDime(["demo", "--out", out]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /and one more view/);
    assert.match(run.stdout, /96 frames 64x64/);
    const video = await probeMedia(join(out, "demo.mp4"));
    assert.deepEqual([video.frameCount, video.width, video.height, video.fps], [96, 64, 64, 25]);
    const side = await probeMedia(join(out, "demo-visualize.mp4"));
    assert.deepEqual([side.frameCount, side.width, side.height], [96, 192, 64]);
    const sheet = await readImage(join(out, "demo-frames.png"));
    assert.ok(sheet.width > 9 * 128 && sheet.height > 2 * 128, `${sheet.width}x${sheet.height}`);

    const oneShot = runDime(["demo", "--out", out, "--one-shot", "--ode-steps", "1"]);
    assert.equal(oneShot.status, 0, oneShot.stderr);
    assert.doesNotMatch(oneShot.stdout, /one more view/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dime demo: an output path that is a file gives one line and exit 1", SLOW, () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-demo-bad-"));
  try {
    const file = join(dir, "taken");
    writeFileSync(file, "not a folder");
    const run = runDime(["demo", "--out", file]);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /taken: exists and is not a folder/);
    assert.equal(existsSync(join(file, "demo.mp4")), false);
    const flag = runDime(["demo", "--frames", "3"]);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /unknown flag --frames/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
