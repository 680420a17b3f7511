// The face pipeline from the command line, on the shared real pictures and clips (by path, never
// copied): dime animate with the face crop and paste-back, its errors, dime probe --faces, and
// dime crop. Short clips are cut from the shared videos into a temporary folder.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { loadFaceApi, type FaceApi } from "../src/faceapi/index.js";
import { detectFaces } from "../src/face/index.js";
import { probeMedia } from "../src/media/probe.js";
import { readAllFrames, readFrames } from "../src/media/video-read.js";
import { readImage } from "../src/media/image-read.js";
import { runDime } from "./helpers/train-fixtures.js";
import { DATA_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const data = DATA_DIR;
const skip = fixtureSkip(data, "the shared data", "DIME_DATA");
const dir = mkdtempSync(join(tmpdir(), "dime-face-cli-"));
const image = (name: string) => join(data, "image", name);
let api: FaceApi;

/** The first `frames` frames of a shared clip at 160 px, set in a grey 480x270 frame at (x, y): a small face in a wide shot. */
function wideClip(name: string, out: string, frames: number, x: number, y: number): string {
  const path = join(dir, out);
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-i",
    join(data, "video", name),
    "-frames:v",
    String(frames),
    "-vf",
    `scale=160:160,pad=480:270:${x}:${y}:color=gray`,
    "-pix_fmt",
    "yuv420p",
    path,
  ]);
  return path;
}

before(() => {
  if (skip) return;
  api = loadFaceApi();
  wideClip("liveportrait_d0.mp4", "a.mp4", 18, 250, 40);
  wideClip("lia_vox_driving2.mp4", "b.mp4", 18, 60, 70);
});
after(() => {
  api?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("dime animate on a real portrait: face crop, paste-back at the source's size, four-panel view", {
  skip: skip || SLOW.skip,
}, async () => {
  const out = join(dir, "portrait.mp4");
  const run = runDime([
    "animate",
    "--checkpoint",
    "models/demo",
    "--source",
    image("liveportrait_s0.jpg"),
    "--driving",
    join(dir, "a.mp4"),
    "-o",
    out,
    "--visualize",
    "--smooth",
    "--track",
    "follow",
  ]);
  assert.equal(run.status, 0, run.stderr);
  const info = await probeMedia(out);
  assert.deepEqual([info.width, info.height, info.frameCount], [600, 704, 18]); // the source's size, one frame per driving frame
  const view = await probeMedia(join(dir, "portrait-visualize.mp4"));
  assert.deepEqual([view.width, view.height], [4 * 256, 256]);
});

test("--crop face on a synthetic shapes frame: one line 'no face found in ...', exit 1, nothing written", {
  skip: skip || SLOW.skip,
}, async () => {
  const synth = join(dir, "shapes");
  assert.equal(
    runDime(["synth", "--kind", "shapes", "--videos", "1", "--frames", "1", "--size", "128", "--test-fraction", "0", "--out", synth])
      .status,
    0,
  );
  const frame = join(synth, "train", readdirSync(join(synth, "train"))[0], "000000.png");
  const out = join(dir, "shapes-out");
  const run = runDime([
    "animate",
    "--checkpoint",
    "models/demo",
    "--source",
    frame,
    "--driving",
    join(dir, "a.mp4"),
    "-o",
    `${out}.mp4`,
    "--crop",
    "face",
  ]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^dime animate: no face found in .*000000\.png: [^\n]*\n$/);
  assert.ok(!existsSync(`${out}.mp4`));
  // Without --crop face (auto) the same frame, larger than the model's 64 px, is center-cropped, with a note.
  const auto = runDime(["animate", "--checkpoint", "models/demo", "--source", frame, "--driving", join(dir, "a.mp4"), "-o", `${out}.mp4`]);
  assert.equal(auto.status, 0, auto.stderr);
  assert.match(auto.stderr, /no face found in .*000000\.png: using the centred square/);
  // --crop X,Y,W,H (any object): the box is animated and pasted back; in PNG frames every pixel
  // outside the box is the source's, bit for bit, and the frames have the source's size.
  const frames = join(dir, "box-frames/");
  const boxed = runDime([
    "animate",
    "--checkpoint",
    "models/demo",
    "--source",
    frame,
    "--driving",
    frame,
    "-o",
    frames,
    "--crop",
    "40,30,48,48",
  ]);
  assert.equal(boxed.status, 0, boxed.stderr);
  const [source, written] = [await readImage(frame), (await readAllFrames(frames))[0]];
  assert.deepEqual([written.width, written.height], [128, 128]);
  let [outside, changed] = [0, 0];
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 128; y++) {
      for (let x = 0; x < 128; x++) {
        const i = (c * 128 + y) * 128 + x;
        if (x >= 40 && x < 88 && y >= 30 && y < 78) changed += Number(written.data[i] !== source.data[i]);
        else {
          assert.equal(written.data[i], source.data[i], `(${x}, ${y}) outside the box changed`);
          outside++;
        }
      }
    }
  }
  assert.ok(outside > 0 && changed > 0);
});

test("--face-index past the faces found is one line naming the picture", { skip: skip || SLOW.skip }, () => {
  const run = runDime([
    "animate",
    "--checkpoint",
    "models/demo",
    "--source",
    image("paddlegan_fom_source_image_multi_person.jpg"),
    "--driving",
    join(dir, "a.mp4"),
    "-o",
    join(dir, "x.mp4"),
    "--face-index",
    "9",
  ]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^dime animate: .*multi_person\.jpg: --face-index 9 asks for face 10, but \d+ (was|were) found/);
});

test("dime probe --faces lists the faces of the two-person picture, largest first; none in a taichi frame: exit 1", {
  skip: skip || SLOW.skip,
}, () => {
  const run = runDime(["probe", "--faces", "--json", image("paddlegan_fom_source_image_multi_person.jpg")]);
  assert.equal(run.status, 0, run.stderr);
  const { faces } = JSON.parse(run.stdout);
  assert.ok(faces.length >= 2);
  assert.ok(faces[0].box.width * faces[0].box.height >= faces[1].box.width * faces[1].box.height);
  assert.equal(runDime(["probe", "--faces", image("lia_taichi_subject1.png")]).status, 1);
});

test("dime crop on two clips: every frame of every clip holds the face; split by file; a bad file is one line, the rest written", {
  skip: skip || SLOW.skip,
}, async () => {
  const junk = join(dir, "junk.mp4");
  execFileSync("sh", ["-c", `echo junk > ${junk}`]);
  const out = join(dir, "set");
  const run = runDime([
    "crop",
    join(dir, "a.mp4"),
    join(dir, "b.mp4"),
    junk,
    "-o",
    out,
    "--size",
    "128",
    "--min-frames",
    "8",
    "--test-fraction",
    "0.5",
    "--seed",
    "1",
  ]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^dime crop: .*junk\.mp4: [^\n]*\n$/);
  assert.match(run.stdout, /a\.mp4 .* 1 /);
  const sides = new Map<string, string>();
  for (const split of ["train", "test"]) {
    for (const name of existsSync(join(out, split)) ? readdirSync(join(out, split)).filter((n) => n.endsWith(".mp4")) : []) {
      const meta = JSON.parse(readFileSync(join(out, split, name.replace(/\.mp4$/, ".meta.json")), "utf8"));
      assert.equal(sides.get(meta.source) ?? split, split, `${meta.source} on both sides`);
      sides.set(meta.source, split);
      assert.equal(meta.faces.length, meta.frames.last - meta.frames.first + 1);
      // In the source's pixels: each frame's face (its landmark crop's centre, +- a face scale) lies inside the clip's box.
      for (const face of meta.faces) {
        const scale = face.side / 4.5;
        assert.ok(
          Math.abs(face.cx - meta.box.cx) + scale < meta.box.side / 2 && Math.abs(face.cy - meta.box.cy) + scale < meta.box.side / 2,
          `${name} frame ${face.frame}`,
        );
      }
      let frames = 0;
      for await (const frame of readFrames(join(out, split, name))) {
        assert.deepEqual([frame.image.width, frame.image.height], [128, 128]);
        assert.ok(detectFaces(api, frame.image).length >= 1, `${name} frame ${frame.index}: no face`);
        frames++;
      }
      assert.equal(frames, meta.faces.length);
    }
  }
  assert.deepEqual([...sides.keys()].sort(), [join(dir, "a.mp4"), join(dir, "b.mp4")]);
  assert.equal(new Set(sides.values()).size, 2, "one file in train, one in test");
});

test("--crop and --smooth parse: the four forms, a bad box is a usage error, --smooth without a strength is 1", async () => {
  const { parseCrop, withSmoothDefault } = await import("../src/cli/commands/animate.js");
  assert.equal(parseCrop("face"), "face");
  assert.equal(parseCrop("none"), "none");
  assert.deepEqual(parseCrop("10,20,300,200"), { x: 10, y: 20, width: 300, height: 200 });
  assert.throws(() => parseCrop("10,20,0,5"), /--crop must be face, center, none or X,Y,W,H/);
  assert.throws(() => parseCrop("faces"), /--crop must be/);
  assert.deepEqual(withSmoothDefault(["--smooth", "--visualize"]), ["--smooth", "1", "--visualize"]);
  assert.deepEqual(withSmoothDefault(["--smooth", "2.5"]), ["--smooth", "2.5"]);
  assert.deepEqual(withSmoothDefault(["-o", "x.mp4", "--smooth"]), ["-o", "x.mp4", "--smooth", "1"]);
});
