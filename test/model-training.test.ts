// Training DiME: every parameter learns from the training loss, and the small configuration
// overfits one tiny video (reconstruction L1 well below the source frame's within a few hundred CPU steps).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { DEFAULT_CONFIG } from "../src/dime/config/schema.js";
import { loadConfig } from "../src/dime/config/file.js";
import { TrainingObjective, type TrainingBatch } from "../src/dime/objective.js";
import { reconstructionLoss } from "../src/dime/losses/index.js";
import { Adam } from "../src/optim/index.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { tinyFaceVideo } from "./helpers/tiny-video.js";
import { SLOW } from "./helpers/tier.js";

/**
 * Parameters whose gradient is zero by construction, with the reason:
 * - a conv bias followed by a batch norm in training mode (the norm subtracts the batch mean, so
 *   a per-channel constant cancels): `.conv.bias` of every Same/Down/UpBlock2d and `conv1.bias`
 *   of every ResBlock2d (FOMM's 20 in the golden files);
 * - the keypoint conv's bias: the spatial softmax ignores a per-map constant.
 */
function zeroByConstruction(name: string): boolean {
  return /\.conv\.bias$/.test(name) || /\.conv1\.bias$/.test(name) || name === "kp_detector.kp.bias";
}

describe("every parameter receives a gradient from the training loss", () => {
  test("full model (refine, SelfFlow, one reference), pixel loss + equivariance, float64", () => {
    torch.manualSeed(3);
    const model = new DiME(tinyDimeParams({ num_refs: 1 })).to("float64");
    // The ODE's and SelfFlow's last convs start at zero, which blocks the gradient to the layers
    // before them at step 0 (only the zero convs themselves learn at first). Give them small
    // values, as after a few optimizer steps, so that the whole network is reached.
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const final of [
          model.generator.motion_ode!.f0.final,
          model.generator.motion_ode!.f_ref!.final,
          model.generator.self_flow!.final,
        ]) {
          torch.normal_(final.weight, 0, 0.01);
        }
      }),
    );
    const params = { ...DEFAULT_CONFIG.train_params, perceptual: "pixel" as const, scales: [1, 0.5, 0.25] };
    const objective = new TrainingObjective(model, params, reconstructionLoss(params).to("float64"));
    const generator = new torch.Generator(4);
    torch.tidy(() => {
      const image = (seed: number) => torch.rand([2, 3, 64, 64], { generator: new torch.Generator(seed), dtype: "float64" });
      const result = objective.compute({ source: image(1), driving: image(2), references: [image(3)] }, generator);
      assert.deepEqual([...result.losses.keys()], ["pixel", "equivariance_value"]);
      result.total.backward();
    });
    const silent: string[] = [];
    const notZero: string[] = [];
    let checked = 0;
    for (const [name, p] of model.namedParameters()) {
      const largest = p.grad ? p.grad.abs().amax().item() : 0;
      checked++;
      if (zeroByConstruction(name)) {
        if (largest > 1e-10) notZero.push(`${name}: ${largest}`);
      } else if (!(largest > 1e-8)) silent.push(`${name}: ${largest}`);
    }
    assert.ok(checked > 100, `${checked} parameters`);
    assert.deepEqual(silent, [], "parameters without a gradient");
    assert.deepEqual(notZero, [], "gradients that should be zero by construction");
  });
});

describe("overfitting one tiny video (configs/synth-faces-64.yaml)", SLOW, () => {
  // 4 frames at 64x64; each step draws, per sample, a source, a driving frame and a reference,
  // all distinct. Trivial "output = source frame": L1 0.0469. Eval-mode L1 after 500 steps with
  // the config's 64x64 generator features, seeds 0-3 of this set-up (2026-12-04): 0.0216, 0.0223,
  // 0.0237, 0.0242 on libtorch 1.13; 0.0233 and 0.0225 (seeds 0, 1) on 2.14.1. The spread over
  // seeds is wider than the difference between versions, so the bar is 0.6x the trivial L1
  // (0.028), above every seed seen; a model that stops learning stays near 0.047. About a minute
  // on 2 cores.
  const STEPS = 500;
  const LR = 5e-4;
  const BATCH = 4;

  test(`${STEPS} Adam steps drive reconstruction L1 below 0.6x the source-frame baseline`, () => {
    torch.manualSeed(0);
    const config = loadConfig(new URL("../configs/synth-faces-64.yaml", import.meta.url).pathname);
    const video = tinyFaceVideo(4, 64, 8);
    const model = new DiME(config.model_params);
    const objective = new TrainingObjective(model, config.train_params, reconstructionLoss(config.train_params));
    const optimizer = new Adam(model.parameters(), { lr: LR, betas: config.train_params.betas });
    const generator = new torch.Generator(1);
    const pick = (rows: number[]) =>
      torch.stack(
        rows.map((r) => video.select(0, r)),
        0,
      );

    const before = torch.memory().numTensors;
    for (let step = 0; step < STEPS; step++) {
      torch.tidy(() => {
        const orders = Array.from({ length: BATCH }, () => torch.randperm(4, { generator }).toArray());
        const batch: TrainingBatch = {
          source: pick(orders.map((o) => o[0])),
          driving: pick(orders.map((o) => o[1])),
          references: [pick(orders.map((o) => o[2]))],
        };
        const { total } = objective.compute(batch, generator);
        optimizer.zeroGrad();
        total.backward();
        optimizer.step();
      });
    }
    assert.ok(torch.memory().numTensors <= before + 2 * model.parameters().length, "optimizer state only");

    // Reconstruction as the paper measures it: the first frame drives nothing but is the source,
    // every frame is driven, one other frame is the reference; eval mode.
    model.eval();
    const l1 = torch.tidy(() =>
      torch.inferenceMode(() => {
        const source = video.narrow(0, 0, 1).expand(4, 3, 64, 64);
        const reference = video.narrow(0, 2, 1).expand(4, 3, 64, 64);
        const out = model.forward(source, video, [reference]);
        return out.prediction.sub(video).abs().mean().item();
      }),
    );
    const trivial = torch.tidy(() =>
      video
        .sub(video.narrow(0, 0, 1))
        .abs()
        .mean()
        .item(),
    );
    console.log(`# overfit: reconstruction L1 ${l1.toFixed(4)} after ${STEPS} steps; output = source frame gives ${trivial.toFixed(4)}`);
    assert.ok(l1 < 0.6 * trivial, `reconstruction L1 ${l1} after ${STEPS} steps vs the source-frame baseline ${trivial}`);
  });
});

export type { Tensor };
