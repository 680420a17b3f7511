// `dime bench model`'s core on a tiny DiME (one run, one thread): every figure is there, positive
// and finite, no tensor is left behind, and the JSON round-trips. No timing thresholds.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DEFAULT_CONFIG, type DimeConfig } from "../src/dime/config/schema.js";
import {
  FOMM_SETTING,
  SWITCH_SETTINGS,
  benchModel,
  defaultModelBenchOptions,
  formatModelBench,
  packagedConfig,
  type ModelBenchResult,
} from "../src/bench/model.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { SLOW } from "./helpers/tier.js";

function tinyConfig(): DimeConfig {
  const config = structuredClone(DEFAULT_CONFIG);
  config.dataset_params.frame_shape = [64, 64, 3];
  config.model_params = tinyDimeParams({ num_refs: 1 });
  // 64 and 32 px: VGG-19 needs 16 px at the smallest scale for its five layers.
  config.train_params.scales = [1, 0.5];
  return config;
}

test("bench model: every figure, positive and finite, with steady live tensors", SLOW, () => {
  const before = torch.memory().numTensors;
  const threads = torch.getNumThreads();
  const forward = { name: "tiny", config: tinyConfig(), runs: 1, warmup: 1 };
  const result: ModelBenchResult = benchModel({
    threads: [1],
    forward: [forward],
    train: { ...forward, batch: 2, losses: ["pixel", "vgg"] },
  });

  const json = JSON.parse(JSON.stringify(result)) as ModelBenchResult;
  assert.equal(json.suite, "model");
  assert.ok(!Number.isNaN(Date.parse(json.date)));
  assert.equal(typeof json.machine.cpu, "string");
  assert.ok(json.machine.cpu.length > 0);
  assert.ok(json.machine.logicalCores >= 1);
  assert.equal(typeof json.machine.libtorch, "string");
  assert.equal(json.machine.loadAverage.length, 3);
  assert.equal(typeof json.method, "string");

  const labels = json.figures.map((f) => `${f.kind} ${f.setting} ${f.loss ?? ""}`.trim());
  const expected = [...SWITCH_SETTINGS.flatMap((s) => [`frame ${s.name}`, `job ${s.name}`]), "train config pixel", "train config vgg"];
  assert.deepEqual(labels, expected);
  for (const f of json.figures) {
    const what = `${f.kind} ${f.setting}`;
    assert.equal(f.threads, 1, what);
    assert.equal(f.runs, 1, what);
    assert.equal(f.size, 64, what);
    for (const value of [f.medianMs, f.minMs, ...(f.kind === "train" ? [] : [f.macs!, f.gflopsPerSecond!])]) {
      assert.ok(Number.isFinite(value) && value > 0, `${what}: ${value} is not a positive finite number`);
    }
    assert.ok(f.minMs <= f.medianMs, what);
    assert.equal(f.liveTensors.grew, false, `${what}: live tensors grew ${JSON.stringify(f.liveTensors)}`);
  }
  const setting = (name: string) => json.figures.find((f) => f.kind === "frame" && f.setting === name)!;
  assert.deepEqual(
    [setting("baseline").switches.refine, setting("baseline").switches.identity_flow, setting("baseline").references],
    [false, false, 0],
  );
  assert.deepEqual(
    [setting("+3 refs").switches.refine, setting("+3 refs").switches.identity_flow, setting("+3 refs").references],
    [true, true, 3],
  );
  const train = json.figures.filter((f) => f.kind === "train");
  assert.deepEqual(
    train.map((f) => [f.batch, f.references]),
    [
      [2, 1],
      [2, 1],
    ],
  );

  assert.equal(result.liveTensorsAtEnd, result.liveTensorsAtStart);
  assert.equal(torch.memory().numTensors, before);
  assert.equal(torch.getNumThreads(), threads, "the thread count is restored");
  assert.match(formatModelBench(result), /frame 64 px \+3 refs/);
});

test("bench model: FOMM with Jacobians at two driving batches, frames per second from the median", () => {
  const before = torch.memory().numTensors;
  const config = tinyConfig();
  const result = benchModel({
    threads: [1],
    forward: [{ name: "tiny", config, runs: 1, warmup: 1 }],
    settings: [FOMM_SETTING],
    batches: [1, 3],
    device: "cpu",
  });
  const frames = result.figures.filter((f) => f.kind === "frame");
  assert.deepEqual(
    frames.map((f) => [f.setting, f.batch, f.device, f.switches.jacobians]),
    [
      ["fomm", 1, "cpu", true],
      ["fomm", 3, "cpu", true],
    ],
  );
  for (const f of frames) assert.ok(Math.abs(f.framesPerSecond! - (1000 * f.batch) / f.medianMs) < 1e-9);
  // One job figure per setting (prepare does not depend on the driving batch), and no training step.
  assert.deepEqual(
    result.figures.map((f) => f.kind),
    ["frame", "frame", "job"],
  );
  assert.match(formatModelBench(result), /frame 64 px fomm, batch 3/);
  assert.equal(torch.memory().numTensors, before);
});

test("bench model: the command line's configs, settings and training step", () => {
  const options = defaultModelBenchOptions([1], 1, { configs: ["none"], trainConfig: packagedConfig("vox-256.yaml"), trainBatch: 2 });
  assert.deepEqual(options.forward, []);
  assert.equal(options.train?.name, "configs/vox-256.yaml");
  assert.equal(options.train?.batch, 2);
  const fomm = defaultModelBenchOptions([1], undefined, { configs: [packagedConfig("fomm/vox-256.yaml")], trainConfig: "none" });
  assert.deepEqual(
    fomm.forward.map((c) => [c.name, c.runs, c.warmup]),
    [["configs/fomm/vox-256.yaml", 5, 1]],
  );
  assert.equal(fomm.train, undefined);
});
