// `dime train --init`: a new run that starts from a checkpoint's weights, with a fresh optimizer,
// schedule, step count and data order; the checkpoint it came from is recorded and kept across
// resumes; a checkpoint of another model is refused in one line.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { applyOverrides } from "../src/dime/config/file.js";
import { train, SILENT_PROGRESS, TrainError, type TrainOptions } from "../src/train/index.js";
import { findCheckpoint, latestCheckpoint } from "../src/checkpoint/index.js";
import { tinyDataset, tinyTrainConfig } from "./helpers/train-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-train-init-"));
const data = join(dir, "data");
const first = join(dir, "first");
before(async () => {
  await tinyDataset(data);
  await train(options(first, { steps: 2 }), { progress: SILENT_PROGRESS });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { config: tinyTrainConfig(), data, out, steps: 2, workers: 0, threads: 1, ...extra };
}

/** The checkpoint's parameters (not the batch-norm statistics, which a train-mode step updates). */
function parameters(path: string): Map<string, Float32Array> {
  return torch.tidy(() => {
    const tensors = [...readSafetensors(path).tensors].filter(([name]) => !/running_(mean|var)|num_batches_tracked/.test(name));
    return new Map(tensors.map(([name, t]) => [name, t.data() as Float32Array]));
  });
}

/** The tiny config with a learning rate of 1e-30: a step moves no parameter by more than about that. */
function frozen(): TrainOptions["config"] {
  return applyOverrides(tinyTrainConfig(), { "train_params.lr": 1e-30 }, "test");
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  return a.reduce((largest, v, i) => Math.max(largest, Math.abs(v - b[i])), 0);
}

test("--init starts from the checkpoint's parameters, with a fresh step count and schedule, and records where it came from", async () => {
  const source = latestCheckpoint(join(first, "checkpoints"))!;
  assert.equal(source.step, 2);
  const out = join(dir, "init");
  const run = await train(options(out, { config: frozen(), init: first, seed: 7, steps: 1 }), { progress: SILENT_PROGRESS });
  assert.deepEqual([run.startStep, run.step, run.stopped], [0, 1, "finished"]);

  const started = latestCheckpoint(join(out, "checkpoints"))!;
  assert.equal(started.step, 1, "the step count starts afresh");
  assert.deepEqual(started.sidecar.run.init, { checkpoint: source.weightsPath, step: 2 });
  assert.equal(started.sidecar.scheduler.lastEpoch, 1, "the schedule starts afresh");
  const [before, now] = [parameters(source.weightsPath), parameters(started.weightsPath)];
  assert.ok(before.size > 50, `${before.size} parameters`);
  for (const [name, values] of before) assert.ok(largestDifference(now.get(name)!, values) < 1e-20, `${name} is the checkpoint's`);

  // The same run without --init starts from seed 7's random initialisation instead.
  const fresh = join(dir, "fresh");
  await train(options(fresh, { config: frozen(), seed: 7, steps: 1 }), { progress: SILENT_PROGRESS });
  const random = parameters(latestCheckpoint(join(fresh, "checkpoints"))!.weightsPath);
  const differing = [...before].filter(([name, values]) => largestDifference(random.get(name)!, values) > 1e-3);
  assert.ok(differing.length > 20, `${differing.length} parameters differ from a random start`);
});

test("a resumed --init run keeps the record of its starting checkpoint", async () => {
  const out = join(dir, "init-resumed");
  const stopped = await train(options(out, { init: first, steps: 2 }), {
    progress: SILENT_PROGRESS,
    onStep: (r) => (r.step === 1 ? "stop" : undefined),
  });
  assert.equal(stopped.stopped, "interrupted");
  const resumed = await train({ data, out, resume: true, workers: 0 }, { progress: SILENT_PROGRESS });
  assert.deepEqual([resumed.startStep, resumed.step], [1, 2]);
  const last = latestCheckpoint(join(out, "checkpoints"))!;
  assert.equal(last.sidecar.run.init?.step, 2);
  assert.match(last.sidecar.run.init!.checkpoint, /first\/checkpoints\/step-000002\.safetensors$/);
});

test("--lr sets the run's learning rate: with --init at 1e-30 the parameters stay the checkpoint's, and a resume must keep it", async () => {
  const source = latestCheckpoint(join(first, "checkpoints"))!;
  const out = join(dir, "lr");
  const stopped = await train(options(out, { init: first, lr: 1e-30 }), {
    progress: SILENT_PROGRESS,
    onStep: (r) => (r.step === 1 ? "stop" : undefined),
  });
  assert.equal(stopped.step, 1);
  const started = latestCheckpoint(join(out, "checkpoints"))!;
  assert.equal(started.sidecar.config.train_params.lr, 1e-30);
  assert.equal(tinyTrainConfig().train_params.lr > 1e-6, true, "the config's own rate would move the parameters");
  const [before, now] = [parameters(source.weightsPath), parameters(started.weightsPath)];
  for (const [name, values] of before) assert.ok(largestDifference(now.get(name)!, values) < 1e-20, `${name} is the checkpoint's`);

  await assert.rejects(train({ data, out, resume: true, workers: 0, lr: 1e-3 }, { progress: SILENT_PROGRESS }), (error: Error) => {
    assert.ok(error instanceof TrainError || error.constructor.name === "ConfigError", `${error.constructor.name}: ${error.message}`);
    assert.match(error.message, /train_params\.lr/);
    return true;
  });
  const resumed = await train({ data, out, resume: true, workers: 0, lr: 1e-30 }, { progress: SILENT_PROGRESS });
  assert.deepEqual([resumed.startStep, resumed.step], [1, 2]);
  for (const lr of [0, -1e-4, Number.NaN]) {
    await assert.rejects(
      train(options(join(dir, "lr-bad"), { lr }), { progress: SILENT_PROGRESS }),
      /^TrainError: --lr must be a number > 0/,
    );
  }
  assert.equal(existsSync(join(dir, "lr-bad")), false);
});

test("--init may change the number of references, as inference may", async () => {
  const config = applyOverrides(tinyTrainConfig(), { "model_params.switches.num_refs": 2 }, "test");
  const run = await train(options(join(dir, "two-refs"), { config, init: first, steps: 1 }), { progress: SILENT_PROGRESS });
  assert.equal(run.stopped, "finished");
});

test("a checkpoint written before a config key existed reads as having the key's default, so --init accepts it", async () => {
  const source = latestCheckpoint(join(first, "checkpoints"))!;
  const old = join(dir, "old");
  mkdirSync(old);
  copyFileSync(source.weightsPath, join(old, basename(source.weightsPath)));
  const sidecar = JSON.parse(readFileSync(source.sidecarPath, "utf8"));
  assert.equal(sidecar.config.model_params.switches.aligned_resize, true);
  delete sidecar.config.model_params.switches.aligned_resize; // as in checkpoints from before the switch
  writeFileSync(join(old, basename(source.sidecarPath)), JSON.stringify(sidecar));

  assert.equal(findCheckpoint(old).sidecar.config.model_params.switches.aligned_resize, true);
  const run = await train(options(join(dir, "from-old"), { init: old, steps: 1 }), { progress: SILENT_PROGRESS });
  assert.equal(run.stopped, "finished");
});

test("--init refuses, in one line, a checkpoint of another model, a missing one, and --resume", async () => {
  const otherModel = applyOverrides(tinyTrainConfig(), { "model_params.common_params.num_kp": 3 }, "test");
  const cases: [Partial<TrainOptions>, RegExp][] = [
    [
      { config: otherModel, init: first },
      /^--init .*step-000002\.safetensors: checkpoint was trained with model_params\.common_params\.num_kp=\d+ but the given config says 3/,
    ],
    [{ init: join(dir, "nowhere") }, /^--init .*nowhere: no such file or folder/],
    [
      { config: applyOverrides(tinyTrainConfig(), { "model_params.switches.num_refs": 0 }, "test"), init: first },
      /^--init .*step-000002\.safetensors: checkpoint was trained with switches\.num_refs=1 but the given config says 0/,
    ],
    [{ init: first, resume: true }, /^give --init or --resume, not both/],
  ];
  for (const [extra, message] of cases) {
    const out = join(dir, `refused-${cases.findIndex(([e]) => e === extra)}`);
    await assert.rejects(train(options(out, extra), { progress: SILENT_PROGRESS }), (error: Error) => {
      assert.ok(error instanceof TrainError, `${error.constructor.name}: ${error.message}`);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    if (!extra.resume) assert.equal(existsSync(out), false, `${out}: a refused --init makes no run folder`);
  }
});
