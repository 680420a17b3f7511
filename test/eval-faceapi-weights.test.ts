// face-api weights: a hand-built TF.js manifest with every storage dtype reads back exactly
// (quantised codes as code * scale + min, two shards concatenated); bad files fail with one line
// naming the file; the shipped weights load with the entry counts their manifests declare; TF
// layouts map to PyTorch's; TF 'same' padding and face-api's pad-and-resize are the hand-computed
// ones.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { FACE_API_MANIFESTS, defaultFaceApiDir, loadFaceApi, readTfjsWeights } from "../src/faceapi/index.js";
import { samePadding, torchName } from "../src/faceapi/layers.js";
import { padBefore, resizeMatrix, toSquareInput } from "../src/faceapi/preprocess.js";

const dir = mkdtempSync(join(tmpdir(), "dime-faceapi-"));

function writeManifest(name: string, groups: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(groups));
  return path;
}

/** Half-float bits of a few exactly representable values. */
const HALF = new Map([
  [1, 0x3c00],
  [-2, 0xc000],
  [0.5, 0x3800],
]);

test("a hand-built manifest round-trips: uint8/uint16 codes, float16, float32 and int32, over two shards", () => {
  const bytes = new Uint8Array(6 + 4 + 6 + 8 + 8);
  const view = new DataView(bytes.buffer);
  const codes8 = [0, 1, 2, 127, 254, 255];
  codes8.forEach((c, i) => view.setUint8(i, c));
  [0, 65535].forEach((c, i) => view.setUint16(6 + 2 * i, c, true));
  [1, -2, 0.5].forEach((v, i) => view.setUint16(10 + 2 * i, HALF.get(v)!, true));
  [1.5, -3.25].forEach((v, i) => view.setFloat32(16 + 4 * i, v, true));
  [7, -9].forEach((v, i) => view.setInt32(24 + 4 * i, v, true));
  // Offsets 10 and 16 are not multiples of the element size of what follows: the reader must not
  // assume alignment. The bytes are split over two shards at an arbitrary point.
  writeFileSync(join(dir, "rt.bin.1"), bytes.subarray(0, 13));
  writeFileSync(join(dir, "rt.bin.2"), bytes.subarray(13));
  const manifest = writeManifest("rt.json", [
    {
      paths: ["rt.bin.1", "rt.bin.2"],
      weights: [
        { name: "a/q8", shape: [2, 3], dtype: "float32", quantization: { dtype: "uint8", scale: 0.5, min: -1 } },
        { name: "a/q16", shape: [2], dtype: "float32", quantization: { dtype: "uint16", scale: 0.25, min: 2 } },
        { name: "a/h", shape: [3], dtype: "float32", quantization: { dtype: "float16" } },
        { name: "b/f", shape: [2, 1], dtype: "float32" },
        { name: "b/i", shape: [2], dtype: "int32" },
      ],
    },
  ]);
  torch.tidy(() => {
    const t = readTfjsWeights(manifest);
    assert.deepEqual([...t.keys()], ["a/q8", "a/q16", "a/h", "b/f", "b/i"]);
    assert.deepEqual(t.get("a/q8")!.shape, [2, 3]);
    assert.deepEqual(
      t.get("a/q8")!.toArray(),
      codes8.map((c) => c * 0.5 - 1),
    );
    assert.deepEqual(t.get("a/q16")!.toArray(), [2, 65535 * 0.25 + 2]);
    assert.deepEqual(t.get("a/h")!.toArray(), [1, -2, 0.5]);
    assert.deepEqual(t.get("b/f")!.toArray(), [1.5, -3.25]);
    assert.deepEqual(t.get("b/i")!.toArray(), [7, -9]);
    for (const v of t.values()) assert.equal(v.dtype, "float32");
  });
});

test("bad weight files fail with one line naming the file", () => {
  const entry = { name: "w", shape: [4], dtype: "float32", quantization: { dtype: "uint8", scale: 1, min: 0 } };
  writeFileSync(join(dir, "four.bin"), new Uint8Array(4));
  writeFileSync(join(dir, "three.bin"), new Uint8Array(3));
  const cases: [string, RegExp][] = [
    [join(dir, "absent.json"), /absent\.json: weights manifest is missing$/],
    [writeManifest("nojson.json", "x"), /not a TF.js weights manifest/],
    [
      writeManifest("noshard.json", [{ paths: ["gone.bin"], weights: [entry] }]),
      /gone\.bin: weight shard is missing \(listed in noshard\.json\)$/,
    ],
    [
      writeManifest("short.json", [{ paths: ["three.bin"], weights: [entry] }]),
      /three\.bin: 3 bytes, but the manifest describes 4 bytes for its 1 tensors$/,
    ],
    [
      writeManifest("long.json", [{ paths: ["four.bin"], weights: [{ ...entry, shape: [3] }] }]),
      /four\.bin: 4 bytes, but the manifest describes 3 bytes/,
    ],
    [
      writeManifest("q4.json", [{ paths: ["four.bin"], weights: [{ ...entry, quantization: { dtype: "int4" } }] }]),
      /four\.bin: tensor 'w' has unsupported quantization dtype 'int4'/,
    ],
    [
      writeManifest("str.json", [{ paths: ["four.bin"], weights: [{ name: "w", shape: [1], dtype: "string" }] }]),
      /four\.bin: tensor 'w' has unsupported dtype 'string'/,
    ],
    // The first entry is fine: nothing of it may be left behind when the second fails.
    [
      writeManifest("noscale.json", [
        {
          paths: ["four.bin"],
          weights: [
            { ...entry, shape: [2] },
            { ...entry, name: "v", shape: [2], quantization: { dtype: "uint8" } },
          ],
        },
      ]),
      /tensor 'v' is uint8-quantised but its manifest entry lacks scale and min/,
    ],
  ];
  writeFileSync(join(dir, "bad.json"), "{not json");
  cases.push([join(dir, "bad.json"), /bad\.json: not valid JSON/]);
  const before = torch.memory().numTensors;
  for (const [path, pattern] of cases) {
    assert.throws(
      () => readTfjsWeights(path),
      (error: Error) => {
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
        return true;
      },
    );
  }
  assert.equal(torch.memory().numTensors, before, "no tensor left behind by a failed read");
});

test("the shipped weights: the manifests' entry counts and byte sizes, a dequantised value by hand", () => {
  const expected = { landmarks: 49, landmarksTiny: 28, recognition: 117, detector: 19 };
  torch.tidy(() => {
    for (const [net, manifest] of Object.entries(FACE_API_MANIFESTS)) {
      const t = readTfjsWeights(join(defaultFaceApiDir(), manifest));
      assert.equal(t.size, expected[net as keyof typeof expected], manifest);
    }
    // The first weight of the landmark net, dense0/conv0/filters[0, 0, 0, 0], is byte 0 of its shard.
    const code = readFileSync(join(defaultFaceApiDir(), "face_landmark_68_model.bin"))[0];
    const filters = readTfjsWeights(join(defaultFaceApiDir(), FACE_API_MANIFESTS.landmarks)).get("dense0/conv0/filters")!;
    assert.deepEqual(filters.shape, [3, 3, 3, 32]);
    assert.equal(filters.flatten().select(0, 0).item(), Math.fround(code * 0.004853619781194949 - 0.5872879935245888));
  });
});

test("a weights folder without one of the files: one line naming it, nothing leaked", () => {
  const partial = mkdtempSync(join(tmpdir(), "dime-faceapi-partial-"));
  for (const name of ["face_landmark_68_model-weights_manifest.json", "face_landmark_68_model.bin"])
    copyFileSync(join(defaultFaceApiDir(), name), join(partial, name));
  const before = torch.memory().numTensors;
  assert.throws(() => loadFaceApi(partial), /face_landmark_68_tiny_model-weights_manifest\.json: weights manifest is missing$/);
  assert.equal(torch.memory().numTensors, before);
});

test("weights of another net: one line naming the manifest and what does not fit", () => {
  const swapped = mkdtempSync(join(tmpdir(), "dime-faceapi-swapped-"));
  // The tiny net's manifest under the full net's name (it still names its own shard).
  copyFileSync(join(defaultFaceApiDir(), FACE_API_MANIFESTS.landmarksTiny), join(swapped, FACE_API_MANIFESTS.landmarks));
  copyFileSync(join(defaultFaceApiDir(), "face_landmark_68_tiny_model.bin"), join(swapped, "face_landmark_68_tiny_model.bin"));
  const before = torch.memory().numTensors;
  assert.throws(
    () => loadFaceApi(swapped),
    (error: Error) => {
      assert.match(
        error.message,
        /face_landmark_68_model-weights_manifest\.json: does not fit FaceLandmarkNet \(21 tensors missing: dense0\.conv3\.depthwise\.weight, .*1 mis-shaped: fc\.weight \[136,128\] for \[136,256\]\); is it this net.s manifest\?$/,
      );
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    },
  );
  assert.equal(torch.memory().numTensors, before);
});

test("TF layouts become PyTorch's: HWIO filters -> OIHW, depthwise HWC1 -> C1HW, dense (in, out) -> (out, in)", () => {
  torch.tidy(() => {
    const hwio = torch.arange(0, 2 * 3 * 4 * 5).view(2, 3, 4, 5);
    const [name, oihw] = torchName("block/conv/filters", hwio, new Set());
    assert.equal(name, "block.conv.weight");
    assert.deepEqual(oihw.shape, [5, 4, 2, 3]);
    // element [o=4, i=3, h=1, w=2] is hwio[1, 2, 3, 4] = ((1 * 3 + 2) * 4 + 3) * 5 + 4
    assert.equal(oihw.select(0, 4).select(0, 3).select(0, 1).select(0, 2).item(), ((1 * 3 + 2) * 4 + 3) * 5 + 4);
    const dw = torchName("d/conv1/depthwise_filter", torch.zeros([3, 3, 8, 1]), new Set(["d.conv1"]));
    assert.equal(dw[0], "d.conv1.depthwise.weight");
    assert.deepEqual(dw[1].shape, [8, 1, 3, 3]);
    assert.equal(torchName("d/conv1/bias", torch.zeros([8]), new Set(["d.conv1"]))[0], "d.conv1.pointwise.bias");
    assert.equal(torchName("d/conv0/bias", torch.zeros([8]), new Set(["d.conv1"]))[0], "d.conv0.bias");
    assert.deepEqual(torchName("fc/weights", torch.zeros([256, 136]), new Set())[1].shape, [136, 256]);
    assert.deepEqual(
      torchName("fc", torch.zeros([256, 128]), new Set()).map((v) => (typeof v === "string" ? v : v.shape)),
      ["fc.weight", [128, 256]],
    );
    assert.deepEqual(torchName("c/scale/weights", torch.zeros([32]), new Set())[1].shape, [32]);
    assert.throws(() => torchName("c/moving_mean", torch.zeros([2]), new Set()), /unknown kind 'moving_mean'/);
  });
});

test("TF 'same' padding: the odd extra row goes after", () => {
  assert.deepEqual(samePadding(112, 3, 2), [0, 1]); // 56 out: 55 * 2 + 3 - 112 = 1
  assert.deepEqual(samePadding(56, 3, 1), [1, 1]);
  assert.deepEqual(samePadding(207, 2, 2), [0, 1]); // max pool 207 -> 104
  assert.deepEqual(samePadding(13, 2, 1), [0, 1]);
  assert.deepEqual(samePadding(7, 3, 2), [1, 1]); // 4 out: 3 * 2 + 3 - 7 = 2
  assert.deepEqual(samePadding(414, 2, 2), [0, 0]);
});

test("pad to square and TF's legacy bilinear resize, by hand", () => {
  // 4 -> 2: output i reads input 2i exactly.
  assert.deepEqual([...resizeMatrix(4, 0, 4, 2)], [1, 0, 0, 0, 0, 0, 1, 0]);
  // 2 -> 4 (upsampling): positions 0, 0.5, 1, 1.5 -> the last clamps to the last pixel.
  assert.deepEqual([...resizeMatrix(2, 0, 2, 4)], [1, 0, 0.5, 0.5, 0, 1, 0, 1]);
  // 2 pixels padded by 1 in front to 3, then 3 -> 2: positions 0 (padding) and 1.5 (pixels 0 and 1).
  assert.deepEqual([...resizeMatrix(2, 1, 3, 2)], [0, 0, 0.5, 0.5]);
  // face-api's padToSquare puts round(diff / 2) after the image, the rest before.
  assert.deepEqual(
    [56, 57, 1, 0].map((d) => padBefore(d, true)),
    [28, 28, 0, 0],
  );
  assert.equal(padBefore(57, false), 0);
  torch.tidy(() => {
    // A 2x3 image (H=2, W=3) of values v/255 -> centred square 3x3 (one black row after it,
    // since round(1/2) = 1 goes after) at size 3: the identity resize.
    const image = torch.tensor([1, 2, 3, 4, 5, 6]).div(255).view(1, 1, 2, 3).expand(1, 3, 2, 3);
    const { input, geometry } = toSquareInput(image, 3, true);
    assert.deepEqual(geometry, { side: 3, padLeft: 0, padTop: 0 });
    assert.deepEqual(
      input
        .select(1, 0)
        .flatten()
        .toArray()
        .map((v) => Math.round(v * 1e4) / 1e4),
      [1, 2, 3, 4, 5, 6, 0, 0, 0],
    );
    assert.throws(() => toSquareInput(torch.zeros([3, 4, 4]), 3, true), /expected images \(B, 3, H, W\), got \[3,4,4\]/);
  });
});
