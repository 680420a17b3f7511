// The config values a FOMM state dict's shapes tell (num_kp from kp_detector.kp.weight, widths from
// the first and last blocks, block counts from the key names, Jacobians and occlusion from the keys
// present), checked against a config so that a mismatch names the config value that would fit:
// "kp_detector.kp.weight is (10, 35, 7, 7): num_kp is 10, the config says 15".
import type { ModelParams } from "../dime/config/schema.js";

/** Shapes by state-dict key ("kp_detector.kp.weight" -> [10, 35, 7, 7]). */
export type ShapeMap = ReadonlyMap<string, readonly number[]>;

interface Fact {
  /** The config key, as a user writes it. */
  name: string;
  /** The state-dict key whose shape (or presence) tells it. */
  key: string;
  /** What the file says, in words ("10", "at least 512", "true"). */
  says: string;
  /** What the config says, in the same words. */
  configSays: string;
  fits: boolean;
}

function count(shapes: ShapeMap, pattern: RegExp): number {
  const indices = new Set<number>();
  for (const key of shapes.keys()) {
    const match = pattern.exec(key);
    if (match) indices.add(Number(match[1]));
  }
  return indices.size;
}

function shapeText(shape: readonly number[] | undefined): string {
  return shape ? `(${shape.join(", ")})` : "absent";
}

/** FOMM's anti-aliasing kernel size for a downscale: 2 round(4 sigma) + 1, sigma = (1/s - 1)/2. */
function kernelSize(scale: number): number {
  const sigma = (1 / scale - 1) / 2;
  let size = 2 * Math.round(sigma * 4) + 1;
  if (size % 2 === 0) size += 1;
  return size;
}

/** The facts of one hourglass (kp_detector.predictor or the dense motion network's). */
function hourglassFacts(
  shapes: ShapeMap,
  prefix: string,
  section: string,
  params: { block_expansion: number; max_features: number; num_blocks: number },
): Fact[] {
  const facts: Fact[] = [];
  const blocks = count(shapes, new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.encoder\\.down_blocks\\.(\\d+)\\.conv\\.weight$`));
  if (blocks === 0) return facts;
  const firstKey = `${prefix}.encoder.down_blocks.0.conv.weight`;
  facts.push({
    name: `${section}.num_blocks`,
    key: firstKey.replace(".0.", ".*."),
    says: String(blocks),
    configSays: String(params.num_blocks),
    fits: blocks === params.num_blocks,
  });
  // The decoder's last block outputs min(max_features, block_expansion) = block_expansion.
  const lastUp = `${prefix}.decoder.up_blocks.${blocks - 1}.conv.weight`;
  const be = shapes.get(lastUp)?.[0];
  if (be !== undefined)
    facts.push({
      name: `${section}.block_expansion`,
      key: lastUp,
      says: String(be),
      configSays: String(params.block_expansion),
      fits: be === params.block_expansion,
    });
  const deepKey = `${prefix}.encoder.down_blocks.${blocks - 1}.conv.weight`;
  const deep = shapes.get(deepKey)?.[0];
  if (deep !== undefined && be !== undefined)
    facts.push(maxFeaturesFact(`${section}.max_features`, deepKey, deep, be * 2 ** blocks, params.max_features));
  return facts;
}

/**
 * What the channels `deep` of the deepest block `key` say of max_features, where an uncapped net
 * would have `uncapped`: at that many or more, only that the cap is at least it.
 */
function maxFeaturesFact(name: string, key: string, deep: number, uncapped: number, maxFeatures: number): Fact {
  return {
    name,
    key,
    says: deep < uncapped ? String(deep) : `at least ${uncapped}`,
    configSays: String(maxFeatures),
    fits: Math.min(maxFeatures, uncapped) === deep,
  };
}

/** What the anti-aliasing downscale `key` (absent at scale 1) says of `section`.scale_factor. */
function scaleFactorFact(shapes: ShapeMap, section: string, key: string, scaleFactor: number): Fact {
  const down = shapes.get(key);
  const kernel = kernelSize(scaleFactor);
  return {
    name: `${section}.scale_factor`,
    key,
    says: down ? `a downscale with a ${down[2]}x${down[2]} kernel` : "1",
    configSays: scaleFactor === 1 ? "1" : `${scaleFactor} (a ${kernel}x${kernel} kernel)`,
    fits: down ? scaleFactor !== 1 && down[2] === kernel : scaleFactor === 1,
  };
}

/** Every fact the shapes tell, in the order a mismatch is reported. */
function facts(shapes: ShapeMap, params: ModelParams): Fact[] {
  const out: Fact[] = [];
  const kpKey = "kp_detector.kp.weight";
  const kp = shapes.get(kpKey);
  if (kp)
    out.push({
      name: "num_kp",
      key: kpKey,
      says: String(kp[0]),
      configSays: String(params.common_params.num_kp),
      fits: kp[0] === params.common_params.num_kp,
    });
  const firstKey = "kp_detector.predictor.encoder.down_blocks.0.conv.weight";
  const first = shapes.get(firstKey);
  if (first)
    out.push({
      name: "num_channels",
      key: firstKey,
      says: String(first[1]),
      configSays: String(params.common_params.num_channels),
      fits: first[1] === params.common_params.num_channels,
    });
  const kpp = params.kp_detector_params;
  out.push(...hourglassFacts(shapes, "kp_detector.predictor", "kp_detector_params", kpp));
  const jacobianKey = "kp_detector.jacobian.weight";
  const jacobian = shapes.get(jacobianKey);
  out.push({
    name: "switches.jacobians",
    key: jacobianKey,
    says: String(jacobian !== undefined),
    configSays: String(params.switches.jacobians),
    fits: (jacobian !== undefined) === params.switches.jacobians,
  });
  if (jacobian && kp && params.switches.jacobians) {
    const single = jacobian[0] === 4 && kp[0] !== 1;
    out.push({
      name: "kp_detector_params.single_jacobian_map",
      key: jacobianKey,
      says: String(single),
      configSays: String(kpp.single_jacobian_map),
      fits: single === kpp.single_jacobian_map,
    });
  }
  out.push(scaleFactorFact(shapes, "kp_detector_params", "kp_detector.down.weight", kpp.scale_factor));

  const gen = params.generator_params;
  const dm = gen.dense_motion_params;
  out.push(...hourglassFacts(shapes, "generator.dense_motion_network.hourglass", "generator_params.dense_motion_params", dm));
  const occlusionKey = "generator.dense_motion_network.occlusion.weight";
  const occlusion = shapes.has(occlusionKey);
  out.push({
    name: "generator_params.estimate_occlusion_map",
    key: occlusionKey,
    says: String(occlusion),
    configSays: String(gen.estimate_occlusion_map),
    fits: occlusion === gen.estimate_occlusion_map,
  });
  out.push(scaleFactorFact(shapes, "generator_params.dense_motion_params", "generator.dense_motion_network.down.weight", dm.scale_factor));

  const genFirst = shapes.get("generator.first.conv.weight");
  if (genFirst)
    out.push({
      name: "generator_params.block_expansion",
      key: "generator.first.conv.weight",
      says: String(genFirst[0]),
      configSays: String(gen.block_expansion),
      fits: genFirst[0] === gen.block_expansion,
    });
  const downs = count(shapes, /^generator\.down_blocks\.(\d+)\.conv\.weight$/);
  out.push({
    name: "generator_params.num_down_blocks",
    key: "generator.down_blocks.*.conv.weight",
    says: String(downs),
    configSays: String(gen.num_down_blocks),
    fits: downs === gen.num_down_blocks,
  });
  const deepKey = `generator.down_blocks.${downs - 1}.conv.weight`;
  const deep = shapes.get(deepKey)?.[0];
  if (genFirst && deep !== undefined && downs === gen.num_down_blocks)
    out.push(maxFeaturesFact("generator_params.max_features", deepKey, deep, genFirst[0] * 2 ** downs, gen.max_features));
  const bottleneck = count(shapes, /^generator\.bottleneck\.r(\d+)\.conv1\.weight$/);
  out.push({
    name: "generator_params.num_bottleneck_blocks",
    key: "generator.bottleneck.r*.conv1.weight",
    says: String(bottleneck),
    configSays: String(gen.num_bottleneck_blocks),
    fits: bottleneck === gen.num_bottleneck_blocks,
  });
  return out;
}

/**
 * The first config value the shapes contradict, as one phrase ("kp_detector.kp.weight is
 * (10, 35, 7, 7): num_kp is 10, the config says 15"), or undefined when every value fits.
 */
export function firstConfigMismatch(shapes: ShapeMap, params: ModelParams, configSource = "the config"): string | undefined {
  const bad = facts(shapes, params).find((f) => !f.fits);
  if (!bad) return undefined;
  const key = bad.key.includes("*") ? bad.key : `${bad.key} is ${shapeText(shapes.get(bad.key))}`;
  return `${key}: ${bad.name} is ${bad.says}, ${configSource} says ${bad.configSays}`;
}

/** The config values the shapes tell, for `dime info` ("num_kp 10", "switches.jacobians true", ...). */
export function describeFommShapes(shapes: ShapeMap, params: ModelParams): string[] {
  return facts(shapes, params).map((f) => `${f.name} ${f.says}`);
}
