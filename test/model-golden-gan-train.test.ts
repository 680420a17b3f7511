// FOMM parity for one adversarial training step (../shared/golden/checkpoints/README.md,
// fomm-tiny-gan-train.safetensors): DiME's FOMM baseline with FOMM's multi-scale discriminator
// (spectral norm on) reproduces every generator and discriminator loss term, the gradients of every
// generator, keypoint-detector and discriminator parameter (from the generator's loss and from the
// discriminator's own), and the spectral-norm vectors after the step's four discriminator forwards.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { DEFAULT_CONFIG, type TrainParams } from "../src/dime/config/schema.js";
import { TrainingObjective } from "../src/dime/objective.js";
import { PerceptualPyramidLoss, Vgg19, hashVgg19Weights } from "../src/dime/losses/index.js";
import { AdversarialLoss } from "../src/dime/losses/adversarial.js";
import { Transform } from "../src/dime/losses/transform.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { SLOW } from "./helpers/tier.js";
import { NO_GOLDEN, GOLDEN_DIR, loadGolden, withPrefix, assertTensorClose, relativeL2 } from "./helpers/golden.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";

const FILE = "checkpoints/fomm-tiny-gan-train.safetensors";

// As in model-golden-train.test.ts: float64 agrees to the reference's float32 storage; float32
// gradients agree in norm (the L1 terms' gradients jump at kinks that float32 rounding crosses).
const TOLERANCES = {
  float64: { lossRtol: 1e-9, gradRelL2: 1e-6, zeroGradAtol: 1e-9, tensorAtol: 1e-6 },
  float32: { lossRtol: 5e-5, gradRelL2: 5e-3, zeroGradAtol: 1e-4, tensorAtol: 1e-4 },
} as const;

const LOSS_WEIGHTS = { generator_gan: 1, discriminator_gan: 1, feature_matching: [10, 10, 10, 10] };

function trainParams(): TrainParams {
  const base = DEFAULT_CONFIG.train_params;
  return { ...base, scales: [1, 0.5, 0.25], perceptual: "vgg", loss_weights: { ...base.loss_weights, ...LOSS_WEIGHTS } };
}

for (const dtype of ["float64", "float32"] as const)
  describe(`FOMM golden, one adversarial training step at 64x64, ${dtype}`, {
    skip: NO_GOLDEN || (dtype === "float64" && SLOW.skip),
  }, () => {
    const tol = TOLERANCES[dtype];
    const golden = new Map<string, torch.Tensor>();
    const convert = (t: torch.Tensor) => torch.keep(torch.isFloating(t.dtype) && t.dtype !== dtype ? t.to(dtype) : t);
    if (!NO_GOLDEN) {
      for (const [k, t] of loadGolden(FILE)) golden.set(k, k.startsWith("loss.") ? t : convert(t));
      // The warp's control points are the fixed 5x5 grid; the 64 px file stores them.
      golden.set("transform.control_points", convert(loadGolden("fomm-tiny-train-64px.safetensors").get("transform.control_points")!));
    }
    const at = (key: string): torch.Tensor => {
      const t = golden.get(key);
      if (t === undefined) throw new Error(`${FILE} holds no ${key}`);
      return t;
    };
    // Biases of convolutions followed by a normalisation have a zero gradient, up to rounding, in
    // the reference too: the model's 20 (listed by the 64 px file) and the discriminator's three
    // before instance norm.
    const zeroGrads = NO_GOLDEN
      ? new Set<string>()
      : new Set<string>([
          ...JSON.parse(readSafetensors(`${GOLDEN_DIR}/fomm-tiny-train-64px.safetensors`).metadata.zero_gradient_params),
          ...[1, 2, 3].map((i) => `discs.1.down_blocks.${i}.conv.bias`),
        ]);
    const params = fommTinyParams();
    const model = new DiME(params);
    const vgg = new Vgg19();
    const adversarial = new AdversarialLoss(params.discriminator_params, LOSS_WEIGHTS, 3, params.common_params.num_kp);
    let result: ReturnType<TrainingObjective["compute"]> | undefined;
    let discLoss: torch.Tensor | undefined;
    const gradsAfterG = new Map<string, torch.Tensor>();

    const checkGrads = (named: Iterable<[string, torch.Tensor]>, grads: (name: string) => torch.Tensor | undefined, prefix: string) => {
      const report: string[] = [];
      let worst = 0;
      let count = 0;
      for (const [name, p] of named) {
        const expected = at(`${prefix}${name}`);
        const grad = grads(name);
        assert.ok(grad, `${name} received no gradient`);
        count += 1;
        if (zeroGrads.has(name)) {
          const largest = grad.abs().amax().item();
          if (largest > tol.zeroGradAtol) report.push(`${name}: should be zero, largest |g| ${largest}`);
          continue;
        }
        assert.deepEqual(grad.shape, p.shape);
        const rel = relativeL2(grad, expected);
        worst = Math.max(worst, rel);
        if (!(rel <= tol.gradRelL2)) report.push(`${name}: relative L2 ${rel.toExponential(2)}`);
      }
      assert.ok(count > 0);
      if (report.length > 0) assert.fail([`${dtype}: worst relative L2 ${worst.toExponential(2)}`, ...report].join("\n"));
      return `worst relative L2 ${worst.toExponential(2)}`;
    };
    const checkLoss = (actual: torch.Tensor, key: string) => {
      const [a, e] = [actual.item(), at(key).item()];
      assert.ok(
        Math.abs(a - e) <= tol.lossRtol * Math.abs(e),
        `${key}: ${a} vs ${e} (relative ${(Math.abs(a - e) / Math.abs(e)).toExponential(2)})`,
      );
    };

    test("the generator's step runs with the discriminator's terms, then the discriminator's", () => {
      model.loadStateDict(loadGolden("fomm-tiny-weights.safetensors"));
      model.to(dtype);
      const discriminatorState = readSafetensors(`${GOLDEN_DIR}/checkpoints/fomm-tiny-discriminator.safetensors`).tensors;
      adversarial.discriminator.loadStateDict(withPrefix(discriminatorState, "discriminator."));
      torch.dispose(discriminatorState);
      adversarial.to(dtype);
      torch.tidy(() => vgg.loadWeights(hashVgg19Weights()));
      const train = trainParams();
      const loss = new PerceptualPyramidLoss(vgg, { scales: train.scales, weights: train.loss_weights.perceptual }).to(dtype);
      const objective = new TrainingObjective(model, train, loss, adversarial);
      const transform = new Transform(at("transform.theta"), at("transform.control_points"), at("transform.control_params"));
      model.train();
      adversarial.train();
      result = torch.keep(
        objective.compute({ source: at("input.source"), driving: at("input.driving"), references: [] }, undefined, { transform }),
      );
      result.total.backward();
      // FOMM's train.py: the discriminator's gradients from the generator's loss are cleared first.
      for (const [name, p] of adversarial.discriminator.namedParameters()) {
        gradsAfterG.set(name, torch.keep(p.grad!.clone()));
        p.setGrad(undefined);
      }
      discLoss = torch.keep(
        adversarial.discriminatorLoss(result.output.prediction, at("input.driving"), result.output.kpDriving.value).total,
      );
      discLoss.backward();
    });

    test("every generator loss term, their total and the discriminator's loss match", () => {
      assert.ok(result && discLoss);
      assert.deepEqual([...result.losses.keys()].sort(), [
        "equivariance_jacobian",
        "equivariance_value",
        "feature_matching",
        "gen_gan",
        "perceptual",
      ]);
      for (const name of result.losses.keys()) checkLoss(result.losses.get(name)!, `loss.generator.${name}`);
      checkLoss(result.total, "loss.generator.total");
      checkLoss(discLoss, "loss.discriminator.disc_gan");
    });

    test("the prediction matches", () => {
      assert.ok(result);
      assertTensorClose(result.output.prediction, at("generator.prediction"), "generator.prediction", tol.tensorAtol);
    });

    test(`every generator and keypoint-detector gradient matches (relative L2 <= ${tol.gradRelL2})`, (t) => {
      const params = new Map(model.namedParameters());
      t.diagnostic(checkGrads(params, (name) => params.get(name)?.grad, "grad."));
    });

    test("the discriminator's gradients from the generator's loss match", (t) => {
      t.diagnostic(checkGrads(adversarial.discriminator.namedParameters(), (name) => gradsAfterG.get(name), "grad.discriminator_after_g."));
    });

    test("the discriminator's gradients from its own loss match", (t) => {
      const params = new Map(adversarial.discriminator.namedParameters());
      t.diagnostic(checkGrads(params, (name) => params.get(name)?.grad, "grad.discriminator."));
    });

    test("the spectral-norm vectors and every other discriminator tensor after four forwards match", () => {
      const state = adversarial.discriminator.stateDict();
      const names = [...state.keys()];
      assert.deepEqual(names.sort(), [...withPrefix(golden, "after.discriminator.").keys()].sort());
      for (const [name, t] of state)
        assertTensorClose(t, at(`after.discriminator.${name}`), `after.discriminator.${name}`, tol.tensorAtol, 1e-5);
    });
  });
