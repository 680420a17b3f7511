// `dime bench model`'s side-by-side with PyTorch, on tiny configs without FOMM_DIR (as in CI): the
// dime figures are all there, positive and finite, the PyTorch columns are skipped with a note, the
// table says so, and no tensor is left behind; the table's two ratio columns pick the right PyTorch
// process; with FOMM_DIR, the PyTorch processes report their allocator. No timing thresholds.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DEFAULT_CONFIG, type DimeConfig } from "../src/dime/config/schema.js";
import { loadConfig } from "../src/dime/config/file.js";
import {
  benchModelVsPytorch,
  fommTrainConfig,
  formatModelVsPytorch,
  type PeerBenchResult,
  type PeerFigure,
  type PeerRole,
} from "../src/bench/model-peer.js";
import { PytorchPeer } from "../src/bench/pytorch-peer.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { SLOW } from "./helpers/tier.js";

function tinyConfig(): DimeConfig {
  const config = structuredClone(DEFAULT_CONFIG);
  config.dataset_params.frame_shape = [64, 64, 3];
  config.model_params = tinyDimeParams({ num_refs: 2, jacobians: true });
  config.train_params.scales = [1, 0.5];
  return config;
}

test("bench model vs PyTorch: dime's figures, and PyTorch skipped with a note without FOMM_DIR", SLOW, async () => {
  const before = torch.memory().numTensors;
  const train = tinyConfig();
  train.model_params.switches = { ...train.model_params.switches, refine: false, identity_flow: false, num_refs: 0 };
  const result = await benchModelVsPytorch({
    threads: [1],
    runs: 1,
    rounds: 2,
    python: "/usr/bin/python3",
    fommDir: undefined,
    untuned: true,
    precisions: ["fp32", "bf16"],
    forwardConfig: tinyConfig(),
    trainConfig: train,
  });
  assert.match(result.pytorchSkipped ?? "", /FOMM_DIR is not set/);
  const names = result.figures.map((f) => `${f.kind} ${f.name} ${f.precision}`);
  const forward = (kind: string) => [
    `${kind} dime FOMM configuration fp32`,
    `${kind} dime full, 2 references fp32`,
    `${kind} dime FOMM configuration bf16`,
    `${kind} dime full, 2 references bf16`,
    `${kind} dime FOMM configuration, untuned fp32`,
    `${kind} dime full, 2 references, untuned fp32`,
  ];
  assert.deepEqual(names, [...forward("frame"), ...forward("job"), "train dime FOMM-equivalent step fp32"]);
  for (const f of result.figures) {
    assert.equal(f.samplesMs.length, 2, `${f.name}: one run in each of 2 rounds`);
    assert.ok(f.medianMs > 0 && Number.isFinite(f.medianMs) && f.minMs <= f.medianMs, `${f.name}: ${f.medianMs} ms`);
    assert.equal(f.retainFreedMemory, true, `${f.name}: dime's side keeps freed memory for every case`);
  }
  const table = formatModelVsPytorch(result);
  assert.match(table, /PyTorch columns skipped: FOMM_DIR is not set/);
  assert.equal(torch.memory().numTensors, before, "every tensor of the suite is freed");
});

test("the FOMM-equivalent training config is FOMM's: Jacobians on, no DiME parts, 64 px", () => {
  const config = fommTrainConfig();
  const { switches } = config.model_params;
  assert.deepEqual([switches.jacobians, switches.refine, switches.identity_flow, switches.num_refs], [true, false, false, 0]);
  assert.deepEqual(config.dataset_params.frame_shape, [64, 64, 3]);
  assert.deepEqual(config.train_params.scales, [1, 0.5, 0.25]);
  assert.equal(config.model_params.generator_params.block_expansion, 64);
});

test("the FOMM-equivalent training step is FOMM's vox-256 but for the motion scale, as bench/fomm_pytorch.py builds it", () => {
  // configs/fomm/vox-256.yaml is FOMM's vox-256 (its weights import into it with matching outputs);
  // the bench may differ from it only where bench/fomm_pytorch.py changes FOMM's config too: the
  // keypoint detector and dense motion at 0.5, and the pyramid without its 0.125 scale. Anything
  // else (aligned_resize, a loss weight, Adam's betas) makes the two sides different steps.
  const config = fommTrainConfig();
  const fomm = loadConfig(new URL("../configs/fomm/vox-256.yaml", import.meta.url).pathname);
  fomm.model_params.kp_detector_params.scale_factor = 0.5;
  fomm.model_params.generator_params.dense_motion_params.scale_factor = 0.5;
  fomm.train_params.scales = [1, 0.5, 0.25];
  assert.deepEqual(config.model_params, fomm.model_params);
  assert.deepEqual(config.train_params, fomm.train_params);
  const weights = config.train_params.loss_weights;
  assert.deepEqual([weights.perceptual, weights.equivariance_value, weights.equivariance_jacobian], [[10, 10, 10, 10, 10], 10, 10]);
  assert.equal(config.model_params.switches.aligned_resize, false, "FOMM resizes the flow and occlusion with align_corners false");
});

test("each dime figure's ratios are to PyTorch as run and to PyTorch's expert process, the training step included", () => {
  // formatModelVsPytorch on a result with known medians: the columns must pick the right reference.
  const figure = (kind: PeerFigure["kind"], name: string, medianMs: number, process?: PeerRole): PeerFigure => ({
    kind,
    runner: process ? "pytorch" : "dime",
    name,
    precision: "fp32",
    threads: 1,
    samplesMs: [medianMs],
    medianMs,
    minMs: medianMs,
    cpuMedianMs: medianMs,
    retainFreedMemory: process !== "as-run",
    ...(process ? { process } : {}),
  });
  const result: PeerBenchResult = {
    suite: "model-vs-pytorch",
    date: "2026-01-01T00:00:00.000Z",
    machine: { cpu: "test", logicalCores: 1, libtorch: "x", node: "x", loadAverage: [0, 0, 0] } as PeerBenchResult["machine"],
    method: "",
    notes: [],
    pytorch: "x",
    pytorchProcesses: [
      { role: "as-run", retainFreedMemory: false, cases: ["PyTorch FOMM demo loop", "PyTorch FOMM GeneratorFullModel step"] },
      { role: "expert", retainFreedMemory: true, cases: ["PyTorch FOMM expert", "PyTorch FOMM GeneratorFullModel step, allocator tuned"] },
    ],
    figures: [
      figure("frame", "dime FOMM configuration", 30),
      figure("frame", "dime full, 3 references", 80),
      figure("frame", "PyTorch FOMM demo loop", 100, "as-run"),
      figure("frame", "PyTorch FOMM expert", 60, "expert"),
      figure("train", "dime FOMM-equivalent step", 300),
      figure("train", "PyTorch FOMM GeneratorFullModel step", 600, "as-run"),
      figure("train", "PyTorch FOMM GeneratorFullModel step, allocator tuned", 250, "expert"),
    ],
    loadAverageAtEnd: [0, 0, 0],
    seconds: 1,
  };
  const table = formatModelVsPytorch(result);
  const row = (name: string) => (table.split("\n").find((l) => l.match(new RegExp(`^\\w+ +${name} +1 `))) ?? "").trim().split(/ {2,}/);
  assert.deepEqual(row("dime FOMM configuration").slice(-2), ["0.30x", "0.50x"]);
  // A different architecture from the expert's FOMM: its ratio to the demo loop only.
  assert.deepEqual(row("dime full, 3 references").slice(-2), ["0.80x", "-"]);
  assert.deepEqual(row("dime FOMM-equivalent step").slice(-2), ["0.50x", "1.20x"]);
  assert.deepEqual(row("PyTorch FOMM GeneratorFullModel step").slice(-2), ["1.00x", "2.40x"]);
  assert.match(table, /PyTorch as-run process \(glibc's default allocator\): PyTorch FOMM demo loop/);
  assert.match(table, /PyTorch expert process \(freed memory kept[^)]*\): PyTorch FOMM expert/);
});

const fommDir = process.env.FOMM_DIR;
const noFomm = fommDir && existsSync(join(fommDir, "modules", "generator.py")) ? false : "FOMM_DIR is not a first-order-model checkout";

test("bench/fomm_pytorch.py keeps glibc's allocator unless asked, and its ready line says which", {
  skip: SLOW.skip || noFomm,
}, async () => {
  for (const retain of [false, true]) {
    const peer = await PytorchPeer.start("/usr/bin/python3", fommDir, retain);
    assert.ok(typeof peer !== "string", `the peer did not start: ${peer}`);
    try {
      assert.equal(peer.retainFreedMemory, retain);
    } finally {
      peer.close();
    }
  }
});
