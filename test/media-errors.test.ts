// Bad media: each case is one MediaError naming the file in the library, and one line on stderr
// with a non-zero exit (no stack trace) from `dime probe`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { MediaError, type MediaErrorReason } from "../src/media/errors.js";
import { probeMedia } from "../src/media/probe.js";
import { readAllFrames } from "../src/media/video-read.js";
import { writeClip } from "./media-fixtures.js";
import { runDime } from "./helpers/cli.js";
import { SLOW } from "./helpers/tier.js";

const dir = mkdtempSync(join(tmpdir(), "dime-bad-"));

async function badFiles(): Promise<Array<[string, string, MediaErrorReason]>> {
  const good = join(dir, "good.mp4");
  await writeClip(good, 64, 64, 30, 25);
  const truncated = join(dir, "truncated.mp4");
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const headless = join(dir, "no-index.mp4"); // the tail of a file: no header at all
  writeFileSync(headless, bytes.subarray(Math.floor(bytes.length * 0.4)));
  const zero = join(dir, "zero-frames.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=s=32x32:r=10", "-frames:v", "0", "-pix_fmt", "yuv420p", zero]);
  const text = join(dir, "notes.mp4");
  writeFileSync(text, "this is a text file, not a video\n");
  const empty = join(dir, "empty-folder");
  mkdirSync(empty);
  const noFrames = join(dir, "text-folder");
  mkdirSync(noFrames);
  writeFileSync(join(noFrames, "readme.txt"), "no frames here");
  return [
    ["truncated mp4", truncated, "corrupt"],
    ["mp4 without its header", headless, "unsupported"],
    ["zero-frame video", zero, "empty"],
    ["text file named .mp4", text, "unsupported"],
    ["missing file", join(dir, "missing.mp4"), "missing"],
    ["folder without frames", empty, "empty"],
    ["folder of non-images", noFrames, "empty"],
  ];
}

const cases = badFiles();

function assertOneLineError(error: unknown, file: string, reason: MediaErrorReason): true {
  assert.ok(error instanceof MediaError, `expected a MediaError, got ${String(error)}`);
  assert.equal(error.reason, reason, error.message);
  assert.equal(error.file, file);
  assert.ok(error.message.startsWith(`${file}: `), error.message);
  assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
  return true;
}

test("the library throws a typed error naming the file, for probing and for reading", SLOW, async () => {
  for (const [what, file, reason] of await cases) {
    await assert.rejects(probeMedia(file), (e) => assertOneLineError(e, file, reason), what);
    await assert.rejects(readAllFrames(file), (e) => assertOneLineError(e, file, reason), what);
  }
});

test("an unreadable folder is refused by name", async () => {
  const locked = join(dir, "locked");
  mkdirSync(locked);
  writeFileSync(join(locked, "000000.png"), "x");
  chmodSync(locked, 0o000);
  // Root reads any folder, so as root the check runs with the effective user 'nobody'.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    process.seteuid!(65534);
  }
  try {
    await assert.rejects(probeMedia(locked), (e) => assertOneLineError(e, locked, "unreadable"));
  } finally {
    if (asRoot) process.seteuid!(0);
    chmodSync(locked, 0o755);
  }
});

test("a folder whose frame is damaged is refused naming the frame", async () => {
  const folder = join(dir, "damaged-frames");
  await writeClip(folder, 16, 16, 3, 25);
  const frame = join(folder, "000001.png");
  writeFileSync(frame, readFileSync(frame).subarray(0, 30));
  await assert.rejects(readAllFrames(folder), (e) => assertOneLineError(e, frame, "corrupt"));
});

test("`dime probe` prints one line per bad file, no stack trace, and exits non-zero", SLOW, async () => {
  const files = (await cases).map(([, file]) => file);
  const good = join(dir, "good.mp4");
  const run = runDime(["probe", good, ...files], 60_000);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /good\.mp4: video h264 64x64, 25 fps, 30 frames/);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, files.length, run.stderr);
  files.forEach((file, i) => assert.ok(lines[i].startsWith(`dime probe: ${file}: `), lines[i]));
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
});
