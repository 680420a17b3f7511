// What the media and file writers promise when things go wrong (docs/reliability.md): a full disk
// is one line naming the user's file, with no temporary file left and the previous file as it was,
// for every format; a variable-frame-rate clip keeps each frame's time; probe refuses what reading
// refuses; temporary files of killed processes are swept.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import sharp from "sharp";

import * as torch from "../src/torch/index.js";
import { writeTextAtomic } from "../src/io/atomic-file.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { sweepStaleTemps, tempOwner } from "../src/io/temp-files.js";
import { WriteError } from "../src/io/write-errors.js";
import { MediaError } from "../src/media/errors.js";
import { readImage } from "../src/media/image-read.js";
import { writeImage } from "../src/media/image-write.js";
import { describeMedia } from "../src/media/info.js";
import { probeMedia } from "../src/media/probe.js";
import { slotCounts } from "../src/media/timing.js";
import { readAllFrames } from "../src/media/video-read.js";
import { VideoWriter } from "../src/media/video-write.js";
import { mountTinyDisk } from "./helpers/full-disk.js";
import { frameTimes, makeVfrClip } from "./helpers/vfr-clip.js";
import { SLOW } from "./helpers/tier.js";

const dir = mkdtempSync(join(tmpdir(), "dime-reliability-"));

/** A 64x64 frame of one grey level, so that a frame read back says which one it was. */
function grey(level: number): Uint8Array {
  return new Uint8Array(64 * 64 * 3).fill(level);
}

/** Random pixels: they do not compress, so a few frames fill a small disk. */
function noise(size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (Math.random() * 256) | 0;
  return pixels;
}

describe("variable frame rate", SLOW, () => {
  const clip = join(dir, "vfr.mp4");
  makeVfrClip(clip);

  test("probe says the rate varies, with its range; a constant-rate clip does not", async () => {
    const info = await probeMedia(clip);
    assert.ok(info.variableRate, "variable");
    assert.equal(info.frameCount, 60);
    assert.ok(
      info.variableRate.minFps > 9.9 && info.variableRate.minFps < 15.1 && Math.abs(info.variableRate.maxFps - 30) < 0.1,
      `${info.variableRate.minFps}..${info.variableRate.maxFps}`,
    );
    assert.match(describeMedia(info), /variable frame rate \([\d.]+ to 30 fps, [\d.]+ on average\)/);
    const cfr = join(dir, "cfr.mp4");
    const writer = new VideoWriter(cfr, { fps: 30, width: 64, height: 64 });
    for (let i = 0; i < 10; i++) await writer.writeRgb24(grey(i * 20));
    await writer.close();
    assert.equal((await probeMedia(cfr)).variableRate, undefined);
  });

  test("written at a constant rate, every frame shows from its own time to the next one's", async () => {
    const info = await probeMedia(clip);
    const timing = info.variableRate!;
    const out = join(dir, "vfr-out.mp4");
    const writer = new VideoWriter(out, { fps: 30, width: 64, height: 64, audioFrom: clip, timing });
    for (let i = 0; i < 60; i++) await writer.writeRgb24(grey(40 + 3 * i));
    await writer.close();
    const slots = slotCounts(timing, 30);
    assert.equal(
      writer.encodedFrames,
      slots.reduce((a, b) => a + b, 0),
    );
    const times = frameTimes(out);
    const frames = await readAllFrames(out);
    assert.equal(frames.length, times.length);
    // Each input frame i (time t_i) must be the one on screen at t_i in the output.
    for (let i = 0; i < 60; i++) {
      const t = timing.timestamps[i];
      const shown = times.findLastIndex((time) => time <= t + 1 / 60);
      const level = Math.round(frames[shown].data[0] * 255);
      assert.ok(
        Math.abs(level - (40 + 3 * i)) <= 1,
        `input frame ${i} at ${t.toFixed(3)} s: output shows level ${level}, expected ${40 + 3 * i}`,
      );
    }
    // The picture lasts as long as the input, so the audio (3 s, cut to the picture) stays in step.
    const outInfo = await probeMedia(out);
    assert.ok(Math.abs(outInfo.duration - timing.end) <= 1 / 30 + 1e-6, `output ${outInfo.duration} s, input ${timing.end} s`);
    assert.equal(outInfo.audio, "aac");
  });
});

describe("messages", () => {
  test("an empty PNG is empty, not a BMP", async () => {
    const empty = join(dir, "empty.png");
    writeFileSync(empty, "");
    for (const read of [() => readImage(empty), () => probeMedia(empty)]) {
      await assert.rejects(
        read,
        (e: MediaError) =>
          e.reason === "empty" && e.message === `${empty}: is empty (0 bytes): its copy or download was cut short; get the file again`,
      );
    }
  });

  test("probe refuses a truncated PNG as reading does", async () => {
    const whole = await sharp(Buffer.from(noise(64)), { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const cut = join(dir, "cut.png");
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    await assert.rejects(
      () => readImage(cut),
      (e: MediaError) => e.reason === "corrupt",
    );
    await assert.rejects(
      () => probeMedia(cut),
      (e: MediaError) => e.reason === "corrupt" && e.message.startsWith(`${cut}: cannot decode image`),
    );
  });
});

describe("temporary files of killed processes", () => {
  test("a later write in the folder removes those whose process is gone, and only those", async () => {
    const folder = join(dir, "stale");
    mkdirSync(folder);
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!; // exited: its pid is free
    const stale = [`.out.partial-${dead}-1.mp4`, `.frames.partial-${dead}-2`, `.step-000002.json.${dead}-0123456789ab.tmp`];
    for (const name of stale) writeFileSync(join(folder, name), "half");
    const live = `.out.partial-${process.ppid}-7.mp4`; // the test runner: alive
    writeFileSync(join(folder, live), "busy");
    assert.deepEqual(stale.map(tempOwner), [dead, dead, dead]);
    await writeImage(join(folder, "picture.png"), { data: new Float32Array(3 * 4 * 4), width: 4, height: 4 });
    assert.deepEqual(readdirSync(folder).sort(), [live, "picture.png"].sort());
    assert.deepEqual(sweepStaleTemps(folder), [], "once per folder and process");
  });
});

describe("a full disk", SLOW, () => {
  const disk = mountTinyDisk();
  const skip = typeof disk === "string" ? disk : false;
  after(() => typeof disk !== "string" && disk.unmount());

  /** Writes 40 noisy 128x128 frames to `name` on the full disk, where a good one was, and checks the promise. */
  async function fillsUp(name: string): Promise<void> {
    if (typeof disk === "string") return;
    const out = join(disk.dir, name);
    const good = join(dir, "good.gif");
    const writer0 = new VideoWriter(good, { fps: 10, width: 16, height: 16 });
    await writer0.writeRgb24(new Uint8Array(16 * 16 * 3));
    await writer0.close();
    const previous = name.includes(".") ? readFileSync(good) : undefined;
    if (previous) writeFileSync(out, previous);
    disk.fill(64 * 1024);
    const writer = new VideoWriter(out, { fps: 25, width: 128, height: 128 });
    const error = await (async () => {
      for (let i = 0; i < 40; i++) await writer.writeRgb24(noise(128));
      await writer.close();
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    writer.abort();
    assert.ok(error instanceof MediaError, `${name}: the write must fail, got ${String(error)}`);
    assert.match(
      error.message,
      new RegExp(`^cannot write ${out.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: the disk is full \\([\\d.]+ MB free\\)`),
    );
    assert.doesNotMatch(error.message, /partial/);
    const left = readdirSync(disk.dir).filter((n) => n !== ".filler");
    assert.deepEqual(left, previous ? [name] : [], "no temporary file left");
    if (previous) assert.deepEqual(readFileSync(out), previous, "the previous file is untouched");
    execFileSync("rm", ["-rf", join(disk.dir, name), join(disk.dir, ".filler")]);
  }

  // webm and gif take the mp4 path with a slower encoder: full tier.
  for (const name of ["out.mp4", "out.webm", "out.gif", "frames"])
    test(`${name}: refused in one line, the previous file kept`, { skip: skip || (/webm|gif/.test(name) && SLOW.skip) }, () =>
      fillsUp(name),
    );

  test("checkpoint tensors and reports: refused in one line, the previous file kept", { skip }, () => {
    if (typeof disk === "string") return;
    const weights = join(disk.dir, "step.safetensors");
    const report = join(disk.dir, "report.json");
    torch.tidy(() => writeSafetensors(weights, { w: torch.zeros([4]) }));
    writeTextAtomic(report, "{}\n");
    const before = [readFileSync(weights), readFileSync(report)];
    disk.fill(16 * 1024);
    assert.throws(
      () => torch.tidy(() => writeSafetensors(weights, { w: torch.zeros([1 << 20]) })),
      (e: Error) => e instanceof WriteError && /^cannot write .*step\.safetensors: the disk is full \([\d.]+ MB free\)/.test(e.message),
    );
    assert.throws(
      () => writeTextAtomic(report, "x".repeat(1 << 20)),
      (e: Error) => e instanceof WriteError && e.message.startsWith(`cannot write ${report}: the disk is full`),
    );
    assert.deepEqual([readFileSync(weights), readFileSync(report)], before);
    assert.deepEqual(readdirSync(disk.dir).sort(), [".filler", "report.json", "step.safetensors"]);
  });
});

test("no temporary files left in the test folder", () => {
  const hidden = readdirSync(dir).filter((n) => n.startsWith("."));
  assert.deepEqual(hidden, []);
  assert.ok(existsSync(dir));
});
