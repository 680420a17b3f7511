// Video in and out: round trips keep frame count, fps and size; quality is bounded by PSNR.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { probeMedia } from "../src/media/probe.js";
import { readAllFrames, readFrames } from "../src/media/video-read.js";
import { psnr, writeClip } from "./media-fixtures.js";
import { SLOW } from "./helpers/tier.js";
import { makeTestClip } from "./helpers/test-clip.js";

const dir = mkdtempSync(join(tmpdir(), "dime-video-"));

test("mp4 round trip: same frame count, fps and size, PSNR >= 35 dB", async () => {
  const path = join(dir, "clip.mp4");
  const written = await writeClip(path, 64, 48, 12, 25);
  const info = await probeMedia(path);
  assert.deepEqual([info.kind, info.codec, info.width, info.height, info.frameCount, info.fps], ["video", "h264", 64, 48, 12, 25]);
  const read = await readAllFrames(path, { info });
  assert.equal(read.length, 12);
  for (let t = 0; t < 12; t++) {
    const db = psnr(written[t], read[t]);
    assert.ok(db >= 35, `frame ${t}: PSNR ${db.toFixed(2)} dB < 35`);
  }
  // No temporary file is left beside the output.
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes("partial")),
    [],
  );
});

test("frame range and stride pick the right frames", async () => {
  const path = join(dir, "clip.mp4");
  const all = await readAllFrames(path);
  const picked = [];
  for await (const frame of readFrames(path, { start: 2, end: 11, stride: 3 })) picked.push(frame);
  assert.deepEqual(
    picked.map((f) => f.index),
    [2, 5, 8],
  );
  for (const f of picked) assert.ok(psnr(f.image, all[f.index]) > 60, `frame ${f.index} differs from the full read`);
});

test("fit resizes frames while decoding", async () => {
  const frames = await readAllFrames(join(dir, "clip.mp4"), { fit: { width: 32, height: 32, crop: "center" }, end: 2 });
  assert.deepEqual([frames.length, frames[0].width, frames[0].height], [2, 32, 32]);
});

test("gif round trip: same frame count, fps and size, PSNR >= 30 dB (palette loss; measured 35.3 dB)", async () => {
  const path = join(dir, "clip.gif");
  const written = await writeClip(path, 40, 30, 8, 25);
  const info = await probeMedia(path);
  assert.deepEqual([info.kind, info.width, info.height, info.frameCount, info.fps], ["video", 40, 30, 8, 25]);
  const read = await readAllFrames(path, { info });
  assert.equal(read.length, 8);
  for (let t = 0; t < 8; t++) {
    const db = psnr(written[t], read[t]);
    assert.ok(db >= 30, `frame ${t}: PSNR ${db.toFixed(2)} dB < 30`);
  }
});

test("odd-sized input gives an even-sized mp4 whose edge repeats the picture", async () => {
  const path = join(dir, "odd.mp4");
  const written = await writeClip(path, 33, 21, 3, 10);
  const info = await probeMedia(path);
  assert.deepEqual([info.width, info.height, info.frameCount], [34, 22, 3]);
  const read = await readAllFrames(path, { info });
  // Compare the original 33x21 area.
  const crop = { width: 33, height: 21, data: new Float32Array(3 * 33 * 21) };
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 21; y++) for (let x = 0; x < 33; x++) crop.data[(c * 21 + y) * 33 + x] = read[1].data[(c * 22 + y) * 34 + x];
  assert.ok(psnr(written[1], crop) >= 30, "odd-size content survives");
});

test("webm and PNG-folder writers keep count, fps and size", async () => {
  const webm = join(dir, "clip.webm");
  await writeClip(webm, 32, 32, 6, 12);
  const w = await probeMedia(webm);
  assert.deepEqual([w.codec, w.width, w.height, w.frameCount, w.fps], ["vp9", 32, 32, 6, 12]);
  const folder = join(dir, "frames");
  const written = await writeClip(folder, 20, 10, 4, 25);
  const f = await probeMedia(folder);
  assert.deepEqual([f.kind, f.width, f.height, f.frameCount], ["frames", 20, 10, 4]);
  const read = await readAllFrames(folder);
  assert.ok(psnr(written[3], read[3]) > 45, "PNG frames are lossless up to 8-bit rounding");
});

test("audio of the driving video is copied when asked", SLOW, async () => {
  const driving = join(dir, "with-audio.mp4");
  makeTestClip(driving, { width: 32, height: 32, rate: 10, seconds: 1, audio: true });
  assert.equal((await probeMedia(driving)).audio, "aac");
  const out = join(dir, "dubbed.mp4");
  await writeClip(out, 32, 32, 10, 10, driving);
  const info = await probeMedia(out);
  assert.equal(info.audio, "aac");
  assert.equal(info.frameCount, 10);
  const silent = join(dir, "silent.mp4");
  await writeClip(silent, 32, 32, 4, 10, join(dir, "clip.mp4")); // a driving video without audio is fine
  assert.equal((await probeMedia(silent)).audio, undefined);
});

test("reading a long video keeps memory flat (frames are streamed)", SLOW, async () => {
  const long = join(dir, "long.mp4");
  makeTestClip(long, { width: 320, height: 240, rate: 25, seconds: 24, args: ["-preset", "ultrafast"] });
  // 600 frames of 320x240 float RGB would be 553 MB if held; the reader holds one at a time.
  global.gc?.();
  const before = process.memoryUsage().rss;
  let count = 0;
  let peak = before;
  for await (const frame of readFrames(long)) {
    count += 1;
    assert.equal(frame.image.width, 320);
    if (count % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  assert.equal(count, 600);
  assert.ok(peak - before < 200e6, `resident memory grew by ${((peak - before) / 1e6).toFixed(0)} MB while streaming`);
  assert.ok(existsSync(long));
  mkdirSync(join(dir, "unused"), { recursive: true });
});

test("a video with rotation metadata (phone portrait) comes out upright", SLOW, async () => {
  const plain = join(dir, "landscape.mp4");
  makeTestClip(plain, { width: 64, height: 32, rate: 10, seconds: 0.5 });
  const rotated = join(dir, "portrait.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated]);
  const info = await probeMedia(rotated);
  assert.deepEqual([info.width, info.height, info.frameCount], [32, 64, 5]);
  const frames = await readAllFrames(rotated, { info });
  assert.deepEqual([frames.length, frames[0].width, frames[0].height], [5, 32, 64]);
  // The upright frame is the landscape frame turned a quarter: compare one corner region's mean.
  const land = (await readAllFrames(plain))[0];
  const mean = (img: typeof land, x0: number, y0: number, w: number, h: number) => {
    let s = 0;
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) s += img.data[y * img.width + x];
    return s / (w * h);
  };
  // rotate=90 is a counter-clockwise quarter turn for display: the landscape's top-right corner becomes the top-left.
  assert.ok(Math.abs(mean(frames[0], 0, 0, 8, 8) - mean(land, 56, 0, 8, 8)) < 0.1, "rotated content matches a quarter turn");
});

test("writer errors name the output; abort leaves nothing behind", async () => {
  const { VideoWriter } = await import("../src/media/video-write.js");
  const { MediaError } = await import("../src/media/errors.js");
  assert.throws(
    () => new VideoWriter(join(dir, "no-such-folder", "out.mp4"), { fps: 25, width: 8, height: 8 }),
    (e: unknown) => e instanceof MediaError && e.reason === "write" && /does not exist/.test(e.message),
  );
  assert.throws(
    () => new VideoWriter(join(dir, "out.avi"), { fps: 25, width: 8, height: 8 }),
    (e: unknown) => e instanceof MediaError && e.reason === "unsupported",
  );
  const writer = new VideoWriter(join(dir, "aborted.mp4"), { fps: 25, width: 16, height: 16 });
  await writer.writeRgb24(new Uint8Array(16 * 16 * 3));
  writer.abort();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes("aborted")),
    [],
  );
});

test("transparent GIF animation frames are composited on the chosen background", async () => {
  const sharp = (await import("sharp")).default;
  // Two 8x8 frames: left half opaque (red, then blue), right half transparent.
  const raw = new Uint8Array(8 * 16 * 4);
  for (let i = 0; i < 8 * 16; i++) if (i % 8 < 4) raw.set(i < 64 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
  const path = join(dir, "transparent.gif");
  await sharp(raw, { raw: { width: 8, height: 16, channels: 4, pageHeight: 8 } } as never)
    .gif({ delay: [40, 40], loop: 0 })
    .toFile(path);
  const info = await probeMedia(path);
  assert.deepEqual([info.kind, info.frameCount, info.width, info.height], ["video", 2, 8, 8]);
  const frames = await readAllFrames(path, { info, background: [0, 1, 0] });
  const at = (x: number, y: number) => [0, 1, 2].map((c) => frames[1].data[c * 64 + y * 8 + x]);
  assert.deepEqual(at(1, 3).map(Math.round), [0, 0, 1]);
  assert.deepEqual(at(6, 3).map(Math.round), [0, 1, 0]);
});
