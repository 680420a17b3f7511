// DiME from a FOMM start: an imported FOMM (../shared/golden/checkpoints) loaded into a DiME with
// refine, identity_flow and a reference switched on starts out as exactly that FOMM (its DiME parts
// are no-ops), and `dime train --init IMPORTED` with such a config starts from it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DEFAULT_CONFIG, type DimeConfig } from "../src/dime/config/schema.js";
import { parseConfig } from "../src/dime/config/file.js";
import { DiME } from "../src/dime/dime.js";
import { startFromFomm } from "../src/dime/fomm-start.js";
import { importToRun } from "../src/train/import-run.js";
import { train, SILENT_PROGRESS } from "../src/train/index.js";
import { latestCheckpoint } from "../src/checkpoint/index.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { generateDataset } from "../src/synth/generate.js";
import { GOLDEN_DIR, NO_GOLDEN, loadGolden } from "./helpers/golden.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dime-fomm-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** FOMM's tiny golden model at 64 px, trained (here: one step) with the pixel loss. */
function fommConfig(dime = false): DimeConfig {
  const model = fommTinyParams();
  if (dime) Object.assign(model.switches, { refine: true, identity_flow: true, num_refs: 1 });
  return parseConfig(
    {
      dataset_params: { frame_shape: [64, 64, 3] },
      model_params: model,
      train_params: { ...DEFAULT_CONFIG.train_params, batch_size: 2, perceptual: "pixel", scales: [1, 0.5], lr: 1e-30 },
    },
    dime ? "dime-on-fomm.yaml" : "fomm-tiny.yaml",
  );
}

function maxDiff(a: Tensor, b: Tensor): number {
  return torch.tidy(() => a.sub(b).abs().amax().item() as number);
}

describe("DiME from a FOMM start", { skip: NO_GOLDEN }, () => {
  const imported = join(dir, "fomm");
  const data = join(dir, "data");
  before(async () => {
    importToRun(join(GOLDEN_DIR, "checkpoints", "fomm-tiny-legacy.pth.tar"), fommConfig(), imported);
    await generateDataset({ kind: "faces", out: data, videos: 4, frames: 5, size: 64, seed: 16, testFraction: 0.25, samples: 1 });
  });

  test("the DiME parts start as no-ops: with the source alone the model is the imported FOMM", () => {
    const weights = loadGolden("fomm-tiny-weights.safetensors");
    const golden = loadGolden("fomm-tiny-eval.safetensors");
    const fomm = new DiME(fommConfig().model_params);
    const dime = new DiME(fommConfig(true).model_params);
    try {
      fomm.loadStateDict(weights);
      startFromFomm(dime, weights);
      fomm.eval();
      dime.eval();
      torch.tidy(() => {
        const [source, driving] = [golden.get("input.source")!, golden.get("input.driving")!];
        const a = torch.inferenceMode(() => fomm.forward(source, driving));
        const b = torch.inferenceMode(() => dime.forward(source, driving));
        assert.ok(b.selfFlow && b.refinedFlow, "the DiME parts ran");
        assert.ok(maxDiff(a.prediction, b.prediction) < 1e-5, `prediction differs by ${maxDiff(a.prediction, b.prediction)}`);
        assert.ok(maxDiff(b.prediction, golden.get("generator.prediction")!) < 1e-4);
        assert.ok(maxDiff(a.coarseFlow, b.refinedFlow) < 1e-6, "the MotionODE leaves the coarse flow");
        // With a reference, the fusion of views (eq. 11) acts from the first step.
        const withRef = torch.inferenceMode(() => dime.forward(source, driving, [driving]));
        assert.deepEqual(withRef.prediction.shape, a.prediction.shape);
      });
      const g = dime.generator;
      for (const conv of [g.motion_ode!.f0.final, g.motion_ode!.f_ref!.final, g.self_flow!.final])
        assert.equal(maxDiff(conv.weight, torch.zerosLike(conv.weight)), 0);
    } finally {
      fomm.dispose();
      dime.dispose();
      torch.dispose([weights, golden]);
    }
  });

  test("dime train --init IMPORTED with refine, identity_flow and references on starts from the FOMM", async () => {
    const out = join(dir, "dime");
    const run = await train(
      { config: fommConfig(true), configSource: "dime-on-fomm.yaml", data, out, init: imported, steps: 1, workers: 0, threads: 1 },
      { progress: SILENT_PROGRESS },
    );
    assert.equal(run.stopped, "finished");
    const trained = torch.keep(readSafetensors(latestCheckpoint(join(out, "checkpoints"))!.weightsPath).tensors);
    const weights = loadGolden("fomm-tiny-weights.safetensors");
    try {
      // lr 1e-30: one step moves nothing; every FOMM parameter is the import's, the fuse is [I | 0].
      for (const [name, t] of weights) if (!/running_|num_batches/.test(name)) assert.ok(maxDiff(trained.get(name)!, t) < 1e-20, name);
      const fuse = trained.get("generator.fuse.weight")!;
      const c = fuse.size(0);
      torch.tidy(() => assert.ok(maxDiff(fuse.view(c, 2 * c), torch.cat([torch.eye(c), torch.zeros([c, c])], 1)) < 1e-20));
      assert.ok(trained.has("generator.motion_ode.f_ref.final.weight"));
    } finally {
      torch.dispose([trained, weights]);
    }
    // A .pth.tar itself is not a run to start from: it is imported first.
    const pth = join(GOLDEN_DIR, "checkpoints", "fomm-tiny-legacy.pth.tar");
    await assert.rejects(
      train({ config: fommConfig(true), data, out: join(dir, "never"), init: pth, steps: 1, workers: 0 }, { progress: SILENT_PROGRESS }),
      /--init .*fomm-tiny-legacy\.pth\.tar: a PyTorch checkpoint: import it first \(dime import/,
    );
  });
});
