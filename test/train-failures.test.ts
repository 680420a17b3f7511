// Training's failure paths and its memory: a NaN loss stops the run naming the step and the term
// and leaves the last good checkpoint; the count of live tensors stays the same from step to step;
// bad options and folders are refused with one line naming them.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { applyOverrides } from "../src/dime/config/file.js";
import { NonFiniteLossError, readLog, train, TrainError, SILENT_PROGRESS, type TrainOptions } from "../src/train/index.js";
import { latestCheckpoint, loadCheckpoint } from "../src/checkpoint/index.js";
import { tinyDataset, tinyTrainConfig, withReadOnlyFolder } from "./helpers/train-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-train-fail-"));
const data = join(dir, "data");
before(() => tinyDataset(data));
after(() => rmSync(dir, { recursive: true, force: true }));

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { config: tinyTrainConfig(), data, out, workers: 0, threads: 1, ...extra };
}

/** Asserts a one-line error of `type` matching `pattern`. */
function oneLine(type: new (...args: never[]) => Error, pattern: RegExp) {
  return (e: Error) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), e.message);
    return true;
  };
}

test("a NaN loss term stops training at its step, naming the term; the last good checkpoint stays and loads", async () => {
  const out = join(dir, "nan");
  await assert.rejects(
    train(options(out), {
      progress: SILENT_PROGRESS,
      lossTerms: (step, losses) => {
        if (step === 5) losses.set("equivariance_value", torch.full([], NaN));
      },
    }),
    oneLine(
      NonFiniteLossError,
      /^step 5: loss term 'equivariance_value' is NaN \(not finite\); training stopped and the last good checkpoint is .*step-000004\.safetensors: /,
    ),
  );
  const folder = join(out, "checkpoints");
  assert.equal(latestCheckpoint(folder)?.step, 4);
  assert.ok(!readdirSync(folder).some((name) => name.startsWith("step-000005")), "no checkpoint of the bad step");
  assert.deepEqual(
    readLog(join(out, "log.jsonl"))
      .filter((r) => r.event === "step")
      .map((r) => r.step),
    [1, 2, 3, 4],
  );
  const { model } = loadCheckpoint(out);
  torch.tidy(() => {
    for (const [name, p] of model.namedParameters()) assert.ok(p.isfinite().all().item(), name);
  });
  model.dispose();
});

test("an Inf loss stops training even before the first checkpoint", async () => {
  await assert.rejects(
    train(options(join(dir, "inf")), {
      progress: SILENT_PROGRESS,
      lossTerms: (_, losses) => losses.set("pixel", torch.full([], Infinity)),
    }),
    oneLine(
      NonFiniteLossError,
      /^step 1: loss term 'pixel' is Infinity \(not finite\); training stopped and no checkpoint was written yet/,
    ),
  );
});

test("the count of live tensors is the same after every step, checkpoint and sample steps included", async () => {
  const counts: number[] = [];
  const native: number[] = [];
  await train(options(join(dir, "memory"), { steps: 8 }), {
    progress: SILENT_PROGRESS,
    onStep: () => {
      counts.push(torch.memory().numTensors);
      native.push(torch.memory().nativeTensors);
    },
  });
  // Adam's moments appear at step 1; from then on nothing accumulates (steps 2, 4, 6 save checkpoints, 4 and 8 samples).
  assert.deepEqual(
    counts,
    counts.map(() => counts[0]),
    `live tensors per step: ${counts.join(", ")}`,
  );
  assert.deepEqual(
    native,
    native.map(() => native[0]),
    `native tensors per step: ${native.join(", ")}`,
  );
});

test("resuming with a config other than the run's names the first differing key", async () => {
  const out = join(dir, "resume-config");
  await train(options(out, { steps: 2 }), { progress: SILENT_PROGRESS });
  const other = applyOverrides(tinyTrainConfig(), { "train_params.lr": 5e-4 });
  await assert.rejects(
    train(options(out, { config: other, configSource: "other.yaml", resume: true, steps: 4 })),
    oneLine(TrainError, /config\.yaml: the run was trained with train_params\.lr=0\.001 but other\.yaml says 0\.0005: leave out --config/),
  );
  await assert.rejects(train(options(out, { resume: true, seed: 7 })), oneLine(TrainError, /the run was started with --seed 0, not 7/));
  // The run-control keys (steps, checkpoint and sample frequency, how many to keep) may change.
  const summary = await train(options(out, { resume: true, steps: 4, checkpointEvery: 1, keep: 1 }), { progress: SILENT_PROGRESS });
  assert.deepEqual([summary.startStep, summary.step], [2, 4]);
  assert.equal(readdirSync(join(out, "checkpoints")).length, 3);
});

test("bad options and folders are refused with one line naming them", async () => {
  await assert.rejects(
    train(options(join(dir, "x"), { steps: 2, epochs: 1 })),
    oneLine(TrainError, /^give --steps or --epochs, not both$/),
  );
  await assert.rejects(
    train(options(join(dir, "x"), { batchSize: 0 })),
    oneLine(TrainError, /^--batch-size must be an integer >= 1, got 0$/),
  );
  await assert.rejects(
    train(options(join(dir, "x"), { batchSize: 9 })),
    oneLine(TrainError, /data\/train: 4 videos make no whole batch of 9: lower --batch-size/),
  );
  await assert.rejects(train(options(join(dir, "x"), { config: undefined })), oneLine(TrainError, /^no config: pass --config FILE/));
  await assert.rejects(
    train(options(join(dir, "never-ran"), { resume: true })),
    oneLine(TrainError, /never-ran: no config\.yaml, so not a dime run folder to resume/),
  );
  assert.ok(!existsSync(join(dir, "x")), "nothing was created for refused runs");
});

test("--epochs counts whole batches of the training split", async () => {
  const summary = await train(options(join(dir, "epochs"), { epochs: 2 }), { progress: SILENT_PROGRESS });
  assert.equal(summary.totalSteps, 4); // 4 videos, batch 2: 2 steps an epoch
});

test("an --out the user cannot write to is refused naming it", async () => {
  const locked = join(dir, "locked");
  mkdirSync(locked);
  await withReadOnlyFolder(locked, dir, () =>
    assert.rejects(
      train(options(join(locked, "run"))),
      oneLine(TrainError, /locked\/run: cannot create the folder \(EACCES\): choose an --out you can write to/),
    ),
  );
});
