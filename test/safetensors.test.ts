// safetensors: hand-built files read back exactly, our files follow the reference layout byte for
// byte, every dtype round-trips bit-exactly, corrupt files fail naming the file and the problem,
// and the golden files written by the Python side load with independently checked values.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import {
  SafetensorsError,
  inspectSafetensors,
  readSafetensors,
  readSafetensorsFromBuffer,
  serializeSafetensors,
  writeSafetensors,
} from "../src/io/safetensors.js";
import { WriteError } from "../src/io/write-errors.js";
import * as nn from "../src/nn/index.js";
import * as torch from "../src/torch/index.js";
import type { DType, Tensor } from "../src/torch/index.js";
import { GOLDEN_DIR, fixtureSkip } from "./helpers/shared-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-safetensors-"));
// The golden files are shared material beside the repository (../shared/golden), not part of it
// (4.6 MB); DIME_GOLDEN points elsewhere. Where neither exists the golden tests are skipped with a
// message saying so.
const GOLDEN = GOLDEN_DIR;
const NO_GOLDEN = fixtureSkip(GOLDEN, "the golden files", "DIME_GOLDEN");
const utf8 = new TextEncoder();

// --- building files by hand, straight from the format description

function u64le(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** 8-byte length, the header text as given (no padding added), then the data bytes. */
function fileBytes(headerText: string, data: Uint8Array): Uint8Array {
  const header = utf8.encode(headerText);
  return concat(u64le(header.byteLength), header, data);
}

function le(kind: "f32" | "u16" | "i64", values: (number | bigint)[]): Uint8Array {
  const size = kind === "f32" ? 4 : kind === "u16" ? 2 : 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (kind === "f32") view.setFloat32(i * size, v as number, true);
    else if (kind === "u16") view.setUint16(i * size, v as number, true);
    else view.setBigInt64(i * size, v as bigint, true);
  });
  return out;
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** The raw bytes of a tensor's elements (row-major, CPU). */
function rawBytes(t: Tensor): Uint8Array {
  const data = t.data();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Parses a file's header independently of the code under test. */
function headerOf(bytes: Uint8Array): { n: number; text: string; json: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return { n, text, json: JSON.parse(text) as Record<string, unknown> };
}

// The hand-built file. Data layout (bytes relative to the data section):
//   steps  I64  []     [0, 8)    2^53 + 1 (not representable as a double: checks int64 is exact)
//   weight F32  [2, 2] [8, 24)   1.5, -2, 0.25, 3
//   empty  F32  [0, 3] [24, 24)  zero-size
//   brain  BF16 [2]    [24, 28)  bits 0x3FC0 = 1.5, 0xC049 = -3.140625
//   half   F16  [4]    [28, 36)  bits 0x3C00 = 1, 0xC000 = -2, 0x3555 = 0.333251953125, 0x7C00 = +inf
//   bytes  U8   [2]    [36, 38)  0, 255
//   mask   BOOL [3]    [38, 41)  true, false, true
const STEPS = 2n ** 53n + 1n;
const HAND_DATA = concat(
  le("i64", [STEPS]),
  le("f32", [1.5, -2, 0.25, 3]),
  le("u16", [0x3fc0, 0xc049]),
  le("u16", [0x3c00, 0xc000, 0x3555, 0x7c00]),
  new Uint8Array([0, 255]),
  new Uint8Array([1, 0, 1]),
);
const HAND_METADATA = { format: "pt", note: "hand-built: ünïcode ok" };
// Keys deliberately not in data order and the metadata last: readers must not rely on key order.
function handHeader(): string {
  let text =
    "{" +
    '"half":{"dtype":"F16","shape":[4],"data_offsets":[28,36]},' +
    '"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},' +
    '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[38,41]},' +
    '"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[24,24]},' +
    '"steps":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
    '"bytes":{"dtype":"U8","shape":[2],"data_offsets":[36,38]},' +
    '"brain":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]},' +
    `"__metadata__":${JSON.stringify(HAND_METADATA)}` +
    "}";
  // Pad (JSON whitespace is allowed) so that the data starts at an odd offset: a reader that makes
  // typed-array views straight into the file's bytes must re-align them.
  while ((8 + utf8.encode(text).byteLength) % 8 !== 1) text += " ";
  return text;
}
const HAND_FILE = fileBytes(handHeader(), HAND_DATA);

function checkHandTensors(tensors: Map<string, Tensor>, metadata: Record<string, string>): void {
  assert.deepEqual(metadata, HAND_METADATA);
  assert.deepEqual([...tensors.keys()].sort(), ["brain", "bytes", "empty", "half", "mask", "steps", "weight"]);
  const get = (name: string) => tensors.get(name)!;

  assert.equal(get("steps").dtype, "int64");
  assert.deepEqual(get("steps").shape, []);
  assert.equal((get("steps").data() as BigInt64Array)[0], STEPS);

  assert.equal(get("weight").dtype, "float32");
  assert.deepEqual(get("weight").shape, [2, 2]);
  assert.deepEqual(get("weight").toArray(), [1.5, -2, 0.25, 3]);

  assert.equal(get("empty").dtype, "float32");
  assert.deepEqual(get("empty").shape, [0, 3]);
  assert.equal(get("empty").numel, 0);

  assert.equal(get("brain").dtype, "bfloat16");
  assert.deepEqual([...(get("brain").data() as Uint16Array)], [0x3fc0, 0xc049]);
  assert.deepEqual(get("brain").toArray(), [1.5, -3.140625]);

  assert.equal(get("half").dtype, "float16");
  assert.deepEqual([...(get("half").data() as Uint16Array)], [0x3c00, 0xc000, 0x3555, 0x7c00]);
  assert.deepEqual(get("half").toArray(), [1, -2, 0.333251953125, Infinity]);

  assert.equal(get("bytes").dtype, "uint8");
  assert.deepEqual(get("bytes").toArray(), [0, 255]);

  assert.equal(get("mask").dtype, "bool");
  assert.deepEqual([...(get("mask").data() as Uint8Array)], [1, 0, 1]);
}

test("a hand-built file (metadata, zero-size tensor, F16/BF16/BOOL/I64, unaligned data) reads back exactly", () => {
  const path = write("hand.safetensors", HAND_FILE);
  torch.tidy(() => {
    const fromFile = readSafetensors(path);
    checkHandTensors(fromFile.tensors, fromFile.metadata);
    const fromBuffer = readSafetensorsFromBuffer(HAND_FILE);
    checkHandTensors(fromBuffer.tensors, fromBuffer.metadata);
    // The same bytes at an offset inside a larger buffer (as Node's pooled Buffers are).
    const shifted = new Uint8Array(HAND_FILE.byteLength + 3);
    shifted.set(HAND_FILE, 3);
    const fromShifted = readSafetensorsFromBuffer(shifted.subarray(3));
    checkHandTensors(fromShifted.tensors, fromShifted.metadata);
  });
});

test("inspectSafetensors lists names, dtypes, shapes and offsets without loading tensors", () => {
  const path = write("hand-inspect.safetensors", HAND_FILE);
  const before = torch.memory().numTensors;
  const info = inspectSafetensors(path);
  assert.equal(torch.memory().numTensors, before);
  assert.deepEqual(
    info.tensors.map((t) => [t.name, t.formatDType, t.dtype, t.shape, t.dataOffsets]),
    [
      ["steps", "I64", "int64", [], [0, 8]],
      ["weight", "F32", "float32", [2, 2], [8, 24]],
      ["empty", "F32", "float32", [0, 3], [24, 24]],
      ["brain", "BF16", "bfloat16", [2], [24, 28]],
      ["half", "F16", "float16", [4], [28, 36]],
      ["bytes", "U8", "uint8", [2], [36, 38]],
      ["mask", "BOOL", "bool", [3], [38, 41]],
    ],
  );
  assert.deepEqual(info.metadata, HAND_METADATA);
  assert.equal(info.fileSize, HAND_FILE.byteLength);
  assert.equal(info.headerLength + 8 + HAND_DATA.byteLength, HAND_FILE.byteLength);
});

test("reading a subset by name, and a missing name is an error naming the file", () => {
  const path = write("hand-subset.safetensors", HAND_FILE);
  torch.tidy(() => {
    const { tensors } = readSafetensors(path, { names: ["half", "steps"] });
    assert.deepEqual([...tensors.keys()].sort(), ["half", "steps"]);
    assert.throws(
      () => readSafetensors(path, { names: ["nope"] }),
      (e: Error) => e instanceof SafetensorsError && e.message.includes(path) && /no tensor named 'nope'/.test(e.message),
    );
  });
});

test("writing the hand-built tensors back gives the reference layout, and reads back identically", () => {
  const path = write("hand-src.safetensors", HAND_FILE);
  const out = join(dir, "hand-out.safetensors");
  torch.tidy(() => {
    const original = readSafetensors(path);
    writeSafetensors(out, original.tensors, original.metadata);
    const bytes = new Uint8Array(readFileSync(out));

    // Format rules, checked on the raw bytes.
    const { n, text, json } = headerOf(bytes);
    assert.equal(n % 8, 0, "header length is a multiple of 8");
    const jsonEnd = text.lastIndexOf("}") + 1;
    assert.match(text.slice(jsonEnd), /^ *$/, "the header is padded with spaces only");
    assert.ok(n - jsonEnd < 8, "at most 7 bytes of padding");
    assert.equal(text.slice(0, jsonEnd), JSON.stringify(json), "compact JSON, as serde_json writes it");
    const keys = Object.keys(json);
    assert.equal(keys[0], "__metadata__", "metadata comes first");
    // Sorted by dtype alignment (I64 > F32 > BF16 > F16 > U8 > BOOL), then by name.
    assert.deepEqual(keys.slice(1), ["steps", "empty", "weight", "brain", "half", "bytes", "mask"]);
    let offset = 0;
    for (const key of keys.slice(1)) {
      const entry = json[key] as { dtype: string; shape: number[]; data_offsets: [number, number] };
      assert.deepEqual(Object.keys(entry), ["dtype", "shape", "data_offsets"]);
      assert.equal(entry.data_offsets[0], offset, `${key} starts where the previous tensor ended`);
      offset = entry.data_offsets[1];
    }
    assert.equal(8 + n + offset, bytes.byteLength, "the data section ends at the end of the file");

    // Every tensor's bytes are the hand-built ones.
    const handEntries = JSON.parse(handHeader()) as Record<string, { data_offsets: [number, number] }>;
    for (const key of keys.slice(1)) {
      const [b0, e0] = handEntries[key].data_offsets;
      const [b1, e1] = (json[key] as { data_offsets: [number, number] }).data_offsets;
      assert.deepEqual(bytes.subarray(8 + n + b1, 8 + n + e1), HAND_DATA.subarray(b0, e0), `bytes of ${key}`);
    }

    const again = readSafetensors(out);
    checkHandTensors(again.tensors, again.metadata);
    // Writing is deterministic: the same tensors give the same bytes.
    assert.deepEqual(serializeSafetensors(again.tensors, again.metadata), bytes);
  });
});

test("serializing matches the reference writer's byte-exact outputs", () => {
  // Expected bytes as given in huggingface/safetensors' own tests (safetensors/src/tensor.rs):
  // a 64-byte header needing no padding, a 65-byte one padded to 72, and empty files.
  torch.tidy(() => {
    const values = torch.fromArray(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 2, 3]);
    const f32 = le("f32", [0, 1, 2, 3, 4, 5]);
    const header1 = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.deepEqual(serializeSafetensors({ "attn.0": values }), concat(u64le(64), utf8.encode(header1), f32));
    const header2 = `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${" ".repeat(7)}`;
    assert.deepEqual(serializeSafetensors(new Map([["attn0", values.reshape(1, 1, 2, 3)]])), concat(u64le(72), utf8.encode(header2), f32));
    assert.deepEqual(serializeSafetensors({}), concat(u64le(8), utf8.encode("{}      ")));
    const header3 = '{"__metadata__":{"framework":"pt"}}     ';
    assert.deepEqual(serializeSafetensors({}, { framework: "pt" }), concat(u64le(40), utf8.encode(header3)));
  });
});

const ALL_DTYPES: DType[] = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"];

function randomTensor(dtype: DType, shape: number[]): Tensor {
  const numel = shape.reduce((a, b) => a * b, 1);
  const size = torch.bytesPerElement(dtype);
  const bytes = randomBytes(numel * size);
  // Random bits include NaNs with payloads and subnormals: a bit-exact copy must keep them.
  if (dtype === "bool") for (let i = 0; i < bytes.length; i++) bytes[i] &= 1;
  const buffer = new Uint8Array(bytes).buffer; // a fresh, aligned copy
  const arrays: Record<DType, () => ArrayBufferView> = {
    float32: () => new Float32Array(buffer),
    float64: () => new Float64Array(buffer),
    float16: () => new Uint16Array(buffer),
    bfloat16: () => new Uint16Array(buffer),
    int64: () => new BigInt64Array(buffer),
    int32: () => new Int32Array(buffer),
    int16: () => new Int16Array(buffer),
    int8: () => new Int8Array(buffer),
    uint8: () => new Uint8Array(buffer),
    bool: () => new Uint8Array(buffer),
  };
  return torch.fromArray(arrays[dtype](), shape, { dtype });
}

test("every dtype round-trips bit-exactly through a file and through a buffer", () => {
  const path = join(dir, "all-dtypes.safetensors");
  torch.tidy(() => {
    const tensors = new Map<string, Tensor>();
    for (const dtype of ALL_DTYPES) {
      tensors.set(`${dtype}.matrix`, randomTensor(dtype, [3, 5, 7]));
      tensors.set(`${dtype}.scalar`, randomTensor(dtype, []));
      tensors.set(`${dtype}.empty`, randomTensor(dtype, [4, 0]));
    }
    writeSafetensors(path, tensors, { purpose: "all dtypes" });
    for (const back of [readSafetensors(path), readSafetensorsFromBuffer(readFileSync(path))]) {
      assert.deepEqual(back.metadata, { purpose: "all dtypes" });
      assert.equal(back.tensors.size, tensors.size);
      for (const [name, t] of tensors) {
        const got = back.tensors.get(name)!;
        assert.equal(got.dtype, t.dtype, name);
        assert.deepEqual(got.shape, t.shape, name);
        assert.deepEqual(rawBytes(got), rawBytes(t), `${name}: bytes differ`);
      }
    }
  });
});

test("non-contiguous and grad-requiring tensors are written as their row-major values", () => {
  const path = join(dir, "views.safetensors");
  torch.tidy(() => {
    const base = torch.arange(24, undefined, 1, { dtype: "float32" }).reshape(2, 3, 4);
    const transposed = base.transpose(0, 2);
    assert.equal(transposed.isContiguous(), false);
    const sliced = base.slice(2, 1, 4, 2);
    const param = torch.randn([3, 2]).requiresGrad_();
    writeSafetensors(path, { transposed, sliced, param });
    const { tensors } = readSafetensors(path);
    assert.deepEqual(tensors.get("transposed")!.shape, [4, 3, 2]);
    assert.deepEqual(tensors.get("transposed")!.toArray(), transposed.contiguous().toArray());
    assert.deepEqual(tensors.get("sliced")!.toArray(), sliced.contiguous().toArray());
    assert.deepEqual(rawBytes(tensors.get("param")!), rawBytes(param));
    assert.equal(tensors.get("param")!.requiresGrad, false);
  });
});

test("CUDA tensors are written from the GPU and read onto it (skipped without CUDA)", {
  skip: !torch.cuda.isAvailable() && "no CUDA here",
}, () => {
  const path = join(dir, "cuda.safetensors");
  torch.tidy(() => {
    const onCpu = randomTensor("float32", [4, 4]);
    writeSafetensors(path, { w: onCpu.to("cuda") });
    const { tensors } = readSafetensors(path, { device: "cuda" });
    assert.match(tensors.get("w")!.device, /^cuda/);
    assert.deepEqual(rawBytes(tensors.get("w")!), rawBytes(onCpu));
  });
});

test("writing is atomic: no temporary file is left, and a failed write leaves the old file intact", () => {
  const sub = mkdtempSync(join(dir, "atomic-"));
  const path = join(sub, "ckpt.safetensors");
  const good = torch.tidy(() => {
    writeSafetensors(path, { a: torch.ones([2]) });
    return new Uint8Array(readFileSync(path));
  });
  assert.deepEqual(readdirSync(sub), ["ckpt.safetensors"]);
  const disposed = torch.zeros([3]);
  const alive = torch.ones([3]);
  disposed.dispose();
  assert.throws(
    () => writeSafetensors(path, { alive, disposed }),
    (e: Error) => e instanceof SafetensorsError && e.message.includes(path),
  );
  alive.dispose();
  assert.deepEqual(new Uint8Array(readFileSync(path)), good);
  assert.deepEqual(readdirSync(sub), ["ckpt.safetensors"]);
  assert.throws(
    () => writeSafetensors(join(sub, "missing-folder", "x.safetensors"), {}),
    (e: Error) =>
      e instanceof WriteError &&
      e.message === `cannot write ${join(sub, "missing-folder", "x.safetensors")}: its folder does not exist: create it first`,
  );
});

test("writing refuses the reserved name and non-string metadata", () => {
  const path = join(dir, "refused.safetensors");
  torch.tidy(() => {
    const t = torch.ones([1]);
    assert.throws(() => writeSafetensors(path, { __metadata__: t }), /reserved/);
    assert.throws(() => writeSafetensors(path, { t }, { epoch: 3 as unknown as string }), /metadata value for 'epoch' is a number/);
  });
});

test("reading and disposing leaves no tensors behind", () => {
  const path = write("leak.safetensors", HAND_FILE);
  torch.tidy(() => readSafetensors(path)); // warm-up
  const before = torch.memory().numTensors;
  for (let i = 0; i < 20; i++) torch.tidy(() => void readSafetensors(path));
  const { tensors } = readSafetensors(path);
  torch.dispose(tensors);
  assert.equal(torch.memory().numTensors, before);
});

// --- corrupt files: each must fail with an error that names the file and the problem

const I32_2x2 = '{"t":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
const CORRUPT: { name: string; bytes: Uint8Array; problem: RegExp }[] = [
  { name: "too-short", bytes: new Uint8Array([1, 0, 0]), problem: /too short to hold the 8-byte header length/ },
  {
    name: "header-longer-than-file",
    bytes: concat(u64le(1000), utf8.encode(I32_2x2), new Uint8Array(16)),
    problem: /header length 1000 is larger than the file/,
  },
  {
    name: "huge-header-length",
    bytes: concat(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0xff]), new Uint8Array(8)),
    problem: /is larger than the file/,
  },
  { name: "not-utf8", bytes: concat(u64le(2), new Uint8Array([0x7b, 0xff])), problem: /not valid UTF-8/ },
  { name: "invalid-json", bytes: fileBytes('{"t":{"dtype":"I32",', new Uint8Array(0)), problem: /not valid JSON/ },
  { name: "json-array", bytes: fileBytes("[1,2]", new Uint8Array(0)), problem: /header is an array, expected a JSON object/ },
  {
    name: "unknown-dtype",
    bytes: fileBytes('{"t":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
    problem: /tensor 't': unknown or unsupported dtype 'F33'/,
  },
  {
    name: "unsupported-dtype",
    bytes: fileBytes('{"t":{"dtype":"U16","shape":[1],"data_offsets":[0,2]}}', new Uint8Array(2)),
    problem: /unsupported dtype 'U16'/,
  },
  {
    name: "missing-shape",
    bytes: fileBytes('{"t":{"dtype":"F32","data_offsets":[0,4]}}', new Uint8Array(4)),
    problem: /tensor 't': 'shape' is undefined/,
  },
  {
    name: "negative-dim",
    bytes: fileBytes('{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)),
    problem: /'shape' is \[-1\]/,
  },
  {
    name: "huge-dim",
    bytes: fileBytes('{"t":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', new Uint8Array(16)),
    problem: /'shape' is .*non-negative integers/,
  },
  {
    name: "offsets-reversed",
    bytes: fileBytes('{"t":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}', new Uint8Array(4)),
    problem: /data_offsets \[4, 0\] end before they begin/,
  },
  {
    name: "size-mismatch",
    bytes: fileBytes('{"t":{"dtype":"I32","shape":[2,2],"data_offsets":[0,4]}}', new Uint8Array(4)),
    problem: /tensor 't': data_offsets \[0, 4\] hold 4 bytes but shape \[2, 2\] of I32 needs 16/,
  },
  {
    name: "gap",
    bytes: fileBytes(
      '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}',
      new Uint8Array(6),
    ),
    problem: /not contiguous: data bytes \[2, 4\) before tensor 'b' belong to no tensor/,
  },
  {
    name: "not-from-zero",
    bytes: fileBytes('{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', new Uint8Array(4)),
    problem: /not contiguous: data bytes \[0, 2\) before tensor 'a'/,
  },
  {
    name: "overlap",
    bytes: fileBytes(
      '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}',
      new Uint8Array(6),
    ),
    problem: /tensor 'b' \(data bytes \[2, 6\)\) overlaps tensor 'a'/,
  },
  {
    name: "truncated",
    bytes: fileBytes(I32_2x2, new Uint8Array(14)),
    problem: /tensor 't' \(data bytes \[0, 16\)\) is out of bounds: the file has only 14 data bytes/,
  },
  { name: "trailing", bytes: fileBytes(I32_2x2, new Uint8Array(20)), problem: /cover 16 data bytes but the file has 20: 4 trailing bytes/ },
  {
    name: "metadata-number",
    bytes: fileBytes('{"__metadata__":{"epoch":3}}', new Uint8Array(0)),
    problem: /'__metadata__' value for 'epoch' is a number; the format allows only string values/,
  },
  {
    name: "metadata-array",
    bytes: fileBytes('{"__metadata__":["a"]}', new Uint8Array(0)),
    problem: /'__metadata__' is an array, expected an object of strings/,
  },
];

for (const { name, bytes, problem } of CORRUPT) {
  test(`corrupt file (${name}) is refused, naming the file and the problem`, () => {
    const path = write(`corrupt-${name}.safetensors`, bytes);
    const before = torch.memory().numTensors;
    const named = (label: string) => (e: Error) => {
      assert.ok(e instanceof SafetensorsError, `${e.name}: ${e.message}`);
      assert.ok(e.message.startsWith(`${label}: `), `message should start with the file: ${e.message}`);
      assert.match(e.message, problem);
      return true;
    };
    assert.throws(() => readSafetensors(path), named(path));
    assert.throws(() => inspectSafetensors(path), named(path));
    assert.throws(() => readSafetensorsFromBuffer(bytes, { source: "upload.safetensors" }), named("upload.safetensors"));
    assert.equal(torch.memory().numTensors, before, "no tensor was created");
  });
}

test("a missing file is an error naming it", () => {
  const path = join(dir, "does-not-exist.safetensors");
  assert.throws(
    () => readSafetensors(path),
    (e: Error) => e instanceof SafetensorsError && e.message.startsWith(path) && /cannot open/.test(e.message),
  );
});

// --- golden files written by the Python side (/work/shared/golden, see its README)

const WEIGHTS = join(GOLDEN, "fomm-tiny-weights.safetensors");

test("the Python-written FOMM weights load: count, names, shapes and values", { skip: NO_GOLDEN }, () => {
  const info = inspectSafetensors(WEIGHTS);
  assert.equal(info.tensors.length, 159);
  assert.equal(info.metadata.seed, "1234");
  assert.equal(info.metadata.torch_version, "1.13.0a0");
  const shapes = new Map(info.tensors.map((t) => [t.name, [t.formatDType, t.shape]]));
  assert.deepEqual(shapes.get("kp_detector.predictor.encoder.down_blocks.0.conv.weight"), ["F32", [16, 3, 3, 3]]);
  assert.deepEqual(shapes.get("kp_detector.kp.weight"), ["F32", [4, 11, 7, 7]]);
  assert.deepEqual(shapes.get("kp_detector.down.weight"), ["F32", [3, 1, 13, 13]]);
  assert.deepEqual(shapes.get("generator.dense_motion_network.mask.weight"), ["F32", [5, 28, 7, 7]]);
  assert.deepEqual(shapes.get("generator.final.bias"), ["F32", [3]]);
  assert.deepEqual(shapes.get("generator.first.norm.num_batches_tracked"), ["I64", []]);

  torch.tidy(() => {
    const { tensors, metadata } = readSafetensors(WEIGHTS);
    assert.equal(tensors.size, 159);
    assert.deepEqual(metadata, info.metadata);
    // Expected numbers obtained independently with Debian's /usr/bin/python3 (torch 1.13.1): the
    // header parsed with struct.unpack("<Q") + json.loads, each tensor made with torch.frombuffer,
    // then x.double().sum().item() and the float32 bit patterns via struct.pack("<f").
    const sum = (name: string) => tensors.get(name)!.double().sum().item();
    const close = (got: number, expected: number, what: string) =>
      assert.ok(Math.abs(got - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: got ${got}, expected ${expected}`);
    close(sum("kp_detector.kp.weight"), -0.5180274135470313, "sum of kp_detector.kp.weight");
    close(sum("kp_detector.jacobian.bias"), 7.5604616809869185, "sum of kp_detector.jacobian.bias");
    close(sum("kp_detector.down.weight"), 3.0000000328504903, "sum of kp_detector.down.weight");
    close(sum("generator.bottleneck.r1.norm2.running_var"), 16.18760508298874, "sum of running_var");
    const bits = new Uint32Array((tensors.get("generator.final.bias")!.data() as Float32Array).buffer);
    assert.deepEqual([...bits], [0x3d0def77, 0x3cd5a3ff, 0xba83ea35]);
    assert.equal((tensors.get("kp_detector.predictor.encoder.down_blocks.0.norm.num_batches_tracked")!.data() as BigInt64Array)[0], 0n);
    let total = 0;
    for (const t of tensors.values()) if (t.dtype === "float32") total += t.double().sum().item();
    // Python: sum(x.double().sum().item() for every floating tensor) = 799.961678497013
    assert.ok(Math.abs(total - 799.961678497013) < 1e-9, `sum of all float tensors: ${total}`);
  });
});

test("every golden file loads with the tensor count its README gives", { skip: NO_GOLDEN }, () => {
  const counts: Record<string, number> = {
    "fomm-tiny-weights.safetensors": 159,
    "fomm-tiny-eval.safetensors": 31,
    "fomm-tiny-train.safetensors": 197,
    "fomm-tiny-train-64px.safetensors": 194,
    "vgg19-random-check.safetensors": 110,
    "anti_alias_and_grid.safetensors": 44,
  };
  for (const [file, count] of Object.entries(counts)) {
    torch.tidy(() => {
      const { tensors } = readSafetensors(join(GOLDEN, file));
      assert.equal(tensors.size, count, file);
    });
  }
});

test("a Python-written file survives our write: same header entries and data bytes", { skip: NO_GOLDEN }, () => {
  const out = join(dir, "weights-rewritten.safetensors");
  torch.tidy(() => {
    const { tensors, metadata } = readSafetensors(WEIGHTS);
    writeSafetensors(out, tensors, metadata);
  });
  const original = new Uint8Array(readFileSync(WEIGHTS));
  const rewritten = new Uint8Array(readFileSync(out));
  const a = headerOf(original);
  const b = headerOf(rewritten);
  assert.deepEqual(b.json.__metadata__, a.json.__metadata__);
  const names = Object.keys(a.json).filter((k) => k !== "__metadata__");
  assert.equal(Object.keys(b.json).length - 1, names.length);
  for (const name of names) {
    const ea = a.json[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const eb = b.json[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
    assert.equal(eb.dtype, ea.dtype, name);
    assert.deepEqual(eb.shape, ea.shape, name);
    const da = original.subarray(8 + a.n + ea.data_offsets[0], 8 + a.n + ea.data_offsets[1]);
    const db = rewritten.subarray(8 + b.n + eb.data_offsets[0], 8 + b.n + eb.data_offsets[1]);
    assert.deepEqual(db, da, `data of ${name}`);
  }
});

// test/fixtures/reference-save-file.safetensors was written by the Python package's own
// save_file (safetensors 0.8.0; test/fixtures/make_reference_safetensors.py says how).
const REFERENCE = fileURLToPath(new URL("./fixtures/reference-save-file.safetensors", import.meta.url));

test("a file from the reference writer (safetensors save_file) loads with the values it was given", () => {
  torch.tidy(() => {
    const { tensors, metadata } = readSafetensors(REFERENCE);
    assert.deepEqual(metadata, { writer: "safetensors 0.8.0 save_file" });
    assert.equal(tensors.size, 14);
    const x = Float64Array.from({ length: 24 }, (_, i) => (i - 11.5) / 3);
    const get = (name: string) => tensors.get(name)!;
    assert.deepEqual([...(get("f64.x").data() as Float64Array)], [...x]);
    assert.deepEqual(get("f64.x").shape, [2, 3, 4]);
    assert.deepEqual([...(get("f32.x").data() as Float32Array)], [...x].map(Math.fround));
    const x64 = torch.fromArray(x, [2, 3, 4]);
    assert.deepEqual(rawBytes(get("f16.x")), rawBytes(x64.to("float16")));
    assert.deepEqual(rawBytes(get("bf16.x")), rawBytes(x64.to("bfloat16")));
    assert.deepEqual([...(get("i64.big").data() as BigInt64Array)], [2n ** 62n + 7n, -(2n ** 53n) - 1n, 0n]);
    assert.deepEqual(
      get("i32.x").toArray(),
      [-3, -2, -1, 0, 1, 2].map((v) => v * 1000003),
    );
    assert.deepEqual(
      get("i16.x").toArray(),
      [-3, -2, -1, 0, 1, 2].map((v) => v * 10007),
    );
    assert.deepEqual(get("i8.x").toArray(), [-123, -82, -41, 0, 41, 82]);
    assert.deepEqual(get("u8.x").toArray(), [0, 51, 102, 153, 204, 255]);
    assert.equal(get("bool.x").dtype, "bool");
    assert.deepEqual(get("bool.x").toArray(), [1, 0, 1, 0, 1, 0]);
    assert.deepEqual(get("zero.size").shape, [0, 5]);
    assert.deepEqual(get("scalar").shape, []);
    assert.equal(get("scalar").item(), 2.5);
  });
});

test("our writer produces the reference writer's bytes exactly for the same tensors and metadata", () => {
  const reference = new Uint8Array(readFileSync(REFERENCE));
  torch.tidy(() => {
    const { tensors, metadata } = readSafetensors(REFERENCE);
    // Insertion order must not matter: write them in reverse.
    const reversed = new Map([...tensors.entries()].reverse());
    assert.deepEqual(serializeSafetensors(reversed, metadata), reference);
    const path = join(dir, "rewritten-reference.safetensors");
    writeSafetensors(path, reversed, metadata);
    assert.deepEqual(new Uint8Array(readFileSync(path)), reference);
  });
});

test("a model's state dict goes through a file into a fresh model; a mis-shaped or missing key is named", () => {
  const path = join(dir, "model.safetensors");
  const make = (out: number) => new nn.Sequential(new nn.Conv2d(3, out, 3), new nn.BatchNorm2d(out));
  torch.tidy(() => {
    torch.manualSeed(1);
    const saved = make(4);
    writeSafetensors(path, saved.stateDict(), { arch: "conv-bn" });
    torch.manualSeed(2);
    const fresh = make(4);
    const { tensors } = readSafetensors(path);
    fresh.loadStateDict(tensors);
    for (const [name, t] of saved.stateDict()) assert.deepEqual(rawBytes(fresh.stateDict().get(name)!), rawBytes(t), name);
    assert.deepEqual([...tensors.keys()].sort(), [...saved.stateDict().keys()].sort());
    assert.throws(() => make(5).loadStateDict(tensors), /0\.weight/);
    tensors.delete("1.running_var");
    assert.throws(() => make(4).loadStateDict(tensors), /1\.running_var/);
  });
});
