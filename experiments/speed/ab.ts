// A/B of inference-tuning variants in one process: dime's frame at 256 px (vox-256, random
// weights, batch 1, relative motion as `dime bench model` runs it), the variants run alternately,
// frame by frame, so that load from other processes hits them alike. Prints each variant's median
// and min ms and the median over pairs of (variant / first variant).
//   node --import tsx experiments/speed/ab.ts [--threads 2] [--pairs 12] [--full] [--cpu] [--part P] VARIANT...
// Variants: base (loadModel's tuning), plain (no tuning), and those in VARIANTS below.
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { DiME } from "../../src/dime/dime.js";
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
const pairs = arg("--pairs", 12);
const full = process.argv.includes("--full");
/** Time one part instead of the frame: kp (keypoint detector), dense (coarse motion's hourglass), generator. */
const part = process.argv.includes("--part") ? process.argv[process.argv.indexOf("--part") + 1] : "frame";
/** Time the process's CPU time (user + system) instead of wall clock: steadier under load at 1 thread. */
const cpu = process.argv.includes("--cpu");
const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.match(/^--(threads|pairs|part)$/));
torch.setNumThreads(threads);

const config = loadConfig(packagedConfig("vox-256.yaml"));
const params = structuredClone(config.model_params);
if (!full) params.switches = fommSwitches(params.switches);
torch.manualSeed(0);

/** Each variant: how to set the model up from an untuned eval model. */
const VARIANTS: Record<string, (m: DiME) => void> = {
  plain: () => {},
  base: (m) => tuneForInference(m, { hourglassChannelsLast: false, channelsLast: true }),
  tuned: (m) => tuneForInference(m),
  // main before this change: generator activations channels-last, its weights NCHW, hourglasses NCHW.
  main: (m) => {
    tuneForInference(m, { hourglassChannelsLast: false, channelsLast: false });
    m.generator.generator.channelsLast = true;
  },
  "nchw-all": (m) => tuneForInference(m, { hourglassChannelsLast: false, channelsLast: false }),
  "hg-cl": (m) => tuneForInference(m, { hourglassChannelsLast: true }),
  "kp-cl": (m) => {
    tuneForInference(m, { hourglassChannelsLast: false });
    m.kp_detector.predictor.channelsLast = true;
  },
  "dense-cl": (m) => {
    tuneForInference(m, { hourglassChannelsLast: false });
    m.generator.dense_motion_network.hourglass.channelsLast = true;
  },
};

const generator = new torch.Generator(0);
const image = () => torch.rand([1, 3, 256, 256], { generator });
const [source, initial, driving] = [image(), image(), image()];
const references = Array.from({ length: params.switches.num_refs }, image);
const denseInput = torch.rand([1, 44, 64, 64], { generator });
const genInput = torch.rand([1, 256, 64, 64], { generator });
const base = new DiME(params).eval();
const state = base.stateDict();

const runners = names.map((name) => {
  const setup = VARIANTS[name];
  if (!setup) throw new Error(`unknown variant ${name}: ${Object.keys(VARIANTS).join(", ")}`);
  const model = new DiME(params).eval();
  model.loadStateDict(state);
  setup(model);
  const kpInitial = torch.inferenceMode(() => model.keypoints(initial));
  const kpSource = torch.inferenceMode(() => model.keypoints(source));
  const prepared = inferIn("cpu", "fp32", () => model.prepare(source, references));
  const g = model.generator;
  const parts: Record<string, () => Tensor> = {
    kp: () => model.kp_detector.forward(driving).value,
    dense: () => g.dense_motion_network.hourglass.forward(denseInput),
    generator: () => g.generator.forward(genInput),
  };
  const frame =
    parts[part] ??
    (() =>
      torch.tidy(() =>
        inferIn("cpu", "fp32", () => {
          const kp = targetKeypoints(kpSource, model.keypoints(driving), kpInitial, { mode: "relative", scale: 1 });
          return model.animateFrame(prepared, kp).prediction;
        }),
      ));
  return { name, frame, samples: [] as number[] };
});
// The variants must compute the same frame.
const outs = runners.map((r) => r.frame());
for (const [i, o] of outs.entries()) {
  const d = torch.tidy(() => o.sub(outs[0]).abs().amax().item());
  if (d > 1e-5) throw new Error(`${runners[i].name} differs from ${runners[0].name} by ${d}`);
}
torch.dispose(outs);
for (const r of runners) r.frame().dispose();
for (let p = 0; p < pairs; p++) {
  for (const r of p % 2 ? [...runners].reverse() : runners) {
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    r.frame().dispose();
    const used = process.cpuUsage(startCpu);
    r.samples.push(cpu ? (used.user + used.system) / 1e3 : Number(process.hrtime.bigint() - start) / 1e6);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const result = runners.map((r) => ({
  name: r.name,
  medianMs: Number(median(r.samples).toFixed(1)),
  minMs: Number(Math.min(...r.samples).toFixed(1)),
  ratio: Number(median(r.samples.map((s, i) => s / runners[0].samples[i])).toFixed(3)),
}));
console.log(JSON.stringify({ clock: cpu ? "cpu" : "wall", part, full, threads, pairs, load: (await import("node:os")).loadavg(), result }));
