// 8-bit pictures read as v / 255 exactly, for every byte value (libvips' own 8-to-16-bit
// conversion is not a scaling: it maps 1 to 511 and 132 to 33792).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";

import { readImage } from "../src/media/image-read.js";

test("every 8-bit value v of a PNG reads as v / 255", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-8bit-"));
  try {
    const pixels = Buffer.alloc(256 * 3);
    for (let v = 0; v < 256; v++) pixels.fill(v, 3 * v, 3 * v + 3);
    const path = join(dir, "ramp.png");
    await sharp(pixels, { raw: { width: 256, height: 1, channels: 3 } })
      .png()
      .toFile(path);
    const image = await readImage(path);
    for (let c = 0; c < 3; c++) {
      for (let v = 0; v < 256; v++) assert.equal(image.data[c * 256 + v], Math.fround(v / 255), `channel ${c}, value ${v}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
