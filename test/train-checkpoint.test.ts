// Checkpoints: the last `keep` kept, an interrupted write leaves the previous one loadable (and a
// resume works from it), loadCheckpoint refuses a config describing another model.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { applyOverrides } from "../src/dime/config/file.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { ATOMIC_IO, rotateCheckpoints, type CheckpointIo } from "../src/checkpoint/files.js";
import { train, TrainError, SILENT_PROGRESS, type TrainOptions } from "../src/train/index.js";
import { findCheckpoint, latestCheckpoint, listCheckpoints, loadCheckpoint, CheckpointError } from "../src/checkpoint/index.js";
import { tinyDataset, tinyTrainConfig } from "./helpers/train-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-train-ckpt-"));
const data = join(dir, "data");
const fullRun = join(dir, "full");
before(async () => {
  await tinyDataset(data);
  await train(options(fullRun), { progress: SILENT_PROGRESS }); // 8 steps, a checkpoint every 2, keep 2
});
after(() => rmSync(dir, { recursive: true, force: true }));

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { config: tinyTrainConfig(), data, out, workers: 0, threads: 1, ...extra };
}

test("a run keeps its last keep_checkpoints checkpoints, each three files, and nothing else", () => {
  const folder = join(fullRun, "checkpoints");
  assert.deepEqual(
    listCheckpoints(folder).map((e) => e.step),
    [6, 8],
  );
  assert.deepEqual(readdirSync(folder).sort(), [
    "step-000006.json",
    "step-000006.optimizer.safetensors",
    "step-000006.safetensors",
    "step-000008.json",
    "step-000008.optimizer.safetensors",
    "step-000008.safetensors",
  ]);
  const sidecar = latestCheckpoint(folder)!.sidecar;
  assert.deepEqual(
    [sidecar.step, sidecar.total_steps, sidecar.data, sidecar.run],
    [8, 8, { epoch: 4, position: 0, seed: 0, batch_size: 2 }, { seed: 0, threads: 1, device: "cpu" }],
  );
  assert.deepEqual(sidecar.config, tinyTrainConfig());
});

test("the weights file holds the model's state dict under its names: parameters and batch-norm buffers", () => {
  const { model } = loadCheckpoint(fullRun);
  torch.tidy(() => {
    const saved = readSafetensors(join(fullRun, "checkpoints", "step-000008.safetensors")).tensors;
    const own = model.stateDict();
    assert.deepEqual([...saved.keys()].sort(), [...own.keys()].sort());
    for (const buffer of ["running_mean", "running_var", "num_batches_tracked"])
      assert.ok(
        [...saved.keys()].some((k) => k.endsWith(`.${buffer}`)),
        buffer,
      );
    for (const [name, t] of own) assert.ok(t.equal(saved.get(name)!), name);
  });
  model.dispose();
});

test("loadCheckpoint takes a weights file, a sidecar, a checkpoints folder or a run folder", () => {
  const weights = join(fullRun, "checkpoints", "step-000006.safetensors");
  for (const [path, step] of [
    [weights, 6],
    [weights.replace(".safetensors", ".json"), 6],
    [join(fullRun, "checkpoints"), 8],
    [fullRun, 8],
  ] as const) {
    const loaded = loadCheckpoint(path);
    assert.equal(loaded.step, step, path);
    assert.equal(loaded.model.training, false, "eval mode");
    loaded.model.dispose();
  }
  assert.throws(
    () => loadCheckpoint(join(dir, "nothing-here")),
    (e: Error) => e instanceof CheckpointError && /nothing-here: no such file or folder/.test(e.message),
  );
});

test("a checkpoint from another config is refused naming the key, with what to do", () => {
  const other = applyOverrides(tinyTrainConfig(), { "model_params.common_params.num_kp": 5 });
  assert.throws(
    () => loadCheckpoint(fullRun, { config: other, configSource: "other.yaml" }),
    (e: Error) =>
      e instanceof CheckpointError &&
      /checkpoint was trained with model_params\.common_params\.num_kp=4 but other\.yaml says 5: pass the config saved beside it \(.*full\/config\.yaml\)$/.test(
        e.message,
      ) &&
      !e.message.includes("\n"),
  );
  // The ODE steps and the reference count are inference knobs: a config may change them.
  const knobs = applyOverrides(tinyTrainConfig(), { "model_params.switches.ode.steps": 4, "model_params.switches.num_refs": 3 });
  const loaded = loadCheckpoint(fullRun, { config: knobs });
  assert.deepEqual([loaded.config.model_params.switches.ode.steps, loaded.config.model_params.switches.num_refs], [4, 3]);
  loaded.model.dispose();
  // One-shot use (num_refs 0) of a model trained with references keeps its reference ODE net:
  // the architecture comes from the checkpoint.
  const oneShot = loadCheckpoint(fullRun, { config: applyOverrides(tinyTrainConfig(), { "model_params.switches.num_refs": 0 }) });
  assert.ok(oneShot.model.generator.motion_ode?.f_ref, "f_ref kept");
  assert.equal(oneShot.config.model_params.switches.num_refs, 0);
  oneShot.model.dispose();
});

test("a checkpoint write that fails half way leaves the previous checkpoint loadable, and the run resumes from it", async () => {
  const out = join(dir, "interrupted");
  let writes = 0;
  // The second checkpoint (step 4) dies after its tensor files, before its sidecar: as a kill would,
  // it leaves the tensor files and a half-written temp file behind.
  const failing: CheckpointIo = {
    writeTensors: (path, tensors, metadata) => ATOMIC_IO.writeTensors(path, tensors, metadata),
    writeText(path, text) {
      writes += 1;
      if (writes === 2) {
        writeFileSync(join(path, "..", ".step-000004.json.1234-abcdef.tmp"), text.slice(0, 100));
        throw new Error("simulated crash");
      }
      ATOMIC_IO.writeText(path, text);
    },
  };
  await assert.rejects(
    train(options(out), { progress: SILENT_PROGRESS, checkpointIo: failing }),
    (e: Error) =>
      e instanceof TrainError &&
      /writing the checkpoint of step 4 failed \(simulated crash\); the previous checkpoint .*step-000002\.safetensors is intact$/.test(
        e.message,
      ),
  );
  const folder = join(out, "checkpoints");
  assert.ok(existsSync(join(folder, "step-000004.safetensors")), "the orphaned weights are there");
  assert.deepEqual(
    listCheckpoints(folder).map((e) => e.step),
    [2],
    "but only step 2 counts",
  );
  assert.throws(() => findCheckpoint(join(folder, "step-000004.safetensors")), /no sidecar step-000004\.json beside it/);
  const loaded = loadCheckpoint(out);
  assert.equal(loaded.step, 2);
  loaded.model.dispose();

  const resumed = await train({ data, out, resume: true, workers: 0 }, { progress: SILENT_PROGRESS });
  assert.deepEqual([resumed.startStep, resumed.step], [2, 8]);
  assert.deepEqual(
    readdirSync(folder).filter((n) => n.endsWith(".json")),
    ["step-000006.json", "step-000008.json"],
    "the leftovers were cleaned up",
  );
  assert.ok(!readdirSync(folder).some((n) => n.endsWith(".tmp")));
});

test("a checkpoint whose weights file was cut short does not count: the one before is the latest", () => {
  const folder = join(dir, "damaged");
  cpSync(join(fullRun, "checkpoints"), folder, { recursive: true });
  const weights = join(folder, "step-000008.safetensors");
  truncateSync(weights, 1000);
  assert.equal(latestCheckpoint(folder)?.step, 6);
  assert.throws(
    () => loadCheckpoint(weights),
    /step-000008\.safetensors: 1000 bytes, its sidecar recorded \d+: the file was cut short or replaced; use an earlier checkpoint/,
  );
  rotateCheckpoints(folder, 1);
  assert.deepEqual(readdirSync(folder).sort(), ["step-000006.json", "step-000006.optimizer.safetensors", "step-000006.safetensors"]);
});
