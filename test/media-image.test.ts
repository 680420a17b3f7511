// Still images: every pixel layout comes out as RGB float in [0, 1] with the expected values.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import sharp from "sharp";

import { MediaError } from "../src/media/errors.js";
import { readImage } from "../src/media/image-read.js";
import type { RgbImage } from "../src/media/image.js";

const dir = mkdtempSync(join(tmpdir(), "dime-image-"));
/** One 8-bit step: the tolerance for values that went through 8-bit storage. */
const BYTE = 1 / 255 + 1e-6;

function pixel(image: RgbImage, x: number, y: number): number[] {
  const plane = image.width * image.height;
  const i = y * image.width + x;
  return [image.data[i], image.data[plane + i], image.data[2 * plane + i]];
}

function assertPixel(image: RgbImage, x: number, y: number, expected: number[], tolerance = BYTE): void {
  const got = pixel(image, x, y);
  for (let c = 0; c < 3; c++) {
    assert.ok(
      Math.abs(got[c] - expected[c]) <= tolerance,
      `pixel (${x},${y}) is [${got.map((v) => v.toFixed(4))}], expected [${expected}]`,
    );
  }
}

async function writePng(
  name: string,
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  colourspace?: string,
) {
  const path = join(dir, name);
  let image = sharp(pixels, { raw: { width, height, channels } });
  if (colourspace) image = image.toColourspace(colourspace);
  writeFileSync(path, await image.png().toBuffer());
  return path;
}

test("grey PNG loads as three equal channels", async () => {
  const path = await writePng("grey.png", new Uint8Array([0, 64, 128, 255]), 2, 2, 1, "b-w");
  assert.equal((await sharp(path).metadata()).channels, 1);
  const image = await readImage(path);
  assert.equal(image.data.length, 3 * 4);
  assertPixel(image, 0, 0, [0, 0, 0]);
  assertPixel(image, 1, 0, [64 / 255, 64 / 255, 64 / 255]);
  assertPixel(image, 1, 1, [1, 1, 1]);
});

test("grey+alpha and RGBA are composited on the chosen background", async () => {
  const ga = await writePng("grey-alpha.png", new Uint8Array([200, 255, 200, 0]), 2, 1, 2, "b-w");
  const onBlack = await readImage(ga, { background: [0, 0, 0] });
  assertPixel(onBlack, 0, 0, [200 / 255, 200 / 255, 200 / 255]);
  assertPixel(onBlack, 1, 0, [0, 0, 0]);
  const rgba = await writePng("rgba.png", new Uint8Array([255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 128]), 3, 1, 4);
  const onGreen = await readImage(rgba, { background: [0, 1, 0] });
  assertPixel(onGreen, 0, 0, [1, 0, 0]);
  assertPixel(onGreen, 1, 0, [0, 1, 0]);
  assertPixel(onGreen, 2, 0, [0, 127 / 255, 0], 2 * BYTE); // half-transparent black over green
  const onWhite = await readImage(rgba); // default background: white
  assertPixel(onWhite, 1, 0, [1, 1, 1]);
});

test("16-bit PNG keeps its precision", async () => {
  const path = await writePng("grey16.png", new Uint16Array([0, 1000, 65535, 30000]), 2, 2, 1, "grey16");
  assert.equal((await sharp(path).metadata()).depth, "ushort");
  const image = await readImage(path);
  assertPixel(image, 1, 0, [1000 / 65535, 1000 / 65535, 1000 / 65535], 1e-6);
  assertPixel(image, 1, 1, [30000 / 65535, 30000 / 65535, 30000 / 65535], 1e-6);
  const rgb16 = await writePng("rgb16.png", new Uint16Array([65535, 257, 0]), 1, 1, 3, "rgb16");
  assertPixel(await readImage(rgb16), 0, 0, [1, 257 / 65535, 0], 1e-6);
});

test("CMYK converts to RGB", async () => {
  // Red, white and black stored as CMYK JPEG; libvips converts through its default CMYK profile,
  // so the round trip is close but not exact (red comes back near 232/255).
  const rgb = new Uint8Array([255, 0, 0, 255, 255, 255, 0, 0, 0]);
  const path = join(dir, "cmyk.jpg");
  writeFileSync(
    path,
    await sharp(rgb, { raw: { width: 3, height: 1, channels: 3 } })
      .toColourspace("cmyk")
      .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
      .toBuffer(),
  );
  const meta = await sharp(path).metadata();
  assert.deepEqual([meta.space, meta.channels], ["cmyk", 4]);
  const image = await readImage(path);
  const [r, g, b] = pixel(image, 0, 0);
  assert.ok(r > 0.8 && g < 0.12 && b < 0.12, `red came out as ${[r, g, b]}`);
  assertPixel(image, 1, 0, [1, 1, 1], 0.03);
  const black = pixel(image, 2, 0);
  assert.ok(Math.max(...black) < 0.25, `black came out as ${black}`);
});

test("EXIF orientation turns the picture upright", async () => {
  // 16x8, left half red, right half blue, stored with orientation 6 (turn 90 degrees clockwise to
  // view): upright it is 8x16 with red on top.
  const raw = new Uint8Array(16 * 8 * 3);
  for (let i = 0; i < 128; i++) raw.set(i % 16 < 8 ? [255, 0, 0] : [0, 0, 255], i * 3);
  const path = join(dir, "rotated.jpg");
  writeFileSync(
    path,
    await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 100 })
      .toBuffer(),
  );
  const image = await readImage(path);
  assert.deepEqual([image.width, image.height], [8, 16]);
  assertPixel(image, 4, 3, [1, 0, 0], 0.1);
  assertPixel(image, 4, 12, [0, 0, 1], 0.1);
});

test("WebP, TIFF and GIF (first frame) load", async () => {
  const raw = new Uint8Array([10, 200, 30, 250, 250, 250]);
  const base = sharp(raw, { raw: { width: 2, height: 1, channels: 3 } });
  for (const [ext, bytes, tol] of [
    ["webp", await base.clone().webp({ lossless: true }).toBuffer(), BYTE],
    ["tiff", await base.clone().tiff({ compression: "lzw" }).toBuffer(), BYTE],
    ["gif", await base.clone().gif().toBuffer(), 0.05],
  ] as const) {
    const path = join(dir, `two.${ext}`);
    writeFileSync(path, bytes);
    assertPixel(await readImage(path), 0, 0, [10 / 255, 200 / 255, 30 / 255], tol);
  }
});

test("BMP (24-bit bottom-up and 8-bit palette) loads through dime's own decoder", async () => {
  const path = join(dir, "two.bmp");
  writeFileSync(
    path,
    bmp24(
      [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
        [255, 255, 255],
      ],
      2,
      2,
    ),
  );
  const image = await readImage(path);
  assertPixel(image, 0, 0, [1, 0, 0]);
  assertPixel(image, 1, 0, [0, 1, 0]);
  assertPixel(image, 0, 1, [0, 0, 1]);
  const palettePath = join(dir, "palette.bmp");
  writeFileSync(
    palettePath,
    bmp8(
      [
        [9, 99, 199],
        [250, 5, 5],
      ],
      [1, 0, 0],
      3,
      1,
    ),
  );
  const pal = await readImage(palettePath);
  assertPixel(pal, 0, 0, [250 / 255, 5 / 255, 5 / 255]);
  assertPixel(pal, 1, 0, [9 / 255, 99 / 255, 199 / 255]);
});

test("fit: center crop and padded contain give the model size", async () => {
  // 4x2: left half red, right half blue.
  const raw = new Uint8Array(4 * 2 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
  const path = await writePng("wide.png", raw, 4, 2, 3);
  const cropped = await readImage(path, { fit: { width: 2, height: 2, crop: "center" } });
  assert.deepEqual([cropped.width, cropped.height], [2, 2]);
  const padded = await readImage(path, { fit: { width: 4, height: 4, crop: "none", padColor: [0, 1, 0] } });
  assert.deepEqual([padded.width, padded.height], [4, 4]);
  assertPixel(padded, 0, 0, [0, 1, 0]); // padding band on top
  assertPixel(padded, 0, 1, [1, 0, 0], 0.1); // picture starts on row 1
  const edge = await readImage(path, { fit: { width: 4, height: 4, crop: "none", pad: "edge" } });
  assertPixel(edge, 0, 0, [1, 0, 0], 0.1);
  // Anti-aliasing: a 1-pixel checkerboard shrunk by 4 comes out as flat grey, not aliased stripes.
  const checker = new Uint8Array(16 * 16 * 3);
  for (let i = 0; i < 256; i++) checker.fill(((i % 16) + (i >> 4)) % 2 ? 255 : 0, i * 3, i * 3 + 3);
  const small = await readImage(await writePng("checker.png", checker, 16, 16, 3), { fit: { width: 4, height: 4 } });
  for (const v of small.data) assert.ok(Math.abs(v - 0.5) < 0.08, `shrunk checkerboard pixel ${v} should be near grey`);
});

test("bad inputs throw one MediaError naming the file", async () => {
  const text = join(dir, "notes.png");
  writeFileSync(text, "this is not a picture\n");
  const truncated = join(dir, "cut.png");
  const full = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#808080" } })
    .png()
    .toBuffer();
  writeFileSync(truncated, full.subarray(0, full.length >> 1));
  for (const [path, reason] of [
    [join(dir, "missing.png"), "missing"],
    [text, "unsupported"],
    [truncated, "corrupt"],
    [dir, "unsupported"],
  ] as const) {
    await assert.rejects(readImage(path), (error: unknown) => {
      assert.ok(error instanceof MediaError, `expected MediaError, got ${error}`);
      assert.equal(error.reason, reason, error.message);
      assert.ok(error.message.startsWith(path), error.message);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  }
});

/** A 24-bit bottom-up BMP of `pixels` given top row first. */
function bmp24(pixels: number[][], width: number, height: number): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  header(out, 54, width, height, 24, 0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixels[y * width + x];
      out.set([b, g, r], 54 + (height - 1 - y) * stride + x * 3);
    }
  }
  return out;
}

/** An 8-bit palette BMP, one row. */
function bmp8(palette: number[][], indices: number[], width: number, height: number): Buffer {
  const stride = Math.ceil(width / 4) * 4;
  const offset = 54 + palette.length * 4;
  const out = Buffer.alloc(offset + stride * height);
  header(out, offset, width, height, 8, palette.length);
  palette.forEach(([r, g, b], i) => out.set([b, g, r, 0], 54 + i * 4));
  out.set(indices, offset);
  return out;
}

function header(out: Buffer, offset: number, width: number, height: number, bits: number, colours: number): void {
  out.write("BM", 0, "ascii");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(colours, 46);
}
