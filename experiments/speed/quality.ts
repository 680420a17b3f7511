// The quality side of docs/speed.md: how far each number-changing speed-up moves the output from
// plain fp32 eval mode, and the MotionODE's step count (speed and quality).
//   node --import tsx experiments/speed/quality.ts [--threads N] [--frames N]
// 1. Inference tuning (batch norm folded, channels-last generator), alone and with bf16 autocast
//    (docs/precision.md): the largest and mean absolute
//    difference of the predicted frames from the untuned model's, on the demo model
//    (models/demo) animating assets/demo (source + reference, driving.mp4) and on vox-256 with
//    random weights and batch-norm statistics (FOMM configuration and full DiME with 3 references,
//    random 256x256 images).
// 2. ODE steps 1, 2, 4 (midpoint) on the demo model: ms per frame (batch 1) and the reconstruction
//    L1 on driving.mp4 (source = its first frame, the reference its middle frame, driving = every frame),
//    and the largest and mean difference from the config's 2 steps.
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { DiME } from "../../src/dime/dime.js";
import { randomiseBatchNorm } from "../../test/helpers/model-fixtures.js";
import type { AnimateOptions } from "../../src/dime/animator.js";
import { loadConfig } from "../../src/dime/config/file.js";
import { tuneForInference } from "../../src/dime/inference-tuning.js";
import { loadModel } from "../../src/infer/model.js";
import { inferIn } from "../../src/infer/precision.js";
import { drivingFrames, readStill, toTensor } from "../../src/infer/frames.js";
import { fommSwitches } from "../../src/bench/model-peer.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
torch.setNumThreads(arg("--threads", 2));
const maxFrames = arg("--frames", 32);
const root = new URL("../../", import.meta.url).pathname;

function diff(a: Tensor, b: Tensor): { max: number; mean: number } {
  return torch.tidy(() => {
    const d = a.sub(b).abs();
    return { max: d.amax().item(), mean: d.mean().item() };
  });
}

const fmt = (d: { max: number; mean: number }) => `max ${d.max.toExponential(2)}, mean ${d.mean.toExponential(2)}`;

// --- the demo model on its own assets
const plain = loadModel(`${root}models/demo`, { tune: false });
const tuned = loadModel(`${root}models/demo`);
const size = plain.size;
const stillAt = async (path: string) => {
  const image = await readStill(path, size, path);
  return torch.tidy(() => toTensor(image, "cpu").unsqueeze(0)); // (1, 3, H, W)
};
const source = await stillAt(`${root}assets/demo/source.png`);
const reference = await stillAt(`${root}assets/demo/reference.png`);
const frames: Tensor[] = [];
for await (const image of drivingFrames(`${root}assets/demo/driving.mp4`, size)) {
  if (frames.length >= maxFrames) break;
  frames.push(toTensor(image, "cpu").unsqueeze(0));
}
const driving = torch.cat(frames, 0); // (F, 3, H, W)
torch.dispose(frames);

/** Absolute motion, one frame at a time: (F, 3, H, W) predictions. */
function animate(
  model: DiME,
  src: Tensor,
  refs: Tensor[],
  drv: Tensor,
  options: AnimateOptions = {},
  precision: "fp32" | "bf16" = "fp32",
): Tensor {
  return torch.tidy(() =>
    inferIn("cpu", precision, () => {
      const b = drv.size(0);
      const prepared = model.prepare(src, refs);
      const out: Tensor[] = [];
      for (let i = 0; i < b; i++) out.push(model.animateFrame(prepared, model.keypoints(drv.narrow(0, i, 1)), options).prediction);
      return torch.cat(out, 0);
    }),
  );
}

const refs = plain.config.model_params.switches.num_refs > 0 ? [reference] : [];
const before = animate(plain.model, source, refs, driving);
const after = animate(tuned.model, source, refs, driving);
console.log(
  `demo model (${driving.size(0)} frames of assets/demo/driving.mp4, ${refs.length} reference): tuned vs plain fp32: ${fmt(diff(after, before))}`,
);
const bf16 = animate(tuned.model, source, refs, driving, {}, "bf16");
console.log(`demo model: tuned bf16 (autocast) vs plain fp32: ${fmt(diff(bf16, before))}`);
torch.dispose([before, after, bf16]);

// --- vox-256 with random weights (and random batch-norm statistics)
const vox = loadConfig(`${root}configs/vox-256.yaml`);
for (const [name, params] of [
  ["FOMM configuration", { ...structuredClone(vox.model_params), switches: fommSwitches(vox.model_params.switches) }],
  ["full DiME, 3 references", vox.model_params],
] as const) {
  torch.manualSeed(0);
  const model = new DiME(params).eval();
  const g = new torch.Generator(0);
  randomiseBatchNorm(model, g);
  const img = () => torch.rand([1, 3, 256, 256], { generator: g });
  const [s, d] = [img(), img()];
  const r = Array.from({ length: params.switches.num_refs }, img);
  const a = animate(model, s, r, d);
  tuneForInference(model);
  const b = animate(model, s, r, d);
  console.log(`vox-256 random weights, ${name}: tuned vs plain fp32: ${fmt(diff(b, a))}`);
  const c = animate(model, s, r, d, {}, "bf16");
  console.log(`vox-256 random weights, ${name}: tuned bf16 (autocast) vs plain fp32: ${fmt(diff(c, a))}`);
  torch.dispose([a, b, c, s, d, r]);
  model.dispose();
}

// --- ODE steps on the demo model (reconstruction of driving.mp4)
const first = driving.narrow(0, 0, 1);
const middle = driving.narrow(0, Math.floor(driving.size(0) / 2), 1);
const recRefs = refs.length > 0 ? [middle] : [];
const baseline = animate(tuned.model, first, recRefs, driving, { ode: { steps: 2 } });
for (const steps of [1, 2, 4]) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = animate(tuned.model, first, recRefs, driving, { ode: { steps } });
  const ms = (performance.now() - t0) / driving.size(0);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / driving.size(0);
  const l1 = torch.tidy(() => out.sub(driving).abs().mean().item());
  console.log(
    `ODE ${steps} step(s): ${ms.toFixed(1)} ms/frame wall, ${cpuMs.toFixed(1)} ms/frame CPU (batch 1, prepare included), reconstruction L1 ${l1.toFixed(5)}, vs 2 steps: ${fmt(diff(out, baseline))}`,
  );
  out.dispose();
}
torch.dispose([baseline, source, reference, driving]);
plain.model.dispose();
tuned.model.dispose();
