// Adversarial training (FOMM's discriminator and LSGAN terms) in the training loop: the terms are
// logged and drawn, the discriminator, its Adam and its schedule are in the checkpoint and resume
// bit for bit, --init starts the discriminator from a checkpoint that has one, and configs that
// cannot work are refused in one line.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { applyOverrides, parseConfig } from "../src/dime/config/file.js";
import { DEFAULT_CONFIG, type DimeConfig } from "../src/dime/config/schema.js";
import { readLog, train, SILENT_PROGRESS, type StepRecord, type TrainOptions } from "../src/train/index.js";
import { latestCheckpoint } from "../src/checkpoint/index.js";
import { tinyDataset, tinyTrainConfig } from "./helpers/train-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-train-adversarial-"));
const data = join(dir, "data");
before(() => tinyDataset(data));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The tiny config with the adversarial terms on: 32 px frames leave room for 3 discriminator blocks. */
function adversarialConfig(overrides: Record<string, string | number | boolean> = {}): DimeConfig {
  return applyOverrides(
    tinyTrainConfig(),
    {
      "model_params.discriminator_params.num_blocks": 3,
      "model_params.discriminator_params.block_expansion": 4,
      "model_params.discriminator_params.max_features": 16,
      "model_params.discriminator_params.use_kp": true,
      "train_params.loss_weights.generator_gan": 1,
      "train_params.loss_weights.feature_matching": "[10, 10, 10]",
      "train_params.lr_discriminator": 5e-4,
      ...overrides,
    },
    "test",
  );
}

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { config: adversarialConfig(), data, out, steps: 4, workers: 0, threads: 1, ...extra };
}

function assertSameTensors(a: string, b: string): number {
  return torch.tidy(() => {
    const [left, right] = [readSafetensors(a).tensors, readSafetensors(b).tensors];
    assert.deepEqual([...left.keys()].sort(), [...right.keys()].sort());
    const differing = [...left].filter(([name, t]) => !t.equal(right.get(name)!)).map(([name]) => name);
    assert.deepEqual(differing, [], "tensors that differ");
    return left.size;
  });
}

const steps = (run: string) => readLog(join(run, "log.jsonl")).filter((r): r is StepRecord => r.event === "step");

test("4 adversarial steps straight equal 2, a stop and a resume, bit for bit, discriminator included", async () => {
  const straight = join(dir, "straight");
  await train(options(straight), { progress: SILENT_PROGRESS });
  const resumed = join(dir, "resumed");
  await train(options(resumed), { progress: SILENT_PROGRESS, onStep: (r) => (r.step === 2 ? "stop" : undefined) });
  await train({ data, out: resumed, resume: true, workers: 0 }, { progress: SILENT_PROGRESS });

  const [a, b] = [latestCheckpoint(join(straight, "checkpoints"))!, latestCheckpoint(join(resumed, "checkpoints"))!];
  assert.equal(b.step, 4);
  assertSameTensors(a.weightsPath, b.weightsPath);
  const optimizerTensors = assertSameTensors(a.optimizerPath, b.optimizerPath);
  const discriminatorFile = (e: typeof a) => join(dirname(e.sidecarPath), e.sidecar.files.discriminator!.name);
  const discriminatorTensors = assertSameTensors(discriminatorFile(a), discriminatorFile(b));
  // 3 blocks: 3 convs (+ the 1x1) with bias, weight_orig, u, v; 2 instance norms with weight, bias.
  assert.equal(discriminatorTensors, 4 * 4 + 2 * 2);
  const keys = [...readSafetensors(a.optimizerPath).tensors.keys()];
  assert.ok(
    keys.some((k) => k.startsWith("discriminator.")) && keys.some((k) => !k.startsWith("discriminator.")),
    `${optimizerTensors} optimizer tensors`,
  );
  assert.deepEqual(b.sidecar.discriminator, a.sidecar.discriminator);
  // Its own rate (5e-4), on the generator's schedule (1e-3, dropped twice by the end of 4 steps).
  const [generatorLr, discriminatorLr] = [
    a.sidecar.optimizer.paramGroups[0].lr,
    a.sidecar.discriminator!.optimizer.paramGroups[0].lr,
  ] as number[];
  assert.ok(Math.abs(generatorLr - 1e-5) < 1e-12 && Math.abs(discriminatorLr - 5e-6) < 1e-12, `${generatorLr}, ${discriminatorLr}`);

  const [s, r] = [steps(straight), steps(resumed)];
  assert.deepEqual(
    r.map((x) => x.loss),
    s.map((x) => x.loss),
  );
  for (const record of s) {
    for (const term of ["total", "pixel", "gen_gan", "feature_matching", "disc_gan", "equivariance_value"])
      assert.ok(Number.isFinite(record.loss[term]), `step ${record.step} logs ${term}`);
    // total is the generator's loss: the discriminator's is logged beside it, not added.
    const generator = record.loss.pixel + record.loss.gen_gan + record.loss.feature_matching + record.loss.equivariance_value;
    assert.ok(
      Math.abs(record.loss.total - generator) < 1e-4 * generator,
      `step ${record.step}: total ${record.loss.total} vs ${generator}`,
    );
  }
  // The sample of step 4 (sample_freq 4) is drawn with the discriminator's two score columns.
  const samples = readdirSync(join(straight, "samples"));
  assert.deepEqual(samples, ["step-000004.png"]);
});

test("a run without the adversarial terms writes no discriminator", async () => {
  const out = join(dir, "plain");
  await train({ ...options(out), config: tinyTrainConfig(), steps: 1 }, { progress: SILENT_PROGRESS });
  const last = latestCheckpoint(join(out, "checkpoints"))!;
  assert.equal(last.sidecar.files.discriminator, undefined);
  assert.equal(last.sidecar.discriminator, undefined);
  assert.ok(!steps(out)[0].loss.gen_gan);
});

test("--init starts the discriminator from the checkpoint's, or from scratch when it has none", async () => {
  const source = join(dir, "straight");
  const from = latestCheckpoint(join(source, "checkpoints"))!;
  const notes: string[] = [];
  const progress = { ...SILENT_PROGRESS, note: (line: string) => notes.push(line) };
  const out = join(dir, "init");
  await train(options(out, { init: source, steps: 1, config: adversarialConfig({ "train_params.lr_discriminator": 1e-30 }) }), {
    progress,
  });
  assert.ok(
    notes.some((n) => n.startsWith("note: the discriminator starts from ")),
    notes.join("\n"),
  );
  assert.ok(
    notes.some((n) => n.startsWith("adversarial terms on")),
    notes.join("\n"),
  );
  const started = latestCheckpoint(join(out, "checkpoints"))!;
  torch.tidy(() => {
    const before = readSafetensors(join(dirname(from.sidecarPath), from.sidecar.files.discriminator!.name)).tensors;
    const now = readSafetensors(join(dirname(started.sidecarPath), started.sidecar.files.discriminator!.name)).tensors;
    for (const [name, t] of before)
      if (!/weight_[uv]$/.test(name)) assert.ok(t.sub(now.get(name)!).abs().amax().item() < 1e-20, `${name} is the checkpoint's`);
  });

  notes.length = 0;
  await train(options(join(dir, "init-plain"), { init: join(dir, "plain"), steps: 1 }), { progress });
  assert.ok(
    notes.some((n) => /has no discriminator: the discriminator starts from scratch/.test(n)),
    notes.join("\n"),
  );
});

test("--init refuses a discriminator of other widths in one line", async () => {
  const config = adversarialConfig({ "model_params.discriminator_params.block_expansion": 8 });
  await assert.rejects(
    train(options(join(dir, "init-wide"), { init: join(dir, "straight"), steps: 1, config })),
    (error: Error) =>
      /--init .*discriminator\.safetensors: the discriminator does not fit model_params\.discriminator_params/.test(error.message) &&
      !error.message.includes("\n"),
  );
});

test("configs the adversarial terms cannot use are refused, naming the key", () => {
  const base = { ...DEFAULT_CONFIG, dataset_params: { ...DEFAULT_CONFIG.dataset_params, frame_shape: [32, 32, 3] } };
  const gan = (loss: object, disc: object = {}) =>
    parseConfig(
      {
        dataset_params: base.dataset_params,
        model_params: {
          ...tinyTrainConfig().model_params,
          discriminator_params: { ...DEFAULT_CONFIG.model_params.discriminator_params, ...disc },
        },
        train_params: {
          ...tinyTrainConfig().train_params,
          loss_weights: { ...DEFAULT_CONFIG.train_params.loss_weights, generator_gan: 1, ...loss },
        },
      },
      "x.yaml",
    );
  assert.throws(
    () => gan({}, { num_blocks: 3 }),
    /x\.yaml: train_params\.loss_weights\.feature_matching: 4 weights for a discriminator of 3 blocks/,
  );
  assert.throws(
    () => gan({}),
    /model_params\.discriminator_params\.scales\[0\]: scale 1 gives 32x32 images, too small for 4 discriminator blocks/,
  );
  assert.throws(
    () => gan({ feature_matching: [10, 10, 10] }, { num_blocks: 3, scales: [0.3] }),
    /discriminator_params\.scales\[0\]: expected a scale 1\/n/,
  );
  // With generator_gan 0 (the default) the discriminator's settings are not checked against the frame.
  assert.doesNotThrow(() => gan({ generator_gan: 0 }));
  assert.ok(existsSync(dir));
});
