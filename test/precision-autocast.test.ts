// Autocast scopes (src/torch/autocast.ts): the dtypes they give, how they nest and restore, the
// fp32 islands inside DiME, and how far a small model's bf16 outputs stray from fp32's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { inferIn } from "../src/infer/precision.js";
import { animate } from "../src/infer/animate.js";
import { loadModel } from "../src/infer/model.js";
import { readAllFrames } from "../src/media/video-read.js";
import { DEFAULT_CONFIG } from "../src/dime/config/schema.js";
import { SWITCH_SETTINGS, benchModel, formatModelBench } from "../src/bench/model.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { SLOW } from "./helpers/tier.js";

/**
 * Largest and mean |bf16 - fp32| of the frames (pixels in [0, 1]) and the largest of the keypoints
 * (coordinates in [-1, 1]). Measured 4.6e-5, 9.8e-6 and 3.5e-4 for this model and seed.
 */
const BF16_BOUND = { max: 0.005, mean: 0.001, kp: 0.005 };

function conv(x: torch.Tensor, w: torch.Tensor): torch.DType {
  return torch.tidy(() => torch.F.conv2d(x, w, undefined, { padding: 1 }).dtype);
}

test("autocast on gives bf16 convolutions, off and fp32 islands give fp32, and the state comes back", () => {
  const before = torch.autocastState();
  torch.tidy(() => {
    const x = torch.rand([1, 4, 8, 8]);
    const w = torch.rand([4, 4, 3, 3]);
    assert.equal(conv(x, w), "float32");
    assert.equal(torch.autocastDtypeOn("cpu"), undefined);
    torch.withAutocast("cpu", "bfloat16", () => {
      assert.deepEqual(torch.autocastState().cpu, { enabled: true, dtype: "bfloat16" });
      assert.equal(torch.autocastDtypeOn("cpu"), "bfloat16");
      assert.equal(torch.autocastDtypeOn("cuda:0"), undefined, "autocast is per device type");
      assert.equal(conv(x, w), "bfloat16");
      // Element-wise ops keep their inputs' dtype; a bf16 tensor in an island stays bf16 unless cast.
      assert.equal(
        torch.fp32Island(() => conv(x, w)),
        "float32",
      );
      assert.deepEqual(torch.autocastState().cpu, { enabled: true, dtype: "bfloat16" });
      torch.withAutocast("cpu", "float32", () => assert.equal(conv(x, w), "float32"));
      assert.equal(conv(x, w), "bfloat16");
    });
    assert.equal(conv(x, w), "float32");
  });
  assert.deepEqual(torch.autocastState(), before);
});

test("auto is bf16 on CUDA and on CPUs with native bf16, else fp32; fp16 has no CPU path", () => {
  assert.equal(torch.resolvePrecision("auto", "cuda:0"), "bf16");
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].split(/\s+/) ?? [];
  const native = flags.includes("avx512_bf16") || flags.includes("amx_bf16");
  assert.equal(torch.cpuHasNativeBf16(), native);
  assert.equal(torch.resolvePrecision("auto", "cpu"), native ? "bf16" : "fp32");
  assert.equal(torch.resolvePrecision("fp16", "cpu"), "fp16");
  assert.match(torch.precisionProblem("fp16", "cpu") ?? "", /needs a CUDA device/);
  assert.equal(torch.precisionProblem("fp16", "cuda"), undefined);
  assert.equal(torch.precisionProblem("bf16", "cpu"), undefined);
});

test("a scope closed with inner scopes still open closes them too; errors and async functions restore the state", () => {
  const before = torch.autocastState();
  const outer = new torch.AutocastScope({ cpu: { enabled: true, dtype: "bfloat16" } });
  new torch.AutocastScope({ cpu: { enabled: false, dtype: "bfloat16" } }); // abandoned: never disposed
  assert.equal(torch.autocastState().cpu.enabled, false);
  const abandoned = new torch.AutocastScope({ cpu: { enabled: true, dtype: "bfloat16" } });
  outer.dispose();
  assert.deepEqual(torch.autocastState(), before);
  outer.dispose(); // twice is harmless
  // A scope closed by its enclosing one and disposed later leaves the scopes open now alone.
  const later = new torch.AutocastScope({ cpu: { enabled: true, dtype: "bfloat16" } });
  abandoned.dispose();
  assert.equal(torch.autocastState().cpu.enabled, true);
  later.dispose();
  assert.deepEqual(torch.autocastState(), before);

  assert.throws(
    () =>
      torch.withAutocast("cpu", "bfloat16", () => {
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.deepEqual(torch.autocastState(), before);
  assert.throws(() => torch.withAutocast("cpu", "bfloat16", async () => 1), /synchronous/);
  assert.deepEqual(torch.autocastState(), before);
});

test("bf16 DiME: fp32 islands are fp32, batch-norm statistics stay fp32, outputs within the bound of fp32", () => {
  torch.manualSeed(0);
  const model = new DiME(tinyDimeParams({ refine: true, identity_flow: true, num_refs: 1, jacobians: true })).eval();
  const g = new torch.Generator(1);
  const [source, driving, reference] = [0, 1, 2].map(() => torch.rand([2, 3, 64, 64], { generator: g }));
  const live = torch.memory().numTensors;
  const run = (precision: "fp32" | "bf16") =>
    inferIn("cpu", precision, () =>
      torch.tidy(() => {
        const out = model.forward(source, driving, [reference]);
        return { prediction: out.prediction, kp: out.kpDriving.value, jacobian: out.kpDriving.jacobian!, mask: out.mask };
      }),
    );
  const fp32 = run("fp32");
  const bf16 = run("bf16");
  for (const [name, t] of Object.entries(bf16)) assert.equal(t.dtype, "float32", `${name} (an fp32 island) is ${t.dtype}`);
  const diff = torch.tidy(() => {
    const d = bf16.prediction.sub(fp32.prediction).abs();
    return { max: d.amax().item(), mean: d.mean().item(), kp: bf16.kp.sub(fp32.kp).abs().amax().item() };
  });
  assert.ok(diff.max > 0, "bf16 gave exactly the fp32 output: autocast did nothing");
  assert.ok(diff.max < BF16_BOUND.max && diff.mean < BF16_BOUND.mean && diff.kp < BF16_BOUND.kp, `bf16 vs fp32: ${JSON.stringify(diff)}`);
  torch.dispose([fp32, bf16]);
  assert.equal(torch.memory().numTensors, live, "tensors leaked");

  // Training mode: batch norm sees bf16 activations, its running statistics stay fp32.
  model.train();
  torch.tidy(() => torch.withAutocast("cpu", "bfloat16", () => void model.forward(source, driving, [reference])));
  const stats = [...model.namedBuffers()].filter(([name]) => name.endsWith("running_mean") || name.endsWith("running_var"));
  assert.ok(stats.length > 0);
  for (const [name, t] of stats) assert.equal(t.dtype, "float32", name);
  torch.dispose([source, driving, reference]);
  model.dispose();
});

/**
 * The shipped demo model animating its demo clip, bf16 against fp32: largest and mean |difference|
 * of the frames. Measured 0.051 and 0.0018 on these 8 frames; docs/precision.md: 0.094 and 0.0019 over
 * 320 test frames.
 */
const DEMO_BF16_BOUND = { max: 0.2, mean: 0.005 };

test("animate --precision bf16: the demo model's frames within the bound of fp32's; fp16 on the CPU refused", SLOW, async () => {
  const loaded = loadModel("models/demo");
  const driving = await readAllFrames("assets/demo/driving.mp4", { end: 8, fit: { ...loaded.size, crop: "center" } });
  const run = async (precision: "fp32" | "bf16" | "fp16") => {
    const frames: Float32Array[] = [];
    const job = { model: loaded.model, size: loaded.size, source: "assets/demo/source.png", driving };
    for await (const frame of animate({ ...job, options: { precision } })) frames.push(Float32Array.from(frame.image.data));
    return frames;
  };
  const [fp32, bf16] = [await run("fp32"), await run("bf16")];
  assert.equal(bf16.length, 8);
  let [max, sum, count] = [0, 0, 0];
  for (const [i, frame] of bf16.entries()) {
    for (let j = 0; j < frame.length; j++) {
      const d = Math.abs(frame[j] - fp32[i][j]);
      max = Math.max(max, d);
      sum += d;
      count++;
    }
  }
  assert.ok(max > 0, "bf16 gave exactly the fp32 frames: autocast did nothing");
  assert.ok(max < DEMO_BF16_BOUND.max && sum / count < DEMO_BF16_BOUND.mean, `bf16 vs fp32: max ${max}, mean ${sum / count}`);
  await assert.rejects(run("fp16"), /precision: fp16 needs a CUDA device/);
  loaded.model.dispose();
});

test("bench model --precision fp32,bf16: a figure per precision, steady live tensors, labelled in the table", () => {
  const config = structuredClone(DEFAULT_CONFIG);
  config.dataset_params.frame_shape = [64, 64, 3];
  config.model_params = tinyDimeParams({ num_refs: 1 });
  const result = benchModel({
    threads: [1],
    forward: [{ name: "tiny", config, runs: 1, warmup: 1 }],
    settings: [SWITCH_SETTINGS[3]],
    precisions: ["fp32", "bf16"],
  });
  assert.deepEqual(
    result.figures.map((f) => `${f.kind} ${f.precision}`),
    ["frame fp32", "job fp32", "frame bf16", "job bf16"],
  );
  for (const f of result.figures) assert.equal(f.liveTensors.grew, false, `${f.kind} ${f.precision}`);
  assert.match(formatModelBench(result), /frame 64 px \+3 refs bf16/);
  assert.deepEqual(torch.autocastState().cpu.enabled, false);
});
