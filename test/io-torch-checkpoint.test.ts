// The PyTorch checkpoint reader: FOMM's own torch.save files (../shared/golden/checkpoints) in
// both formats read bit for bit, hostile pickles refused without running anything, and the edge
// cases (strided and shared views, big-endian storages, short or missing storages) built byte by byte.
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { TorchCheckpointError, inspectTorchCheckpoint, readTorchCheckpoint } from "../src/io/torch-checkpoint.js";
import { GOLDEN_DIR, NO_GOLDEN, loadGolden } from "./helpers/golden.js";
import { float32Bytes, legacyCheckpoint, zipCheckpoint, type StorageSpec, type TensorSpec } from "./helpers/torch-pickles.js";

const DIR = join(GOLDEN_DIR, "checkpoints");
const FILES = ["fomm-tiny-legacy.pth.tar", "fomm-tiny-zip.pth.tar"];
const tmp = mkdtempSync(join(tmpdir(), "dime-torch-ckpt-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts `fn` throws a TorchCheckpointError of one line naming `file`, matching `reason`. */
function assertRefused(fn: () => unknown, file: string, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TorchCheckpointError, `expected a TorchCheckpointError, got ${String(error)}`);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    assert.match(error.message, reason);
    return true;
  });
}

function get(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path)
    v = v instanceof Map ? v.get(key) : Array.isArray(v) ? v[key as number] : (v as { tuple: unknown[] }).tuple[key as number];
  return v;
}

describe("FOMM's checkpoints (torch.save from FOMM's modules)", { skip: NO_GOLDEN }, () => {
  const weights = NO_GOLDEN ? new Map<string, Tensor>() : loadGolden("fomm-tiny-weights.safetensors");
  const discriminator = NO_GOLDEN ? new Map<string, Tensor>() : loadGolden("checkpoints/fomm-tiny-discriminator.safetensors");

  for (const file of FILES) {
    test(`${file}: generator, keypoint detector and discriminator equal the safetensors bit for bit`, () => {
      const checkpoint = readTorchCheckpoint(join(DIR, file));
      try {
        assert.equal(checkpoint.format, file.includes("zip") ? "zip" : "legacy");
        for (const expected of [weights, discriminator]) {
          for (const [key, t] of expected) {
            const actual = checkpoint.tensors.get(key);
            assert.ok(actual, `${key} missing`);
            assert.equal(actual.dtype, t.dtype, key);
            assert.deepEqual(actual.shape, t.shape, key);
            assert.ok(actual.equal(t), `${key} differs`);
          }
        }
        const names = [...checkpoint.tensors.keys()];
        assert.equal(names.filter((n) => n.startsWith("generator.") || n.startsWith("kp_detector.")).length, weights.size);
        assert.equal(names.filter((n) => n.startsWith("discriminator.")).length, discriminator.size);
        // Spectral norm: weight_orig, weight_u, weight_v and no weight.
        assert.ok(names.some((n) => n.endsWith("conv.weight_orig")) && !names.some((n) => /discriminator\..*conv\.weight$/.test(n)));
      } finally {
        torch.dispose(checkpoint.tensors);
      }
    });

    test(`${file}: the optimizer states keep their nested structure`, () => {
      const checkpoint = readTorchCheckpoint(join(DIR, file));
      try {
        const value = checkpoint.value;
        assert.equal(get(value, "epoch"), 49);
        for (const [name, module] of [
          ["optimizer_generator", "generator"],
          ["optimizer_kp_detector", "kp_detector"],
          ["optimizer_discriminator", "discriminator"],
        ] as const) {
          const group = get(value, name, "param_groups", 0) as Map<string, unknown>;
          assert.equal(group.get("lr"), 2e-4);
          assert.deepEqual(group.get("betas"), { tuple: [0.5, 0.999] });
          assert.equal(group.get("eps"), 1e-8);
          assert.equal(group.get("amsgrad"), false);
          assert.equal(group.get("foreach"), null);
          const params = group.get("params") as number[];
          const parameters = [...checkpoint.tensors.keys()].filter(
            (k) => k.startsWith(`${module}.`) && !/running_|num_batches|down\.weight|weight_u|weight_v/.test(k),
          );
          assert.deepEqual(
            params,
            params.map((_, i) => i),
          );
          const state = get(value, name, "state") as Map<number, Map<string, Tensor>>;
          assert.equal(state.size, params.length);
          assert.equal(params.length, parameters.length, `${name}: one state per parameter`);
          for (const [index, entry] of state) {
            assert.deepEqual([...entry.keys()], ["step", "exp_avg", "exp_avg_sq"], `${name} ${index}`);
            assert.equal(entry.get("step")!.item(), 1);
            assert.deepEqual(entry.get("exp_avg")!.shape, entry.get("exp_avg_sq")!.shape);
          }
          // Adam after one step from zero moments: exp_avg_sq = (1 - 0.999) g^2 >= 0, exp_avg = 0.5 g.
          const first = state.get(0)!;
          const g = first.get("exp_avg")!.div(0.5);
          assert.ok(first.get("exp_avg_sq")!.sub(g.mul(g).mul(0.001)).abs().amax().item() < 1e-6);
        }
      } finally {
        torch.dispose(checkpoint.tensors);
      }
    });
  }

  test("both formats give the same object: same names, dtypes, shapes and values", () => {
    const [a, b] = FILES.map((f) => readTorchCheckpoint(join(DIR, f)));
    try {
      assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
      for (const [key, t] of a.tensors) assert.ok(t.equal(b.tensors.get(key)!), key);
    } finally {
      torch.dispose([a.tensors, b.tensors]);
    }
  });

  test("inspect lists names, dtypes and shapes without reading tensor data", () => {
    for (const file of FILES) {
      const info = inspectTorchCheckpoint(join(DIR, file));
      const kp = info.tensors.find(([n]) => n === "kp_detector.kp.weight")![1];
      assert.equal(kp.dtype, "float32");
      assert.deepEqual(kp.shape, [4, 11, 7, 7]);
      const step = info.tensors.find(([n]) => n === "optimizer_generator.state.0.step")![1];
      assert.deepEqual(step.shape, []);
      assert.ok(info.storageBytes > 2_000_000 && info.storageBytes < info.fileSize);
    }
  });
});

describe("hostile and damaged files are refused in one line, and run nothing", { skip: NO_GOLDEN }, () => {
  const index = NO_GOLDEN
    ? { marker: "", files: {} }
    : (JSON.parse(readFileSync(join(DIR, "hostile", "index.json"), "utf8")) as { marker: string; files: Record<string, string> });
  const reasons: Record<string, RegExp> = {
    "reduce-os-system.pth": /global posix\.system/,
    "reduce-eval-legacy.pth.tar": /global __builtin__\.eval/,
    "unknown-global.pth": /global subprocess\.Popen/,
    "missing-storage.pth": /storage .*data\/0 is missing/,
    "short-storage.pth": /holds 8 bytes but .*\(24 bytes\)/,
    "truncated.pth": /truncated/,
  };
  for (const file of Object.keys(index.files)) {
    test(`hostile/${file}`, () => {
      rmSync(index.marker, { force: true });
      const path = join(DIR, "hostile", file);
      assertRefused(() => readTorchCheckpoint(path), path, reasons[file] ?? /./);
      assertRefused(() => inspectTorchCheckpoint(path), path, reasons[file] ?? /./);
      assert.equal(existsSync(index.marker), false, "the payload's marker file was created");
    });
  }

  test("a truncated legacy file, and a file that is not a checkpoint", () => {
    const legacy = readFileSync(join(DIR, FILES[0]));
    const half = join(tmp, "half-legacy.pth.tar");
    writeFileSync(half, legacy.subarray(0, legacy.length >> 1));
    assertRefused(() => readTorchCheckpoint(half), half, /truncated|ends/);
    const pickles = join(tmp, "pickles-only.pth.tar");
    writeFileSync(pickles, legacy.subarray(0, 40_000));
    assertRefused(() => readTorchCheckpoint(pickles), pickles, /ends before its STOP/);
    const text = join(tmp, "notes.pth");
    writeFileSync(text, "these are not weights\n");
    assertRefused(() => readTorchCheckpoint(text), text, /not a PyTorch checkpoint/);
    const image = join(GOLDEN_DIR, "fomm-tiny-weights.safetensors");
    assertRefused(() => readTorchCheckpoint(image), image, /not a PyTorch checkpoint/);
    const missing = join(tmp, "nothing-here.pth");
    assertRefused(() => readTorchCheckpoint(missing), missing, /no such file/);
    assertRefused(() => readTorchCheckpoint(tmp), tmp, /folder/);
  });
});

describe("views, byte order and storage bounds (files built byte by byte)", () => {
  // One storage of 12 floats 0..11 seen five ways: whole (3, 4), a transposed view (4, 3),
  // a slice at offset 4 (2, 2) with a row stride of 4, a scalar at offset 11, the second row.
  const values = Array.from({ length: 12 }, (_, i) => i);
  const storages: StorageSpec[] = [{ key: "0", type: "FloatStorage", numel: 12, bytes: float32Bytes(values) }];
  const tensors: TensorSpec[] = [
    { name: "whole", storage: "0", offset: 0, shape: [3, 4], stride: [4, 1] },
    { name: "transposed", storage: "0", offset: 0, shape: [4, 3], stride: [1, 4] },
    { name: "slice", storage: "0", offset: 4, shape: [2, 2], stride: [4, 1] },
    { name: "scalar", storage: "0", offset: 11, shape: [], stride: [] },
    { name: "row", storage: "0", offset: 4, shape: [4], stride: [1] },
  ];
  const expected = {
    whole: [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ],
    transposed: [
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ],
    slice: [
      [4, 5],
      [8, 9],
    ],
    scalar: 11,
    row: [4, 5, 6, 7],
  };

  function shapeOf(v: unknown): number[] {
    return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
  }

  function write(name: string, bytes: Buffer): string {
    const path = join(tmp, name);
    writeFileSync(path, bytes);
    return path;
  }

  function check(path: string): void {
    const checkpoint = readTorchCheckpoint(path);
    try {
      for (const [name, values] of Object.entries(expected)) {
        const t = checkpoint.tensors.get(name)!;
        assert.deepEqual(t.shape, shapeOf(values), name);
        assert.deepEqual(t.toArray(), [values].flat(2), name);
      }
    } finally {
      torch.dispose(checkpoint.tensors);
    }
  }

  test("strided views, offsets and scalars of one storage (legacy, zip and zip64)", () => {
    check(write("views-legacy.pth", legacyCheckpoint(tensors, storages)));
    check(write("views-zip.pth", zipCheckpoint(tensors, storages, "little")));
    check(write("views-zip64.pth", zipCheckpoint(tensors, storages, "little", undefined, true)));
  });

  test("contiguous views share their storage, as torch.load's do", () => {
    const checkpoint = readTorchCheckpoint(write("shared.pth", legacyCheckpoint(tensors, storages)));
    try {
      torch.noGrad(() => checkpoint.tensors.get("whole")!.fill_(-1));
      assert.deepEqual(checkpoint.tensors.get("row")!.toArray(), [-1, -1, -1, -1]);
      // A strided view is gathered into a tensor of its own (same values, not shared).
      assert.deepEqual(checkpoint.tensors.get("slice")!.toArray(), [4, 5, 8, 9]);
    } finally {
      torch.dispose(checkpoint.tensors);
    }
  });

  test("a big-endian zip (byteorder 'big') is byte-swapped", () => {
    const big = Buffer.from(float32Bytes(values));
    big.swap32();
    check(write("views-big.pth", zipCheckpoint(tensors, [{ ...storages[0], bytes: big }], "big")));
  });

  test("a storage shorter than a tensor that views it is an error, not a read past its end", () => {
    const long: TensorSpec[] = [{ name: "w", storage: "0", offset: 8, shape: [2, 4], stride: [4, 1] }];
    for (const [name, bytes] of [
      ["short-legacy.pth", legacyCheckpoint(long, storages)],
      ["short-zip.pth", zipCheckpoint(long, storages)],
    ] as const) {
      const path = write(name, bytes);
      assertRefused(() => readTorchCheckpoint(path), path, /tensor w \[2, 4\] needs 16 elements of storage 0, which holds 12/);
    }
    // The legacy element count must match the declared one.
    const wrong = legacyCheckpoint(tensors, storages);
    const bad = write("count.pth", wrong);
    const bytes = readFileSync(bad);
    bytes.writeBigInt64LE(13n, bytes.length - 48 - 8);
    writeFileSync(bad, bytes);
    assertRefused(() => readTorchCheckpoint(bad), bad, /holds 13 elements but is declared with 12/);
  });

  test("torch.fromFile reads a file's bytes into a tensor, and refuses to read past its end", () => {
    const path = write("floats.bin", Buffer.from(float32Bytes([0, 1, 2, 3, 4, 5])));
    const fd = openSync(path, "r");
    try {
      const t = torch.fromFile(fd, 8, [2, 2], "float32");
      assert.deepEqual(t.toArray(), [2, 3, 4, 5]);
      t.dispose();
      assert.throws(() => torch.fromFile(fd, 12, [4], "float32"), /the file ends at byte 24, inside data that runs to byte 28/);
    } finally {
      closeSync(fd);
    }
  });

  test("a storage the object names but the file lacks", () => {
    const legacy = legacyCheckpoint(tensors, storages, []);
    const path = write("missing-legacy.pth", legacy);
    assertRefused(() => readTorchCheckpoint(path), path, /storage 0 is missing/);
  });
});
