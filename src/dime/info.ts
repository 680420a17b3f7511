// What a configuration costs: parameters per module and multiply-adds per animated frame (and for
// the per-job work on the source and references), measured by running the model once on zeros at
// the configured frame size with the configured number of references.
import * as torch from "../torch/index.js";
import { countMacs, type Module } from "../nn/index.js";
import { DiME } from "./dime.js";
import type { DimeConfig } from "./config/schema.js";

export interface ModuleCost {
  /** State-dict prefix (`generator.dense_motion_network`) or a group of FOMM's flat keys. */
  name: string;
  /** What the paper calls it. */
  part: string;
  parameters: number;
}

export interface ModelInfo {
  frameShape: [number, number, number];
  references: number;
  modules: ModuleCost[];
  parameters: number;
  /** Multiply-adds (convolutions and linear layers) to animate one driving frame, per-job work excluded. */
  macsPerFrame: number;
  /** Multiply-adds of the per-job work: keypoints and features of the source and references. */
  macsSetup: number;
}

function count(module: Module | undefined): number {
  return module ? module.numParameters() : 0;
}

/** Builds the configured model (random weights) and measures it. */
export function describeModel(config: DimeConfig): ModelInfo {
  const params = config.model_params;
  const model = new DiME(params).eval();
  try {
    const g = model.generator;
    const modules: ModuleCost[] = [
      { name: "kp_detector", part: "KeypointDetector (eq. 3)", parameters: count(model.kp_detector) },
      { name: "generator.dense_motion_network", part: "CoarseMotion (eq. 4-5)", parameters: count(g.dense_motion_network) },
      { name: "generator.motion_ode", part: "MotionODE dynamics f0, f_ref (eq. 6-8)", parameters: count(g.motion_ode) },
      { name: "generator.{first,down_blocks}", part: "Encoder (eq. 9)", parameters: count(g.encoder) },
      { name: "generator.self_flow", part: "SelfFlow (eq. 10)", parameters: count(g.self_flow) },
      { name: "generator.{fuse,bottleneck,up_blocks,final}", part: "Generator (eq. 12)", parameters: count(g.generator) },
    ].filter((m) => m.parameters > 0);
    const [h, w, c] = config.dataset_params.frame_shape;
    const references = params.switches.num_refs;
    const { macsSetup, macsPerFrame } = torch.inferenceMode(() =>
      torch.tidy(() => {
        const image = torch.zeros([1, c, h, w]);
        const setup = countMacs(() =>
          model.prepare(
            image,
            Array.from({ length: references }, () => image),
          ),
        );
        const frame = countMacs(() => model.generator.forward(setup.result, model.keypoints(image)));
        return { macsSetup: setup.macs, macsPerFrame: frame.macs };
      }),
    );
    return { frameShape: [h, w, c], references, modules, parameters: model.numParameters(), macsPerFrame, macsSetup };
  } finally {
    model.dispose();
  }
}

function millions(n: number): string {
  return (n / 1e6).toFixed(3);
}

/** The table `dime info` prints. */
export function formatModelInfo(info: ModelInfo, source: string): string {
  const [h, w] = info.frameShape;
  const rows = info.modules.map((m) => `  ${m.part.padEnd(40)} ${m.name.padEnd(44)} ${millions(m.parameters).padStart(9)} M`);
  return [
    `${source}: ${h}x${w}, ${info.references} reference view(s)`,
    `  ${"part".padEnd(40)} ${"state-dict keys".padEnd(44)} parameters`,
    ...rows,
    `  ${"total".padEnd(85)} ${millions(info.parameters).padStart(9)} M`,
    `  multiply-adds per frame: ${(info.macsPerFrame / 1e9).toFixed(3)} G (driving keypoints + animation)`,
    `  multiply-adds per job:   ${(info.macsSetup / 1e9).toFixed(3)} G (source and reference keypoints and features, once)`,
  ].join("\n");
}
