// Precise batch norm (src/train/recalibrate.ts): the running statistics become the plain average
// of the batches' statistics, the weights do not move, and `dime recalibrate` writes a checkpoint
// that loads, or refuses in one line.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import type { TrainingBatch } from "../src/dime/objective.js";
import { BatchNorm2d } from "../src/nn/norm.js";
import { configToYaml } from "../src/dime/config/file.js";
import { recalibrateBatchNorm } from "../src/train/index.js";
import { findCheckpoint, loadCheckpoint } from "../src/checkpoint/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { runDime, tinyDataset, tinyTrainConfig, trainArgs } from "./helpers/train-fixtures.js";
import { assertTensorClose } from "./helpers/golden.js";
import { SLOW } from "./helpers/tier.js";

function batch(seed: number): TrainingBatch {
  torch.manualSeed(seed);
  return { source: torch.rand([2, 3, 64, 64]), driving: torch.rand([2, 3, 64, 64]), references: [torch.rand([2, 3, 64, 64])] };
}

async function* over(batches: TrainingBatch[]): AsyncGenerator<TrainingBatch> {
  yield* batches;
}

/** Every batch norm's running mean and variance, cloned, by module name. */
function statistics(model: DiME): Map<string, Tensor> {
  const stats = new Map<string, Tensor>();
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    stats.set(`${name}.mean`, m.runningMean!.clone());
    stats.set(`${name}.var`, m.runningVar!.clone());
  }
  return stats;
}

describe("recalibrateBatchNorm", () => {
  const model = new DiME(tinyDimeParams({ num_refs: 1 })).eval();
  const [b1, b2] = [batch(1), batch(2)];
  after(() => {
    model.dispose();
    for (const b of [b1, b2]) for (const t of [b.source, b.driving, ...b.references]) t.dispose();
  });

  test("the statistics over two batches are the mean of each batch's (training mode never reads them)", async () => {
    await recalibrateBatchNorm(model, over([b1]), { batches: 1 });
    const first = statistics(model);
    await recalibrateBatchNorm(model, over([b2]), { batches: 1 });
    const second = statistics(model);
    assert.equal(await recalibrateBatchNorm(model, over([b1, b2, b1]), { batches: 2 }), 2, "stops after the batches asked for");
    const both = statistics(model);
    assert.ok(first.size > 10, `${first.size / 2} batch norms`);
    for (const [key, t] of both) torch.tidy(() => assertTensorClose(t, first.get(key)!.add(second.get(key)!).div(2), key, 1e-5));
    const moved = torch.tidy(() =>
      first
        .get("kp_detector.predictor.encoder.down_blocks.0.norm.mean")!
        .sub(second.get("kp_detector.predictor.encoder.down_blocks.0.norm.mean")!)
        .abs()
        .amax()
        .item(),
    );
    assert.ok(moved > 1e-4, `the two batches' statistics differ (${moved})`);
    for (const t of [...first.values(), ...second.values(), ...both.values()]) t.dispose();
  });

  test("a batch repeated gives its own statistics: a plain average, not momentum's", async () => {
    await recalibrateBatchNorm(model, over([b1]), { batches: 1 });
    const once = statistics(model);
    await recalibrateBatchNorm(model, over([b1, b1, b1]), { batches: 3 });
    const thrice = statistics(model);
    for (const [key, t] of thrice) assertTensorClose(t, once.get(key)!, key, 1e-5);
    for (const t of [...once.values(), ...thrice.values()]) t.dispose();
  });

  test("parameters, momentum and the model's mode are left as they were", async () => {
    const before = torch.tidy(() => new Map([...model.namedParameters()].map(([name, p]) => [name, p.detach().clone()])));
    await recalibrateBatchNorm(model, over([b2]), { batches: 1 });
    for (const [name, p] of model.namedParameters()) assertTensorClose(p.detach(), before.get(name)!, name, 0);
    for (const m of model.modules()) if (m instanceof BatchNorm2d) assert.equal(m.momentum, 0.1);
    assert.equal(model.training, false, "back in eval mode");
    for (const t of before.values()) t.dispose();
  });

  test("refuses a count that is not a positive integer", async () => {
    await assert.rejects(recalibrateBatchNorm(model, over([b1]), { batches: 0 }), /batches must be a positive integer, got 0/);
  });
});

describe("dime recalibrate", SLOW, () => {
  const dir = mkdtempSync(join(tmpdir(), "dime-recalibrate-"));
  const data = join(dir, "data");
  const run = join(dir, "run");
  const other = join(dir, "run-seed-1");
  before(async () => {
    await tinyDataset(data);
    const config = join(dir, "tiny.yaml");
    writeFileSync(config, configToYaml(tinyTrainConfig()));
    for (const [out, seed] of [
      [run, "0"],
      [other, "1"],
    ]) {
      const trained = runDime(trainArgs(config, data, out, 2, ["--seed", seed]));
      assert.equal(trained.status, 0, trained.stderr);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("writes a loadable checkpoint of the same step: new statistics, the same weights and optimizer, the recalibration recorded", () => {
    const out = join(dir, "recalibrated");
    const result = runDime(["recalibrate", "--checkpoint", run, "--data", data, "--out", out, "--batches", "3", "--threads", "1"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /step-000002\.safetensors: step 2, batch norms recalibrated over 3 batches in [\d.]+ s/);
    const input = findCheckpoint(run, true);
    const output = findCheckpoint(out, true);
    assert.equal(output.step, 2);
    assert.deepEqual(output.sidecar.recalibrated, { data, batches: 3, batch_size: 2, seed: 0 });
    assert.deepEqual(output.sidecar.config, input.sidecar.config);
    torch.tidy(() => {
      const [before, after] = [readSafetensors(input.weightsPath).tensors, readSafetensors(output.weightsPath).tensors];
      assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
      let changed = 0;
      for (const [key, t] of after) {
        if (/running_(mean|var)$/.test(key)) changed += Number(t.sub(before.get(key)!).abs().amax().item() > 0);
        else if (!key.endsWith("num_batches_tracked")) assertTensorClose(t, before.get(key)!, key, 0);
      }
      assert.ok(changed > 10, `${changed} running statistics changed`);
    });
    assert.deepEqual(readFileSync(output.optimizerPath), readFileSync(input.optimizerPath), "the optimizer's state is copied");
    loadCheckpoint(out).model.dispose();
  });

  test("--average writes the mean of the checkpoints' weights, recalibrated, without optimizer state", () => {
    const out = join(dir, "averaged");
    const result = runDime([
      "recalibrate",
      "--checkpoint",
      run,
      "--average",
      other,
      "--data",
      data,
      "--out",
      out,
      "--batches",
      "2",
      "--threads",
      "1",
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /step-000002\.safetensors: step 2, weights of 2 checkpoints averaged, batch norms recalibrated over 2 batches/,
    );
    const [first, second] = [findCheckpoint(run), findCheckpoint(other)];
    const output = findCheckpoint(out);
    assert.deepEqual(output.sidecar.recalibrated?.averaged, [first.weightsPath, second.weightsPath]);
    assert.equal(existsSync(output.optimizerPath), false, "no optimizer state");
    torch.tidy(() => {
      const [a, b, mean] = [first, second, output].map((e) => readSafetensors(e.weightsPath).tensors);
      let apart = 0;
      for (const [key, t] of mean) {
        if (/running_(mean|var)$|num_batches_tracked$/.test(key)) continue;
        assertTensorClose(t, a.get(key)!.add(b.get(key)!).div(2), key, 1e-6);
        apart = Math.max(apart, a.get(key)!.sub(b.get(key)!).abs().amax().item());
      }
      assert.ok(apart > 1e-5, `the two runs' weights differ (${apart})`);
    });
    loadCheckpoint(out).model.dispose();
  });

  test("--average refuses the checkpoint itself, one given twice and a checkpoint of another model, in one line", () => {
    const again = runDime(["recalibrate", "--checkpoint", run, "--average", run, "--data", data, "--out", join(dir, "o4")]);
    assert.equal(again.status, 1);
    assert.match(
      again.stderr.trim(),
      /^dime recalibrate: .*step-000002\.safetensors: is the checkpoint itself; give each checkpoint to average once$/,
    );
    const twice = runDime([
      "recalibrate",
      "--checkpoint",
      run,
      "--average",
      other,
      "--average",
      other,
      "--data",
      data,
      "--out",
      join(dir, "o6"),
    ]);
    assert.equal(twice.status, 1);
    assert.match(
      twice.stderr.trim(),
      /^dime recalibrate: .*run-seed-1\/checkpoints\/step-000002\.safetensors: is given twice to --average; give each checkpoint to average once$/,
    );
    const config = tinyTrainConfig();
    config.model_params.common_params.num_kp = 3;
    const wider = join(dir, "run-3kp");
    writeFileSync(join(dir, "tiny-3kp.yaml"), configToYaml(config));
    const trained = runDime([
      "train",
      "--config",
      join(dir, "tiny-3kp.yaml"),
      "--data",
      data,
      "--out",
      wider,
      "--steps",
      "2",
      "--threads",
      "1",
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    const mixed = runDime(["recalibrate", "--checkpoint", run, "--average", wider, "--data", data, "--out", join(dir, "o5")]);
    assert.equal(mixed.status, 1);
    assert.match(
      mixed.stderr.trim(),
      /^dime recalibrate: .*run-3kp\/checkpoints\/step-000002\.safetensors: has model_params\.common_params\.num_kp=3 but .* has 4: only checkpoints of one model can be averaged$/,
    );
    for (const out of ["o4", "o5", "o6"]) assert.equal(existsSync(join(dir, out, "step-000002.json")), false);
  });

  test("refuses to overwrite the checkpoint's own folder, in one line and with no new file", () => {
    const folder = join(run, "checkpoints");
    const files = readdirSync(folder).sort();
    const result = runDime(["recalibrate", "--checkpoint", run, "--data", data, "--out", folder, "--threads", "1"]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /is the folder of .*step-000002\.safetensors, whose step it would overwrite: give another --out folder/);
    assert.deepEqual(readdirSync(folder).sort(), files);
  });

  test("a missing checkpoint or data folder gives one line naming it", () => {
    const missing = runDime(["recalibrate", "--checkpoint", join(dir, "nope"), "--data", data, "--out", join(dir, "o1")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr.trim(), /^dime recalibrate: .*nope: no such file or folder/);
    const noData = runDime(["recalibrate", "--checkpoint", run, "--data", join(dir, "nodata"), "--out", join(dir, "o2")]);
    assert.equal(noData.status, 1);
    assert.match(noData.stderr.trim(), /^dime recalibrate: .*nodata: no such folder/);
    assert.equal(existsSync(join(dir, "o2", "step-000002.json")), false);
  });

  test("a batch larger than the training split stops with one line instead of waiting forever", () => {
    const result = runDime([
      "recalibrate",
      "--checkpoint",
      run,
      "--data",
      data,
      "--out",
      join(dir, "o3"),
      "--batch-size",
      "1000",
      "--threads",
      "1",
    ]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr.trim(),
      /^dime recalibrate: .*\/train: \d+ videos make no whole batch of 1000: lower --batch-size or add videos$/,
    );
    assert.equal(existsSync(join(dir, "o3", "step-000002.json")), false);
  });
});
