// face-api's nets on libtorch against face-api.js's own expected outputs (its test images and
// JSON, in the shared data folder beside the repository; skipped when absent): landmarks within
// face-api.js's tolerances (3 px for the square crops, 6 px for the rectangular one, per
// coordinate), descriptors within Euclidean 0.1, the detector finding each face around its
// landmarks and nothing in flat images. Each test prints the figures it measured.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { readImage } from "../src/media/image-read.js";
import { decodeGrid, iou, loadFaceApi, nonMaxSuppression } from "../src/faceapi/index.js";
import { DATA_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";
import { oneThread } from "./helpers/threads.js";

oneThread();
const data = join(DATA_DIR, "testdata", "face-api");
const skip = fixtureSkip(data, "the face-api test data", "DIME_DATA");

const api = loadFaceApi();
after(() => api.dispose());

/** face-api.js's test images and the suffix of their expected-output files. */
const CASES = [
  { image: "face1.png", suffix: "1", tolerance: 3 },
  { image: "face2.png", suffix: "2", tolerance: 3 },
  { image: "face_rectangular.png", suffix: "Rect", tolerance: 6 },
] as const;

async function loadImage(name: string): Promise<Tensor> {
  const image = await readImage(join(data, name));
  return torch.keep(torch.fromArray(image.data, [1, 3, image.height, image.width]));
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(data, name), "utf8")) as T;
}

type Point = { x: number; y: number };

/** Largest per-coordinate and Euclidean differences of (68, 2) landmarks from expected points. */
function landmarkErrors(actual: ArrayLike<number>, expected: Point[]): { coordinate: number; distance: number } {
  assert.equal(actual.length, 2 * expected.length);
  let coordinate = 0;
  let distance = 0;
  expected.forEach(({ x, y }, i) => {
    const [dx, dy] = [actual[2 * i] - x, actual[2 * i + 1] - y];
    coordinate = Math.max(coordinate, Math.abs(dx), Math.abs(dy));
    distance = Math.max(distance, Math.hypot(dx, dy));
  });
  return { coordinate, distance };
}

const euclidean = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, i) => v - b[i]));

for (const tiny of [false, true]) {
  const net = tiny ? "FaceLandmark68TinyNet" : "FaceLandmark68Net";
  test(`${net}: face-api.js's expected landmarks within its tolerances`, { skip }, async (t) => {
    for (const { image, suffix, tolerance } of CASES) {
      const x = await loadImage(image);
      const expected = readJson<Point[]>(`faceLandmarkPositions${suffix}${tiny ? "Tiny" : ""}.json`);
      const before = torch.memory().numTensors;
      const landmarks = tiny ? api.landmarksTiny(x) : api.landmarks(x);
      assert.deepEqual(landmarks.shape, [1, 68, 2]);
      const error = landmarkErrors(landmarks.data<"float32">(), expected);
      landmarks.dispose();
      x.dispose();
      assert.equal(torch.memory().numTensors, before - 1, "only the output tensor was made");
      t.diagnostic(
        `${net} ${image}: max |dx|,|dy| ${error.coordinate.toFixed(3)} px, max distance ${error.distance.toFixed(3)} px (tolerance ${tolerance} px)`,
      );
      assert.ok(error.coordinate < tolerance, `${image}: ${error.coordinate} px`);
    }
  });
}

test("landmarks of a batch are those of its images one by one", { skip }, async () => {
  const [a, b] = [await loadImage("face1.png"), await loadImage("face2.png")];
  torch.tidy(() => {
    const batch = api.landmarks(torch.cat([a, b])).data<"float32">();
    const single = [...api.landmarks(a).data<"float32">(), ...api.landmarks(b).data<"float32">()];
    assert.ok(Math.max(...single.map((v, i) => Math.abs(v - batch[i]))) < 1e-3);
  });
  torch.dispose([a, b]);
});

test("FaceRecognitionNet: face-api.js's expected descriptors within Euclidean 0.1; two people apart", { skip }, async (t) => {
  const descriptors: Float32Array[] = [];
  for (const { image, suffix } of CASES) {
    const x = await loadImage(image);
    const descriptor = torch.tidy(() => api.descriptor(x).data<"float32">());
    x.dispose();
    assert.equal(descriptor.length, 128);
    const distance = euclidean(descriptor, readJson<number[]>(`faceDescriptor${suffix}.json`));
    t.diagnostic(`descriptor ${image}: distance to face-api.js's ${distance.toFixed(4)} (tolerance 0.1)`);
    assert.ok(distance < 0.1, `${image}: ${distance}`);
    descriptors.push(descriptor);
  }
  // face1 and face2 are different people: face-api's own descriptors of them are 0.893 apart,
  // over its same-person threshold of 0.6; ours must say so too, far beyond either's error.
  const between = euclidean(descriptors[0], descriptors[1]);
  const cosine =
    descriptors[0].reduce((s, v, i) => s + v * descriptors[1][i], 0) / (Math.hypot(...descriptors[0]) * Math.hypot(...descriptors[1]));
  t.diagnostic(`descriptor face1 vs face2: distance ${between.toFixed(4)}, cosine similarity ${cosine.toFixed(4)}`);
  assert.ok(between > 0.6, `face1 vs face2: ${between}`);
});

test("TinyFaceDetector: each test face, set in a grey frame, is found around its landmarks", { skip }, async (t) => {
  // face-api.js's test images are tight crops, where the detector (made for faces in a scene)
  // scores under its 0.5 threshold; a 75 px grey margin gives it the context it expects.
  const margin = 75;
  for (const { image, suffix } of CASES) {
    const x = await loadImage(image);
    const framed = torch.F.pad(x, [margin, margin, margin, margin], "constant", 0.5);
    const [faces] = api.detect(framed);
    torch.dispose([x, framed]);
    assert.equal(faces.length, 1, `${image}: ${JSON.stringify(faces)}`);
    const [face] = faces;
    const landmarks = readJson<Point[]>(`faceLandmarkPositions${suffix}.json`).map((p) => ({ x: p.x + margin, y: p.y + margin }));
    // face-api's boxes run from the brows to the chin, so the landmarks' bounding box must lie
    // within the face box give or take a few pixels...
    const slack = 6;
    const xs = landmarks.map((p) => p.x);
    const ys = landmarks.map((p) => p.y);
    const [left, right, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    t.diagnostic(
      `detector ${image}: score ${face.score.toFixed(3)}, box (${face.x.toFixed(1)}, ${face.y.toFixed(1)}) ${face.width.toFixed(1)}x${face.height.toFixed(1)}, landmarks span (${left.toFixed(1)}, ${top.toFixed(1)})-(${right.toFixed(1)}, ${bottom.toFixed(1)})`,
    );
    assert.ok(face.score > 0.9, `${image}: score ${face.score}`);
    assert.ok(left >= face.x - slack && right <= face.x + face.width + slack, `${image}: landmarks x ${left}..${right} outside the box`);
    assert.ok(top >= face.y - slack && bottom <= face.y + face.height + slack, `${image}: landmarks y ${top}..${bottom} outside the box`);
    // ... and be about the face, not the frame: centred on it, at most 3x the landmarks' area.
    const offCentre = Math.hypot(face.x + face.width / 2 - (left + right) / 2, face.y + face.height / 2 - (top + bottom) / 2);
    assert.ok(offCentre < 0.15 * face.width, `${image}: box centre ${offCentre} px from the landmarks' centre`);
    assert.ok(face.width * face.height < 3 * (right - left) * (bottom - top), `${image}: the box is much larger than the face`);
  }
});

test("TinyFaceDetector: nothing in flat grey, black or white images; bad options are refused", () => {
  torch.tidy(() => {
    for (const value of [0, 0.5, 1]) {
      const flat = torch.full([2, 3, 200, 300], value);
      assert.deepEqual(api.detect(flat), [[], []], `flat ${value}`);
    }
    assert.throws(
      () => api.detect(torch.zeros([1, 3, 64, 64]), { inputSize: 100 }),
      /inputSize must be a positive multiple of 32, got 100/,
    );
    assert.throws(() => api.detect(torch.zeros([1, 3, 64, 64]), { scoreThreshold: 1 }), /scoreThreshold must be in \(0, 1\), got 1/);
  });
});

test("YOLO grid decoding and non-maximum suppression, by hand", () => {
  // 2x2 cells, one anchor of 1x1 cells; only cell (row 1, col 0) is confident (t_o = 10), with
  // t_x = t_y = 0 (centre of the cell), t_w = ln 2 (twice the anchor), t_h = 0.
  const cells = 2;
  const grid = new Float32Array(5 * cells * cells).fill(0);
  const set = (channel: number, row: number, col: number, v: number) => (grid[(channel * cells + row) * cells + col] = v);
  for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) set(4, r, c, -10);
  set(4, 1, 0, 10);
  set(2, 1, 0, Math.log(2));
  const square = decodeGrid(grid, cells, { anchors: [[1, 1]], scoreThreshold: 0.5, inputSize: 64, width: 64, height: 64 });
  // centre (0.25, 0.75), size (1, 0.5) of the square, times 64 px.
  assert.equal(square.length, 1);
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-4;
  assert.ok(
    close(square[0].x, -16) && close(square[0].y, 32) && close(square[0].width, 64) && close(square[0].height, 32),
    JSON.stringify(square),
  );
  assert.ok(close(square[0].score, 1 / (1 + Math.exp(-10))));
  // A 128x64 image was padded bottom to a 128 square: the square's [0, 1] is 128 px on both axes.
  const [wide] = decodeGrid(grid, cells, { anchors: [[1, 1]], scoreThreshold: 0.5, inputSize: 64, width: 128, height: 64 });
  assert.ok(close(wide.x, -32) && close(wide.y, 64) && close(wide.width, 128) && close(wide.height, 64), JSON.stringify(wide));

  const box = (x: number, y: number, score: number) => ({ x, y, width: 10, height: 10, score });
  const [a, b, c, d] = [box(0, 0, 0.9), box(1, 1, 0.8), box(20, 20, 0.7), box(5, 0, 0.95)];
  assert.ok(close(iou(a, b), 81 / 119) && close(iou(a, d), 50 / 150) && iou(a, c) === 0);
  // d is best; a overlaps it by 1/3 (kept, <= 0.4); b overlaps a by 0.68 (dropped); c is alone.
  assert.deepEqual(nonMaxSuppression([a, b, c, d], 0.4), [d, a, c]);
});
