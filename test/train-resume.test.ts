// Resuming is exact: a run stopped at step N and resumed gives, at step 2N, the same parameters,
// optimizer state and losses bit for bit as the run that never stopped (data order, Adam, the
// learning-rate schedule, both random generators and batch-norm statistics all restored).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { DataLoader } from "../src/data/loader.js";
import { readLog, train, SILENT_PROGRESS, type StepRecord, type TrainOptions } from "../src/train/index.js";
import { latestCheckpoint } from "../src/checkpoint/index.js";
import { tinyDataset, tinyTrainConfig } from "./helpers/train-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-train-resume-"));
const data = join(dir, "data");
before(() => tinyDataset(data));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 3;

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { config: tinyTrainConfig(), data, out, steps: 2 * N, workers: 0, threads: 1, ...extra };
}

/** Every tensor of two safetensors files equal, bit for bit; returns how many were compared. */
function assertSameTensors(a: string, b: string): number {
  return torch.tidy(() => {
    const [left, right] = [readSafetensors(a).tensors, readSafetensors(b).tensors];
    assert.deepEqual([...left.keys()].sort(), [...right.keys()].sort());
    const differing = [...left]
      .filter(([name, t]) => !t.equal(right.get(name)!))
      .map(([name, t]) => `${name}: largest difference ${t.sub(right.get(name)!).abs().amax().item()}`);
    assert.deepEqual(differing, [], "tensors that differ");
    return left.size;
  });
}

test(`training ${2 * N} steps straight equals ${N} steps, a stop and a resume for ${N} more, bit for bit`, async () => {
  const straightDir = join(dir, "straight");
  const straight = await train(options(straightDir), { progress: SILENT_PROGRESS });
  assert.equal(straight.stopped, "finished");

  const resumedDir = join(dir, "resumed");
  const first = await train(options(resumedDir), { progress: SILENT_PROGRESS, onStep: (r) => (r.step === N ? "stop" : undefined) });
  assert.deepEqual([first.stopped, first.step], ["interrupted", N]);
  assert.equal(latestCheckpoint(join(resumedDir, "checkpoints"))?.step, N, "the stop wrote a checkpoint of its step");
  // The resumed session needs no config: the run's saved one is used.
  const second = await train({ data, out: resumedDir, resume: true, workers: 0 }, { progress: SILENT_PROGRESS });
  assert.deepEqual([second.startStep, second.step, second.stopped], [N, 2 * N, "finished"]);

  const [a, b] = [latestCheckpoint(join(straightDir, "checkpoints"))!, latestCheckpoint(join(resumedDir, "checkpoints"))!];
  assert.equal(a.step, 2 * N);
  assert.equal(b.step, 2 * N);
  const weights = assertSameTensors(a.weightsPath, b.weightsPath);
  const moments = assertSameTensors(a.optimizerPath, b.optimizerPath);
  assert.ok(weights > 100 && moments > 100, `${weights} weights, ${moments} optimizer tensors compared`);
  assert.deepEqual(b.sidecar.rng, a.sidecar.rng);
  assert.deepEqual(b.sidecar.scheduler, a.sidecar.scheduler);
  assert.deepEqual(b.sidecar.data, a.sidecar.data);

  // The log of the resumed run has each step once, with the losses and learning rates of the straight run.
  const steps = (path: string) => readLog(join(path, "log.jsonl")).filter((r): r is StepRecord => r.event === "step");
  const [straightSteps, resumedSteps] = [steps(straightDir), steps(resumedDir)];
  assert.deepEqual(
    resumedSteps.map((r) => r.step),
    [1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(
    resumedSteps.map((r) => [r.loss, r.details, r.lr, r.epoch]),
    straightSteps.map((r) => [r.loss, r.details, r.lr, r.epoch]),
  );
  // The schedule dropped the rate at 60% (step 4) and 90% (step 5) of the 6 steps, after the resume.
  assert.deepEqual(
    resumedSteps.map((r) => Number(r.lr.toPrecision(6))),
    [1e-3, 1e-3, 1e-3, 1e-3, 1e-4, 1e-5],
  );
});

test("a resume drops log records of steps after its checkpoint, so a crash between checkpoints logs no step twice", async () => {
  const out = join(dir, "crash");
  // Stop at step 3 without the checkpoint a stop writes: as a crash would, the log then runs past the last checkpoint (step 2).
  await assert.rejects(
    train(options(out), {
      progress: SILENT_PROGRESS,
      onStep: (r) => {
        if (r.step === 3) throw new Error("simulated crash");
      },
    }),
    /simulated crash/,
  );
  assert.equal(latestCheckpoint(join(out, "checkpoints"))?.step, 2);
  assert.ok(readLog(join(out, "log.jsonl")).some((r) => r.event === "step" && r.step === 3));
  await train({ data, out, resume: true, workers: 0 }, { progress: SILENT_PROGRESS });
  const steps = readLog(join(out, "log.jsonl"))
    .filter((r) => r.event === "step")
    .map((r) => r.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
});

test("DataLoader.epoch(e, start) yields the batches of the whole epoch from item `start` on", async () => {
  const loader = await DataLoader.open(data, { size: 32, numRefs: 1, seed: 4, batchSize: 2, workers: 0, repeats: 3 });
  try {
    const collect = async (start?: number) => {
      const frames: number[][][] = [];
      for await (const batch of loader.epoch(1, start)) frames.push(batch.frames);
      return frames;
    };
    const whole = await collect();
    assert.equal(whole.length, 6); // 4 videos x 3 repeats / batch 2
    assert.deepEqual(await collect(4), whole.slice(2));
    assert.deepEqual(await collect(loader.epochLength), []);
    await assert.rejects(collect(-1), /start must be an integer in 0\.\.12/);
  } finally {
    await loader.close();
  }
});
