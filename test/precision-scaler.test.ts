// Dynamic loss scaling (src/optim/grad_scaler.ts): unscaling, skipping a step whose gradients
// overflowed, backing off and growing the scale, its state round trip, and an exact resume of a
// training run with scaler state (fp32 numbers on the CPU, an overflow forced by a huge scale).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { GradScaler, SGD } from "../src/optim/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { latestCheckpoint } from "../src/checkpoint/index.js";
import { readLog, train, SILENT_PROGRESS, type StepRecord, type TrainOptions } from "../src/train/index.js";
import { runDime } from "./helpers/cli.js";
import { SLOW } from "./helpers/tier.js";
import { tinyDataset, tinyTrainConfig } from "./helpers/train-fixtures.js";

/** One SGD step (lr 1) on p = [1, 2] with loss sum(p * [3, 4]) through the scaler; `poison` sets an Inf gradient. */
function scaledStep(scaler: GradScaler, p: torch.Tensor, optimizer: SGD, poison = false): boolean {
  return torch.tidy(() => {
    optimizer.zeroGrad();
    scaler.scaleLoss(p.mul(torch.tensor([3, 4])).sum()).backward();
    if (poison) p.setGrad(torch.tensor([Infinity, 1]));
    const stepped = scaler.step(optimizer);
    scaler.update();
    return stepped;
  });
}

test("the scaler unscales exactly, skips an overflowed step and backs off, grows after growthInterval clean steps", () => {
  const p = torch.tensor([1, 2]).requiresGrad_();
  const optimizer = new SGD([p], { lr: 1 });
  const scaler = new GradScaler({ initScale: 1024, growthInterval: 2 });
  assert.equal(scaledStep(scaler, p, optimizer), true);
  assert.deepEqual(p.toArray(), [-2, -2], "the step used the unscaled gradient [3, 4]");
  assert.deepEqual([scaler.scale, scaler.growthTracker], [1024, 1]);
  assert.equal(scaledStep(scaler, p, optimizer, true), false);
  assert.deepEqual(p.toArray(), [-2, -2], "a step with an Inf gradient changes nothing");
  assert.deepEqual([scaler.scale, scaler.growthTracker], [512, 0]);
  scaledStep(scaler, p, optimizer);
  scaledStep(scaler, p, optimizer);
  assert.deepEqual([scaler.scale, scaler.growthTracker], [1024, 0], "two clean steps doubled the scale");
  assert.deepEqual(p.toArray(), [-8, -10]);

  const copy = new GradScaler();
  copy.loadStateDict(structuredClone(scaler.stateDict()));
  assert.deepEqual(copy.stateDict(), scaler.stateDict());
  assert.throws(() => copy.loadStateDict({ ...scaler.stateDict(), scale: Number.NaN }), /finite numbers/);

  const off = new GradScaler({ enabled: false });
  assert.equal(scaledStep(off, p, optimizer), true);
  assert.deepEqual([off.scale, p.toArray()], [1, [-11, -14]], "disabled: the loss and the step as they are");
  optimizer.dispose();
  p.dispose();
});

const dir = mkdtempSync(join(tmpdir(), "dime-precision-scaler-"));
const data = join(dir, "data");
before(() => tinyDataset(data));
after(() => rmSync(dir, { recursive: true, force: true }));

// 2^127 overflows the first step's gradients; the back-off then lands on 2^27, which does not.
const lossScale = { initScale: 2 ** 127, backoffFactor: 2 ** -100, growthInterval: 2 };
const N = 3;
const options = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  config: tinyTrainConfig(),
  data,
  out,
  steps: 2 * N,
  workers: 0,
  threads: 1,
  lossScale,
  ...extra,
});

test("a run with loss scaling resumes exactly: weights, moments and the scaler's state", SLOW, async () => {
  const straightDir = join(dir, "straight");
  await train(options(straightDir), { progress: SILENT_PROGRESS });
  const resumedDir = join(dir, "resumed");
  await train(options(resumedDir), { progress: SILENT_PROGRESS, onStep: (r) => (r.step === N ? "stop" : undefined) });
  await train({ data, out: resumedDir, resume: true, workers: 0 }, { progress: SILENT_PROGRESS });

  const steps = readLog(join(straightDir, "log.jsonl")).filter((r): r is StepRecord => r.event === "step");
  assert.deepEqual(
    steps.map((r) => [r.details.loss_scale, r.details.skipped]),
    [
      [2 ** 127, 1],
      [2 ** 27, 0],
      [2 ** 27, 0],
      [2 ** 28, 0],
      [2 ** 28, 0],
      [2 ** 29, 0],
    ],
    "scale and skipped steps per step",
  );
  const [a, b] = [latestCheckpoint(join(straightDir, "checkpoints"))!, latestCheckpoint(join(resumedDir, "checkpoints"))!];
  assert.deepEqual(b.sidecar.precision, a.sidecar.precision);
  assert.deepEqual(a.sidecar.precision?.scaler, {
    scale: 2 ** 29,
    growth_factor: 2,
    backoff_factor: 2 ** -100,
    growth_interval: 2,
    growth_tracker: 1,
  });
  torch.tidy(() => {
    for (const [x, y] of [
      [a.weightsPath, b.weightsPath],
      [a.optimizerPath, b.optimizerPath],
    ]) {
      const [left, right] = [readSafetensors(x).tensors, readSafetensors(y).tensors];
      const differing = [...left].filter(([name, t]) => !t.equal(right.get(name)!)).map(([name]) => name);
      assert.deepEqual(differing, [], `${x}: tensors that differ from the straight run's`);
    }
  });
});

test("--precision fp16 on the CPU is refused with one line, before anything is written", SLOW, () => {
  const out = join(dir, "fp16");
  const result = runDime(["train", "--config", "configs/synth-faces-64.yaml", "--data", data, "--out", out, "--precision", "fp16"]);
  assert.equal(result.status, 1, result.stderr);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assert.match(result.stderr, /--precision fp16: fp16 needs a CUDA device/);
  assert.equal(existsSync(out), false, "the run folder was made");
  const unknown = runDime([
    "animate",
    "--checkpoint",
    "models/demo",
    "--source",
    "x.png",
    "--driving",
    "x.mp4",
    "-o",
    "x.mp4",
    "--precision",
    "fp8",
  ]);
  assert.equal(unknown.status, 1, unknown.stderr);
  assert.equal(unknown.stderr.trim(), "dime animate: --precision must be fp32, bf16, fp16, auto, got 'fp8'");
});
