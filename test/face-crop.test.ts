// The face pipeline on real pictures (the shared data folder, read by path, never copied): faces
// found largest first, the landmark-centred crop, its behaviour under a shift, paste-back's
// exactness outside its mask and its size. Skipped without the shared folder.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { loadFaceApi, type FaceApi } from "../src/faceapi/index.js";
import {
  boxEdges,
  cropForModel,
  detectFaces,
  faceCropBox,
  featherProfile,
  isFramed,
  pasteBackImage,
  resampleMatrix,
  type CropBox,
} from "../src/face/index.js";
import { readImage } from "../src/media/image-read.js";
import type { RgbImage } from "../src/media/image.js";
import { DATA_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const data = DATA_DIR;
const skip = fixtureSkip(data, "the shared data", "DIME_DATA");
const image = (name: string) => readImage(join(data, "image", name));
let api: FaceApi;
before(() => {
  if (!skip) api = loadFaceApi();
});
after(() => api?.dispose());

/** Columns [from, from + width) of a picture (a horizontal shift of its content by -from). */
function columns(p: RgbImage, from: number, width: number): RgbImage {
  const data = new Float32Array(3 * width * p.height);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < p.height; y++)
      data.set(
        p.data.subarray((c * p.height + y) * p.width + from, (c * p.height + y) * p.width + from + width),
        (c * p.height + y) * width,
      );
  return { data, width, height: p.height };
}

test("resampling rows sum to 1 and a crop past the border repeats the edge (padding, not shrinking)", () => {
  const m = resampleMatrix(16, 40, 3.2, 2.5);
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(m.subarray(i * 40, (i + 1) * 40).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  // A 4x4 ramp cropped with a box twice its size centred on it: the output's corners are the picture's corners.
  const ramp: RgbImage = { data: Float32Array.from({ length: 48 }, (_, i) => (i % 16) / 15), width: 4, height: 4 };
  torch.tidy(() => {
    const out = cropForModel(ramp, { cx: 2, cy: 2, side: 8 }, { width: 8, height: 8 }).contiguous().data<"float32">();
    assert.equal(out[0], 0);
    assert.ok(Math.abs(out[63] - 1) < 1e-6);
  });
});

test("faces come largest first; --face-index 1 is another face of the two-person picture", { skip }, async () => {
  const faces = detectFaces(api, await image("paddlegan_fom_source_image_multi_person.jpg"));
  assert.ok(faces.length >= 2, `${faces.length} faces`);
  for (let i = 1; i < faces.length; i++)
    assert.ok(faces[i - 1].box.width * faces[i - 1].box.height >= faces[i].box.width * faces[i].box.height);
  const [a, b] = [faceCropBox(faces[0].landmarks), faceCropBox(faces[1].landmarks)];
  assert.ok(Math.hypot(a.cx - b.cx, a.cy - b.cy) > a.side / 2, "face 1's crop is elsewhere");
});

// Detection and landmarks on five shared pictures: full tier (the tests below still detect faces).
test("every one of the 68 landmarks lies inside the source crop, 10% of its side from each edge", { skip: skip || SLOW.skip }, async () => {
  for (const name of [
    "liveportrait_s0.jpg",
    "liveportrait_s5.jpg",
    "liveportrait_s9.jpg",
    "sadtalker_full_body_2.jpg",
    "tpsmm_source.png",
    "paddlegan_fom_source_image_multi_person.jpg",
  ]) {
    const face = detectFaces(api, await image(name))[0];
    const box = faceCropBox(face.landmarks);
    const [l, t, r, b] = boxEdges(box);
    const margin = 0.1 * box.side;
    for (let i = 0; i < 68; i++) {
      const [x, y] = [face.landmarks[2 * i], face.landmarks[2 * i + 1]];
      assert.ok(
        x > l + margin && x < r - margin && y > t + margin && y < b - margin,
        `${name}: landmark ${i} (${x.toFixed(1)}, ${y.toFixed(1)}) vs box [${[l, t, r, b].map((v) => v.toFixed(1))}]`,
      );
    }
  }
});

test("the crop of a picture shifted by 10 px moves by 10 px", { skip }, async () => {
  for (const name of ["liveportrait_s5.jpg", "liveportrait_s0.jpg"]) {
    const picture = await image(name);
    const width = picture.width - 10;
    const a = faceCropBox(detectFaces(api, columns(picture, 0, width))[0].landmarks);
    const b = faceCropBox(detectFaces(api, columns(picture, 10, width))[0].landmarks); // content 10 px to the left
    const moved = a.cx - b.cx;
    console.log(
      `${name}: crop moved ${moved.toFixed(2)} px (x), ${(a.cy - b.cy).toFixed(2)} px (y), side ${a.side.toFixed(1)} vs ${b.side.toFixed(1)}`,
    );
    assert.ok(Math.abs(moved - 10) < 1, `${name}: moved ${moved}`);
    assert.ok(Math.abs(a.cy - b.cy) < 1 && Math.abs(a.side - b.side) < 0.01 * a.side);
  }
});

test("a VoxCeleb-framed picture counts as already framed; a half-length portrait does not", { skip }, async () => {
  for (const [name, framed] of [
    ["lia_vox_mona_lisa.png", true],
    ["paddlegan_fom_source_image.png", true],
    ["liveportrait_s9.jpg", false],
    ["sadtalker_full_body_2.jpg", false],
  ] as const) {
    const picture = await image(name);
    const box = faceCropBox(detectFaces(api, picture)[0].landmarks);
    assert.equal(isFramed(box, picture.width, picture.height), framed, name);
  }
});

test("paste-back: the source's size, its exact pixels wherever the mask is 0, the animated crop inside", { skip }, async () => {
  const picture = await image("liveportrait_s9.jpg"); // 720x1280
  const box: CropBox = faceCropBox(detectFaces(api, picture)[0].landmarks);
  const size = 64;
  const grey: RgbImage = { data: new Float32Array(3 * size * size).fill(0.5), width: size, height: size };
  const before = torch.memory().numTensors;
  const out = pasteBackImage(picture, grey, box);
  assert.equal(torch.memory().numTensors, before, "no tensor left alive");
  assert.deepEqual([out.width, out.height], [picture.width, picture.height]);
  const [l, t] = boxEdges(box);
  const plane = picture.width * picture.height;
  let [same, changed, inside] = [0, 0, 0];
  for (let y = 0; y < picture.height; y++) {
    for (let x = 0; x < picture.width; x++) {
      const mask = featherProfile((x + 0.5 - l) / box.side) * featherProfile((y + 0.5 - t) / box.side);
      for (let c = 0; c < 3; c++) {
        const i = c * plane + y * picture.width + x;
        if (mask === 0) {
          assert.equal(out.data[i], picture.data[i], `pixel (${x}, ${y}) outside the mask changed`);
          same++;
        } else if (mask === 1) {
          assert.ok(Math.abs(out.data[i] - 0.5) < 1e-5, `pixel (${x}, ${y}) inside the mask is not the crop's`);
          inside++;
        } else changed++;
      }
    }
  }
  assert.ok(same > 0 && inside > 0 && changed > 0);
});

test("cropping a picture and pasting the crop back at a higher size gives the picture back inside the mask", { skip }, async () => {
  const picture = await image("liveportrait_s0.jpg");
  const box = faceCropBox(detectFaces(api, picture)[0].landmarks);
  // At the crop's own resolution the round trip is near-lossless (bilinear both ways).
  const side = Math.round(box.side);
  const crop = torch.tidy(() => ({
    data: cropForModel(picture, box, { width: side, height: side }).contiguous().data<"float32">().slice(),
    width: side,
    height: side,
  }));
  const out = pasteBackImage(picture, crop, box);
  let worst = 0;
  for (let i = 0; i < out.data.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - picture.data[i]));
  assert.ok(worst < 0.2, `largest difference ${worst}`);
  let mean = 0;
  for (let i = 0; i < out.data.length; i++) mean += Math.abs(out.data[i] - picture.data[i]);
  assert.ok(mean / out.data.length < 0.002, `mean difference ${mean / out.data.length}`);
});

test("animateFootage: a face crop pasted back at the source's size, one frame per driving frame, no tensor left", {
  skip: skip || SLOW.skip,
}, async () => {
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { loadModel } = await import("../src/infer/model.js");
  const { animateFootage } = await import("../src/infer/footage.js");
  const dir = mkdtempSync(join(tmpdir(), "dime-footage-"));
  const clip = join(dir, "wide.mp4");
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-i",
    join(data, "video", "liveportrait_d0.mp4"),
    "-frames:v",
    "4",
    "-vf",
    "scale=160:160,pad=480:270:250:40:color=gray",
    "-pix_fmt",
    "yuv420p",
    clip,
  ]);
  // Counted before the model and after it is freed (it keeps eval-only weights made at their first use).
  const before = torch.memory().numTensors;
  const { model, size } = loadModel(join(new URL("..", import.meta.url).pathname, "models", "demo"));
  const frames = [];
  for await (const frame of animateFootage({
    model,
    size,
    source: join(data, "image", "liveportrait_s0.jpg"),
    driving: clip,
    options: { faceApi: api, detectEvery: 2, track: "follow", smooth: 1 },
  }))
    frames.push(frame);
  model.dispose();
  assert.equal(torch.memory().numTensors, before, "no tensor left alive");
  rmSync(dir, { recursive: true, force: true });
  assert.equal(frames.length, 4);
  for (const f of frames) {
    assert.ok(f.pasted && f.sourceCrop.face);
    assert.deepEqual([f.output.width, f.output.height], [600, 704]);
    assert.deepEqual([f.image.width, f.image.height], [size.width, size.height]);
    assert.ok(f.drivingBox && f.drivingBox.cx > 250 && f.drivingBox.cx < 410, `driving box at ${f.drivingBox?.cx}`);
  }
});
