// `dime train` from the command line: Ctrl-C writes a checkpoint that loads and exits with 130;
// a run writes config.yaml, log.jsonl, samples and checkpoints; bad inputs give one line naming
// the path and a non-zero exit.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { configToYaml, loadConfig } from "../src/dime/config/file.js";
import { readLog } from "../src/train/index.js";
import { latestCheckpoint, loadCheckpoint } from "../src/checkpoint/index.js";
import { signalWhen } from "./helpers/child.js";
import { runDime, startDime, tinyDataset, tinyTrainConfig, trainArgs } from "./helpers/train-fixtures.js";
import { SLOW } from "./helpers/tier.js";

const dir = mkdtempSync(join(tmpdir(), "dime-train-cli-"));
const data = join(dir, "data");
const config = join(dir, "tiny.yaml");
before(async () => {
  await tinyDataset(data);
  writeFileSync(config, configToYaml(tinyTrainConfig()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("Ctrl-C writes a checkpoint of the last step, which loads, and exits with 130", SLOW, async () => {
  const out = join(dir, "interrupted");
  const child = startDime(trainArgs(config, data, out, 100_000, ["--checkpoint-every", "100000"]));
  const { code, stderr, stdout } = await signalWhen(child, (s) => /step 1\/100000/.test(s), "SIGINT", { timeoutMs: 60_000 });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /Ctrl-C: stopping after this step and writing a checkpoint/);
  assert.match(stderr, /stopped at step \d+\/100000; resume with --resume/);
  assert.match(stdout, /interrupted at step \d+\/100000 .*checkpoint .*step-\d{6}\.safetensors/);
  const latest = latestCheckpoint(join(out, "checkpoints"));
  assert.ok(latest && latest.step >= 1, "a checkpoint exists");
  const loaded = loadCheckpoint(out);
  assert.equal(loaded.step, latest.step);
  loaded.model.dispose();
  const records = readLog(join(out, "log.jsonl"));
  assert.deepEqual(records.at(-1), { ...records.at(-1), event: "stop", step: latest.step, reason: "interrupted" });
});

test("a run writes its config, a JSONL log of every loss term, sample pictures and the last checkpoints", SLOW, () => {
  const out = join(dir, "run");
  const run = runDime(trainArgs(config, data, out, 4, ["--sample-every", "2", "--keep", "1"]));
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /^training .*run: 4 steps, batch 2, 2 batches per epoch, \d+ parameters, cpu, 1 threads, seed 0$/m);
  assert.match(run.stderr, /^reconstruction loss: pixel/m);
  assert.match(run.stderr, /^step 4\/4 100% \| [\d.]+ step\/s \| ETA 0s \| loss [\d.]+ pixel [\d.]+ equivariance_value [\d.]+$/m);
  const saved = loadConfig(join(out, "config.yaml"));
  assert.deepEqual(saved.train_params, { ...tinyTrainConfig().train_params, num_steps: 4, sample_freq: 2, keep_checkpoints: 1 });
  const steps = readLog(join(out, "log.jsonl")).filter((r) => r.event === "step");
  assert.deepEqual(
    steps.map((r) => r.step),
    [1, 2, 3, 4],
  );
  for (const r of steps) {
    assert.deepEqual(Object.keys(r.loss), ["total", "pixel", "equivariance_value"]);
    assert.deepEqual(Object.keys(r.details), ["scale_1.l1", "scale_1.one_minus_ssim", "scale_0.5.l1", "scale_0.5.one_minus_ssim"]);
    assert.ok(r.seconds > 0 && r.step_seconds > 0);
  }
  // x0.1 at 60% of 4 steps (after step 2) and at 90% (after step 4, so unseen).
  assert.deepEqual(
    steps.map((r) => Number(r.lr.toPrecision(6))),
    [1e-3, 1e-3, 1e-4, 1e-4],
  );
  assert.deepEqual(readdirSync(join(out, "samples")), ["step-000002.png", "step-000004.png"]);
  assert.deepEqual(readdirSync(join(out, "checkpoints")).sort(), [
    "step-000004.json",
    "step-000004.optimizer.safetensors",
    "step-000004.safetensors",
  ]);
});

test("bad inputs give one line naming the path and exit 1", SLOW, () => {
  const emptySplit = join(dir, "empty");
  mkdirSync(join(emptySplit, "train"), { recursive: true });
  const notAFolder = join(config, "run");
  const cases: [string, string[], RegExp][] = [
    ["missing data folder", ["--config", config, "--data", join(dir, "nope")], /nope: no such folder: --data takes a dataset folder/],
    ["empty split", ["--config", config, "--data", emptySplit], /empty\/train: holds no videos/],
    ["missing config", ["--config", join(dir, "missing.yaml"), "--data", data], /missing\.yaml: cannot read the config \(no such file\)/],
    [
      "unwritable --out",
      ["--config", config, "--data", data, "--out", notAFolder],
      /tiny\.yaml\/run: cannot create the folder \(ENOTDIR\): choose an --out you can write to/,
    ],
    ["bad flag value", ["--config", config, "--data", data, "--steps", "two"], /--steps: expected an integer, got 'two'/],
  ];
  for (const [what, args, pattern] of cases) {
    const argv = args.includes("--out") ? args : [...args, "--out", join(dir, "never")];
    const run = runDime(["train", ...argv]);
    assert.equal(run.status, 1, `${what}: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${what}: ${run.stderr}`);
    assert.match(lines[0], /^dime train: /, what);
    assert.match(lines[0], pattern, what);
  }
  assert.ok(!existsSync(join(dir, "never")), "no run folder was made");
});
