// Real-world files (the shared folder beside the repository, never copied into it): every image
// and video there probes and decodes. Skipped when the folder is absent.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { readImage } from "../src/media/image-read.js";
import { probeMedia } from "../src/media/probe.js";
import { readAllFrames } from "../src/media/video-read.js";
import { DATA_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const data = DATA_DIR;
const skip = fixtureSkip(data, "the shared data", "DIME_DATA");

test("every shared image loads as RGB float at its probed size", { skip }, async () => {
  const dir = join(data, "image");
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = await probeMedia(path);
    assert.equal(info.kind, "image", name);
    const image = await readImage(path, { fit: { width: 64, height: 64 } });
    assert.equal(image.data.length, 3 * 64 * 64);
    assert.ok(
      image.data.every((v) => v >= 0 && v <= 1),
      name,
    );
  }
});

// Decodes every video in ../shared/data (about 6 s on the idle VM, more as the folder grows): full tier.
test("every shared video probes and decodes its first frames", { skip: skip || SLOW.skip }, async () => {
  const dir = join(data, "video");
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = await probeMedia(path);
    assert.equal(info.kind, "video", name);
    assert.ok(info.frameCount > 1 && info.fps > 0, `${name}: ${info.frameCount} frames at ${info.fps} fps`);
    const frames = await readAllFrames(path, { info, end: 4, stride: 2, fit: { width: 64, height: 64 } });
    assert.equal(frames.length, 2, name);
  }
});
