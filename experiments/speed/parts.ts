// Where a frame's time goes: dime's per-frame path at 256 px (vox-256, random weights, batch 1)
// timed part by part, tuned as loadModel tunes it. bench/fomm_parts.py times the same parts of
// PyTorch's expert run; run the two alternately (docs/speed.md).
//   node --import tsx experiments/speed/parts.ts [--threads 2] [--runs 10] [--full] [--untuned] [--no-retain] [--cpu | --faults] [--bf16] [--blocks]
// Prints one JSON line: per part, the median and min ms over the runs (after 2 warm-ups).
import { readFileSync } from "node:fs";
import * as torch from "../../src/torch/index.js";
import { DiME } from "../../src/dime/dime.js";
import type { Module } from "../../src/nn/index.js";
import { loadConfig } from "../../src/dime/config/file.js";
import { tuneForInference } from "../../src/dime/inference-tuning.js";
import { inferIn } from "../../src/infer/precision.js";
import { targetKeypoints } from "../../src/infer/motion.js";
import { fommSwitches } from "../../src/bench/model-peer.js";
import { packagedConfig } from "../../src/bench/model.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const threads = arg("--threads", 2);
const runs = arg("--runs", 10);
const full = process.argv.includes("--full");
const precision = process.argv.includes("--bf16") ? "bf16" : "fp32";
torch.setNumThreads(threads);
/** --cpu: the process's CPU time (user + system) instead of wall clock; steadier under load at 1 thread. */
const cpu = process.argv.includes("--cpu");
/** --faults: minor page faults instead of time (from /proc/self/stat; glibc mapping fresh pages). */
const faults = process.argv.includes("--faults");
const now = () => {
  if (faults) return Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[7]);
  if (!cpu) return Number(process.hrtime.bigint()) / 1e6;
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e3;
};

const config = loadConfig(packagedConfig("vox-256.yaml"));
const params = structuredClone(config.model_params);
if (!full) params.switches = fommSwitches(params.switches);
torch.manualSeed(0);
const model = new DiME(params).eval();
if (!process.argv.includes("--untuned")) tuneForInference(model, { retainFreedMemory: !process.argv.includes("--no-retain") });

const times = new Map<string, number>();
/** Wraps m.forward so that its wall time adds to `name`'s total. */
function timed(name: string, m: (Module & { forward: (...args: never[]) => unknown }) | undefined): void {
  if (!m) return; // a part this configuration does not have (no Jacobians with --full)
  const forward = m.forward.bind(m) as (...args: unknown[]) => unknown;
  (m as unknown as { forward: (...args: unknown[]) => unknown }).forward = (...args: unknown[]) => {
    const start = now();
    const out = forward(...args);
    times.set(name, (times.get(name) ?? 0) + now() - start);
    return out;
  };
}
const g = model.generator;
timed("kp: hourglass", model.kp_detector.predictor);
timed("kp: down", model.kp_detector.down);
timed("kp: kp conv", model.kp_detector.kp);
timed("kp: jacobian conv", model.kp_detector.jacobian);
timed("kp: all", model.kp_detector);
timed("dense: hourglass", g.dense_motion_network.hourglass);
timed("dense: mask conv", g.dense_motion_network.mask);
timed("dense: occlusion conv", g.dense_motion_network.occlusion);
timed("dense: all", g.dense_motion_network);
timed("gen: bottleneck", g.generator.bottleneck);
for (const [i, b] of [...g.generator.up_blocks].entries()) timed(`gen: up ${i}`, b);
timed("gen: final", g.generator.final);
timed("gen: all", g.generator);
timed("ode: all", g.motion_ode);
timed("selfflow: all", g.self_flow);
timed("animator: all", g);
// --blocks: each block of the two hourglasses too.
if (process.argv.includes("--blocks"))
  for (const [part, hourglass] of [
    ["kp", model.kp_detector.predictor],
    ["dense", g.dense_motion_network.hourglass],
  ] as const) {
    for (const [i, b] of [...hourglass.encoder.down_blocks].entries()) timed(`${part}: down ${i}`, b);
    for (const [i, b] of [...hourglass.decoder.up_blocks].entries()) timed(`${part}: up ${i}`, b);
  }

const generator = new torch.Generator(0);
const image = () => torch.rand([1, 3, 256, 256], { generator });
const [source, initial, driving] = [image(), image(), image()];
const references = Array.from({ length: params.switches.num_refs }, image);
const kpInitial = torch.inferenceMode(() => model.keypoints(initial));
const kpSource = torch.inferenceMode(() => model.keypoints(source));
const prepared = inferIn("cpu", precision, () => model.prepare(source, references));
const frame = () =>
  torch.tidy(() =>
    inferIn("cpu", precision, () => {
      const kp = targetKeypoints(kpSource, model.keypoints(driving), kpInitial, { mode: "relative", scale: 1 });
      void model.animateFrame(prepared, kp);
    }),
  );
const samples = new Map<string, number[]>();
for (let r = 0; r < runs + 2; r++) {
  times.clear();
  const start = now();
  frame();
  times.set("frame", now() - start);
  if (r < 2) continue;
  for (const [k, v] of times) samples.set(k, [...(samples.get(k) ?? []), v]);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out: Record<string, [number, number]> = {};
for (const [k, v] of samples) out[k] = [Number(median(v).toFixed(1)), Number(Math.min(...v).toFixed(1))];
console.log(
  JSON.stringify({ runner: "dime", clock: faults ? "faults" : cpu ? "cpu" : "wall", full, precision, threads, runs, parts: out }),
);
